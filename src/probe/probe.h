/* The boot probe: boot an image dir under QEMU and time each phase.
 *
 * Per run: a fresh private network namespace with a tap (netns.h); time zero
 * just before QEMU is spawned (inside that namespace, own process group,
 * killed if the probe dies); then
 *   console  first byte on the serial console,
 *   init     a console line containing "tinyx: init",
 *   network  the first RST or SYN-ACK for the SYNs sent every millisecond to
 *            a closed port (1) of the guest,
 *   service  service=http: a "HTTP/1.x 200" status line for "GET / HTTP/1.0";
 *            service=tcp: a successful connect to the port; none: every
 *            port the init says the app serves ("tinyx: ready tcp/80")
 *            answers its check (portcheck.c): a TLS ServerHello where it
 *            speaks TLS, HTTP where it speaks it, a DNS reply on udp/53,
 *            else a connect not reset within 1 s.
 * A run that serves is verified only if the app still runs: an init line
 * "app failed ..." (it exited and will not be restarted), an exit after
 * it served, a root the kernel could not unpack, or an app that listens
 * on loopback only fail the run with that cause and the app's last lines.
 * QEMU is then stopped (SIGTERM, then SIGKILL) and the namespace dropped.
 * A stop signal during a run kills QEMU's process group through the cleanup
 * registry (lib/cleanup.h).
 *
 * The files: run.c (the loop), qemu-proc.c (QEMU's process), console.c (its
 * console and markers), check.h with syn.c and svc.c (the detectors),
 * backend.h with backend.c and xen/xenprobe.c (how an image boots), kvm.c,
 * report.c (statistics and reports), minmem.c (--min-mem). */
#ifndef TINYX_PROBE_H
#define TINYX_PROBE_H

#include "formats/imgconf.h"
#include "lib/util.h"

#include <errno.h>

#define PROBE_MAX_RUNS 1000

/* The errors that mean "the image did not boot or serve": -ETIMEDOUT, not
 * in time; -PROBE_EDIED, it died first (a kernel panic, QEMU exited, xl
 * create failed under Xen). Any other error is the probe's own. */
#define PROBE_EDIED EHOSTDOWN

struct probe_opts {
	const char *dir; /* the image dir (holds image.conf) */
	const char *app; /* the app's name in messages; NULL: DIR's parent's name */
	int runs;	 /* default 1 */
	int json;	 /* the caller prints probe_report_json() instead of text */
	int timeout_s;	 /* per boot, default 30 */
	int use_disk;	 /* boot the image's disk (rootfs.squashfs) as root, no initrd;
			  * the default when the image has a disk, unless use_initrd */
	int use_initrd;	 /* boot the initrd as root */
	/* boot the image's bootable disk (image.conf boot_disk, image/disk.h)
	 * from the firmware on -M pc, no -kernel: a copy of it with the probe's
	 * address appended to the command line inside, as -append would */
	int boot_disk;
	int uefi;      /* with boot_disk: from UEFI (OVMF) instead of BIOS (SeaBIOS) */
	int memory_mb; /* override image.conf's memory_mb when > 0 */
	int port;      /* override image.conf's port and service when > 0 (the
			* Debian VM of tinyx compare: the Tinyx image's port) */
	enum img_service service;
	const char *qemu;  /* default qemu-system-x86_64 */
	int keep_console;  /* copy the guest console to stderr as it comes */
	const char *accel; /* NULL or "tcg" (default), "kvm", or "auto" (kvm when it works) */
	/* target xen (image.conf): by default the image's xl config boots under
	 * the Xen hypervisor nested in QEMU, with a Tinyx dom0 (xenprobe.h) */
	int xen_on_qemu;     /* instead: on QEMU microvm, virtio devices (a vmlinux
			      * boots through its PVH entry, a bzImage as Linux) */
	const char *xen_cfg; /* the xl config in dir; NULL: the one not named *-pv.cfg */
	/* the second part (probex.h), for tinyx compare */
	const char *init_marker; /* the console line of init running; NULL: "tinyx: init" */
	int disk_initrd;	 /* with use_disk: boot the initrd too (a distro's VM) */
	int extras;		 /* once served: QEMU's PSS, the RTT; iperf3 when set below */
	int iperf3;		 /* ask the guest (tinyx.iperf3=) for the throughput test */
	int breakdown;		 /* the reports say where the boot time went */
	/* the trace boot (image/trace.c): the paths of the init's "trace PATH"
	 * lines go here, and a run that served lingers 1.5 s for the last ones */
	struct strv *trace;
	/* the image is a network function (fwd.h): ADDR/P, its eth1's address
	 * in the server net the probe makes; the service time is the first
	 * answer through it, the extras what crosses it. proxy: the client
	 * asks the VM's own eth0 (a proxy, a load balancer) */
	const char *forward;
	int proxy;
};

struct probe_stat {
	double median, min, max; /* milliseconds */
	int n;			 /* runs that reached the phase */
};

/* One run; -1 for a phase not reached. */
struct probe_run_rec {
	int ok;
	double console, init, network, service, ready; /* ready: "tinyx: ready" line */
	long long guest_used_kb; /* "tinyx: mem used N KB" when printed, else -1 */
	long long qemu_rss_kb;	 /* QEMU's VmRSS once served, else -1 */
	double dom0;		 /* under Xen: QEMU start to xl create, else -1 */
	/* opts.extras (else -1) */
	long long qemu_pss_kb;		  /* QEMU's Pss (smaps_rollup) once served */
	double rtt_median_us, rtt_p99_us; /* ICMP echo flood */
	double throughput_mbps;		  /* iperf3, guest -> host; --forward: through it */
	double rtt_own_us; /* --forward: the echo's median to the VM's own eth0 (rtt_median_us:
			    * through it, to the first server) */
	int restarts;	   /* times the init restarted the app */
	char check[128];   /* what answered: "http 200 on tcp/80" */
};

struct probe_result {
	int ok;	     /* every run served */
	int runs_ok; /* runs that served */
	struct probe_stat console, init, network, service;
	long long size_kernel, size_rootfs;
	int disk_root;		 /* the root booted was the image's disk, not its initrd;
				  * 2: its bootable disk, from the firmware */
	char firmware[8];	 /* disk_root 2: "bios" or "uefi" */
	char console_tail[4096]; /* the last console lines of a failed run */
	int netns_isolated;	 /* every probe socket and QEMU were in the private
				  * namespace, and it was not the host's (inode checks) */
	/* extras */
	int runs;		       /* runs attempted */
	struct probe_run_rec *per_run; /* runs entries; probe_result_free() */
	long long guest_used_kb;       /* median over runs that printed it, else -1 */
	long long qemu_rss_kb;	       /* median, else -1 */
	long long qemu_pss_kb;	       /* medians of the extras, else -1 */
	double rtt_median_us, rtt_p99_us, throughput_mbps;
	double rtt_own_us;   /* --forward: to the VM's own side (medians) */
	char forward_to[16]; /* --forward: what the client asked (server or VM) */
	int min_boot_mb;     /* set by probe_min_mem(), else -1 */
	char accel[8];	     /* "tcg" or "kvm" */
	char machine[16], service_name[8], target[8];
	int port, memory_mb, vcpus;
	char note[256];
	char check[128]; /* the last run's check that answered ("" when none) */
	/* under Xen (xen_mode): the config, its type, dom0 boot, the kit */
	int xen_mode;
	char xen_cfg[64], xen_guest_type[8], xen_kit[160];
	struct probe_stat dom0;
};

/* Boot opts->dir opts->runs times. 0 when every run served; otherwise
 * -ETIMEDOUT (did not serve in time), -PROBE_EDIED (QEMU exited / guest
 * panicked), -EINVAL/-ENOENT/-ERANGE (bad image dir or options), ... with ctx->err such as
 * "probe: image did not serve within 30 s 'out/nginx/kvm' (console: ...)"
 * and r->console_tail filled. Stops at the first failed run. */
int probe_run(struct tx_ctx *ctx, const struct probe_opts *o, struct probe_result *r);
void probe_result_free(struct probe_result *r);

void probe_report_text(const struct probe_result *r, const struct probe_opts *o, struct sbuf *out);
/* Keys: ok, runs, runs_ok, netns_isolated, check (what answered: "http 200
 * on tcp/80, dns answer on udp/53"), accel, machine, target, service,
 * firmware ("bios", "uefi": a bootable disk; else null),
 * boot_ms.{console,init,network,service}.{median,min,max,n},
 * size_bytes.{kernel,rootfs,total}, memory_kb.{guest_used,qemu_rss,qemu_pss}
 * (null when unknown), memory_mb.min_boot, rtt_us.{median,p99},
 * throughput_mbps, per_run[] (each with restarts and check), console_tail (failures only), note. */
void probe_report_json(const struct probe_result *r, const struct probe_opts *o, struct sbuf *out);

/* --min-mem: the smallest guest RAM in MB at which the image still boots and
 * serves, by search (to 1 MB, or to 2 % of the answer above 50 MB; see probe_min_mem_split) between
 * lo (a guess that should fail: tried once when >= 16, and the search goes below it if it serves)
 * and hi, a RAM the caller has just seen the image serve with (its own probe run: not tried again,
 * a Debian VM's boot is half a minute). Each try is one probe run with timeout_s. */
int probe_min_mem(struct tx_ctx *ctx, const struct probe_opts *o, int lo, int hi, int timeout_s,
		  int *mb);
/* The next RAM to try in the bracket (lo, hi) that probe_min_mem keeps (hi
 * serves, lo does not), given what a try that serves and one that does not
 * have cost so far on average (0: not seen yet). The tries cost unequally:
 * a Debian VM serves in half a minute but fails at once when its initramfs
 * does not fit; a Tinyx image serves in 2 s but runs into the timeout when
 * the app runs short. With the answer as likely anywhere in the bracket, a
 * try at fraction p of it serves with probability p, and the search costs
 * about (p serve_ms + (1 - p) fail_ms) / H(p) per nat of the bracket's width
 * (H the binary entropy): the p in [MINMEM_SPLIT_MIN, 1 - MINMEM_SPLIT_MIN]
 * that minimizes it; the midpoint while either cost is unknown or both are
 * equal. Measured in compare's debian-vm row (nginx): 64 MB failed in under a second and
 * 288 MB served in 26 s, so the search tries low and spends fewer slow tries. */
#define MINMEM_SPLIT_MIN 0.2
int probe_min_mem_split(int lo, int hi, double serve_ms, double fail_ms);

/* 1 when the CPU has vmx/svm and /dev/kvm runs a tiny hlt guest, else 0. */
int probe_kvm_works(void);

#endif
