/* The guest's static network from the kernel command line (tinyx.ip,
 * tinyx.gw, tinyx.if): ioctls, no netlink, no DHCP. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/route.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest/init.h"
#include "guest/util.h"

/* IFF_RUNNING is the driver's to set: SIOCSIFFLAGS ignores it. */
int if_up(int s, const char *name)
{
	struct ifreq ifr = {0};

	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static int set_addr(int s, unsigned long req, const char *name, struct in_addr a)
{
	struct ifreq ifr = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
	sin->sin_family = AF_INET;
	sin->sin_addr = a;
	return ioctl(s, req, &ifr);
}

static int add_gateway(int s, const struct cmdline *c)
{
	struct rtentry rt = {0};
	struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst;
	struct sockaddr_in *gwa = (struct sockaddr_in *)&rt.rt_gateway;
	struct sockaddr_in *gm = (struct sockaddr_in *)&rt.rt_genmask;
	struct in_addr gw;

	if (inet_pton(AF_INET, c->gw, &gw) != 1) {
		say("bad tinyx.gw '%s'", c->gw);
		return -1;
	}
	dst->sin_family = gwa->sin_family = gm->sin_family = AF_INET;
	gwa->sin_addr = gw;
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = (char *)c->ifname;
	if (ioctl(s, SIOCADDRT, &rt) < 0)
		say("cannot add default route via %s: %s", c->gw, strerror(errno));
	return 0;
}

static void addr_up(int s, const struct cmdline *c)
{
	char addr[64], *slash;
	unsigned long prefix = 32;
	struct in_addr a, mask;

	memcpy(addr, c->ip, sizeof(addr));
	slash = strchr(addr, '/');
	if (slash)
		*slash++ = 0;
	if (inet_pton(AF_INET, addr, &a) != 1 || (slash && num(slash, 10, 32, &prefix))) {
		say("bad tinyx.ip '%s' (want ADDR/PREFIX)", c->ip);
		return;
	}
	mask.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
	if (set_addr(s, SIOCSIFADDR, c->ifname, a) < 0 ||
	    set_addr(s, SIOCSIFNETMASK, c->ifname, mask) < 0 || if_up(s, c->ifname) < 0) {
		say("cannot configure %s: %s", c->ifname, strerror(errno));
		return;
	}
	if (c->gw[0] && add_gateway(s, c) < 0)
		return;
	say(TINYX_MARK_NET " %s %s", c->ifname, c->ip);
}

void net_up(const struct cmdline *c)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return; /* no IPv4 in this kernel */
	if (if_up(s, "lo") < 0)
		say("cannot bring up lo: %s", strerror(errno));
	if (c->ip[0])
		addr_up(s, c);
	close(s);
}
