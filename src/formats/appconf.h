/* The one reader of app.conf (the text form is in formats/appspec.h), shared
 * by the host (formats/appspec.c) and the static guest init (src/guest/,
 * built with musl and without lib/): plain C on libc, no allocation. It
 * checks and decodes each directive and hands it to a callback. */
#ifndef TINYX_APPCONF_H
#define TINYX_APPCONF_H

#include <stddef.h>

#define APPCONF_MAX_GROUPS 32
#define APPCONF_ID_MAX 4294967294ul  /* (uid_t)-1 means "unchanged" to setuid */
#define APPCONF_NOFILE_MAX 1048576ul /* the kernel's default fs.nr_open */
#define APPCONF_CAP_MAX 40	     /* CAP_CHECKPOINT_RESTORE, the last of Linux 6.1 */
/* The first line of the canonical text (the writer and `tinyx-init --print-conf`) */
#define APPCONF_HEADER "# tinyx app spec: read by /init (see src/appspec.h)\n"

enum appconf_key {
	APPCONF_ARG,
	APPCONF_ENV,
	APPCONF_USER,
	APPCONF_GROUP,
	APPCONF_GROUPS,
	APPCONF_DIR,
	APPCONF_WORKDIR,
	APPCONF_PIDFILE,
	APPCONF_FORKING,
	APPCONF_RESTART,
	APPCONF_PRE,
	APPCONF_POST,
	APPCONF_UMASK,
	APPCONF_NOFILE,
	APPCONF_NOTIFY,
	APPCONF_CAPS,
	APPCONF_ONESHOT,
	APPCONF_RNG,
	APPCONF_NETPRE,
};

/* "dir PATH MODE UID GID"; path is not NUL-terminated (plen bytes). */
struct appconf_dir {
	const char *path;
	size_t plen;
	unsigned mode, uid, gid;
};

/* One directive, checked and decoded; val (vlen bytes, not NUL-terminated)
 * is the raw value. */
struct appconf_item {
	enum appconf_key key;
	const char *val;
	size_t vlen;
	unsigned num;		 /* user, group: the id; forking: 0|1; restart: 0 no, 1 on-failure;
				  * umask: the mask; nofile: the soft limit */
	unsigned num2;		 /* nofile: the hard limit */
	unsigned long long caps; /* caps: bit N for capability N */
	unsigned groups[APPCONF_MAX_GROUPS];
	size_t ngroups;
	struct appconf_dir dir;
};

/* Why a text was refused. */
enum appconf_problem {
	APPCONF_NUL = 1,    /* a NUL byte in the text */
	APPCONF_NO_VALUE,   /* a keyword without " VALUE" */
	APPCONF_UNKNOWN,    /* an unknown keyword */
	APPCONF_BAD_VALUE,  /* a value that does not fit its keyword */
	APPCONF_INCOMPLETE, /* no command, or a relative one */
};

struct appconf_error {
	enum appconf_problem problem;
	int line;	/* 1-based; 0 for a problem of the whole text */
	const char *kw; /* the line's keyword, kwlen bytes (at most 32) */
	size_t kwlen;
};

/* A nonzero return stops the parse and is what appconf_parse returns. */
typedef int (*appconf_fn)(void *arg, const struct appconf_item *it);

/* Read untrusted text (len bytes): fn sees each directive in order. Returns
 * 0, fn's nonzero value, or -EINVAL with *e saying why. */
int appconf_parse(const char *text, size_t len, appconf_fn fn, void *arg, struct appconf_error *e);

/* "pre"/"post" values: FLAGS TAB ARG0 [TAB ARG]..., FLAGS "." or some of
 * "-" (a failure is ignored), "+" or "!" (runs as root, not as the app's
 * user), "<" (a pre hook of a unit ordered Before=network-pre.target: it
 * runs before the init brings the network up); ARG0 absolute. 0 or
 * -EINVAL. */
int appconf_hook(const char *v, size_t n);

/* Where a spec keeps the directives that are numbers: the host's app_spec
 * and the guest's app_conf name them alike, so APPCONF_FIELDS(spec) fills it. */
struct appconf_fields {
	unsigned *uid, *gid, *groups;
	size_t *ngroups;
	int *has_user, *forking, *restart, *notify, *oneshot, *rng, *netpre;
	unsigned long long *caps;
};
#define APPCONF_FIELDS(s)                                                                          \
	{                                                                                          \
		&(s)->uid, &(s)->gid, (s)->groups, &(s)->ngroups, &(s)->has_user, &(s)->forking,   \
		    &(s)->restart, &(s)->notify, &(s)->oneshot, &(s)->rng, &(s)->netpre,           \
		    &(s)->caps                                                                     \
	}
/* Store it when it is user, group, groups, forking or restart: 1, else 0. */
int appconf_set(const struct appconf_fields *f, const struct appconf_item *it);

/* The value checks, also for specs built in code: 0 valid, -EINVAL not. */
int appconf_dir(const char *v, size_t n, struct appconf_dir *d); /* "PATH MODE UID GID" */
int appconf_env(const char *v, size_t n);			 /* "KEY=VALUE" */
int appconf_path(const char *v, size_t n);			 /* absolute, no line break */

#endif
