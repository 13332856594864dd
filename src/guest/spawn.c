/* The one way the guest init starts a child (see spawn.h). */
#include "guest/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats/appconf.h"
#include "guest/util.h"

extern char **environ;

/* /dev/null on fds 0..last */
static void null_fds(int last)
{
	int fd = open("/dev/null", last ? O_RDWR : O_RDONLY);

	for (int i = 0; fd >= 0 && i <= last; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > last)
		close(fd);
}

static void on_tty(const char *tty)
{
	int fd = open(tty, O_RDWR);

	if (fd < 0)
		fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		return;
	ioctl(fd, TIOCSCTTY, 0);
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
}

/* AmbientCapabilities=: after setuid, keep caps (bit N: capability N) in
 * the permitted, effective and inheritable sets, and raise them as ambient
 * so that they pass the exec (capabilities(7)). */
static int keep_caps(unsigned long long caps)
{
	struct {
		unsigned version;
		int pid;
	} hdr = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
	struct {
		unsigned effective, permitted, inheritable;
	} data[2] = {{(unsigned)caps, (unsigned)caps, (unsigned)caps},
		     {(unsigned)(caps >> 32), (unsigned)(caps >> 32), (unsigned)(caps >> 32)}};

	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	for (unsigned k = 0; k <= APPCONF_CAP_MAX; k++)
		if (caps >> k & 1 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, k, 0, 0) < 0)
			return -1;
	return 0;
}

static void drop(const struct gcred *c, unsigned long long caps, const char *who)
{
	gid_t g[APPCONF_MAX_GROUPS];
	int n = c->ngroups < APPCONF_MAX_GROUPS ? c->ngroups : APPCONF_MAX_GROUPS;

	for (int i = 0; i < n; i++)
		g[i] = c->groups[i];
	if (caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		sayp(who, "cannot keep capabilities: %s", strerror(errno));
	if (setgroups((size_t)n, g) < 0 || setgid(c->gid) < 0 || setuid(c->uid) < 0) {
		sayp(who, "cannot drop privileges to %u:%u: %s", c->uid, c->gid, strerror(errno));
		_exit(126);
	}
	if (caps && keep_caps(caps) < 0)
		sayp(who, "cannot keep capabilities %lx: %s", (unsigned long)caps, strerror(errno));
}

static void child(const struct gspawn *s)
{
	const char *who = s->who ? s->who : TINYX_MARK_PREFIX;

	if (!(s->flags & GSPAWN_MASKED)) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	if (s->flags & GSPAWN_SETSID)
		setsid();
	if (s->tty)
		on_tty(s->tty);
	else if (s->flags & (GSPAWN_NULL_IN | GSPAWN_NULL_OUT))
		null_fds(s->flags & GSPAWN_NULL_OUT ? 2 : 0);
	if (s->has_umask)
		umask(s->umask);
	if (s->nofile_hard) { /* before the privileges go: raising it needs them */
		struct rlimit rl = {s->nofile_soft, s->nofile_hard};

		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			sayp(who, "cannot set the open file limit to %lu: %s", s->nofile_hard,
			     strerror(errno));
	}
	if (s->cred)
		drop(s->cred, s->caps, who);
	if (s->dir && chdir(s->dir) < 0)
		sayp(who, "cannot chdir to %s: %s", s->dir, strerror(errno));
	if (s->fn)
		_exit(s->fn(s->arg));
	if (s->gate_r > 0) { /* the tracer (trace.c) is ready */
		char c;

		close(s->gate_w);
		while (read(s->gate_r, &c, 1) < 0 && errno == EINTR)
			;
		close(s->gate_r);
	}
	execve(s->path ? s->path : s->argv[0], s->argv, s->envp ? s->envp : environ);
	sayp(who, "cannot run %s: %s", s->path ? s->path : s->argv[0], strerror(errno));
	_exit(127);
}

pid_t gspawn(const struct gspawn *s)
{
	pid_t pid = fork();

	if (pid == 0)
		child(s);
	return pid;
}

int gwait(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}
