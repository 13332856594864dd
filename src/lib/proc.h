/* One way to start a process. Every child of tinyx (debootstrap, make,
 * mke2fs, QEMU, iperf3, runc, ...) is started by tx_spawn, so each gets the
 * same treatment: no terminal input unless asked, default signal handling
 * and an empty signal mask (the CLI blocks the stop signals, see cleanup.h),
 * only the fds it is given, and an exec failure reported as an error rather
 * than as exit status 127. */
#ifndef TINYX_PROC_H
#define TINYX_PROC_H

#include <sys/types.h>

struct tx_ctx;

#define TX_FD_NULL (-1)	   /* /dev/null */
#define TX_FD_INHERIT (-2) /* the same fd as ours */

#define TX_SPAWN_PGRP 1u   /* lead a process group of its own (killed as one) */
#define TX_SPAWN_PDEATH 2u /* die when we die (PR_SET_PDEATHSIG) */

struct tx_spawn {
	char *const *argv; /* argv[0] is looked up in PATH */
	char *const *envp; /* NULL: ours */
	int in, out, err;  /* the child's 0, 1, 2: an fd, TX_FD_NULL or TX_FD_INHERIT */
	int fd3;	   /* an fd the child gets as 3 (QEMU's tap), or -1 */
	int fd4;	   /* one it gets as 4 (a second tap), or -1 */
	int netns;	   /* a network namespace fd to enter first, or -1 */
	unsigned flags;	   /* TX_SPAWN_* */
};

/* A spec with stdin from /dev/null, stdout and stderr inherited. */
#define TX_SPAWN_INIT(av)                                                                          \
	{                                                                                          \
		.argv = (av), .in = TX_FD_NULL, .out = TX_FD_INHERIT, .err = TX_FD_INHERIT,        \
		.fd3 = -1, .fd4 = -1, .netns = -1                                                  \
	}

/* Start s; *pid is the child. -ENOENT (and a message naming argv[0]) when
 * it cannot be run. */
int tx_spawn(struct tx_ctx *ctx, const struct tx_spawn *s, pid_t *pid);
/* Wait for pid: its exit status, 128 + the signal that ended it, or -errno.
 * timeout_ms < 0 waits as long as it takes; else -ETIMEDOUT when it is
 * still running then (it is left running). */
int tx_wait(pid_t pid, int timeout_ms);
/* SIGKILL pid (its process group when it leads one) and reap it. */
void tx_kill(pid_t pid);
/* tx_spawn then tx_wait. */
int tx_run(struct tx_ctx *ctx, const struct tx_spawn *s);

/* Run argv with stdout to out_path when not NULL. quiet: 1 stdout (unless
 * out_path) and stderr to /dev/null, 2 stderr only. The exit status or -errno. */
int run_cmd(struct tx_ctx *ctx, char *const argv[], const char *out_path, int quiet);
/* Run argv and capture its stdout into *out (at most max bytes kept); with
 * quiet its stderr goes to /dev/null. */
int run_capture(struct tx_ctx *ctx, char *const argv[], char **out, size_t max);
int run_capture_q(struct tx_ctx *ctx, char *const argv[], char **out, size_t max, int quiet);
/* Run s with stdout and stderr copied to the file log (when not NULL) and
 * read line by line: each line (no newline, at most 4 KB) goes to fn (when
 * not NULL). s->out and s->err are ignored. With TX_SPAWN_PGRP its group
 * is in the cleanup registry while it runs. The exit status or -errno. */
int tx_run_lines(struct tx_ctx *ctx, const struct tx_spawn *s, const char *log,
		 void (*fn)(void *arg, const char *line), void *arg);

#endif
