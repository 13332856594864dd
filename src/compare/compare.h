/* tinyx compare APP: the study's figures, side by side, in one run.
 *
 * Systems (rows), each with the same Debian packages of the app and iperf3;
 * the table of them is compare_systems[] (system.h): a standard Debian VM
 * (debvm.h), the Tinyx images (cmpimg.h), a container (container.h) and the
 * study's unikernels (not packaged in Debian, not measured).
 * Figures per row: image size; QEMU RSS and PSS once served, guest used,
 * smallest RAM that serves; boot to console, init, network, service (median
 * of N runs); ICMP RTT median and p99; iperf3 throughput guest -> host; and
 * each system's ratio to debian-vm. */
#ifndef TINYX_COMPARE_H
#define TINYX_COMPARE_H

#include "lib/util.h"

struct compare_opts {
	const char *app;
	int runs;	  /* per system, default 1 */
	const char *out;  /* the images go to OUT/compare/APP (default "out") */
	const char *plot; /* write the figures (SVG) here, or NULL */
	const char *only; /* comma separated system names, or NULL for all */
	int no_min_mem;	  /* skip the bisection */
	/* --forward ADDR/P: APP is a network function (probe/fwd.h), ADDR/P its
	 * eth1's address; the rows are the systems that forward (debian-vm,
	 * tinyx-kvm, container), each made with the options below as `tinyx
	 * build` and `tinyx debian-vm` make them, and measured by what crosses
	 * it: boot to forwarding (the service time), the round trip through it
	 * and to its own side, the throughput through it */
	const char *forward;
	int proxy;		     /* the client asks the function's eth0 (a proxy) */
	const char *add;	     /* --add PKG,...: more packages */
	const char *const *overlays; /* --overlay DIRs */
	int noverlays;
	int nics; /* 0: 2 */
	int trim; /* --trim for the Tinyx image */
};

struct compare_row {
	const char *name;
	int measured;	      /* 0: not measured (note says why) */
	int ok;		      /* every figure measured */
	char what[96];	      /* how it runs */
	char note[1024];      /* why not measured, or what failed */
	long long size_bytes; /* image: kernel + initrd (+ disk); the container's root */
	long long rss_kb, pss_kb, guest_used_kb;
	int min_mb;
	double console_ms, init_ms, network_ms, service_ms; /* medians, -1: n/a */
	double rtt_median_us, rtt_p99_us, mbps;
	double rtt_own_us; /* --forward: the echo to its own side (-1: none) */
	double seconds;	   /* wall time spent on this row */
	/* figures this system cannot have (note says why): COMPARE_NA_* */
	unsigned na;
};
#define COMPARE_NA_QEMU_MEM 1u	/* QEMU's RSS and PSS: under Xen they are Xen's and dom0's too */
#define COMPARE_NA_GUEST_MEM 2u /* the guest's own count of memory in use */
#define COMPARE_NA_MBPS 4u	/* throughput: no iperf3 client in the guest */
#define COMPARE_NA_CONSOLE 8u	/* the first console byte: under Xen it is the dom0's */
#define COMPARE_NA_MIN_MEM 16u	/* --forward: no bisection of the RAM */
#define COMPARE_NA_RTT 32u	/* no echo crosses it (a proxy, or its rules) */

struct compare_result {
	const char *app;
	int runs;
	const char *forward; /* --forward ADDR/P, or NULL */
	int proxy;
	char accel[8];
	struct compare_row *row; /* nrows of them, owned */
	int nrows;
};

/* A row's figures in its units (-1: not measured), in the JSON report's
 * order: size_bytes, rss_kb, pss_kb, guest_used_kb, min_mb, console_ms,
 * init_ms, network_ms, service_ms, rtt_median_us, rtt_p99_us, mbps, seconds;
 * the reports' and the figures' tables name them by that index. */
#define COMPARE_NFIG 13
void compare_row_figures(const struct compare_row *r, double v[COMPARE_NFIG]);

/* Measure every system; 0 when every measured row has every figure, else
 * the first error (the table is still filled with what was measured).
 * compare_result_free() releases res in either case. */
int compare_run(struct tx_ctx *ctx, const struct compare_opts *o, struct compare_result *res);
/* --stage: only the Debian roots of the wanted systems, staged or found
 * cached (debootstrap, apt), so that a run later measures without waiting
 * for them; no kernel, image or boot. 0 or -errno. */
int compare_stage(struct tx_ctx *ctx, const struct compare_opts *o);
/* -EINVAL when only names a system that is not in the table:
 * "unknown system 'X' (one of: debian-vm, tinyx-kvm, ...)", or with forward
 * one that cannot forward: "system 'X' cannot forward (...)". */
int compare_check_only(struct tx_ctx *ctx, const char *only, int forward);
/* A new row at the end of res: every figure -1 (not measured yet). */
struct compare_row *compare_row_add(struct compare_result *res, const char *name, const char *what);
void compare_result_free(struct compare_result *res);
void compare_report_text(const struct compare_result *res, struct sbuf *out);
void compare_report_json(const struct compare_result *res, struct sbuf *out);

/* The four figures as SVG files in dir (plot.c). */
int compare_plot(struct tx_ctx *ctx, const struct compare_result *res, const char *dir);

#endif
