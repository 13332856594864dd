/* The probe's forwarding mode: the server net and its servers, and the
 * check that times the first answer through the function; see fwd.h. */
#include "probe/fwd.h"
#include "lib/cleanup.h"
#include "probe/check.h"
#include "probe/netns.h"
#include "probe/probex.h"
#include "probe/run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define FCK_MAX 4 /* attempts in flight */

static void dotted(uint32_t a, char out[16])
{
	struct in_addr in = {htonl(a)};

	inet_ntop(AF_INET, &in, out, 16);
}

int fwd_parse(struct tx_ctx *ctx, const char *spec, struct fwd_net *n)
{
	char addr[32];
	const char *slash = spec ? strchr(spec, '/') : NULL;
	struct in_addr in, cl;
	uint32_t a, bcast, client;
	unsigned p = 0;
	int k = 0;

	memset(n, 0, sizeof(*n));
	if (!slash || slash == spec || (size_t)(slash - spec) >= sizeof(addr) || !slash[1] ||
	    strlen(slash + 1) > 2 || strspn(slash + 1, "0123456789") != strlen(slash + 1))
		return tx_fail(ctx, -EINVAL, STAGE,
			       "bad --forward address '%s' (the VM's eth1 address and prefix, "
			       "e.g. 10.251.0.9/24)",
			       spec ? spec : "");
	memcpy(addr, spec, (size_t)(slash - spec));
	addr[slash - spec] = 0;
	p = (unsigned)atoi(slash + 1);
	if (inet_pton(AF_INET, addr, &in) != 1)
		return tx_fail(ctx, -EINVAL, STAGE, "bad --forward address '%s' (not IPv4)", spec);
	if (p < 8 || p > 29)
		return tx_fail(ctx, -EINVAL, STAGE,
			       "bad --forward address '%s' (the prefix must be 8..29: room for "
			       "the VM and two servers)",
			       spec);
	a = ntohl(in.s_addr);
	n->prefix = p;
	n->mask = 0xffffffffu << (32 - p);
	n->net = a & n->mask;
	bcast = n->net | ~n->mask;
	if (a == n->net || a == bcast)
		return tx_fail(
		    ctx, -EINVAL, STAGE,
		    "bad --forward address '%s' (the network's own or broadcast address)", spec);
	inet_pton(AF_INET, NETNS_HOST_ADDR, &cl);
	client = ntohl(cl.s_addr);
	if ((client & n->mask) == n->net || (n->net & (0xffffffffu << (32 - NETNS_PREFIX))) ==
						(client & (0xffffffffu << (32 - NETNS_PREFIX))))
		return tx_fail(ctx, -EINVAL, STAGE,
			       "bad --forward address '%s' (overlaps the probe's client net %s/%d)",
			       spec, NETNS_HOST_ADDR, NETNS_PREFIX);
	dotted(a, n->vm);
	for (uint32_t h = n->net + 1; h < bcast && k < 2; h++)
		if (h != a)
			dotted(h, n->srv[k++]);
	return 0;
}

static int set_sin(struct sockaddr *sa, const char *addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? 0 : -EINVAL;
}

static void set_sin_u32(struct sockaddr *sa, uint32_t a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(a);
}

/* name (an interface or an alias "tap1:1") gets addr/mask; up */
static int if_addr(int s, const char *name, const char *addr, uint32_t mask)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	set_sin(&ifr.ifr_addr, addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		return -errno;
	set_sin_u32(&ifr.ifr_netmask, mask);
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		return -errno;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

static int if_up(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

/* dst/mask via gw, in the caller's namespace */
static int add_route(int s, uint32_t dst, uint32_t mask, const char *gw)
{
	struct rtentry rt;

	memset(&rt, 0, sizeof(rt));
	set_sin_u32(&rt.rt_dst, dst);
	set_sin_u32(&rt.rt_genmask, mask);
	set_sin(&rt.rt_gateway, gw);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	return ioctl(s, SIOCADDRT, &rt) < 0 ? -errno : 0;
}

/* The servers' thread: each connection gets one answer, FWD_MARK and the
 * address it was made to (which server answered), then it is closed. */
static void *serve(void *arg)
{
	struct fwd *f = arg;

	for (;;) {
		struct pollfd pf[2] = {{f->lfd, POLLIN, 0}, {f->stop[0], POLLIN, 0}};
		struct sockaddr_in me;
		socklen_t len = sizeof(me);
		char body[64], msg[192], req[1024], who[16] = "?";
		int c, n;

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (!(pf[0].revents & POLLIN))
			continue;
		c = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		if (getsockname(c, (struct sockaddr *)&me, &len) == 0)
			inet_ntop(AF_INET, &me.sin_addr, who, sizeof(who));
		/* the request, or what came of it within 2 s: any GET is answered */
		if (poll(&(struct pollfd){c, POLLIN, 0}, 1, 2000) > 0 &&
		    read(c, req, sizeof(req)) > 0) {
			n = snprintf(body, sizeof(body), FWD_MARK "%s\n", who);
			n = snprintf(msg, sizeof(msg),
				     "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
				     "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
				     n, body);
			if (write(c, msg, (size_t)n) < 0) {
				/* the client is gone: nothing to do */
			}
		}
		close(c);
	}
	return NULL;
}

static void kill_iperf3(void *arg)
{
	struct fwd *f = arg;

	if (f->iperf3 > 0)
		tx_kill(f->iperf3);
	f->iperf3 = 0;
}

/* In the server net: tap1 (the VM's eth1), the servers' addresses, the
 * route back via the VM, the HTTP socket, iperf3. */
static int server_net(struct tx_ctx *ctx, struct fwd *f)
{
	const struct fwd_net *n = &f->net;
	char alias[IFNAMSIZ];
	struct sockaddr_in sin;
	int s, r, one = 1;

	if (f->peer > 0) { /* a veth: this end here, eth1 in the function's namespace */
		char pid[16];
		char *argv[] = {"ip",	"link", "add",	FWD_TAP, "type", "veth",
				"peer", "name", "eth1", "netns", pid,	 NULL};

		snprintf(pid, sizeof(pid), "%d", (int)f->peer);
		r = run_cmd(ctx, argv, NULL, 1) == 0 ? 0 : -EIO;
		if (r < 0)
			return tx_fail(ctx, r, STAGE, "cannot make the server net's veth '%s'",
				       FWD_TAP);
	} else if ((r = netns_tap(ctx, FWD_TAP, &f->tap_fd)) < 0) {
		return r;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return tx_fail(ctx, -errno, STAGE, "socket: %s", strerror(errno));
	snprintf(alias, sizeof(alias), "%s:1", FWD_TAP);
	(void)if_up(s, "lo");
	if ((r = if_addr(s, FWD_TAP, n->srv[0], n->mask)) < 0 ||
	    (r = if_addr(s, alias, n->srv[1], n->mask)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot give the server net its addresses (%s)",
			    strerror(-r));
	else if ((r = add_route(s, 0, 0, n->vm)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot route the server net via '%s' (%s)", n->vm,
			    strerror(-r));
	close(s);
	if (r < 0)
		return r;
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(FWD_PORT);
	if (f->lfd < 0 || setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(f->lfd, 64) < 0)
		return tx_fail(ctx, -errno, STAGE, "cannot listen on the servers' tcp/%d (%s)",
			       FWD_PORT, strerror(errno));
	{
		char port[8];
		char *argv[] = {"iperf3", "-s", "-B", f->net.srv[0], "-p", port, NULL};
		struct tx_spawn sp = TX_SPAWN_INIT(argv);

		snprintf(port, sizeof(port), "%d", PROBEX_IPERF3_PORT);
		sp.out = sp.err = TX_FD_NULL;
		sp.netns = f->ns_fd;
		sp.flags = TX_SPAWN_PGRP | TX_SPAWN_PDEATH;
		if ((r = tx_spawn(ctx, &sp, &f->iperf3)) < 0)
			return tx_fail(ctx, r, STAGE, "cannot start the server net's iperf3 (%s)",
				       strerror(-r));
		f->cleanup = tx_cleanup_push(kill_iperf3, f);
	}
	return 0;
}

int fwd_open(struct tx_ctx *ctx, struct fwd *f, const struct fwd_net *n, int proxy, pid_t peer)
{
	int client, s, r;

	memset(f, 0, sizeof(*f));
	f->peer = peer;
	f->ns_fd = f->tap_fd = f->lfd = f->stop[0] = f->stop[1] = f->cleanup = -1;
	f->net = *n;
	f->proxy = proxy;
	snprintf(f->target, sizeof(f->target), "%s", proxy ? NETNS_GUEST_ADDR : n->srv[0]);
	/* the client's way to the server net: via the VM's eth0 */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	r = s < 0 ? -errno : add_route(s, n->net, n->mask, NETNS_GUEST_ADDR);
	if (s >= 0)
		close(s);
	if (r < 0)
		return tx_fail(ctx, r, STAGE, "cannot route the client net to %s/%u via %s (%s)",
			       n->vm, n->prefix, NETNS_GUEST_ADDR, strerror(-r));
	client = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (client < 0)
		return tx_fail(ctx, -errno, STAGE, "cannot open the client net (%s)",
			       strerror(errno));
	if (unshare(CLONE_NEWNET) < 0) {
		r = tx_fail(ctx, -errno, STAGE, "cannot create the server net (%s)",
			    strerror(errno));
		close(client);
		return r;
	}
	f->ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	r = f->ns_fd < 0
		? tx_fail(ctx, -errno, STAGE, "cannot open the server net (%s)", strerror(errno))
		: server_net(ctx, f);
	if (setns(client, CLONE_NEWNET) < 0 && r == 0)
		r = tx_fail(ctx, -errno, STAGE, "cannot return to the client net (%s)",
			    strerror(errno));
	close(client);
	if (r == 0 && pipe2(f->stop, O_CLOEXEC) < 0)
		r = tx_fail(ctx, -errno, STAGE, "pipe: %s", strerror(errno));
	if (r == 0 && (r = -pthread_create(&f->th, NULL, serve, f)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot start the servers (%s)", strerror(-r));
	f->th_on = r == 0;
	if (r < 0)
		fwd_close(f);
	return r;
}

void fwd_close(struct fwd *f)
{
	if (f->th_on) {
		if (write(f->stop[1], "x", 1) < 0) {
			/* the thread reads a closed pipe as the end too */
		}
		pthread_join(f->th, NULL);
		f->th_on = 0;
	}
	if (f->cleanup >= 0)
		tx_cleanup_pop(f->cleanup);
	f->cleanup = -1;
	kill_iperf3(f);
	{
		int *fds[] = {&f->ns_fd, &f->tap_fd, &f->lfd, &f->stop[0], &f->stop[1]};

		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (*fds[i] >= 0) {
				close(*fds[i]);
				*fds[i] = -1;
			}
	}
}

/* The check (check.h): GET / on FWD_PORT of the target, through the VM. */
enum { FT_CONNECTING, FT_READING };

struct fck {
	struct ftry {
		int fd, st;
		double t;
		char buf[512];
		size_t len;
	} t[FCK_MAX];
	int n;
	double next;
};

static void *fck_start(struct run *R, double now)
{
	(void)R, (void)now;
	return xcalloc(1, sizeof(struct fck));
}

static void fck_drop(struct fck *F, int i, double next)
{
	close(F->t[i].fd);
	F->t[i] = F->t[--F->n];
	if (next > F->next)
		F->next = next;
}

static double fck_tick(void *st, struct run *R, double now)
{
	struct fck *F = st;
	struct sockaddr_in sin;
	int fd, busy = 0;

	for (int i = 0; i < F->n; i++) {
		double age = now - F->t[i].t;

		if ((F->t[i].st == FT_CONNECTING && age > FWD_RETRY_MS) ||
		    (F->t[i].st == FT_READING && age > 3000))
			fck_drop(F, i--, now);
		else
			busy += F->t[i].st == FT_CONNECTING;
	}
	if (busy || now < F->next || F->n >= FCK_MAX)
		return F->next > now ? F->next - now : 10;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 50;
	R->nsock++;
	if (netns_socket_isolated(&R->ns, fd) != 1)
		R->isolated = 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(FWD_PORT);
	inet_pton(AF_INET, R->fwd->target, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS) {
		close(fd);
		F->next = now + 50; /* unreachable yet: the VM's eth0 is not up */
		return 50;
	}
	F->t[F->n++] = (struct ftry){.fd = fd, .st = FT_CONNECTING, .t = now};
	return FWD_RETRY_MS;
}

static int fck_fds(void *st, struct pollfd *pf)
{
	struct fck *F = st;

	for (int i = 0; i < F->n; i++)
		pf[i] =
		    (struct pollfd){F->t[i].fd, F->t[i].st == FT_CONNECTING ? POLLOUT : POLLIN, 0};
	return F->n;
}

/* a server's answer in t: "HTTP/1.x 200" and FWD_MARK; *who its address */
static int answered(struct ftry *t, char *who, size_t cap)
{
	const char *m;
	size_t n = 0;

	t->buf[t->len] = 0;
	if (strncmp(t->buf, "HTTP/1.", 7) || strncmp(t->buf + 8, " 200", 4) ||
	    !(m = strstr(t->buf, FWD_MARK)))
		return 0;
	m += strlen(FWD_MARK);
	while (n + 1 < cap && ((m[n] >= '0' && m[n] <= '9') || m[n] == '.')) {
		who[n] = m[n];
		n++;
	}
	who[n] = 0;
	return n > 0;
}

static int fck_event(void *st, struct run *R, const struct pollfd *pf, int np, double now)
{
	static const char req[] = "GET / HTTP/1.0\r\nHost: tinyx-probe\r\n\r\n";
	struct fck *F = st;

	for (int i = np - 1; i >= 0; i--) {
		struct ftry *t = &F->t[i];
		char who[16];
		ssize_t n;

		if (!pf[i].revents)
			continue;
		if (t->st == FT_CONNECTING) {
			if (probe_sock_error(t->fd) ||
			    write(t->fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
				fck_drop(F, i, now + 50);
				continue;
			}
			t->st = FT_READING;
			continue;
		}
		n = read(t->fd, t->buf + t->len, sizeof(t->buf) - 1 - t->len);
		if (n > 0)
			t->len += (size_t)n;
		if (answered(t, who, sizeof(who))) {
			snprintf(R->rec.check, sizeof(R->rec.check),
				 "http 200 from %s on tcp/%d through the VM%s", who, FWD_PORT,
				 R->fwd->proxy ? " (its eth0, a proxy)" : "");
			return 1;
		}
		if (n <= 0 || t->len + 1 >= sizeof(t->buf)) {
			/* closed or full without a server's answer: the VM's own */
			size_t k = strcspn(t->buf, "\r\n");

			snprintf(R->last_status, sizeof(R->last_status), "%.*s",
				 (int)(k < 60 ? k : 60), t->buf);
			fck_drop(F, i, now + 50);
		}
	}
	return 0;
}

static void fck_stop(void *st)
{
	struct fck *F = st;

	while (F->n)
		fck_drop(F, F->n - 1, 0);
	free(F);
}

const struct probe_check probe_check_fwd = {"forward", fck_start, fck_tick,
					    fck_fds,   fck_event, fck_stop};

int fwd_ask(const char *target, char *who, size_t cap)
{
	static const char req[] = "GET / HTTP/1.0\r\nHost: tinyx-probe\r\n\r\n";
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(FWD_PORT)};
	struct ftry t = {.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
	struct pollfd pf = {.fd = t.fd, .events = POLLOUT};
	int ok = 0;

	if (t.fd < 0)
		return 0;
	inet_pton(AF_INET, target, &sin.sin_addr);
	if ((connect(t.fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 || errno == EINPROGRESS) &&
	    poll(&pf, 1, FWD_RETRY_MS) == 1 && !probe_sock_error(t.fd) &&
	    write(t.fd, req, sizeof(req) - 1) == (ssize_t)sizeof(req) - 1) {
		pf.events = POLLIN;
		while (!ok && t.len + 1 < sizeof(t.buf) && poll(&pf, 1, 3000) == 1) {
			ssize_t n = read(t.fd, t.buf + t.len, sizeof(t.buf) - 1 - t.len);

			if (n <= 0)
				break;
			t.len += (size_t)n;
			ok = answered(&t, who, cap);
		}
	}
	close(t.fd);
	return ok;
}
