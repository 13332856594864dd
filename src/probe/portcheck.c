/* The service check of an image with no service= (check.h): every port the
 * guest's init says the app serves ("tinyx: ready tcp/80", console.c)
 * answers, each by what it speaks:
 *   tcp  a connect that is accepted and not reset within a second; at the
 *        same time a second connection sends "GET / HTTP/1.0" and a third
 *        a TLS 1.2 ClientHello: a ServerHello back makes it "tls handshake
 *        on tcp/P", else an HTTP status line "http NNN on tcp/P" (a TLS
 *        port may answer the GET with a 400: the hello decides first);
 *   udp  port 53: a DNS query (not recursive) for the root's NS answered
 *        by a well-formed reply (any rcode: an authoritative server
 *        without the root refuses); any other port: bound is all that can
 *        be known.
 * It starts once the init's first ready lines are all in (the memory line
 * follows them) and takes the ports said later too. The service time is
 * when the last port answered (a tcp port's: its accept). */
#include "probe/check.h"
#include "probe/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HOLD_MS 1000.0	 /* a tcp connect must stay up this long */
#define ANSWER_MS 5000.0 /* how long a sent GET or hello may take to answer */
#define RETRY_MS 100.0
#define DNS_RETRY_MS 500.0

struct pport {
	int udp, port, done;
	double at; /* when it answered */
	char what[40];
	int hold;    /* tcp: the connect that must not be reset */
	double held; /* when it was accepted, -1 while connecting */
	int http;    /* tcp: the GET; udp: the query's socket */
	int http_sent, http_over;
	int http_code; /* a status line that waits for the TLS hello's answer */
	int tls;       /* tcp: the ClientHello's connection */
	int tls_sent, tls_over;
	unsigned char tbuf[8];
	size_t tlen;
	char buf[64];
	size_t len;
	double next; /* the next attempt */
	unsigned short id;
};

struct pcheck {
	struct pport p[PROBE_PORTS_MAX];
	int n;
};

static void *pc_start(struct run *R, double now)
{
	(void)R, (void)now;
	return xcalloc(1, sizeof(struct pcheck));
}

static void pp_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void pp_done(struct pport *p, double at, const char *what)
{
	p->done = 1;
	p->at = at;
	snprintf(p->what, sizeof(p->what), "%s", what);
	pp_close(&p->hold);
	pp_close(&p->http);
	pp_close(&p->tls);
}

static void dns_send(struct run *R, struct pport *p, double now)
{
	/* header: id, no RD, one question; "." NS IN. Not recursive: a
	 * resolver answers from what it has (or refuses) at once, where a
	 * recursive query would wait on root servers the VM cannot reach. One
	 * id for every retry: a late reply to the first send still counts. */
	unsigned char q[17] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1};

	if (p->http < 0)
		p->http = probe_connect_type(R, SOCK_DGRAM, p->port);
	if (!p->id)
		p->id = (unsigned short)(0x5a00 | ((unsigned)now & 0xff));
	q[0] = (unsigned char)(p->id >> 8);
	q[1] = (unsigned char)p->id;
	if (p->http >= 0 && send(p->http, q, sizeof(q), MSG_NOSIGNAL) < 0)
		pp_close(&p->http);
	p->next = now + DNS_RETRY_MS;
}

static void pp_tick(struct run *R, struct pport *p, double now)
{
	char what[40];

	if (p->udp && p->port != 53) {
		snprintf(what, sizeof(what), "udp/%d bound", p->port);
		pp_done(p, now, what);
	} else if (p->udp) {
		if (now >= p->next)
			dns_send(R, p, now);
	} else if (p->hold >= 0 && p->held >= 0 && now - p->held >= HOLD_MS &&
		   !(now - p->held < ANSWER_MS &&
		     ((p->http >= 0 && p->http_sent) || (p->tls >= 0 && p->tls_sent)))) {
		/* held; a GET or hello still open gets ANSWER_MS to say more
		 * (a proxy's 503 comes after its backend's connect timeout) */
		snprintf(what, sizeof(what), "tcp accept on tcp/%d", p->port);
		pp_done(p, p->held, what);
	} else if (p->hold < 0 && now >= p->next) {
		/* the hello first: a server that takes one connection at a
		 * time then answers it before it waits on the silent one */
		if (p->tls < 0 && !p->tls_over)
			p->tls = probe_connect(R, p->port);
		if (p->http < 0 && !p->http_over)
			p->http = probe_connect(R, p->port);
		p->hold = probe_connect(R, p->port);
		p->held = -1;
		p->next = now + RETRY_MS;
	}
}

static double pc_tick(void *st, struct run *R, double now)
{
	struct pcheck *C = st;
	double wait = 50;

	if (!R->batch_done && !(R->nports && now - R->t0 - R->rec.ready > 500))
		return 20; /* the memory line after the ready lines is late */
	for (; C->n < R->nports; C->n++) {
		struct pport *p = &C->p[C->n];

		*p = (struct pport){.udp = R->ports[C->n].udp, .port = R->ports[C->n].port};
		p->hold = p->http = p->tls = -1;
		p->held = -1;
	}
	for (int i = 0; i < C->n; i++) {
		struct pport *p = &C->p[i];

		if (p->done)
			continue;
		pp_tick(R, p, now);
		if (!p->done && p->held >= 0) {
			double left =
			    (now - p->held < HOLD_MS ? HOLD_MS : ANSWER_MS) - (now - p->held);

			if (left < wait)
				wait = left;
		}
	}
	return wait < 1 ? 1 : wait;
}

static int pc_fds(void *st, struct pollfd *pf)
{
	struct pcheck *C = st;
	int n = 0;

	for (int i = 0; i < C->n; i++) {
		struct pport *p = &C->p[i];

		if (p->hold >= 0)
			pf[n++] = (struct pollfd){p->hold, p->held < 0 ? POLLOUT : POLLIN, 0};
		if (p->http >= 0)
			pf[n++] = (struct pollfd){p->http,
						  !p->udp && !p->http_sent ? POLLOUT : POLLIN, 0};
		if (p->tls >= 0)
			pf[n++] = (struct pollfd){p->tls, !p->tls_sent ? POLLOUT : POLLIN, 0};
	}
	return n;
}

/* The connect that must hold: accepted, then only a reset fails it (data
 * or the peer's close are answers). */
static void hold_event(struct run *R, struct pport *p, short rev, double now)
{
	char b[256];
	int err = probe_sock_error(p->hold);

	if (p->held < 0) {
		if (!err && (rev & POLLOUT)) {
			p->held = now;
			return;
		}
	} else if (!err) {
		ssize_t n = recv(p->hold, b, sizeof(b), MSG_DONTWAIT);

		if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
			return;
		if (n == 0) {
			char what[40];

			snprintf(what, sizeof(what), "tcp accept on tcp/%d", p->port);
			pp_done(p, p->held, what);
			return;
		}
		err = errno;
	}
	snprintf(R->last_status, sizeof(R->last_status), "tcp/%d: %s", p->port,
		 strerror(err ? err : ECONNRESET));
	pp_close(&p->hold);
	p->next = now + RETRY_MS;
}

/* The GET: an HTTP status line ends the port's check. */
static void http_event(struct pport *p, short rev, double now)
{
	static const char req[] =
	    "GET / HTTP/1.0\r\nHost: " NETNS_GUEST_ADDR "\r\nUser-Agent: tinyx-probe\r\n\r\n";
	ssize_t n;

	if (!p->http_sent) {
		if (probe_sock_error(p->http) || !(rev & POLLOUT) ||
		    send(p->http, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
			pp_close(&p->http);
			return; /* another try with the next connect */
		}
		p->http_sent = 1;
		return;
	}
	n = recv(p->http, p->buf + p->len, sizeof(p->buf) - 1 - p->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		p->len += (size_t)n;
	p->buf[p->len] = 0;
	if (n > 0 && p->len < 12)
		return;
	if (!strncmp(p->buf, "HTTP/", 5) && p->len >= 12 && p->buf[8] == ' ') {
		char what[40];
		int code = atoi(p->buf + 9);

		if (code >= 100 && code <= 599 && p->tls >= 0 && !p->tls_over) {
			p->http_code = code; /* the hello's answer decides first */
		} else if (code >= 100 && code <= 599) {
			snprintf(what, sizeof(what), "http %d on tcp/%d", code, p->port);
			pp_done(p, now, what);
			return;
		}
	}
	pp_close(&p->http); /* not HTTP: the connect that holds decides */
	p->http_over = 1;
}

/* A TLS 1.2 ClientHello (RFC 5246) that OpenSSL, GnuTLS and the like
 * answer with a ServerHello: AEAD and CBC suites, ECDHE and RSA key
 * exchange, the usual groups and signature algorithms. Its length. */
static size_t tls_hello(unsigned char *b)
{
	static const unsigned char suites[] = {0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x2c, 0xc0,
					       0x30, 0xcc, 0xa9, 0xcc, 0xa8, 0x00, 0x9c,
					       0x00, 0x9d, 0x00, 0x2f, 0x00, 0x35};
	static const unsigned char ext[] = {
	    0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, /* groups */
	    0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, /* point formats: uncompressed */
	    0x00, 0x0d, 0x00, 0x14, 0x00, 0x12, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01,
	    0x05, 0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01, 0x02, 0x01}; /* sig algs */
	size_t n = 9, body;

	b[n++] = 3, b[n++] = 3; /* TLS 1.2 */
	for (int i = 0; i < 32; i++)
		b[n++] = (unsigned char)(i * 37 + 11); /* the random: any will do */
	b[n++] = 0;				       /* no session id */
	b[n++] = 0, b[n++] = sizeof(suites);
	memcpy(b + n, suites, sizeof(suites));
	n += sizeof(suites);
	b[n++] = 1, b[n++] = 0; /* no compression */
	b[n++] = 0, b[n++] = sizeof(ext);
	memcpy(b + n, ext, sizeof(ext));
	n += sizeof(ext);
	body = n - 9;
	b[0] = 0x16, b[1] = 3, b[2] = 1; /* a handshake record */
	b[3] = (unsigned char)((n - 5) >> 8), b[4] = (unsigned char)(n - 5);
	b[5] = 1; /* ClientHello */
	b[6] = 0, b[7] = (unsigned char)(body >> 8), b[8] = (unsigned char)body;
	return n;
}

/* The hello's answer: a handshake record whose first message is a
 * ServerHello; anything else (an HTTP 400, a close) says no TLS here. */
static void tls_event(struct pport *p, short rev, double now)
{
	unsigned char hello[160];
	char what[40];
	ssize_t n;

	if (!p->tls_sent) {
		size_t len = tls_hello(hello);

		if (probe_sock_error(p->tls) || !(rev & POLLOUT) ||
		    send(p->tls, hello, len, MSG_NOSIGNAL) != (ssize_t)len) {
			pp_close(&p->tls);
			return;
		}
		p->tls_sent = 1;
		return;
	}
	n = recv(p->tls, p->tbuf + p->tlen, sizeof(p->tbuf) - p->tlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		p->tlen += (size_t)n;
	if (n > 0 && p->tlen < 6)
		return;
	if (p->tlen >= 6 && p->tbuf[0] == 0x16 && p->tbuf[1] == 3 && p->tbuf[5] == 2) {
		snprintf(what, sizeof(what), "tls handshake on tcp/%d", p->port);
		pp_done(p, now, what);
		return;
	}
	pp_close(&p->tls);
	p->tls_over = 1;
	if (p->http_code) {
		snprintf(what, sizeof(what), "http %d on tcp/%d", p->http_code, p->port);
		pp_done(p, now, what);
	}
}

/* A reply to our query: the same id, QR set, the question echoed. */
static void dns_event(struct pport *p, double now)
{
	unsigned char b[512];
	ssize_t n = recv(p->http, b, sizeof(b), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n >= 12 && b[0] == (p->id >> 8) && b[1] == (p->id & 0xff) && (b[2] & 0x80) &&
	    b[4] == 0 && b[5] == 1) {
		char what[40];

		snprintf(what, sizeof(what), "dns answer on udp/%d", p->port);
		pp_done(p, now, what);
		return;
	}
	if (n < 0)
		pp_close(&p->http); /* e.g. refused: a new socket next time */
}

static int pc_event(void *st, struct run *R, const struct pollfd *pf, int n, double now)
{
	struct pcheck *C = st;
	double last = -1;
	size_t len = 0;

	for (int k = 0; k < n; k++) {
		for (int i = 0; pf[k].revents && i < C->n; i++) {
			struct pport *p = &C->p[i];

			if (p->done)
				continue;
			if (p->hold == pf[k].fd)
				hold_event(R, p, pf[k].revents, now);
			else if (p->http == pf[k].fd && p->udp)
				dns_event(p, now);
			else if (p->http == pf[k].fd)
				http_event(p, pf[k].revents, now);
			else if (p->tls == pf[k].fd)
				tls_event(p, pf[k].revents, now);
		}
	}
	if (!C->n)
		return 0;
	for (int i = 0; i < C->n; i++) {
		if (!C->p[i].done)
			return 0;
		last = C->p[i].at > last ? C->p[i].at : last;
	}
	R->rec.check[0] = 0;
	for (int i = 0; i < C->n && len < sizeof(R->rec.check); i++)
		len += (size_t)snprintf(R->rec.check + len, sizeof(R->rec.check) - len, "%s%s",
					i ? ", " : "", C->p[i].what);
	R->rec.service = last - R->t0;
	return 1;
}

static void pc_stop(void *st)
{
	struct pcheck *C = st;

	for (int i = 0; i < C->n; i++) {
		pp_close(&C->p[i].hold);
		pp_close(&C->p[i].http);
		pp_close(&C->p[i].tls);
	}
	free(C);
}

const struct probe_check probe_check_ports = {"ports", pc_start, pc_tick,
					      pc_fds,  pc_event, pc_stop};
