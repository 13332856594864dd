/* systemd service units and tmpfiles.d, as far as the closure needs them. */
#ifndef TINYX_SDUNIT_H
#define TINYX_SDUNIT_H

#include "lib/util.h"

struct sd_unit {
	/* each a command line with the prefix chars -@:+! removed */
	struct strv exec_start;
	/* [Unit] Requires= and Wants=: the unit names it pulls in */
	struct strv requires;
	/* [Unit] Before=: the units it starts before (network-pre.target: a
	 * firewall's ruleset before any interface is up) */
	struct strv before;
	/* ExecStartPre=, ExecStartPost=: each with its prefix chars kept */
	struct strv exec_start_pre, exec_start_post;
	char *user, *group, *type, *pidfile; /* NULL when unset */
	/* names (split on whitespace, quotes honoured) relative to /run,
	 * /var/lib, /var/log, /var/cache, /etc; absolute or ".." names dropped */
	struct strv runtime_dirs, state_dirs, logs_dirs, cache_dirs, config_dirs;
	char *working_dir;	    /* without the "-" prefix */
	char *umask, *limit_nofile; /* UMask=, LimitNOFILE= as written; NULL when unset */
	struct strv environment;    /* "NAME=value", unquoted */
	/* EnvironmentFile= paths as written ("-" first: the file may be missing) */
	struct strv environment_files;
	/* AmbientCapabilities=: bit N for capability N (Linux 6.1's 41) */
	unsigned long long ambient_caps;
	int dynamic_user; /* DynamicUser= */
};

/* Parse a unit file; only [Service] keys (and [Unit]'s Requires, Wants, Before)
 * matter. Comments (# ;), trailing backslash continuation, an empty assignment resets a list
 * (systemd semantics). Fills u (zeroed by the caller; assignments add to it). */
int sd_unit_parse(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		  struct sd_unit *u);
void sd_unit_free(struct sd_unit *u);
/* systemd-style word splitting: "..." and '...' (also mid-word) and C
 * backslash escapes; $VAR and ${VAR} are left as they are. Appends to argv. */
int sd_split_cmdline(struct tx_ctx *ctx, const char *line, struct strv *argv);

/* The prefix chars of a command line (systemd.service(5)): "-" its failure
 * is ignored, "+" and "!" it runs with full privileges, "@" argv[0] is the
 * second word, ":" no $ expansion. */
#define SD_EXEC_PREFIXES "-@:+!"

struct tmpfile_ent {
	char type; /* 'd', 'f', 'L', ... (modifiers such as '!' and '+' dropped) */
	char *path;
	unsigned mode;
	int has_mode;
	char *user, *group; /* NULL when "-" or absent */
	char *arg;	    /* the rest of the line; NULL when "-" or absent */
};

struct tmpfiles {
	struct tmpfile_ent *e;
	size_t n;
};

/* "type path mode user group age argument" lines; "-" means unset. Appends. */
int tmpfiles_parse(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		   struct tmpfiles *t);
void tmpfiles_free(struct tmpfiles *t);

/* The service units among a package's files (/lib/systemd/system/X.service
 * and /usr/lib/systemd/system/X.service, not templates X@.service) that exist
 * in root as regular files (when root is not NULL). Appends, sorted uniq. */
int sd_find_units(struct tx_ctx *ctx, const char *root, const struct strv *pkg_files,
		  struct strv *units);

/* An EnvironmentFile's "NAME=value" lines (systemd's reading: '#' and ';'
 * comments, blanks, "..." or '...' around the value, backslash escapes in
 * "..."; a line that is not NAME=value is skipped, as systemd does with a
 * warning). Appends "NAME=value" to env. */
void sd_env_file_parse(const char *text, size_t len, struct strv *env);
/* argv's words with $NAME (a whole word: split on whitespace, no word when
 * empty) and ${NAME} (anywhere: as text) taken from env ("NAME=value", the
 * last wins); $$ is a '$'. As systemd does for Exec*= lines. Appends to out. */
void sd_expand_argv(const struct strv *argv, const struct strv *env, struct strv *out);

#endif
