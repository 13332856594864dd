/* /etc/network/interfaces applied (the subset of formats/ifaces.h, read by
 * the same parser the build checked the file with): per auto interface its
 * MTU, link up, IPv4 addresses (the second and later as aliases IF:N, as
 * ifconfig does), IPv6 addresses, default gateways and static routes, by
 * ioctls. Console lines:
 *   tinyx: net IF ADDR/PREFIX                one per address
 *   tinyx: route DST/PREFIX via GW dev IF    one per route (and "default")
 * A step that fails says so and the rest goes on: the app still starts. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "formats/ifaces.h"
#include "guest/init.h"
#include "guest/util.h"

/* linux/ipv6.h's, which musl does not ship */
struct in6_ifreq_ {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

static int addr4(int s, const char *ifname, int k, const struct ifaces_addr *a)
{
	char label[IFNAMSIZ + 4];
	struct in_addr ip, mask;

	memcpy(&ip, a->a, 4);
	mask.s_addr = htonl(a->prefix ? ~0u << (32 - a->prefix) : 0);
	if (k)
		fmt(label, sizeof(label), "%.11s:%d", ifname, k);
	else
		fmt(label, sizeof(label), "%s", ifname);
	return net_addr(s, label, ip, mask);
}

static int addr6(int s6, const char *ifname, const struct ifaces_addr *a)
{
	struct in6_ifreq_ r = {.prefixlen = (uint32_t)a->prefix,
			       .ifindex = (int)if_nametoindex(ifname)};

	memcpy(&r.addr, a->a, 16);
	return r.ifindex ? ioctl(s6, SIOCSIFADDR, &r) : -1;
}

static int route6(int s6, const char *ifname, const uint8_t *dst, int prefix, const uint8_t *gw,
		  int metric)
{
	struct in6_rtmsg r = {.rtmsg_dst_len = (uint16_t)prefix,
			      .rtmsg_metric = (uint32_t)(metric ? metric : 1),
			      .rtmsg_flags = RTF_UP,
			      .rtmsg_ifindex = (int)if_nametoindex(ifname)};

	memcpy(&r.rtmsg_dst, dst, 16);
	if (gw) {
		memcpy(&r.rtmsg_gateway, gw, 16);
		r.rtmsg_flags |= RTF_GATEWAY;
	}
	if (prefix == 128)
		r.rtmsg_flags |= RTF_HOST;
	return r.rtmsg_ifindex ? ioctl(s6, SIOCADDRT, &r) : -1;
}

static void say_route(const char *ifname, int v6, const uint8_t *dst, int prefix, const uint8_t *gw,
		      int r)
{
	char d[64], g[48];
	struct ifaces_addr a = {.v6 = v6, .prefix = prefix};

	memcpy(a.a, dst, v6 ? 16 : 4);
	if (!prefix)
		fmt(d, sizeof(d), "default");
	else
		ifaces_addr_text(&a, d, sizeof(d));
	g[0] = 0;
	if (gw)
		ifaces_ip_text(v6, gw, g, sizeof(g));
	if (r < 0)
		say("cannot add route %s%s%s dev %s: %s", d, *g ? " via " : "", g, ifname,
		    strerror(errno));
	else
		say("route %s%s%s dev %s", d, *g ? " via " : "", g, ifname);
}

static void route(int s, int s6, const char *ifname, int v6, const uint8_t *dst, int prefix,
		  const uint8_t *gw, int metric)
{
	struct in_addr d, g = {0};
	int r;

	if (v6) {
		r = s6 < 0 ? (errno = EAFNOSUPPORT, -1)
			   : route6(s6, ifname, dst, prefix, gw, metric);
	} else {
		memcpy(&d, dst, 4);
		if (gw)
			memcpy(&g, gw, 4);
		r = net_route_to(s, ifname, d, prefix, g, metric);
	}
	say_route(ifname, v6, dst, prefix, gw, r);
}

static void addresses(int s, int s6, const struct ifaces_if *c)
{
	char text[64];
	int k4 = 0;

	for (int i = 0; i < c->naddr; i++) {
		const struct ifaces_addr *a = &c->addr[i];
		int r = a->v6 ? (s6 < 0 ? (errno = EAFNOSUPPORT, -1) : addr6(s6, c->name, a))
			      : addr4(s, c->name, k4++, a);

		ifaces_addr_text(a, text, sizeof(text));
		if (r < 0)
			say("cannot set %s on %s: %s", text, c->name, strerror(errno));
		else
			say(TINYX_MARK_NET " %s %s", c->name, text);
	}
}

static void one_if(int s, int s6, const struct ifaces_if *c, struct dhcp_ifs *d)
{
	static const uint8_t any[16];

	if (c->mtu) {
		struct ifreq ifr = {.ifr_mtu = (int)c->mtu};

		fmt(ifr.ifr_name, IFNAMSIZ, "%s", c->name);
		if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
			say("cannot set mtu %u on %s: %s", c->mtu, c->name, strerror(errno));
	}
	if (if_up(s, c->name) < 0) {
		say("cannot bring up %s: %s", c->name, strerror(errno));
		return;
	}
	addresses(s, s6, c);
	if (c->has_gw4)
		route(s, s6, c->name, 0, any, 0, c->gw4, 0);
	if (c->has_gw6)
		route(s, s6, c->name, 1, any, 0, c->gw6, 0);
	for (int i = 0; i < c->nroute; i++) {
		const struct ifaces_route *r = &c->route[i];

		route(s, s6, c->name, r->v6, r->dst, r->prefix, r->has_gw ? r->gw : NULL,
		      r->metric);
	}
	if (c->inet == IFM_DHCP)
		dhcp_add(d, c->name);
}

int netcfg_apply(int s, const char *ifname, int skip, struct dhcp_ifs *d)
{
	size_t len;
	char *text = slurp(IFACES_PATH, IFACES_MAX_BYTES, &len);
	struct ifaces *f = text ? malloc(sizeof(*f)) : NULL;
	struct ifaces_error e;
	int s6, mine = 0;

	if (!f) {
		free(text);
		return 0;
	}
	if (ifaces_parse(text, len, f, &e) < 0) {
		say("%s: line %d: %s '%s' (not applied)", IFACES_PATH, e.line, e.problem, e.word);
		free(text);
		free(f);
		return 0;
	}
	s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* none without IPV6 */
	for (int i = 0; i < f->n; i++) {
		const struct ifaces_if *c = &f->ifs[i];

		if (!c->autoup || !strcmp(c->name, "lo"))
			continue;
		if (!strcmp(c->name, ifname)) {
			mine = 1;
			if (skip)
				continue;
		}
		one_if(s, s6, c, d);
	}
	if (s6 >= 0)
		close(s6);
	free(text);
	free(f);
	return mine;
}
