/* A private network namespace with one tap device; see netns.h. */
#include "probe/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE "probe"

static int set_sin(struct sockaddr *sa, const char *addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? 0 : -EINVAL;
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)v[i];
	return 0;
}

static void best_effort_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0) {
			/* optional tuning */
		}
		close(fd);
	}
}

/* Inside the new namespace: tap up with the host address, lo up, static ARP. */
int netns_tap(struct tx_ctx *ctx, const char *name, int *fd)
{
	struct ifreq ifr;
	char path[96];

	*fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return tx_fail(ctx, -errno, STAGE, "cannot open /dev/net/tun (%s)",
			       strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(*fd, TUNSETIFF, &ifr) < 0)
		return tx_fail(ctx, -errno, STAGE, "cannot create tap device '%s' (%s)", name,
			       strerror(errno));
	/* no IPv6 chatter (router solicitations, DAD) on the link */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	best_effort_write(path, "1");
	return 0;
}

static int setup_tap(struct tx_ctx *ctx, struct netns *n)
{
	struct ifreq ifr;
	struct arpreq arp;
	int s, rc = netns_tap(ctx, NETNS_TAP, &n->tap_fd);

	if (rc < 0)
		return rc;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return tx_fail(ctx, -errno, STAGE, "socket: %s", strerror(errno));

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		(void)ioctl(s, SIOCSIFFLAGS, &ifr);
	}

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", NETNS_TAP);
	set_sin(&ifr.ifr_addr, NETNS_HOST_ADDR);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0) {
		rc =
		    tx_fail(ctx, -errno, STAGE, "cannot set the tap address (%s)", strerror(errno));
		goto out;
	}
	set_sin(&ifr.ifr_netmask, "255.255.255.252");
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0) {
		rc =
		    tx_fail(ctx, -errno, STAGE, "cannot set the tap netmask (%s)", strerror(errno));
		goto out;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		rc = tx_fail(ctx, -errno, STAGE, "tap flags: %s", strerror(errno));
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		rc = tx_fail(ctx, -errno, STAGE, "cannot bring the tap up (%s)", strerror(errno));
		goto out;
	}

	memset(&arp, 0, sizeof(arp));
	set_sin(&arp.arp_pa, NETNS_GUEST_ADDR);
	arp.arp_ha.sa_family = ARPHRD_ETHER;
	parse_mac(NETNS_GUEST_MAC, (unsigned char *)arp.arp_ha.sa_data);
	arp.arp_flags = ATF_PERM | ATF_COM;
	snprintf(arp.arp_dev, sizeof(arp.arp_dev), "%s", NETNS_TAP);
	if (ioctl(s, SIOCSARP, &arp) < 0)
		rc = tx_fail(ctx, -errno, STAGE, "cannot set the guest ARP entry (%s)",
			     strerror(errno));
out:
	close(s);
	return rc;
}

static int ns_id(int fd, dev_t *dev, ino_t *ino)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

int netns_open(struct tx_ctx *ctx, struct netns *n)
{
	int rc;

	memset(n, 0, sizeof(*n));
	n->host_fd = n->ns_fd = n->tap_fd = -1;
	n->host_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->host_fd < 0)
		return tx_fail(ctx, -errno, STAGE,
			       "cannot open this thread's network namespace (%s)", strerror(errno));
	rc = ns_id(n->host_fd, &n->host_dev, &n->host_ino);
	if (rc < 0)
		goto fail;
	if (unshare(CLONE_NEWNET) < 0) {
		rc = tx_fail(ctx, -errno, STAGE,
			     "cannot create a network namespace (%s; needs root or CAP_NET_ADMIN)",
			     strerror(errno));
		goto fail;
	}
	n->inside = 1;
	n->ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->ns_fd < 0) {
		rc = tx_fail(ctx, -errno, STAGE, "cannot open the new network namespace (%s)",
			     strerror(errno));
		goto fail;
	}
	rc = ns_id(n->ns_fd, &n->ns_dev, &n->ns_ino);
	if (rc < 0)
		goto fail;
	if (n->ns_dev == n->host_dev && n->ns_ino == n->host_ino) {
		rc = tx_fail(ctx, -EPERM, STAGE,
			     "unshare(CLONE_NEWNET) did not give a new namespace");
		goto fail;
	}
	rc = setup_tap(ctx, n);
	if (rc < 0)
		goto fail;
	return 0;
fail : {
	char keep[sizeof(ctx->err)];
	memcpy(keep, ctx->err, sizeof(keep));
	netns_close(ctx, n);
	memcpy(ctx->err, keep, sizeof(keep));
}
	return rc < 0 ? rc : -EIO;
}

int netns_close(struct tx_ctx *ctx, struct netns *n)
{
	int rc = 0;

	if (n->tap_fd >= 0)
		close(n->tap_fd);
	n->tap_fd = -1;
	if (n->inside) {
		if (setns(n->host_fd, CLONE_NEWNET) < 0) {
			/* stay in the private namespace: the safe side */
			return tx_fail(ctx, -errno, STAGE,
				       "cannot return to the host network namespace (%s)",
				       strerror(errno));
		}
		n->inside = 0;
	}
	if (n->ns_fd >= 0)
		close(n->ns_fd);
	if (n->host_fd >= 0)
		close(n->host_fd);
	n->ns_fd = n->host_fd = -1;
	return rc;
}

int netns_socket_isolated(const struct netns *n, int fd)
{
	dev_t dev;
	ino_t ino;
	int nsfd = ioctl(fd, SIOCGSKNS), rc;

	if (nsfd < 0)
		return -errno;
	rc = ns_id(nsfd, &dev, &ino);
	close(nsfd);
	if (rc < 0)
		return rc;
	return dev == n->ns_dev && ino == n->ns_ino &&
	       !(n->ns_dev == n->host_dev && n->ns_ino == n->host_ino);
}

int netns_pid_isolated(const struct netns *n, pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if (stat(path, &st) < 0)
		return -errno;
	return st.st_dev == n->ns_dev && st.st_ino == n->ns_ino &&
	       !(n->ns_dev == n->host_dev && n->ns_ino == n->host_ino);
}
