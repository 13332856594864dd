/* The probe's second part: what is measured once a system serves.
 *
 * Every function here runs with the calling thread inside the probe's
 * private network namespace (netns.h), where the guest (a VM behind the tap,
 * or a container behind a veth) is NETNS_GUEST_ADDR and the host side is
 * NETNS_HOST_ADDR. Nothing here touches the host's own network. */
#ifndef TINYX_PROBEX_H
#define TINYX_PROBEX_H

#include <sys/types.h>

#include "lib/util.h"

#define PROBEX_RTT_COUNT 500	/* echo requests at most */
#define PROBEX_RTT_MAX_MS 3000	/* and for at most this long */
#define PROBEX_IPERF3_SECONDS 3 /* the length of the throughput test */
#define PROBEX_IPERF3_STR "3"	/* the same, for the kernel command line */
#define PROBEX_IPERF3_PORT 5201

struct probex_mem {
	long long rss_kb, pss_kb; /* -1 when unknown */
};

/* Rss and Pss of process pid from /proc/PID/smaps_rollup, added to *m
 * (fields at -1 become 0 first). 0 or -errno. */
int probex_mem_add(pid_t pid, struct probex_mem *m);

/* An ICMP echo flood to the guest as ping -f does it: the next request goes
 * out as soon as the reply to the last one came back (or after 10 ms without
 * one), at most count requests and max_ms. Median and 99th percentile of the
 * round trips in microseconds. 0, or -errno (-ETIMEDOUT: no reply at all). */
int probex_rtt(struct tx_ctx *ctx, int count, int max_ms, double *median_us, double *p99_us,
	       int *replies);
/* The same to addr (dotted IPv4): through a network function, the server
 * behind it. */
int probex_rtt_to(struct tx_ctx *ctx, const char *addr, int count, int max_ms, double *median_us,
		  double *p99_us, int *replies);

/* The host side of the throughput test: a one-off iperf3 server bound to
 * NETNS_HOST_ADDR in the namespace; the guest's client sends for `seconds`
 * (guest -> host). *started is called once the server listens (may be NULL):
 * the caller starts the client there (a VM's client retries on its own).
 * Waits at most timeout_ms. Mbit/s received by the server. */
int probex_iperf3(struct tx_ctx *ctx, int timeout_ms, void (*started)(void *), void *arg,
		  double *mbps);

/* The same test where the image runs the server (image.conf iperf3=server):
 * the host's client in reverse mode (-R: the guest sends) to
 * NETNS_GUEST_ADDR, retried until the server answers or timeout_ms. Mbit/s
 * received by the client. */
int probex_iperf3_reverse(struct tx_ctx *ctx, int timeout_ms, double *mbps);
/* The host's client to the server at addr: sending (reverse 0) or, with
 * reverse, receiving; retried while it gets no result, up to timeout_ms.
 * Mbit/s received. */
int probex_iperf3_client(struct tx_ctx *ctx, const char *addr, int reverse, int timeout_ms,
			 double *mbps);

/* The iperf3 server's JSON (or a reverse client's): end.sum_received.bits_per_second in Mbit/s.
 * Untrusted text (fuzzed). 0 or -EINVAL. */
int probex_iperf3_parse(const char *json, size_t len, double *mbps);

/* Percentile q (0..1) of n sorted values, nearest rank. */
double probex_percentile(const double *sorted, int n, double q);

#endif
