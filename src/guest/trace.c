/* The trace boot's tracer (tinyx.trace=1): what files the app opens and runs.
 *
 * The build boots the app once on its whole staged root and adds to the
 * image what the static analysis missed (image/trace.c). The tracer is a
 * child of the init that PTRACE_SEIZEs the app before it execs (the app
 * waits on a pipe until then) and follows every process and thread it
 * makes. At each syscall entry it reads the path of open, openat, openat2,
 * creat, execve and execveat, made absolute by the caller's cwd or dirfd,
 * and says each path once: "tinyx: trace PATH". For mkdir and mkdirat it
 * says the new dir and its parent: a dir the app makes its own in must be
 * there (varnishd makes /var/lib/varnish/NAME; the postinst made
 * /var/lib/varnish). The host keeps the ones its staged root has.
 * A getrandom() that may block (no GRND_NONBLOCK, no GRND_INSECURE) or an
 * open of /dev/random means the app waits for the kernel's RNG at start
 * (OpenSSL's seeding does): it says "tinyx: trace (rng) HOW" once, and the
 * image gets a virtio RNG (a VM without RDRAND, as under TCG, takes seconds
 * to have one: haproxy waited 2.1 s).
 *
 * Why ptrace and not fanotify: fanotify needs FSNOTIFY in the kernel, and
 * struct inode changes with it, so the trace kernel would be a second full
 * build per app; ptrace is in every x86 kernel, so the trace boots the very
 * kernel of the image. It also sees the paths the app tries, and who.
 * It costs the app two stops per syscall: fine for one boot. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest/init.h"
#include "guest/spawn.h"
#include "guest/util.h"

#define SEEN_MAX 8192 /* paths said, per tracer */
#define OPTS                                                                                       \
	(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |  \
	 PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define RNG_NOWAIT 0x5 /* GRND_NONBLOCK | GRND_INSECURE */

struct tracer {
	pid_t app;
	int gate; /* the write end the app waits on */
	char *seen[SEEN_MAX];
	size_t nseen;
	int rng; /* "(rng)" said */
};

/* The app waits for the kernel's RNG (HOW): said once. */
static void said_rng(struct tracer *t, const char *how)
{
	if (!t->rng) {
		t->rng = 1;
		say(TINYX_MARK_TRACE " " TINYX_TRACE_RNG "%s", how);
	}
}

static unsigned long hash(const char *s)
{
	unsigned long h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* Say path once; paths of the kernel's own file systems and odd ones not. */
static void said(struct tracer *t, const char *path)
{
	unsigned long i;

	if (path[0] != '/' || !strncmp(path, "/proc/", 6) || !strncmp(path, "/sys/", 5) ||
	    !strncmp(path, "/dev/", 5) || t->nseen >= SEEN_MAX / 2)
		return;
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return;
	for (i = hash(path) % SEEN_MAX; t->seen[i]; i = (i + 1) % SEEN_MAX)
		if (!strcmp(t->seen[i], path))
			return;
	t->seen[i] = strdup(path);
	t->nseen++;
	say(TINYX_MARK_TRACE " %s", path);
}

/* The NUL-terminated string at addr in pid's memory, at most cap-1 bytes. */
static int peek_str(pid_t pid, unsigned long addr, char *out, size_t cap)
{
	size_t n = 0;

	while (n + sizeof(long) < cap) {
		long w;

		errno = 0;
		w = ptrace(PTRACE_PEEKDATA, pid, (void *)(addr + n), NULL);
		if (errno)
			return -1;
		memcpy(out + n, &w, sizeof(w));
		if (memchr(&w, 0, sizeof(w)))
			return 0;
		n += sizeof(w);
	}
	return -1;
}

/* path made absolute: relative to dirfd (AT_FDCWD: the cwd) of pid */
static void absolute(pid_t pid, long dirfd, const char *path, char *out, size_t cap)
{
	char link[64], dir[3072];
	ssize_t n;

	if (path[0] == '/') {
		fmt(out, cap, "%s", path);
		return;
	}
	if ((int)dirfd == AT_FDCWD)
		fmt(link, sizeof(link), "/proc/%d/cwd", (int)pid);
	else
		fmt(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, (int)dirfd);
	n = readlink(link, dir, sizeof(dir) - 1);
	if (n <= 0) {
		out[0] = 0;
		return;
	}
	dir[n] = 0;
	fmt(out, cap, "%s/%s", strcmp(dir, "/") ? dir : "", path);
}

/* A syscall entry (rax is -ENOSYS there; an exit has the result). */
static void on_syscall(struct tracer *t, pid_t pid)
{
	struct user_regs_struct r;
	unsigned long arg;
	long dirfd = AT_FDCWD;
	char path[2048], abs[4096];
	int mk = 0;

	if (ptrace(PTRACE_GETREGS, pid, NULL, &r) < 0 || (long)r.rax != -ENOSYS)
		return;
	switch (r.orig_rax) {
	case SYS_mkdir:
		mk = 1;
		/* fall through */
	case SYS_open:
	case SYS_creat:
	case SYS_execve:
		arg = r.rdi;
		break;
	case SYS_mkdirat:
		mk = 1;
		/* fall through */
	case SYS_openat:
	case SYS_openat2:
	case SYS_execveat:
		dirfd = (long)r.rdi;
		arg = r.rsi;
		break;
	case SYS_getrandom:
		if (!(r.rdx & RNG_NOWAIT))
			said_rng(t, "getrandom()");
		return;
	default:
		return;
	}
	if (peek_str(pid, arg, path, sizeof(path)) < 0 || !path[0])
		return;
	absolute(pid, dirfd, path, abs, sizeof(abs));
	if (!strcmp(abs, "/dev/random"))
		said_rng(t, abs);
	said(t, abs);
	if (mk) {
		size_t n = strlen(abs);

		while (n > 1 && abs[n - 1] == '/')
			abs[--n] = 0;
		char *slash = strrchr(abs, '/');

		if (slash && slash > abs) {
			*slash = 0;
			said(t, abs);
		}
	}
}

static int tracer_run(void *arg)
{
	struct tracer *t = arg;
	int status;
	pid_t p;

	if (ptrace(PTRACE_SEIZE, t->app, NULL, (void *)(long)OPTS) < 0)
		say(TINYX_MARK_TRACE "-failed cannot trace pid %d: %s", (int)t->app,
		    strerror(errno));
	if (write(t->gate, "g", 1) < 0)
		return 1;
	close(t->gate);
	while ((p = waitpid(-1, &status, __WALL)) > 0 || errno == EINTR) {
		int sig = 0;

		if (p <= 0 || !WIFSTOPPED(status))
			continue;
		if (WSTOPSIG(status) == (SIGTRAP | 0x80))
			on_syscall(t, p);
		else if (!(status >> 16))
			sig = WSTOPSIG(status); /* a signal for the app: deliver it */
		ptrace(PTRACE_SYSCALL, p, NULL, (void *)(long)sig);
	}
	return 0;
}

pid_t trace_start(pid_t app, int gate)
{
	static struct tracer t;
	struct gspawn s = {.fn = tracer_run, .arg = &t, .flags = GSPAWN_NULL_IN};

	t.app = app;
	t.gate = gate;
	return gspawn(&s);
}
