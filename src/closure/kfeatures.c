/* The symbol -> kernel option table. Every option is a real, user-settable
 * Linux 6.1 kconfig symbol (checked against the 6.1 Kconfig files). Symbols
 * are glibc exports unless noted; a few come from libaio, liburing and
 * libkeyutils, which are found in the walk like any other library. */
#include "closure/kfeatures.h"

#include <string.h>

/* R(symbol, OPTION) */
#define R(sym, opt)                                                                                \
	{                                                                                          \
		sym, #opt                                                                          \
	}
static const struct feature_rule rules[] = {
    /* epoll */
    R("epoll_create", EPOLL), R("epoll_create1", EPOLL), R("epoll_ctl", EPOLL),
    R("epoll_wait", EPOLL), R("epoll_pwait", EPOLL), R("epoll_pwait2", EPOLL),
    /* eventfd */
    R("eventfd", EVENTFD), R("eventfd_read", EVENTFD), R("eventfd_write", EVENTFD),
    R("signalfd", SIGNALFD), R("timerfd_create", TIMERFD), R("timerfd_settime", TIMERFD),
    R("timerfd_gettime", TIMERFD),
    /* MULTIUSER=n removes the set*id family and setgroups: a daemon that
     * drops privileges cannot start without it. Reading passwd entries
     * (getpwnam) needs no kernel support, so it is not listed. */
    R("setuid", MULTIUSER), R("setgid", MULTIUSER), R("seteuid", MULTIUSER),
    R("setegid", MULTIUSER), R("setreuid", MULTIUSER), R("setregid", MULTIUSER),
    R("setresuid", MULTIUSER), R("setresgid", MULTIUSER), R("setfsuid", MULTIUSER),
    R("setfsgid", MULTIUSER), R("setgroups", MULTIUSER), R("initgroups", MULTIUSER),
    R("getgroups", MULTIUSER),
    /* System V IPC */
    R("shmget", SYSVIPC), R("shmat", SYSVIPC), R("shmdt", SYSVIPC), R("shmctl", SYSVIPC),
    R("semget", SYSVIPC), R("semop", SYSVIPC), R("semtimedop", SYSVIPC), R("semctl", SYSVIPC),
    R("msgget", SYSVIPC), R("msgsnd", SYSVIPC), R("msgrcv", SYSVIPC), R("msgctl", SYSVIPC),
    /* POSIX message queues */
    R("mq_open", POSIX_MQUEUE), R("mq_send", POSIX_MQUEUE), R("mq_receive", POSIX_MQUEUE),
    R("mq_timedsend", POSIX_MQUEUE), R("mq_timedreceive", POSIX_MQUEUE),
    R("mq_notify", POSIX_MQUEUE),
    /* POSIX shared memory and named semaphores live on /dev/shm, a tmpfs
     * (SHMEM backs it; without TMPFS it is ramfs with no size limit). */
    R("shm_open", SHMEM), R("shm_open", TMPFS), R("sem_open", SHMEM), R("sem_open", TMPFS),
    /* MEMFD_CREATE is def_bool TMPFS || HUGETLBFS in 6.1, not settable:
     * ask for what turns it on. */
    R("memfd_create", TMPFS),
    /* io_uring: raw syscall names and liburing's entry points */
    R("io_uring_setup", IO_URING), R("io_uring_enter", IO_URING), R("io_uring_register", IO_URING),
    R("io_uring_queue_init", IO_URING), R("io_uring_queue_init_params", IO_URING),
    R("io_uring_queue_mmap", IO_URING),
    /* kernel AIO (libaio); POSIX aio_* in glibc uses threads, not AIO */
    R("io_setup", AIO), R("io_submit", AIO), R("io_getevents", AIO), R("io_destroy", AIO),
    R("io_cancel", AIO), R("io_queue_init", AIO),
    /* file notification */
    R("inotify_init", INOTIFY_USER), R("inotify_init1", INOTIFY_USER),
    R("inotify_add_watch", INOTIFY_USER), R("fanotify_init", FANOTIFY),
    R("fanotify_mark", FANOTIFY),
    /* Sockets: any socket call needs NET. socket() is mapped to INET as
     * well because a daemon that opens sockets nearly always wants IPv4
     * (and name resolution over UDP); socketpair() is AF_UNIX only, and
     * syslog() talks to /dev/log, an AF_UNIX socket. */
    R("socket", NET), R("socket", INET), R("socketpair", NET), R("socketpair", UNIX),
    R("bind", NET), R("connect", NET), R("listen", NET), R("accept", NET), R("accept4", NET),
    R("sendmsg", NET), R("recvmsg", NET), R("sendmmsg", NET), R("recvmmsg", NET),
    R("getaddrinfo", INET), R("gethostbyname", INET), R("gethostbyname2", INET),
    R("gethostbyname_r", INET), R("inet_pton", INET), R("inet_ntop", INET), R("inet_aton", INET),
    R("inet_addr", INET), R("inet_ntoa", INET), R("openlog", UNIX), R("syslog", UNIX),
    R("vsyslog", UNIX), R("__syslog_chk", UNIX), R("__vsyslog_chk", UNIX),
    /* futexes: every pthread sync object and thread exit use them */
    R("futex", FUTEX), R("pthread_create", FUTEX), R("pthread_join", FUTEX),
    R("pthread_mutex_*", FUTEX), R("pthread_cond_*", FUTEX), R("pthread_rwlock_*", FUTEX),
    R("pthread_barrier_*", FUTEX), R("pthread_spin_*", FUTEX), R("sem_wait", FUTEX),
    R("sem_timedwait", FUTEX), R("sem_post", FUTEX),
    /* file locks: flock(), lockf() and fcntl(F_SETLK) */
    R("flock", FILE_LOCKING), R("lockf", FILE_LOCKING), R("lockf64", FILE_LOCKING),
    R("fcntl", FILE_LOCKING), R("fcntl64", FILE_LOCKING),
    /* madvise and fadvise */
    R("madvise", ADVISE_SYSCALLS), R("posix_madvise", ADVISE_SYSCALLS),
    R("posix_fadvise", ADVISE_SYSCALLS), R("posix_fadvise64", ADVISE_SYSCALLS),
    /* POSIX interval timers */
    R("timer_create", POSIX_TIMERS), R("timer_settime", POSIX_TIMERS),
    R("timer_gettime", POSIX_TIMERS), R("timer_delete", POSIX_TIMERS),
    /* the rest: one syscall, one option */
    R("bpf", BPF_SYSCALL), R("userfaultfd", USERFAULTFD), R("membarrier", MEMBARRIER),
    R("perf_event_open", PERF_EVENTS), R("kcmp", KCMP), R("name_to_handle_at", FHANDLE),
    R("open_by_handle_at", FHANDLE), R("process_vm_readv", CROSS_MEMORY_ATTACH),
    R("process_vm_writev", CROSS_MEMORY_ATTACH), R("acct", BSD_PROCESS_ACCT), R("swapon", SWAP),
    R("swapoff", SWAP), R("init_module", MODULES), R("finit_module", MODULES),
    R("delete_module", MODULES), R("unshare", NAMESPACES), R("setns", NAMESPACES),
    R("add_key", KEYS), R("request_key", KEYS), R("keyctl", KEYS)};
#undef R

const struct feature_rule *features_table(size_t *n)
{
	*n = sizeof(rules) / sizeof(rules[0]);
	return rules;
}

static int rule_matches(const char *pat, const char *sym, size_t symlen)
{
	size_t pl = strlen(pat);

	if (pl && pat[pl - 1] == '*')
		return symlen >= pl - 1 && !strncmp(pat, sym, pl - 1);
	return pl == symlen && !strncmp(pat, sym, symlen);
}

size_t features_for_symbol(const char *symbol, const char **options, size_t max)
{
	size_t n = 0, symlen;
	const char *at;

	if (!symbol)
		return 0;
	at = strchr(symbol, '@');
	symlen = at ? (size_t)(at - symbol) : strlen(symbol);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]) && n < max; i++) {
		size_t j;

		if (!rule_matches(rules[i].symbol, symbol, symlen))
			continue;
		for (j = 0; j < n; j++)
			if (!strcmp(options[j], rules[i].option))
				break;
		if (j == n)
			options[n++] = rules[i].option;
	}
	return n;
}
