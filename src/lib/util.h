/* Small shared helpers: error context, string lists, buffers, files, processes.
 * No globals: every function that can fail takes a struct tx_ctx and returns
 * 0 or a negative errno, with a one-line message stored in the context. */
#ifndef TINYX_UTIL_H
#define TINYX_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tx_ctx {
	char err[1024];	    /* "STAGE: problem 'subject'" of the last failure */
	int verbose;	    /* 0 quiet, 1 progress, 2 debug */
	int tty;	    /* stderr is a terminal: progress may redraw lines */
	const char *cache;  /* cache dir ($TINYX_CACHE or ~/.cache/tinyx) */
	const char *srcdir; /* the project dir (fragments, overlays) */
};

/* Record "STAGE: message" and return -EINVAL (or err when err < 0). */
int tx_fail(struct tx_ctx *ctx, int err, const char *stage, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Progress line on stderr when verbose. */
void tx_info(struct tx_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Growable list of owned strings. */
struct strv {
	char **v;
	size_t n, cap;
};
int strv_push(struct strv *s, const char *str); /* copies str */
int strv_pushn(struct strv *s, const char *str, size_t len);
int strv_push_own(struct strv *s, char *str); /* takes ownership */
int strv_contains(const struct strv *s, const char *str);
void strv_sort_uniq(struct strv *s);
void strv_free(struct strv *s);

/* Growable text buffer, always NUL-terminated once non-empty. */
struct sbuf {
	char *s;
	size_t len, cap;
};
int sbuf_add(struct sbuf *b, const char *s, size_t n);
int sbuf_puts(struct sbuf *b, const char *s);
int sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal (with quotes). */
int sbuf_json_str(struct sbuf *b, const char *s);
void sbuf_free(struct sbuf *b);

void *xmalloc(size_t n); /* aborts on OOM */
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file (at most max bytes, else -EFBIG). Result NUL-terminated. */
int read_file(const char *path, char **out, size_t *len, size_t max);
/* Write atomically: tmp file beside path, fsync-free rename. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
int mkdir_p(const char *path, mode_t mode);
int rm_rf(const char *path);
int path_exists(const char *path);
int is_dir(const char *path);

/* Join root and an absolute in-root path ("/usr/lib" -> "ROOT/usr/lib"). */
char *root_join(const char *root, const char *abs);
/* Normalize an absolute path lexically: collapse //, ., and .. (never above /). */
char *path_normalize(const char *path);
/* dirname/basename that return new strings. */
char *path_dirname(const char *path);
const char *path_basename(const char *path);

/* Resolve an absolute path inside root, following symlinks (absolute ones
 * relative to root, never escaping it). Returns the final in-root path, and
 * when chain is not NULL the in-root paths of every symlink met on the way. */
int root_realpath(const char *root, const char *path, char **out, struct strv *chain);

/* Run argv (no shell). stdout goes to out_path when not NULL (else inherited
 * or /dev/null when quiet). Returns the exit status, or -errno. */
int run_cmd(struct tx_ctx *ctx, char *const argv[], const char *out_path, int quiet);
/* Run argv and capture stdout into *out (max bytes). */
int run_capture(struct tx_ctx *ctx, char *const argv[], char **out, size_t max);
/* The same with the child's stderr sent to /dev/null when quiet. */
int run_capture_q(struct tx_ctx *ctx, char *const argv[], char **out, size_t max, int quiet);

/* SHA-256. */
struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t blen;
};
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_hex(struct sha256 *s, char out[65]);
int sha256_file(const char *path, char out[65]);

/* Monotonic milliseconds. */
double now_ms(void);

/* The median of the measured values in v[0..n) (a negative one means "not
 * measured" and is dropped): they are moved to the front of v and sorted, so
 * v[0] is the smallest and v[*k - 1] the largest; *k (when not NULL) gets
 * their count. -1 when there is none. */
double median_of(double *v, size_t n, size_t *k);

/* Debian package name syntax: [a-z0-9][a-z0-9+.-]+ */
int valid_pkg_name(const char *name);

/* Entries of dir named PREFIX+PID whose process is gone: the temp dirs of
 * runs that died. Appends their paths (DIR/NAME) to out. */
void stale_pid_entries(const char *dir, const char *prefix, struct strv *out);

/* Unmount (lazily) every mount point below dir, deepest first. */
void umount_below(const char *dir);

/* Temp dirs an interrupted run must not leave behind: registered while they
 * exist, removed (mounts below them first) by tx_tmp_cleanup, which the CLI's
 * SIGINT/SIGTERM/SIGHUP handler calls before dying. Process-wide by nature:
 * a process has one signal disposition. Up to TX_TMP_MAX at once. */
#define TX_TMP_MAX 8
void tx_tmp_register(const char *path);
void tx_tmp_release(const char *path);
void tx_tmp_cleanup(void);

/* Exclusive lock on a lock file (created). Returns fd or -errno. */
int lock_path(const char *path);

#endif
