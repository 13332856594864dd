/* The network-up check (check.h): a SYN every millisecond to a closed port
 * of the guest; the first RST or SYN-ACK is the network. */
#include "probe/check.h"
#include "probe/run.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define SYN_PORT 1	  /* a closed port of the guest */
#define SYN_KEEP_MS 200.0 /* close SYN sockets older than this */
#define SYN_MAX CHECK_FDS_MAX

struct syn {
	struct {
		int fd;
		double t;
	} s[SYN_MAX];
	int n;
	double next;
};

static void *syn_start(struct run *R, double now)
{
	struct syn *S = xcalloc(1, sizeof(*S));

	(void)now;
	S->next = R->t0;
	return S;
}

static double syn_tick(void *st, struct run *R, double now)
{
	struct syn *S = st;
	int w = 0;

	if (now < S->next)
		return S->next - now;
	for (int i = 0; i < S->n; i++) {
		if (now - S->s[i].t > SYN_KEEP_MS)
			close(S->s[i].fd);
		else
			S->s[w++] = S->s[i];
	}
	S->n = w;
	if (S->n < SYN_MAX) {
		int fd = probe_connect(R, SYN_PORT);
		if (fd >= 0) {
			S->s[S->n].fd = fd;
			S->s[S->n].t = now;
			S->n++;
		}
	}
	S->next += 1.0;
	if (S->next < now)
		S->next = now + 1.0;
	return S->next - now;
}

static int syn_fds(void *st, struct pollfd *pf)
{
	struct syn *S = st;

	for (int i = 0; i < S->n; i++)
		pf[i] = (struct pollfd){S->s[i].fd, POLLOUT, 0};
	return S->n;
}

static int syn_event(void *st, struct run *R, const struct pollfd *pf, int n, double now)
{
	(void)st, (void)R, (void)now;
	for (int i = 0; i < n; i++) {
		int err;
		if (!pf[i].revents)
			continue;
		err = probe_sock_error(pf[i].fd);
		if (err == 0 || err == ECONNREFUSED)
			return 1;
	}
	return 0;
}

static void syn_stop(void *st)
{
	struct syn *S = st;

	for (int i = 0; i < S->n; i++)
		close(S->s[i].fd);
	free(S);
}

const struct probe_check probe_check_syn = {"network", syn_start, syn_tick,
					    syn_fds,   syn_event, syn_stop};
