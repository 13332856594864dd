/* The build's check of what the guest init will apply from the image: its
 * /etc/network/interfaces (formats/ifaces.h) and its sysctl.d files
 * (formats/sysctl.h), read with the same parsers as the init, against the
 * image's NICs and each target's kernel .config. A bad file is a build
 * error naming the file, the line and the problem, before any image dir is
 * published; the guest never meets it.
 *
 * What is checked without booting:
 *   interfaces: every line parses; each interface is lo or eth0..eth(N-1)
 *     (--nics N); inet6 addresses, gateways or routes need CONFIG_IPV6,
 *     anything IPv4 CONFIG_INET.
 *   sysctl.d: every line parses; any key needs CONFIG_PROC_SYSCTL (no
 *     /proc/sys without it); the key's top dir is one the kernel has
 *     (abi debug dev fs kernel net user vm); a key that needs a kernel option
 *     (net.ipv6.* IPV6, net.ipv4.* INET, net.core.* NET, net.unix.* UNIX,
 *     net.netfilter.* NF_CONNTRACK, net.bridge.* BRIDGE_NETFILTER,
 *     net.mptcp.* MPTCP, kernel.shm*|msg*|sem SYSVIPC, fs.inotify.*
 *     INOTIFY_USER, fs.mqueue.* POSIX_MQUEUE, kernel.unprivileged_bpf_disabled
 *     BPF_SYSCALL) is an error when the option is off; net.ipv4.conf.IF.* and
 *     net.ipv6.conf.IF.* must name lo, all, default or one of the NICs.
 *     A "-key" (failure ignored) is not an error. Whether a key exists below
 *     that (a typo in the last name) can only be told by a boot: the init
 *     prints "tinyx: sysctl KEY: cannot set" for it. */
#ifndef TINYX_NETCHECK_H
#define TINYX_NETCHECK_H

#include "lib/util.h"

struct manifest;

/* The kernel option a sysctl key (dotted) needs, or NULL (none known); "-"
 * for a key under a top dir no kernel has. */
const char *netcheck_sysctl_option(const char *key);
/* 1 when name is an interface of an image with nics NICs (lo, eth0..). */
int netcheck_ifname_ok(const char *name, int nics);

struct netcheck_kernel {
	const char *target; /* "kvm": for messages */
	const char *config; /* the .config's text */
	size_t len;
};

/* Check the image's files (the manifest's entries) for nics NICs and the
 * kernels k[0..nk). */
int netcheck_image(struct tx_ctx *ctx, const struct manifest *m, int nics,
		   const struct netcheck_kernel *k, int nk);
/* Before the kernels are built: add to m's features the options its
 * network and sysctl files and those of the overlay dirs need (PROC_SYSCTL for any sysctl key, the
 * key's own option, IPV6 for inet6, INET for inet), each with the key or interface as its reason;
 * the same errors as netcheck_image for a file that does not parse or names what no image can have.
 */
int netcheck_features(struct tx_ctx *ctx, struct manifest *m, int nics, const char *const *overlays,
		      int noverlays);

#endif
