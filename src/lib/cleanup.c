#include "lib/util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLEANUP_MAX 32

struct entry {
	void (*fn)(void *arg);
	void *arg;
	char path[PATH_MAX]; /* a temp dir (fn == NULL) */
	pid_t pgid;	     /* a process group (fn == NULL, path empty) */
	int used;
};

/* Process-wide by nature: see cleanup.h. The lock is held by the signal
 * thread for the whole cleanup, so a pop in the main thread cannot free an
 * argument while it is in use. */
static struct {
	pthread_mutex_t lock;
	struct entry e[CLEANUP_MAX];
	volatile int interrupted;
	int started;
} reg = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const int stop_sigs[] = {SIGINT, SIGTERM, SIGHUP};
#define NSTOP (sizeof(stop_sigs) / sizeof(stop_sigs[0]))

static int push(const struct entry *n)
{
	int h = -1;

	pthread_mutex_lock(&reg.lock);
	for (int i = 0; i < CLEANUP_MAX && h < 0; i++) {
		if (!reg.e[i].used) {
			reg.e[i] = *n;
			reg.e[i].used = 1;
			h = i;
		}
	}
	pthread_mutex_unlock(&reg.lock);
	return h;
}

int tx_cleanup_push(void (*fn)(void *arg), void *arg)
{
	return push(&(struct entry){.fn = fn, .arg = arg});
}

int tx_cleanup_pgrp(pid_t pgid)
{
	return pgid > 0 ? push(&(struct entry){.pgid = pgid}) : -1;
}

void tx_cleanup_pop(int h)
{
	if (h < 0 || h >= CLEANUP_MAX)
		return;
	pthread_mutex_lock(&reg.lock);
	reg.e[h].used = 0;
	pthread_mutex_unlock(&reg.lock);
}

void tx_tmp_register(const char *path)
{
	struct entry n = {0};

	if (snprintf(n.path, sizeof(n.path), "%s", path) < (int)sizeof(n.path))
		push(&n);
}

void tx_tmp_release(const char *path)
{
	pthread_mutex_lock(&reg.lock);
	for (int i = 0; i < CLEANUP_MAX; i++)
		if (reg.e[i].used && !reg.e[i].fn && !strcmp(reg.e[i].path, path))
			reg.e[i].used = 0;
	pthread_mutex_unlock(&reg.lock);
}

/* Set in the signal thread: its cleanup may spawn (runc delete). */
static _Thread_local int cleaning;

int tx_interrupted(void)
{
	return reg.interrupted && !cleaning;
}

void tx_signals_hold(void)
{
	if (!tx_interrupted())
		return;
	for (;;)
		pause();
}

/* The children of this run share our process group when we lead it: ask
 * them to stop and give them up to 10 s to go. */
static void stop_children(void)
{
	if (getpgrp() != getpid())
		return;
	kill(0, SIGTERM);
	for (int i = 0; i < 100; i++) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p < 0 && errno != EINTR)
			break; /* no child left */
		if (p == 0)
			nanosleep(&ts, NULL);
	}
}

/* Wait (at most 5 s) until no process of a killed group is left: one that
 * still runs may write below a temp dir the registry removes next. Our own
 * children of it are reaped here (the main thread may reap them first). */
static void group_gone(pid_t pgid)
{
	for (int i = 0; i < 500 && pgid > 0; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		while (waitpid(-pgid, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) < 0 && errno == ESRCH)
			return;
		nanosleep(&ts, NULL);
	}
}

static void run_registry(void)
{
	for (int i = CLEANUP_MAX; i-- > 0;) {
		struct entry *e = &reg.e[i];

		if (!e->used)
			continue;
		if (e->fn) {
			e->fn(e->arg);
		} else if (e->path[0]) {
			umount_below(e->path);
			rm_rf(e->path);
		} else if (e->pgid > 0) {
			kill(-e->pgid, SIGKILL);
		}
		e->used = 0;
	}
}

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig = 0;

	while (sigwait(set, &sig) != 0)
		;
	cleaning = 1;
	reg.interrupted = 1;
	for (size_t i = 0; i < NSTOP; i++)
		signal(stop_sigs[i], SIG_IGN); /* our own kill(0) must not count */
	pthread_mutex_lock(&reg.lock);
	for (int i = 0; i < CLEANUP_MAX; i++) /* QEMUs first: they hold the taps */
		if (reg.e[i].used && !reg.e[i].fn && !reg.e[i].path[0])
			kill(-reg.e[i].pgid, SIGKILL);
	for (int i = 0; i < CLEANUP_MAX; i++)
		if (reg.e[i].used && !reg.e[i].fn && !reg.e[i].path[0])
			group_gone(reg.e[i].pgid);
	stop_children();
	run_registry();
	signal(sig, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, set, NULL);
	raise(sig);
	_exit(128 + sig); /* not reached */
}

int tx_signals_start(void)
{
	static sigset_t set;
	pthread_t t;
	int r;

	if (reg.started)
		return 0;
	sigemptyset(&set);
	for (size_t i = 0; i < NSTOP; i++)
		sigaddset(&set, stop_sigs[i]);
	r = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (r == 0)
		r = pthread_create(&t, NULL, signal_thread, &set);
	if (r == 0)
		r = pthread_detach(t);
	reg.started = r == 0;
	return -r;
}
