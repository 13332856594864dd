/* What the kconfig-*.c files share with the rest of src/kernel/ and nobody
 * else needs. */
#ifndef TINYX_KCONFIG_INT_H
#define TINYX_KCONFIG_INT_H

#include "kernel/kconfig.h"

struct image_target;

/* A decimal (maybe negative) or 0x hex number, as a .config writes them. */
int kconfig_valid_number(const char *v, size_t n);
/* "CONFIG_X=v" or "# CONFIG_X is not set", no newline. */
void kconfig_req_line(const struct kconfig_req *r, struct sbuf *out);
/* The target called target, or NULL with ctx->err "kconfig: unknown target". */
const struct image_target *kconfig_target(struct tx_ctx *ctx, const char *target);

/* One setting of a .config text: CONFIG_NAME=VAL, or '# CONFIG_NAME is not
 * set' as VAL "n"; pointers into the text. */
struct centry {
	const char *name, *val;
	size_t nlen, vlen;
};
struct cmap {
	struct centry *e; /* owned */
	size_t n;
};
/* The settings of a .config text in file order ('is not set' ones when notset). */
void kconfig_lines(const char *text, size_t len, int notset, struct cmap *m);

/* The environment kbuild gets: ours without what kbuild_env_ignored drops,
 * then extra (NULL-terminated, or NULL). Owns the array, not the strings. */
char **kconfig_env(char *const extra[]);
/* A line of the log at path for a one-line error: the first that says
 * "error:" (else "Error "), or with last the last non-empty one; "" if none. */
char *kconfig_log_line(const char *path, int last);
/* Run argv with stdout and stderr appended to log, in the environment
 * kconfig_env(NULL). Returns the exit status or -errno. */
int kconfig_run_logged(struct tx_ctx *ctx, char *const argv[], const char *log);

/* Create builddir and lock BUILDDIR+suffix (".lock", "/.lock"): the fd, or
 * -errno with a message naming stage. */
int kconfig_lock(struct tx_ctx *ctx, const char *stage, const char *builddir, const char *suffix);
/* kconfig_make for a caller that holds the lock; *config (when config is not
 * NULL) gets the .config text (owned). */
int kconfig_make_locked(struct tx_ctx *ctx, const char *srcdir_kernel, const char *builddir,
			const struct kconfig_set *set, char **config, size_t *clen);

/* Run the kexplain helper (built on first use, see kconfig-explain.c) on
 * builddir/.config for option: *out gets its output (owned). */
int kconfig_kexplain(struct tx_ctx *ctx, const char *srcdir_kernel, const char *builddir,
		     const char *option, char **out);

/* 1 when s (n bytes) is 64 lowercase hex digits: a sha256 as tinyx writes it. */
int kconfig_hex64(const char *s, size_t n);

#endif
