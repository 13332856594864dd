/* The service checks (check.h): tcp, a connect to image.conf's port that
 * succeeds; http, a "HTTP/1.x 200" status line for "GET / HTTP/1.0" there.
 * One attempt at a time, another when it seems lost (no answer in 100 ms). */
#include "probe/check.h"
#include "probe/run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SVC_MAX 8

enum svc_state { SVC_CONNECTING, SVC_READING };

struct svc {
	struct svc_try {
		int fd;
		double t;
		enum svc_state st;
		char buf[64];
		size_t len;
	} t[SVC_MAX];
	int n;
	double next;
	int tcp; /* a connect is the answer */
};

static void *svc_start(struct run *R, double now)
{
	(void)R, (void)now;
	return xcalloc(1, sizeof(struct svc));
}

static void *tcp_start(struct run *R, double now)
{
	struct svc *S = svc_start(R, now);

	S->tcp = 1;
	return S;
}

static void svc_drop(struct svc *S, int i)
{
	close(S->t[i].fd);
	S->t[i] = S->t[--S->n];
}

static double svc_wait(const struct svc *S, double now)
{
	return S->next - now < 1 ? 1 : S->next - now;
}

static double svc_tick(void *st, struct run *R, double now)
{
	struct svc *S = st;
	int connecting = 0, fd;
	double newest = -1;

	for (int i = 0; i < S->n; i++) {
		if (S->t[i].st == SVC_READING && now - S->t[i].t > 3000) {
			svc_drop(S, i--);
			continue;
		}
		if (S->t[i].st == SVC_CONNECTING) {
			connecting++;
			if (S->t[i].t > newest)
				newest = S->t[i].t;
		}
	}
	if (now < S->next || S->n >= SVC_MAX || (connecting && now - newest < 100))
		return svc_wait(S, now);
	fd = probe_connect(R, R->c->port);
	if (fd >= 0) {
		struct svc_try *t = &S->t[S->n++];
		memset(t, 0, sizeof(*t));
		t->fd = fd;
		t->t = now;
		t->st = SVC_CONNECTING;
	}
	S->next = now + 1;
	return svc_wait(S, now);
}

static int svc_fds(void *st, struct pollfd *pf)
{
	struct svc *S = st;

	for (int i = 0; i < S->n; i++)
		pf[i] =
		    (struct pollfd){S->t[i].fd, S->t[i].st == SVC_CONNECTING ? POLLOUT : POLLIN, 0};
	return S->n;
}

/* 2 when connected (tcp), else 0 (http: the request is sent). */
static int svc_connected(struct svc *S, int i, short rev, double now)
{
	static const char req[] =
	    "GET / HTTP/1.0\r\nHost: " NETNS_GUEST_ADDR "\r\nUser-Agent: tinyx-probe\r\n\r\n";
	struct svc_try *t = &S->t[i];
	int err = probe_sock_error(t->fd);

	if (err == 0 && (rev & POLLOUT)) {
		if (S->tcp)
			return 2;
		if (send(t->fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
			svc_drop(S, i);
			S->next = now + 1;
			return 0;
		}
		t->st = SVC_READING;
		t->t = now;
		return 0;
	}
	if (err || (rev & (POLLERR | POLLHUP))) {
		svc_drop(S, i);
		S->next = now + 1;
	}
	return 0;
}

/* Reading the status line: 1 for a 200. */
static int svc_status(struct svc *S, struct run *R, int i, double now)
{
	struct svc_try *t = &S->t[i];
	ssize_t n = recv(t->fd, t->buf + t->len, sizeof(t->buf) - 1 - t->len, 0);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n > 0)
		t->len += (size_t)n;
	t->buf[t->len] = '\0';
	nl = strpbrk(t->buf, "\r\n");
	if (!nl && n > 0 && t->len < sizeof(t->buf) - 1)
		return 0;
	if (nl)
		*nl = '\0';
	if (!strncmp(t->buf, "HTTP/1.", 7) && t->buf[7] >= '0' && t->buf[7] <= '9' &&
	    !strncmp(t->buf + 8, " 200", 4) && (t->buf[12] == '\0' || t->buf[12] == ' ')) {
		snprintf(R->rec.check, sizeof(R->rec.check), "http 200 on tcp/%d", R->c->port);
		return 1;
	}
	if (t->len)
		snprintf(R->last_status, sizeof(R->last_status), "%s", t->buf);
	svc_drop(S, i);
	S->next = now + 10;
	return 0;
}

static int svc_event(void *st, struct run *R, const struct pollfd *pf, int n, double now)
{
	struct svc *S = st;

	/* an event may drop entries: walk the poll array by fd */
	for (int k = 0; k < n; k++) {
		if (!pf[k].revents)
			continue;
		for (int i = 0; i < S->n; i++) {
			if (S->t[i].fd != pf[k].fd)
				continue;
			int r = S->t[i].st == SVC_CONNECTING
				    ? svc_connected(S, i, pf[k].revents, now)
				    : svc_status(S, R, i, now);
			if (r == 2)
				snprintf(R->rec.check, sizeof(R->rec.check),
					 "tcp connect on tcp/%d", R->c->port);
			if (r)
				return 1;
			break;
		}
	}
	return 0;
}

static void svc_stop(void *st)
{
	struct svc *S = st;

	while (S->n)
		svc_drop(S, 0);
	free(S);
}

const struct probe_check probe_check_http = {"http",  svc_start, svc_tick,
					     svc_fds, svc_event, svc_stop};
const struct probe_check probe_check_tcp = {"tcp",   tcp_start, svc_tick,
					    svc_fds, svc_event, svc_stop};
