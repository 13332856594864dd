#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* In the child, before exec: no allocation, only async-signal-safe calls.
 * Every fd is first moved above 10 so the dup2s below cannot clobber one
 * another, then 0..4 are set and everything else is closed. */
static void child_fds(const struct tx_spawn *s, int nul)
{
	int want[5] = {s->in, s->out, s->err, s->fd3, s->fd4}, hi[5];

	for (int i = 0; i < 5; i++) {
		int fd = want[i] == TX_FD_NULL ? nul : want[i] == TX_FD_INHERIT ? i : want[i];

		hi[i] = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 10);
		if (fd >= 0 && hi[i] < 0 && want[i] != TX_FD_INHERIT)
			_exit(125); /* an inherited fd that we lack stays closed */
	}
	for (int i = 0; i < 5; i++) {
		if (hi[i] < 0)
			continue;
		if (dup2(hi[i], i) < 0)
			_exit(125);
	}
}

static void child(const struct tx_spawn *s, int nul, int errpipe, pid_t parent)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	int e;

	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	if (s->flags & TX_SPAWN_PGRP)
		setpgid(0, 0);
	if (s->flags & TX_SPAWN_PDEATH) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
	}
	if (s->netns >= 0 && setns(s->netns, CLONE_NEWNET) < 0)
		_exit(126);
	/* the exec-error pipe stays open (close-on-exec) as fd 5, above the
	 * child's own; moved high first, like every other fd */
	errpipe = fcntl(errpipe, F_DUPFD_CLOEXEC, 10);
	if (errpipe < 0)
		_exit(125);
	child_fds(s, nul);
	if (dup2(errpipe, 5) < 0 || fcntl(5, F_SETFD, FD_CLOEXEC) < 0)
		_exit(125);
	if (close_range(6, ~0U, 0) < 0)
		for (int fd = 6; fd < 1024; fd++)
			close(fd);
	if (s->fd3 < 0)
		close(3);
	if (s->fd4 < 0)
		close(4);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvpe(s->argv[0], s->argv, s->envp ? s->envp : environ);
	e = errno;
	(void)!write(5, &e, sizeof(e)); /* the parent's answer; exit 127 either way */
	_exit(127);
}

int tx_spawn(struct tx_ctx *ctx, const struct tx_spawn *s, pid_t *pid)
{
	pid_t parent = getpid();
	int ep[2], nul, e = 0;
	ssize_t n;

	if (tx_interrupted()) /* the cleanup is under way: start nothing new */
		return tx_fail(ctx, -EINTR, NULL, "interrupted before '%s'", s->argv[0]);
	if (pipe2(ep, O_CLOEXEC) < 0)
		return tx_fail(ctx, -errno, NULL, "cannot start '%s': %s", s->argv[0],
			       strerror(errno));
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	*pid = fork();
	if (*pid == 0)
		child(s, nul, ep[1], parent);
	e = errno;
	close(ep[1]);
	if (nul >= 0)
		close(nul);
	if (*pid < 0) {
		close(ep[0]);
		return tx_fail(ctx, -e, NULL, "cannot start '%s': %s", s->argv[0], strerror(e));
	}
	if (s->flags & TX_SPAWN_PGRP)
		setpgid(*pid, *pid); /* both sides: no race with a kill of the group */
	do
		n = read(ep[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {
		tx_wait(*pid, -1);
		*pid = -1;
		return tx_fail(ctx, -e, NULL, "cannot run '%s': %s", s->argv[0], strerror(e));
	}
	return 0;
}

int tx_wait(pid_t pid, int timeout_ms)
{
	double t0 = now_ms();
	int st;

	for (;;) {
		pid_t p = waitpid(pid, &st, timeout_ms < 0 ? 0 : WNOHANG);

		if (p == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (p < 0 && errno != EINTR)
			return -errno;
		if (p == 0) {
			struct timespec ts = {0, 5 * 1000 * 1000};

			if (now_ms() - t0 >= timeout_ms)
				return -ETIMEDOUT;
			nanosleep(&ts, NULL);
		}
	}
}

void tx_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	if (getpgid(pid) == pid)
		kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	tx_wait(pid, -1);
}

int tx_run(struct tx_ctx *ctx, const struct tx_spawn *s)
{
	pid_t pid;
	int r = tx_spawn(ctx, s, &pid);

	return r < 0 ? r : tx_wait(pid, -1);
}

int run_cmd(struct tx_ctx *ctx, char *const argv[], const char *out_path, int quiet)
{
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	int fd = -1, r;

	if (out_path) {
		fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		s.out = fd;
	} else if (quiet == 1) {
		s.out = TX_FD_NULL;
	}
	if (quiet)
		s.err = TX_FD_NULL;
	r = tx_run(ctx, &s);
	if (fd >= 0)
		close(fd);
	return r;
}

int run_capture_q(struct tx_ctx *ctx, char *const argv[], char **out, size_t max, int quiet)
{
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	struct sbuf b = {0};
	int p[2], r;
	pid_t pid;

	*out = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	s.out = p[1];
	if (quiet)
		s.err = TX_FD_NULL;
	r = tx_spawn(ctx, &s, &pid);
	close(p[1]);
	while (r == 0) { /* to the end; at most max bytes kept */
		char buf[8192];
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (b.len + (size_t)n <= max)
			sbuf_add(&b, buf, (size_t)n);
	}
	close(p[0]);
	if (r == 0)
		r = tx_wait(pid, -1);
	*out = b.s ? b.s : xstrdup("");
	return r;
}

int run_capture(struct tx_ctx *ctx, char *const argv[], char **out, size_t max)
{
	return run_capture_q(ctx, argv, out, max, 0);
}

/* Split what came into lines for fn; keep a partial line for the next read. */
static size_t feed_lines(char *buf, size_t have, void (*fn)(void *, const char *), void *arg)
{
	char *nl, *start = buf;

	buf[have] = 0;
	while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
		*nl = 0;
		if (fn)
			fn(arg, start);
		start = nl + 1;
	}
	have -= (size_t)(start - buf);
	memmove(buf, start, have);
	return have;
}

int tx_run_lines(struct tx_ctx *ctx, const struct tx_spawn *s, const char *log,
		 void (*fn)(void *arg, const char *line), void *arg)
{
	struct tx_spawn c = *s;
	char buf[4096];
	size_t have = 0;
	int p[2], r, lf = -1, h = -1;
	pid_t pid;

	if (log && (lf = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return -errno;
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = -errno;
		if (lf >= 0)
			close(lf);
		return r;
	}
	c.out = c.err = p[1];
	r = tx_spawn(ctx, &c, &pid);
	close(p[1]);
	/* a group of its own is killed as one on Ctrl-C or SIGTERM (cleanup.h) */
	if (r == 0 && (c.flags & TX_SPAWN_PGRP))
		h = tx_cleanup_pgrp(pid);
	while (r == 0) {
		ssize_t n = read(p[0], buf + have, sizeof(buf) - 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (lf >= 0) /* the log is best effort; the run goes on */
			(void)!write(lf, buf + have, (size_t)n);
		have = feed_lines(buf, have + (size_t)n, fn, arg);
		if (have == sizeof(buf) - 1) { /* a line too long: pass its start */
			if (fn)
				fn(arg, buf);
			have = 0;
		}
	}
	close(p[0]);
	if (lf >= 0)
		close(lf);
	if (r == 0)
		r = tx_wait(pid, -1);
	tx_cleanup_pop(h);
	return r;
}
