/* The symbol -> kernel option table. Every option is a real, user-settable
 * Linux 6.1 kconfig symbol (checked against the 6.1 Kconfig files). Symbols
 * are glibc exports unless noted; a few come from libaio, liburing and
 * libkeyutils, which are found in the walk like any other library. */
#include "closure/kfeatures.h"

#include <string.h>

static const struct feature_rule rules[] = {
    /* epoll */
    {"epoll_create", "EPOLL"},
    {"epoll_create1", "EPOLL"},
    {"epoll_ctl", "EPOLL"},
    {"epoll_wait", "EPOLL"},
    {"epoll_pwait", "EPOLL"},
    {"epoll_pwait2", "EPOLL"},
    /* eventfd */
    {"eventfd", "EVENTFD"},
    {"eventfd_read", "EVENTFD"},
    {"eventfd_write", "EVENTFD"},
    {"signalfd", "SIGNALFD"},
    {"timerfd_create", "TIMERFD"},
    {"timerfd_settime", "TIMERFD"},
    {"timerfd_gettime", "TIMERFD"},
    /* MULTIUSER=n removes the set*id family and setgroups: a daemon that
     * drops privileges cannot start without it. Reading passwd entries
     * (getpwnam) needs no kernel support, so it is not listed. */
    {"setuid", "MULTIUSER"},
    {"setgid", "MULTIUSER"},
    {"seteuid", "MULTIUSER"},
    {"setegid", "MULTIUSER"},
    {"setreuid", "MULTIUSER"},
    {"setregid", "MULTIUSER"},
    {"setresuid", "MULTIUSER"},
    {"setresgid", "MULTIUSER"},
    {"setfsuid", "MULTIUSER"},
    {"setfsgid", "MULTIUSER"},
    {"setgroups", "MULTIUSER"},
    {"initgroups", "MULTIUSER"},
    {"getgroups", "MULTIUSER"},
    /* System V IPC */
    {"shmget", "SYSVIPC"},
    {"shmat", "SYSVIPC"},
    {"shmdt", "SYSVIPC"},
    {"shmctl", "SYSVIPC"},
    {"semget", "SYSVIPC"},
    {"semop", "SYSVIPC"},
    {"semtimedop", "SYSVIPC"},
    {"semctl", "SYSVIPC"},
    {"msgget", "SYSVIPC"},
    {"msgsnd", "SYSVIPC"},
    {"msgrcv", "SYSVIPC"},
    {"msgctl", "SYSVIPC"},
    /* POSIX message queues */
    {"mq_open", "POSIX_MQUEUE"},
    {"mq_send", "POSIX_MQUEUE"},
    {"mq_receive", "POSIX_MQUEUE"},
    {"mq_timedsend", "POSIX_MQUEUE"},
    {"mq_timedreceive", "POSIX_MQUEUE"},
    {"mq_notify", "POSIX_MQUEUE"},
    /* POSIX shared memory and named semaphores live on /dev/shm, a tmpfs
     * (SHMEM backs it; without TMPFS it is ramfs with no size limit). */
    {"shm_open", "SHMEM"},
    {"shm_open", "TMPFS"},
    {"sem_open", "SHMEM"},
    {"sem_open", "TMPFS"},
    /* MEMFD_CREATE is def_bool TMPFS || HUGETLBFS in 6.1, not settable:
     * ask for what turns it on. */
    {"memfd_create", "TMPFS"},
    /* io_uring: raw syscall names and liburing's entry points */
    {"io_uring_setup", "IO_URING"},
    {"io_uring_enter", "IO_URING"},
    {"io_uring_register", "IO_URING"},
    {"io_uring_queue_init", "IO_URING"},
    {"io_uring_queue_init_params", "IO_URING"},
    {"io_uring_queue_mmap", "IO_URING"},
    /* kernel AIO (libaio); POSIX aio_* in glibc uses threads, not AIO */
    {"io_setup", "AIO"},
    {"io_submit", "AIO"},
    {"io_getevents", "AIO"},
    {"io_destroy", "AIO"},
    {"io_cancel", "AIO"},
    {"io_queue_init", "AIO"},
    /* file notification */
    {"inotify_init", "INOTIFY_USER"},
    {"inotify_init1", "INOTIFY_USER"},
    {"inotify_add_watch", "INOTIFY_USER"},
    {"fanotify_init", "FANOTIFY"},
    {"fanotify_mark", "FANOTIFY"},
    /* Sockets: any socket call needs NET. socket() is mapped to INET as
     * well because a daemon that opens sockets nearly always wants IPv4
     * (and name resolution over UDP); socketpair() is AF_UNIX only, and
     * syslog() talks to /dev/log, an AF_UNIX socket. */
    {"socket", "NET"},
    {"socket", "INET"},
    {"socketpair", "NET"},
    {"socketpair", "UNIX"},
    {"bind", "NET"},
    {"connect", "NET"},
    {"listen", "NET"},
    {"accept", "NET"},
    {"accept4", "NET"},
    {"sendmsg", "NET"},
    {"recvmsg", "NET"},
    {"sendmmsg", "NET"},
    {"recvmmsg", "NET"},
    {"getaddrinfo", "INET"},
    {"gethostbyname", "INET"},
    {"gethostbyname2", "INET"},
    {"gethostbyname_r", "INET"},
    {"inet_pton", "INET"},
    {"inet_ntop", "INET"},
    {"inet_aton", "INET"},
    {"inet_addr", "INET"},
    {"inet_ntoa", "INET"},
    {"openlog", "UNIX"},
    {"syslog", "UNIX"},
    {"vsyslog", "UNIX"},
    {"__syslog_chk", "UNIX"},
    {"__vsyslog_chk", "UNIX"},
    /* futexes: every pthread sync object and thread exit use them */
    {"futex", "FUTEX"},
    {"pthread_create", "FUTEX"},
    {"pthread_join", "FUTEX"},
    {"pthread_mutex_*", "FUTEX"},
    {"pthread_cond_*", "FUTEX"},
    {"pthread_rwlock_*", "FUTEX"},
    {"pthread_barrier_*", "FUTEX"},
    {"pthread_spin_*", "FUTEX"},
    {"sem_wait", "FUTEX"},
    {"sem_timedwait", "FUTEX"},
    {"sem_post", "FUTEX"},
    /* file locks: flock(), lockf() and fcntl(F_SETLK) */
    {"flock", "FILE_LOCKING"},
    {"lockf", "FILE_LOCKING"},
    {"lockf64", "FILE_LOCKING"},
    {"fcntl", "FILE_LOCKING"},
    {"fcntl64", "FILE_LOCKING"},
    /* madvise and fadvise */
    {"madvise", "ADVISE_SYSCALLS"},
    {"posix_madvise", "ADVISE_SYSCALLS"},
    {"posix_fadvise", "ADVISE_SYSCALLS"},
    {"posix_fadvise64", "ADVISE_SYSCALLS"},
    /* POSIX interval timers */
    {"timer_create", "POSIX_TIMERS"},
    {"timer_settime", "POSIX_TIMERS"},
    {"timer_gettime", "POSIX_TIMERS"},
    {"timer_delete", "POSIX_TIMERS"},
    /* the rest: one syscall, one option */
    {"bpf", "BPF_SYSCALL"},
    {"userfaultfd", "USERFAULTFD"},
    {"membarrier", "MEMBARRIER"},
    {"perf_event_open", "PERF_EVENTS"},
    {"kcmp", "KCMP"},
    {"name_to_handle_at", "FHANDLE"},
    {"open_by_handle_at", "FHANDLE"},
    {"process_vm_readv", "CROSS_MEMORY_ATTACH"},
    {"process_vm_writev", "CROSS_MEMORY_ATTACH"},
    {"acct", "BSD_PROCESS_ACCT"},
    {"swapon", "SWAP"},
    {"swapoff", "SWAP"},
    {"init_module", "MODULES"},
    {"finit_module", "MODULES"},
    {"delete_module", "MODULES"},
    {"unshare", "NAMESPACES"},
    {"setns", "NAMESPACES"},
    {"add_key", "KEYS"},
    {"request_key", "KEYS"},
    {"keyctl", "KEYS"},
};

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
