/* The one way the guest init (and its dom0 role) starts a child process
 * (the init cannot use lib/proc.h). */
#ifndef TINYX_GUEST_SPAWN_H
#define TINYX_GUEST_SPAWN_H

#include <sys/types.h>

#define GSPAWN_SETSID 1u   /* a session of its own */
#define GSPAWN_NULL_IN 2u  /* stdin from /dev/null */
#define GSPAWN_NULL_OUT 4u /* stdout and stderr to /dev/null too */
#define GSPAWN_MASKED 8u   /* keep the init's blocked signals (default: none) */

struct gcred {
	unsigned uid, gid;
	const unsigned *groups; /* supplementary */
	int ngroups;
};

struct gspawn {
	char **argv;		  /* what to run: argv[0], an absolute path, */
	const char *path;	  /* or this path when not NULL (argv[0] "-sh") */
	char **envp;		  /* NULL: the init's environment */
	int (*fn)(void *arg);	  /* instead of argv: the child runs fn, exits with it */
	void *arg;		  /* for fn */
	const char *tty;	  /* stdio on this terminal (else /dev/console), made
				     the controlling one */
	const char *dir;	  /* chdir there (a failure is told, not fatal) */
	const struct gcred *cred; /* drop to these ids (exit 126 if that fails) */
	int gate_r, gate_w;	  /* > 0: close gate_w, wait for a byte on gate_r, then exec */
	int has_umask;		  /* set this umask */
	unsigned umask;
	unsigned long nofile_soft, nofile_hard; /* RLIMIT_NOFILE when nofile_hard */
	unsigned long long caps;		/* with cred: these stay, as ambient capabilities */
	const char *who; /* prefix of the child's failure lines (default "tinyx: ") */
	unsigned flags;	 /* GSPAWN_* */
};

/* Fork the child; its pid, or -1 (errno) when fork failed. */
pid_t gspawn(const struct gspawn *s);
/* waitpid(pid) through EINTR: the status, or -1 when there is no such child. */
int gwait(pid_t pid);

#endif
