/* The probe's forwarding mode: tinyx probe DIR --forward ADDR/P [--proxy].
 *
 * The image is a network function (a router, a firewall, NAT, a proxy or a
 * load balancer), built with two NICs, and what the probe times and
 * measures is what crosses it. The topology, in private namespaces that go
 * with the probe (nothing named, nothing on the host's network):
 *   - the client net: the probe's own namespace (netns.h), the VM's eth0 on
 *     its tap at NETNS_GUEST_ADDR (the per-instance address, tinyx.ip=), the
 *     client NETNS_HOST_ADDR, with a route to the server net via the VM;
 *   - the server net: a second namespace, the VM's eth1 on its tap (QEMU's
 *     fd 4). ADDR/P is the VM's own eth1 address, as the image's network
 *     config gives it (/etc/network/interfaces of its overlay); the two
 *     servers are the first two other host addresses of P, each answering
 *     HTTP on tcp/8080 (FWD_PORT) with its address, the first one an
 *     iperf3 server on tcp/5201; their default route goes via ADDR (a
 *     routed reply finds its way back; a NATed one needs none).
 * The check: from the client net, GET / on FWD_PORT of the first server,
 * through the VM (routed, NATed, filtered), or with --proxy of the VM's own
 * eth0 address (a proxy or load balancer in front of the servers). The
 * first answer from a server is the service time: boot to forwarding. A
 * connect without an answer in FWD_RETRY_MS is tried anew (TCP would resend
 * its SYN only after 1 s). Then, as the extras: the ICMP round trip through
 * the VM to the first server and to the VM's own eth0 (the difference is
 * what forwarding adds; no echo crosses a proxy), and iperf3 from the client
 * to the first server through it (to the VM's tcp/5201 with --proxy). So a
 * function's rules must let tcp/8080, tcp/5201 and ICMP echo through for
 * every figure; an echo or iperf3 it drops leaves that figure unmeasured. */
#ifndef TINYX_PROBE_FWD_H
#define TINYX_PROBE_FWD_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util.h"

#define FWD_PORT 8080
#define FWD_RETRY_MS 250
#define FWD_TAP "tap1"
#define FWD_MARK "tinyx-probe server " /* each server's answer: FWD_MARK ADDR */

/* The server net of --forward ADDR/P. */
struct fwd_net {
	char vm[16];	 /* ADDR: the VM's eth1 */
	char srv[2][16]; /* the servers */
	unsigned prefix;
	uint32_t net, mask; /* host order */
};

/* Parse ADDR/P: dotted IPv4 and a prefix of 8..29; ADDR neither the
 * network's nor its broadcast address; P not overlapping the client net.
 * 0, or -EINVAL with ctx->err ("bad --forward address '...' (...)"). */
int fwd_parse(struct tx_ctx *ctx, const char *spec, struct fwd_net *n);

struct fwd {
	struct fwd_net net;
	int proxy;
	char target[16]; /* what the client asks: the first server, or the VM */
	int ns_fd;	 /* the server net */
	int tap_fd;	 /* the VM's eth1, QEMU's fd 4 */
	int lfd;	 /* the servers' HTTP socket */
	int stop[2];	 /* tells the servers' thread to end */
	pthread_t th;
	int th_on;
	pid_t iperf3;
	int cleanup; /* the registry's handle on iperf3's process group */
	pid_t peer;  /* not 0: the function is this process's network namespace
		      * (a container): its eth1 is a veth, not a tap */
};

/* With the calling thread in the probe's namespace (the client net): the
 * server net, its servers, the client's route to it; the thread is back in
 * the client net on return. The function's eth1: a tap (f->tap_fd, for
 * QEMU), or with peer not 0 a veth pair, the end "eth1" in peer's network
 * namespace (down, no address: the function's own). On error nothing is
 * left. */
int fwd_open(struct tx_ctx *ctx, struct fwd *f, const struct fwd_net *n, int proxy, pid_t peer);
/* One try of the check, blocking: GET / on FWD_PORT of target (from the
 * calling thread's namespace), a connect given FWD_RETRY_MS, the answer 3 s.
 * 1 when a server answered (*who its address), else 0. */
int fwd_ask(const char *target, char *who, size_t cap);
/* The servers, their thread and the namespace's fds gone (the namespace
 * goes with the last of them and QEMU). Safe on a zeroed or closed fwd. */
void fwd_close(struct fwd *f);

#endif
