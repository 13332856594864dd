/* The guest's network: the kernel command line (tinyx.ip, tinyx.gw,
 * tinyx.if) for its interface, /etc/network/interfaces (netcfg.c) for the
 * others (and for that one when the command line gives no tinyx.ip=), DHCP
 * (dhcp.c) on the command line's interface when neither says anything;
 * ioctls, no netlink. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/route.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest/dom0.h"
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

static int set_ifr(int s, unsigned long req, const char *name, struct in_addr a)
{
	struct ifreq ifr = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
	sin->sin_family = AF_INET;
	sin->sin_addr = a;
	return ioctl(s, req, &ifr);
}

int net_addr(int s, const char *ifname, struct in_addr a, struct in_addr mask)
{
	if (set_ifr(s, SIOCSIFADDR, ifname, a) < 0)
		return -1;
	if (!a.s_addr) /* 0.0.0.0 took the address away */
		return 0;
	return set_ifr(s, SIOCSIFNETMASK, ifname, mask) < 0 ? -1 : if_up(s, ifname);
}

int net_route_to(int s, const char *ifname, struct in_addr dst, int prefix, struct in_addr gw,
		 int metric)
{
	struct rtentry rt = {0};
	struct sockaddr_in *d = (struct sockaddr_in *)&rt.rt_dst;
	struct sockaddr_in *g = (struct sockaddr_in *)&rt.rt_gateway;
	struct sockaddr_in *m = (struct sockaddr_in *)&rt.rt_genmask;

	d->sin_family = g->sin_family = m->sin_family = AF_INET;
	m->sin_addr.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
	d->sin_addr.s_addr = dst.s_addr & m->sin_addr.s_addr;
	g->sin_addr = gw;
	rt.rt_flags = RTF_UP | (gw.s_addr ? RTF_GATEWAY : 0) | (prefix == 32 ? RTF_HOST : 0);
	rt.rt_metric = (short)(metric + 1); /* the ioctl stores one less */
	rt.rt_dev = (char *)ifname;
	return ioctl(s, SIOCADDRT, &rt);
}

int net_route(int s, const char *ifname, struct in_addr dst, struct in_addr gw, int del)
{
	struct rtentry rt = {0};
	struct sockaddr_in *d = (struct sockaddr_in *)&rt.rt_dst;
	struct sockaddr_in *g = (struct sockaddr_in *)&rt.rt_gateway;
	struct sockaddr_in *m = (struct sockaddr_in *)&rt.rt_genmask;

	d->sin_family = g->sin_family = m->sin_family = AF_INET;
	d->sin_addr = dst;
	g->sin_addr = gw;
	rt.rt_flags = RTF_UP | (gw.s_addr ? RTF_GATEWAY : 0);
	if (dst.s_addr) { /* a host route (to a gateway outside the subnet) */
		m->sin_addr.s_addr = 0xffffffffu;
		rt.rt_flags |= RTF_HOST;
	}
	rt.rt_dev = (char *)ifname;
	return ioctl(s, del ? SIOCDELRT : SIOCADDRT, &rt);
}

static void addr_up(int s, const struct cmdline *c)
{
	char addr[64], *slash;
	unsigned long prefix = 32;
	struct in_addr a, mask, gw = {0}, any = {0};

	memcpy(addr, c->ip, sizeof(addr));
	slash = strchr(addr, '/');
	if (slash)
		*slash++ = 0;
	if (inet_pton(AF_INET, addr, &a) != 1 || (slash && num(slash, 10, 32, &prefix))) {
		say("bad tinyx.ip '%s' (want ADDR/PREFIX, dhcp or off)", c->ip);
		return;
	}
	if (c->gw[0] && inet_pton(AF_INET, c->gw, &gw) != 1) {
		say("bad tinyx.gw '%s'", c->gw);
		return;
	}
	mask.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
	if (net_addr(s, c->ifname, a, mask) < 0) {
		if (errno == ENODEV)
			say(TINYX_MARK_NOIF "%s (no driver for it in this kernel?)", c->ifname);
		else
			say("cannot configure %s: %s", c->ifname, strerror(errno));
		return;
	}
	if (gw.s_addr && net_route(s, c->ifname, any, gw, 0) < 0)
		say("cannot add default route via %s: %s", c->gw, strerror(errno));
	say(TINYX_MARK_NET " %s %s", c->ifname, c->ip);
}

void net_up(const struct cmdline *c)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct dhcp_ifs d = {0};
	int filed;

	if (s < 0)
		return; /* no IPv4 in this kernel */
	if (if_up(s, "lo") < 0)
		say("cannot bring up lo: %s", strerror(errno));
	/* the file's interfaces; the command line's wins when it has tinyx.ip= */
	filed = netcfg_apply(s, c->ifname, c->ip[0] != 0, &d);
	/* no DHCP by default in a Xen dom0: its NIC becomes a port of xenbr0 */
	if ((!c->ip[0] && !filed && !dom0_role()) || !strcmp(c->ip, "dhcp"))
		dhcp_add(&d, c->ifname);
	else if (c->ip[0] && strcmp(c->ip, "off") && strcmp(c->ip, "dhcp"))
		addr_up(s, c);
	if (d.n)
		dhcp_start(&d, c->hostname);
	close(s);
}
