/* The symbol -> kernel option table. */
#include "closure/kfeatures.h"
#include "t.h"

/* Every option below was checked against the Linux 6.1 Kconfig files
 * (user-settable, not a def_bool). */
static const char *const valid[] = {
    "EPOLL",
    "EVENTFD",
    "SIGNALFD",
    "TIMERFD",
    "MULTIUSER",
    "SYSVIPC",
    "POSIX_MQUEUE",
    "SHMEM",
    "TMPFS",
    "IO_URING",
    "AIO",
    "INOTIFY_USER",
    "FANOTIFY",
    "NET",
    "INET",
    "UNIX",
    "FUTEX",
    "FILE_LOCKING",
    "ADVISE_SYSCALLS",
    "POSIX_TIMERS",
    "BPF_SYSCALL",
    "USERFAULTFD",
    "MEMBARRIER",
    "PERF_EVENTS",
    "KCMP",
    "FHANDLE",
    "CROSS_MEMORY_ATTACH",
    "BSD_PROCESS_ACCT",
    "SWAP",
    "MODULES",
    "NAMESPACES",
    "KEYS",
};

static int one(const char *sym, const char *opt)
{
	const char *o[8];
	size_t n = features_for_symbol(sym, o, 8);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(o[i], opt))
			return 1;
	return 0;
}

int main(void)
{
	const char *o[8];
	size_t n;
	const struct feature_rule *t = features_table(&n);

	TCASE("table");
	CHECK(n > 50);
	for (size_t i = 0; i < n; i++) {
		int ok = 0;

		for (size_t k = 0; k < sizeof(valid) / sizeof(valid[0]); k++)
			ok |= !strcmp(t[i].option, valid[k]);
		if (!ok)
			fprintf(stderr, "unknown option %s\n", t[i].option);
		CHECK(ok);
		CHECK(t[i].symbol && *t[i].symbol);
		CHECK(strncmp(t[i].option, "CONFIG_", 7) != 0);
		for (size_t k = 0; k < i; k++)
			CHECK(strcmp(t[i].symbol, t[k].symbol) || strcmp(t[i].option, t[k].option));
	}
	TCASE("symbols");
	CHECK(one("epoll_create", "EPOLL"));
	CHECK(one("epoll_create1", "EPOLL"));
	CHECK(one("epoll_pwait", "EPOLL"));
	CHECK(one("eventfd", "EVENTFD"));
	CHECK(one("eventfd_write", "EVENTFD"));
	CHECK(one("setgroups", "MULTIUSER"));
	CHECK(one("initgroups", "MULTIUSER"));
	CHECK(one("setresuid", "MULTIUSER"));
	CHECK(one("shmget", "SYSVIPC"));
	CHECK(one("semop", "SYSVIPC"));
	CHECK(one("io_uring_queue_init", "IO_URING"));
	CHECK(one("inotify_init1", "INOTIFY_USER"));
	CHECK(one("timerfd_create", "TIMERFD"));
	CHECK(one("signalfd", "SIGNALFD"));
	CHECK(one("fanotify_init", "FANOTIFY"));
	CHECK(one("mq_open", "POSIX_MQUEUE"));
	CHECK(one("memfd_create", "TMPFS"));
	CHECK(one("flock", "FILE_LOCKING"));
	CHECK(one("bpf", "BPF_SYSCALL"));
	CHECK(one("perf_event_open", "PERF_EVENTS"));
	TCASE("prefix rules");
	/* prefix rules */
	CHECK(one("pthread_mutex_lock", "FUTEX"));
	CHECK(one("pthread_cond_timedwait", "FUTEX"));
	CHECK(!one("pthread_mutex", "FUTEX"));
	TCASE("version ignored");
	/* @version is ignored */
	CHECK(one("epoll_wait@GLIBC_2.3.2", "EPOLL"));
	CHECK(one("epoll_wait@@GLIBC_2.3.2", "EPOLL"));
	TCASE("several options");
	/* several options, no duplicates, max respected */
	n = features_for_symbol("socket", o, 8);
	CHECK(n == 2);
	CHECK(one("socket", "NET") && one("socket", "INET"));
	n = features_for_symbol("shm_open", o, 8);
	CHECK(n == 2 && strcmp(o[0], o[1]));
	CHECK(features_for_symbol("socket", o, 1) == 1);
	CHECK(features_for_symbol("printf", o, 8) == 0);
	CHECK(features_for_symbol("", o, 8) == 0);
	CHECK(features_for_symbol(NULL, o, 8) == 0);
	CHECK(features_for_symbol("epoll", o, 8) == 0);
	return t_done("test-features");
}
