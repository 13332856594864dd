/* What the closure stage's files share (closure.c drives; closure-files.c
 * adds paths, trees, the app's packages and what their config files name;
 * closure-unit.c how the app starts, closure-pick.c which unit and its
 * text, closure-hooks.c what runs before and after it, fragfeat.c the
 * kernel features of kconfig-fragments/features/). Not an API. */
#ifndef TINYX_CLOSURE_CL_H
#define TINYX_CLOSURE_CL_H

#include "closure/closure.h"
#include "formats/dpkg.h"
#include "formats/passwd.h"
#include "formats/sdunit.h"
#include "formats/text.h"

#include <sys/stat.h>

struct cl {
	struct tx_ctx *ctx;
	const char *app, *root, *projdir;
	struct manifest *m;
	struct dpkg_db db;
	struct pw_db pw;
	struct strv own;       /* own package names */
	struct strv own_files; /* every file they ship, read once */
	struct strv elves;     /* ELF files to walk */
	struct strv scanned;   /* config files scanned already */
	struct strv users;     /* user names wanted ("name\treason") */
	struct strv exclude;   /* extra prefixes from hints */
	struct strv hint_exec;
	size_t extra_pre; /* hooks of --add packages at the head of spec->pre */
	char *sysv;	  /* the SysV init script the app starts by, if any */
	long long dir_bytes;
	/* trim (closure_extra's opened): the real in-root paths the trace saw;
	 * what was left out ("path\tbytes") */
	struct strv kept, trimmed;
	int trim;
};

/* path is pre or below it */
int cl_has_prefix_dir(const char *path, const char *pre);
/* stat an in-root path, following links inside the root. 0 or -errno. */
int cl_stat(const struct cl *c, const char *path, struct stat *st);
/* Read at most size - 1 bytes of an in-root file into buf (NUL-terminated);
 * their count (0 when unreadable). */
size_t cl_head(const struct cl *c, const char *path, char *buf, size_t size);
/* Add a path (following symlinks); ELF files are queued for the walk.
 * As manifest_add_path: 1 new, 0 known, -errno missing. */
int cl_add_path(struct cl *c, const char *path, const char *reason);
/* Take a whole dir the config named (a web root, a data dir), bounded. */
void cl_add_tree(struct cl *c, const char *dir, const char *reason);
/* The files of the app's own packages, and what their config files name. */
int cl_add_packages(struct cl *c);
/* The unit says how the app starts; hints may override the command. Fills
 * spec when not NULL. 0 or -errno with ctx->err. */
int cl_read_unit(struct cl *c, struct app_spec *spec);
/* closure-pick.c: is the unit at path a Type=oneshot one; the app's unit
 * among units (a template's instance into *inst; NULL: none); a unit read
 * as that instance, specifiers replaced; its Environment= and
 * EnvironmentFile= settings. */
int cl_is_oneshot(const struct cl *c, const char *path);
const char *cl_pick_unit(const struct cl *c, const struct strv *units, char **inst);
int cl_load_unit(struct cl *c, const char *unit_path, const char *inst, struct sd_unit *u);
int cl_unit_env(struct cl *c, const struct sd_unit *u, const char *unit_path, struct strv *env);
/* A command given by name only (systemd 239 on): argv[0] made the first
 * match in systemd's fixed search path, in the root. -ENOENT: none. */
int cl_which(const struct cl *c, struct strv *argv);
/* closure-hooks.c: ExecStartPre=/ExecStartPost= lines (what: their key)
 * as app spec hooks, their commands in the image; the oneshot units u
 * pulls in, first. */
int cl_unit_hooks(struct cl *c, const struct strv *lines, const struct strv *env,
		  const char *unit_path, const char *what, struct strv *out);
int cl_oneshot_hooks(struct cl *c, const struct sd_unit *u, const struct strv *units,
		     const struct strv *env, struct strv *out);
/* A package of build --add (closure.h's closure_extra): its files, its
 * oneshot units as hooks before the app's (spec may be NULL). */
int cl_add_extra(struct cl *c, const char *pkg, struct app_spec *spec);
/* closure-secrets.c: secrets a postinst of the app's packages made in the
 * root are made again at boot by that postinst's block (the first hook);
 * spec->made lists them, cl_drop_made() takes them out of the manifest. */
int cl_boot_secrets(struct cl *c, struct app_spec *spec);
void cl_drop_made(struct cl *c, const struct app_spec *spec);
/* The kernel features of kconfig-fragments/features/ whose paths the
 * manifest holds (fragfeat.c); a matching fragment's "# init: rng" line
 * sets spec->rng (spec may be NULL). 0 or -errno with ctx->err. */
int cl_fragment_features(struct cl *c, struct app_spec *spec);

#endif
