/* The probe's second part; see probex.h. */
#include "probe/probex.h"
#include "probe/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STAGE "probe"
#define now_us() (now_ms() * 1e3)

int probex_mem_add(pid_t pid, struct probex_mem *m)
{
	char path[64], *text = NULL, *p;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if (read_file(path, &text, &len, 1 << 16) < 0)
		return -ENOENT;
	if (m->rss_kb < 0)
		m->rss_kb = 0;
	if (m->pss_kb < 0)
		m->pss_kb = 0;
	if ((p = strstr(text, "\nRss:")))
		m->rss_kb += strtoll(p + 5, NULL, 10);
	if ((p = strstr(text, "\nPss:")))
		m->pss_kb += strtoll(p + 5, NULL, 10);
	free(text);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double probex_percentile(const double *v, int n, double q)
{
	int k;

	if (n <= 0)
		return -1;
	k = (int)(q * n + 0.999999) - 1; /* nearest rank */
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return v[k];
}

static unsigned short csum(const void *data, size_t n)
{
	const unsigned char *p = data;
	unsigned long s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (unsigned long)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (unsigned long)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((unsigned short)~s);
}

/* 1 when buf (an IPv4 packet from a raw socket) is our echo reply seq. */
static int is_reply(const unsigned char *buf, ssize_t n, unsigned short id, unsigned short seq)
{
	const struct iphdr *ip = (const void *)buf;
	size_t hl;
	struct icmphdr ic;

	if (n < (ssize_t)sizeof(*ip))
		return 0;
	hl = (size_t)ip->ihl * 4;
	if (hl < sizeof(*ip) || (size_t)n < hl + sizeof(ic))
		return 0;
	memcpy(&ic, buf + hl, sizeof(ic));
	return ic.type == ICMP_ECHOREPLY && ntohs(ic.un.echo.id) == id &&
	       ntohs(ic.un.echo.sequence) == seq;
}

int probex_rtt(struct tx_ctx *ctx, int count, int max_ms, double *median_us, double *p99_us,
	       int *replies)
{
	return probex_rtt_to(ctx, NETNS_GUEST_ADDR, count, max_ms, median_us, p99_us, replies);
}

int probex_rtt_to(struct tx_ctx *ctx, const char *addr, int count, int max_ms, double *median_us,
		  double *p99_us, int *replies)
{
	struct sockaddr_in to;
	double *rtt = xcalloc((size_t)count + 1, sizeof(double)), end;
	unsigned short id = (unsigned short)(getpid() & 0xffff);
	int fd, n = 0, rc = 0;

	*median_us = *p99_us = -1;
	*replies = 0;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0) {
		free(rtt);
		return tx_fail(ctx, -errno, STAGE, "cannot open an ICMP socket (%s)",
			       strerror(errno));
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		close(fd);
		free(rtt);
		return tx_fail(ctx, -EINVAL, STAGE, "not an IPv4 address '%s'", addr);
	}
	end = now_us() + max_ms * 1000.0;
	for (int seq = 1; seq <= count && now_us() < end; seq++) {
		unsigned char pkt[64] = {0}, buf[1500];
		struct icmphdr ic = {0};
		double t0;

		ic.type = ICMP_ECHO;
		ic.un.echo.id = htons(id);
		ic.un.echo.sequence = htons((unsigned short)seq);
		memcpy(pkt, &ic, sizeof(ic));
		for (size_t i = sizeof(ic); i < sizeof(pkt); i++)
			pkt[i] = (unsigned char)i;
		ic.checksum = csum(pkt, sizeof(pkt));
		memcpy(pkt, &ic, sizeof(ic));
		t0 = now_us();
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			rc = tx_fail(ctx, -errno, STAGE, "cannot send an ICMP echo (%s)",
				     strerror(errno));
			break;
		}
		/* as ping -f: wait for this reply, at most 10 ms, then go on */
		for (;;) {
			double left = t0 + 10000 - now_us();
			struct pollfd pf = {fd, POLLIN, 0};
			ssize_t got;

			if (left <= 0 || poll(&pf, 1, (int)(left / 1000) + 1) <= 0)
				break;
			got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (got > 0 && is_reply(buf, got, id, (unsigned short)seq)) {
				rtt[n++] = now_us() - t0;
				break;
			}
		}
	}
	close(fd);
	if (rc == 0 && n == 0)
		rc = tx_fail(ctx, -ETIMEDOUT, STAGE, "no ICMP echo reply from '%s'", addr);
	if (n) {
		qsort(rtt, (size_t)n, sizeof(double), cmp_double);
		*median_us = n % 2 ? rtt[n / 2] : (rtt[n / 2 - 1] + rtt[n / 2]) / 2;
		*p99_us = probex_percentile(rtt, n, 0.99);
	}
	*replies = n;
	free(rtt);
	return rc;
}

int probex_iperf3_parse(const char *json, size_t len, double *mbps)
{
	char *s = xstrndup(json, len), *p, *end;
	double v;
	int rc = -EINVAL;

	p = strstr(s, "\"sum_received\"");
	if (p)
		p = strstr(p, "\"bits_per_second\"");
	if (p) {
		p += strlen("\"bits_per_second\"");
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == ':') {
			p++;
			errno = 0;
			v = strtod(p, &end);
			if (end != p && errno == 0 && v > 0 && v < 1e15) {
				*mbps = v / 1e6;
				rc = 0;
			}
		}
	}
	free(s);
	return rc;
}

/* 1 when something listens on HOST_ADDR:port in the caller's namespace. */
static int listening(int port)
{
	char *t = NULL, want[32];
	size_t len;
	int yes;
	struct in_addr a;

	inet_pton(AF_INET, NETNS_HOST_ADDR, &a);
	/* /proc/net/tcp: local address as hex of the in-memory u32, port hex */
	snprintf(want, sizeof(want), "%08X:%04X 00000000:0000 0A", (unsigned)a.s_addr,
		 (unsigned)port);
	if (read_file("/proc/self/net/tcp", &t, &len, 1 << 22) < 0)
		return 0;
	yes = strstr(t, want) != NULL;
	free(t);
	return yes;
}

/* Run iperf3 (argv), its JSON into out, for at most timeout_ms; with
 * listen, *started is called (when not NULL) once the server listens. */
static int iperf3_json(struct tx_ctx *ctx, char **argv, int timeout_ms, int listen,
		       void (*started)(void *), void *arg, struct sbuf *out)
{
	struct tx_spawn sp = TX_SPAWN_INIT(argv);
	int po[2], status = 0, rc = 0, done = 0, called = !listen;
	double t0 = now_ms();
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0)
		return tx_fail(ctx, -errno, STAGE, "pipe: %s", strerror(errno));
	sp.out = po[1];
	sp.err = TX_FD_NULL;
	sp.flags = TX_SPAWN_PGRP | TX_SPAWN_PDEATH;
	rc = tx_spawn(ctx, &sp, &pid);
	close(po[1]);
	if (rc < 0) {
		close(po[0]);
		return tx_fail(ctx, rc, STAGE, "cannot start iperf3 (%s)", strerror(-rc));
	}
	fcntl(po[0], F_SETFL, O_NONBLOCK);
	while (!done) {
		struct pollfd pf = {po[0], POLLIN, 0};
		char buf[4096];
		ssize_t n;

		if (now_ms() - t0 > timeout_ms) {
			rc = tx_fail(ctx, -ETIMEDOUT, STAGE,
				     "iperf3: no result from the guest within %d s",
				     timeout_ms / 1000);
			break;
		}
		if (!called && listening(PROBEX_IPERF3_PORT)) {
			called = 1;
			if (started)
				started(arg);
		}
		if (poll(&pf, 1, called ? 100 : 10) > 0) {
			while ((n = read(po[0], buf, sizeof(buf))) > 0)
				sbuf_add(out, buf, (size_t)n);
			if (n == 0)
				done = 1;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = 0;
			while ((n = read(po[0], buf, sizeof(buf))) > 0)
				sbuf_add(out, buf, (size_t)n);
			done = 1;
		}
	}
	tx_kill(pid);
	close(po[0]);
	return rc;
}

int probex_iperf3(struct tx_ctx *ctx, int timeout_ms, void (*started)(void *), void *arg,
		  double *mbps)
{
	char port[8];
	char *argv[] = {"iperf3", "-s", "-1", "-J", "-B", NETNS_HOST_ADDR, "-p", port, NULL};
	struct sbuf out = {0};
	int rc;

	*mbps = -1;
	snprintf(port, sizeof(port), "%d", PROBEX_IPERF3_PORT);
	rc = iperf3_json(ctx, argv, timeout_ms, 1, started, arg, &out);
	if (rc == 0 && (!out.s || probex_iperf3_parse(out.s, out.len, mbps) < 0))
		rc = tx_fail(ctx, -EPROTO, STAGE, "iperf3: no throughput in the server's report");
	sbuf_free(&out);
	return rc;
}

int probex_iperf3_reverse(struct tx_ctx *ctx, int timeout_ms, double *mbps)
{
	return probex_iperf3_client(ctx, NETNS_GUEST_ADDR, 1, timeout_ms, mbps);
}

int probex_iperf3_client(struct tx_ctx *ctx, const char *addr, int reverse, int timeout_ms,
			 double *mbps)
{
	char port[8];
	char *argv[] = {"iperf3",
			"-c",
			(char *)addr,
			"-p",
			port,
			"-J",
			"-t",
			PROBEX_IPERF3_STR,
			"--connect-timeout",
			"1000",
			reverse ? "-R" : NULL,
			NULL};
	double t0 = now_ms();
	int rc;

	*mbps = -1;
	snprintf(port, sizeof(port), "%d", PROBEX_IPERF3_PORT);
	/* the guest's server may start after its app: a try without a result
	 * (refused: iperf3's JSON says "error") is retried, anything else ends */
	do {
		struct sbuf out = {0};
		int left = timeout_ms - (int)(now_ms() - t0);

		rc = iperf3_json(ctx, argv, left > 1000 ? left : 1000, 0, NULL, NULL, &out);
		if (rc == 0 && (!out.s || probex_iperf3_parse(out.s, out.len, mbps) < 0))
			rc = -EPROTO;
		sbuf_free(&out);
		if (rc == -EPROTO)
			usleep(200 * 1000);
	} while (rc == -EPROTO && now_ms() - t0 < timeout_ms);
	if (rc == -EPROTO)
		rc = tx_fail(ctx, rc, STAGE,
			     "iperf3: no throughput from the server at '%s' within %d s", addr,
			     timeout_ms / 1000);
	return rc;
}
