/* QEMU's process for a probe run: started through lib/proc.h in the
 * probe's namespace as the leader of its own process group (killed as one,
 * also by the cleanup registry on Ctrl-C, and when the probe dies), console
 * and stderr on pipes; stopped with SIGTERM, then SIGKILL. */
#include "probe/run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void sleep_5ms(void)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

/* R->pid, R->out_fd and R->err_fd, or -errno. */
int probe_spawn_qemu(struct run *R, char *const argv[])
{
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	int po[2], pe[2], r;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]), close(po[1]);
		return -errno;
	}
	s.out = po[1];
	s.err = pe[1];
	s.fd3 = R->ns.tap_fd;
	s.fd4 = R->fwd ? R->fwd->tap_fd : -1; /* --forward: eth1 in the server net */
	s.netns = R->ns.ns_fd;
	s.flags = TX_SPAWN_PGRP | TX_SPAWN_PDEATH;
	r = tx_spawn(R->ctx, &s, &pid);
	close(po[1]);
	close(pe[1]);
	if (r < 0) {
		close(po[0]), close(pe[0]);
		return r;
	}
	R->cleanup = tx_cleanup_pgrp(pid);
	set_nonblock(po[0]);
	set_nonblock(pe[0]);
	R->out_fd = po[0];
	R->err_fd = pe[0];
	R->pid = pid;
	return 0;
}

static void qemu_gone(struct run *R)
{
	R->pid = 0;
	tx_cleanup_pop(R->cleanup);
	R->cleanup = -1;
}

int probe_child_exited(struct run *R, int *status)
{
	pid_t w;

	if (R->pid <= 0)
		return 1;
	w = waitpid(R->pid, status, WNOHANG);
	if (w == R->pid) {
		qemu_gone(R);
		return 1;
	}
	return 0;
}

void probe_qemu_closing(struct run *R, int *status, double now)
{
	for (int k = 0; k < 100 && R->pid > 0 && !probe_child_exited(R, status); k++)
		sleep_5ms();
	if (R->out_fd >= 0)
		probe_read_pipe(R, &R->out_fd, &R->out_eof, 1, now);
	if (R->err_fd >= 0)
		probe_read_pipe(R, &R->err_fd, &R->err_eof, 0, now);
}

void probe_stop_qemu(struct run *R)
{
	int status;

	if (R->pid <= 0)
		return;
	kill(-R->pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (probe_child_exited(R, &status))
			break;
		sleep_5ms();
	}
	if (R->pid > 0) {
		kill(-R->pid, SIGKILL);
		while (waitpid(R->pid, &status, 0) < 0 && errno == EINTR)
			;
		qemu_gone(R);
	}
}

long long probe_qemu_rss_kb(pid_t pid)
{
	char path[64], *text = NULL, *p;
	size_t len;
	long long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_file(path, &text, &len, 1 << 16) < 0)
		return -1;
	p = strstr(text, "\nVmRSS:");
	if (p)
		kb = strtoll(p + 7, NULL, 10);
	free(text);
	return kb;
}
