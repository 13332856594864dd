/* A private network namespace with one tap device, for the boot probe.
 *
 * netns_open() moves the calling thread into a fresh, anonymous network
 * namespace (unshare(CLONE_NEWNET)), creates a tap device there (the probe
 * holds its fd; QEMU gets it as -netdev tap,fd=N), gives it HOST_ADDR/30,
 * brings it up and pins a permanent ARP entry for GUEST_ADDR -> GUEST_MAC
 * (no ARP delay in the network-up measurement). Every socket the thread
 * creates from then on lives in that namespace; netns_close() returns the
 * thread to the namespace it came from.
 *
 * Nothing is named or persistent: no /run/netns entry, no persistent tap.
 * The namespace lives only while a process is in it or an fd refers to it,
 * so it disappears with the probe and its QEMU even on SIGKILL. */
#ifndef TINYX_NETNS_H
#define TINYX_NETNS_H

#include <sys/types.h>

#include "lib/util.h"

#define NETNS_HOST_ADDR "10.201.0.1"
#define NETNS_GUEST_ADDR "10.201.0.2"
#define NETNS_PREFIX 30
#define NETNS_GUEST_MAC "52:54:00:74:78:02"
#define NETNS_TAP "tap0"

struct netns {
	int host_fd; /* the namespace the thread came from */
	int ns_fd;   /* the private namespace */
	int tap_fd;  /* the tap device (not close-on-exec only in the QEMU child) */
	dev_t ns_dev, host_dev;
	ino_t ns_ino, host_ino;
	int inside; /* the calling thread is in ns_fd */
};

/* Create the namespace and tap, and enter it. On error nothing is left and
 * the thread is back where it was (or ctx->err says it could not return). */
int netns_open(struct tx_ctx *ctx, struct netns *n);
/* A tap device named name in the caller's namespace, its fd in *fd (-1
 * on error: then ctx->err says why), IPv6 off on it. 0 or -errno. */
int netns_tap(struct tx_ctx *ctx, const char *name, int *fd);
/* Leave the namespace and close every fd; the kernel frees it once the last
 * process in it (QEMU) is gone. Safe to call twice. */
int netns_close(struct tx_ctx *ctx, struct netns *n);

/* 1 when fd (a socket) lives in n's namespace and that is not the host's,
 * checked by inode (SIOCGSKNS); 0 when not; -errno when it cannot tell. */
int netns_socket_isolated(const struct netns *n, int fd);
/* 1 when process pid is in n's namespace (and that is not the host's). */
int netns_pid_isolated(const struct netns *n, pid_t pid);

#endif
