/* The guest's DHCP client (RFC 2131): used when the kernel command line
 * gives no tinyx.ip= (or tinyx.ip=dhcp). A child of the init, so the app
 * starts at once and a client that fails cannot take PID 1 with it.
 *
 * A plain UDP socket on port 68, bound to the interface (SO_BINDTODEVICE)
 * with SO_BROADCAST: the kernel sends a limited broadcast from 0.0.0.0 on an
 * interface without an address, and the broadcast flag makes the server
 * answer with a broadcast, which that socket receives. No CONFIG_PACKET
 * (BusyBox's udhcpc needs a packet socket, the Tinyx kernel has none).
 *
 * INIT: DISCOVER, retried after 1, 2, 4 .. 64 s (and every 64 s after: a VM
 * that booted before its network was ready still gets an address);
 * REQUEST the first OFFER (3 tries), then BOUND: address, mask, MTU, default
 * route, /etc/resolv.conf, and the console line
 *   tinyx: dhcp IFACE ADDR/PREFIX via ROUTER
 * At T1 it renews with the server (unicast), at T2 with anyone (broadcast),
 * and when the lease ends the address goes and it starts over. The message
 * bytes are built and read by formats/dhcp.c (pure, unit tested, fuzzed). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h> /* rename */
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "formats/dhcp.h"
#include "guest/init.h"
#include "guest/spawn.h"
#include "guest/util.h"

#define NO_LEASE_SAY_MS 3000 /* "no lease yet" once after this long */
#define MAX_BACKOFF_MS 64000

int dhcp_pid;

struct client {
	const char *ifname, *hostname;
	uint8_t mac[6];
	uint32_t xid;
	double start;	     /* ms: this acquisition started (the secs field) */
	struct dhcp_lease l; /* the lease held (l.addr 0: none) */
	double bound;	     /* ms: when l was acknowledged */
};

static int open_sock(const struct client *c)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(DHCP_CLIENT_PORT)};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1;

	if (s < 0)
		return -1;
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, c->ifname, (socklen_t)strlen(c->ifname)) <
		0 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		say("dhcp %s: cannot open its socket: %s", c->ifname, strerror(errno));
		close(s);
		return -1;
	}
	return s;
}

/* Send r to dst, wait up to ms for a reply of type want (or a NAK) to it. */
static int exchange(struct client *c, int s, struct dhcp_req *r, uint32_t dst, int want, long ms,
		    struct dhcp_lease *out)
{
	struct sockaddr_in to = {
	    .sin_family = AF_INET, .sin_port = htons(DHCP_SERVER_PORT), .sin_addr.s_addr = dst};
	uint8_t buf[1536];
	double end = now_ms() + (double)ms;
	size_t n;

	r->xid = c->xid;
	r->secs = (uint16_t)((now_ms() - c->start) / 1000);
	memcpy(r->mac, c->mac, 6);
	r->hostname = c->hostname;
	n = dhcp_build(buf, sizeof(buf), r);
	if (sendto(s, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		sleep_ms(ms); /* e.g. no route yet: as if nobody answered */
	for (double left; (left = end - now_ms()) > 0;) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		ssize_t got;
		int t;

		if (poll(&p, 1, (int)left + 1) <= 0)
			continue;
		got = recv(s, buf, sizeof(buf), 0);
		if (got <= 0)
			continue;
		t = dhcp_parse(buf, (size_t)got, c->xid, c->mac, out);
		if (t == want || t == DHCP_NAK)
			return t;
	}
	return 0;
}

static void write_resolv(const struct dhcp_lease *l)
{
	char text[256];
	size_t n = dhcp_resolv(l, text, sizeof(text));
	int fd;

	if (!n)
		return;
	fd = open("/etc/resolv.conf.dhcp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n || close(fd) < 0 ||
	    rename("/etc/resolv.conf.dhcp", "/etc/resolv.conf") < 0)
		say("dhcp: cannot write /etc/resolv.conf: %s", strerror(errno));
}

/* Make the link learn the new address now: one datagram from it to the
 * router (else the server) on the discard port makes the kernel ask for the
 * router's MAC, and the router takes the guest's from that request. Else
 * the router may hold an ARP entry for the address whose probes went
 * unanswered before the guest had it (a DHCP server pings an address before
 * it offers it: dnsmasq, libvirt's), and the first connections to the guest
 * fail with "no route to host" until it probes again. RFC 5227 announces
 * with ARP itself, which needs a packet socket (PACKET, not in the kernel). */
static void announce(int s, const struct client *c, const struct dhcp_lease *l)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(9),
				 .sin_addr.s_addr = l->router ? l->router : l->server};

	if (!to.sin_addr.s_addr ||
	    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, c->ifname, (socklen_t)strlen(c->ifname)) < 0)
		return;
	sendto(s, "", 0, 0, (struct sockaddr *)&to, sizeof(to));
}

/* Put l on the interface (the old lease old, if any, replaced). */
static void apply(const struct client *c, const struct dhcp_lease *old, const struct dhcp_lease *l)
{
	struct in_addr a = {l->addr}, m = {l->mask}, gw = {l->router}, any = {0};
	char sa[16], sg[16];
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	if (old->addr && old->router)
		net_route(s, c->ifname, any, (struct in_addr){old->router}, 1);
	if (net_addr(s, c->ifname, a, m) < 0)
		say("dhcp %s: cannot set its address: %s", c->ifname, strerror(errno));
	if (l->mtu) {
		struct ifreq ifr = {.ifr_mtu = l->mtu};

		memcpy(ifr.ifr_name, c->ifname, strnlen(c->ifname, IFNAMSIZ - 1));
		ioctl(s, SIOCSIFMTU, &ifr);
	}
	/* a router outside the subnet (a /32 lease) is reached on the link */
	if (l->router && (l->router & l->mask) != (l->addr & l->mask))
		net_route(s, c->ifname, gw, any, 0);
	if (l->router && net_route(s, c->ifname, any, gw, 0) < 0 && errno != EEXIST)
		say("dhcp %s: cannot add default route via %s: %s", c->ifname,
		    dhcp_ntoa(l->router, sg), strerror(errno));
	announce(s, c, l);
	close(s);
	write_resolv(l);
	say(TINYX_MARK_DHCP "%s %s/%d%s%s", c->ifname, dhcp_ntoa(l->addr, sa), dhcp_prefix(l->mask),
	    l->router ? " via " : "", l->router ? dhcp_ntoa(l->router, sg) : "");
}

static void drop(struct client *c)
{
	struct in_addr none = {0};
	char sa[16];
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s >= 0) {
		net_addr(s, c->ifname, none, none); /* its routes go with it */
		close(s);
	}
	say("dhcp %s: lease of %s lost", c->ifname, dhcp_ntoa(c->l.addr, sa));
	memset(&c->l, 0, sizeof(c->l));
}

static void take(struct client *c, const struct dhcp_lease *ack)
{
	if (!c->l.addr || ack->addr != c->l.addr || ack->router != c->l.router ||
	    ack->mask != c->l.mask)
		apply(c, &c->l, ack);
	else
		write_resolv(ack); /* the servers may change */
	c->l = *ack;
	c->bound = now_ms();
}

/* INIT and SELECTING until a lease is bound. A DISCOVER sent again keeps
 * its xid: a server that checks the address first (dnsmasq pings it, about
 * 3 s measured here) answers the first one during the wait for the next. */
static void acquire(struct client *c, int s)
{
	long wait = 1000;
	int said = 0;

	c->start = now_ms();
	c->xid = c->xid * 1103515245u + 12345u;
	for (;;) {
		struct dhcp_req r = {.type = DHCP_DISCOVER};
		struct dhcp_lease offer, ack;

		if (exchange(c, s, &r, INADDR_BROADCAST, DHCP_OFFER, wait, &offer) == DHCP_OFFER) {
			r = (struct dhcp_req){
			    .type = DHCP_REQUEST, .reqaddr = offer.addr, .server = offer.server};
			for (long t = 1000; t <= 4000; t *= 2) {
				int got = exchange(c, s, &r, INADDR_BROADCAST, DHCP_ACK, t, &ack);

				if (got == DHCP_ACK) {
					take(c, &ack);
					return;
				}
				if (got == DHCP_NAK)
					break;
			}
			c->xid = c->xid * 1103515245u + 12345u; /* a new transaction */
		}
		if (!said && now_ms() - c->start >= NO_LEASE_SAY_MS) {
			say("dhcp %s: no lease yet, still asking", c->ifname);
			said = 1;
		}
		wait = wait * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : wait * 2;
	}
}

/* RENEWING (unicast to the server) from T1, REBINDING (broadcast) from T2,
 * until an ACK (0), a NAK or the end of the lease (-1). */
static int renew(struct client *c, int s)
{
	double t2 = c->bound + c->l.t2 * 1000.0, end = c->bound + c->l.lease * 1000.0;

	c->start = now_ms();
	c->xid = c->xid * 1103515245u + 12345u;
	for (double now; (now = now_ms()) < end;) {
		int rebind = now >= t2;
		double until = rebind ? end : t2;
		long wait = (long)((until - now) / 2);
		struct dhcp_req r = {.type = DHCP_REQUEST, .ciaddr = c->l.addr};
		struct dhcp_lease ack;
		int got;

		wait = wait < 10000 ? 10000 : wait > 60000 ? 60000 : wait;
		if (wait > until - now)
			wait = (long)(until - now) + 1;
		got = exchange(c, s, &r, rebind ? INADDR_BROADCAST : c->l.server, DHCP_ACK, wait,
			       &ack);
		if (got == DHCP_ACK) {
			take(c, &ack);
			return 0;
		}
		if (got == DHCP_NAK)
			break;
	}
	drop(c);
	return -1;
}

static int client(void *arg)
{
	struct client *c = arg;
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(ifr.ifr_name, c->ifname, strnlen(c->ifname, IFNAMSIZ - 1));
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0 || if_up(s, c->ifname) < 0) {
		say("dhcp %s: no such interface: %s", c->ifname, strerror(errno));
		return 1;
	}
	close(s);
	memcpy(c->mac, ifr.ifr_hwaddr.sa_data, 6);
	c->xid = (uint32_t)now_ms() ^ (uint32_t)c->mac[5] << 24 ^ (uint32_t)c->mac[4] << 16 ^
		 (uint32_t)getpid();
	for (;;) {
		s = open_sock(c);
		if (s < 0)
			return 1;
		if (!c->l.addr)
			acquire(c, s);
		else
			renew(c, s);
		close(s); /* while bound, nothing to read: others' broadcasts would queue */
		if (!c->l.addr)
			continue;
		if (c->l.lease == DHCP_INFINITE)
			for (;;)
				pause();
		double t1 = c->bound + c->l.t1 * 1000.0 - now_ms();
		if (t1 > 0)
			sleep_ms((long)t1);
	}
}

void dhcp_add(struct dhcp_ifs *d, const char *ifname)
{
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->name[i], ifname))
			return;
	if (d->n < (int)(sizeof(d->name) / sizeof(d->name[0])))
		fmt(d->name[d->n++], IFNAMSIZ, "%s", ifname);
}

static struct client clients[16];
static char names[16][IFNAMSIZ];
static int nclients;

/* The DHCP child: a process of its own for each interface after the first
 * (its children: the init sees one DHCP process), the first one here. */
static int run_all(void *arg)
{
	(void)arg;
	for (int i = 1; i < nclients; i++) {
		struct gspawn s = {.fn = client, .arg = &clients[i]};

		if (gspawn(&s) < 0)
			say("dhcp %s: cannot fork: %s", clients[i].ifname, strerror(errno));
	}
	return client(&clients[0]);
}

void dhcp_start(const struct dhcp_ifs *d, const char *hostname)
{
	struct gspawn s = {.fn = run_all};

	for (nclients = 0; nclients < d->n && nclients < 16; nclients++) {
		memcpy(names[nclients], d->name[nclients], IFNAMSIZ);
		clients[nclients] =
		    (struct client){.ifname = names[nclients], .hostname = hostname};
	}
	dhcp_pid = gspawn(&s);
	if (dhcp_pid < 0) {
		say("dhcp %s: cannot fork: %s", d->name[0], strerror(errno));
		dhcp_pid = 0;
	}
}
