#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int tx_fail(struct tx_ctx *ctx, int err, const char *stage, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(ctx->err, sizeof(ctx->err), "%s: ", stage);

	if (n < 0 || (size_t)n >= sizeof(ctx->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(ctx->err + n, sizeof(ctx->err) - n, fmt, ap);
	va_end(ap);
	/* one line: never let a subject break the line */
	for (char *p = ctx->err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return err < 0 ? err : -EINVAL;
}

void tx_info(struct tx_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->verbose)
		return;
	fputs("tinyx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("tinyx: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p) {
		fputs("tinyx: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("tinyx: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		fputs("tinyx: out of memory\n", stderr);
		abort();
	}
	va_end(ap);
	return s;
}

int strv_push_own(struct strv *s, char *str)
{
	if (s->n + 1 >= s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	return 0;
}

int strv_push(struct strv *s, const char *str)
{
	return strv_push_own(s, xstrdup(str));
}

int strv_pushn(struct strv *s, const char *str, size_t len)
{
	return strv_push_own(s, xstrndup(str, len));
}

int strv_contains(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort_uniq(struct strv *s)
{
	size_t j = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (size_t i = 1; i < s->n; i++) {
		if (!strcmp(s->v[i], s->v[j]))
			free(s->v[i]);
		else
			s->v[++j] = s->v[i];
	}
	s->n = j + 1;
	s->v[s->n] = NULL;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

int sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
	return 0;
}

int sbuf_puts(struct sbuf *b, const char *s)
{
	return sbuf_add(b, s, strlen(s));
}

int sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fputs("tinyx: out of memory\n", stderr);
		abort();
	}
	sbuf_add(b, s, (size_t)n);
	free(s);
	return 0;
}

int sbuf_json_str(struct sbuf *b, const char *s)
{
	sbuf_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			sbuf_add(b, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			sbuf_add(b, esc, 6);
		} else {
			sbuf_add(b, (const char *)p, 1);
		}
	}
	sbuf_add(b, "\"", 1);
	return 0;
}

void sbuf_free(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

int read_file(const char *path, char **out, size_t *len, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct sbuf b = {0};
	char buf[65536];

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			close(fd);
			sbuf_free(&b);
			return e;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			close(fd);
			sbuf_free(&b);
			return -EFBIG;
		}
		sbuf_add(&b, buf, (size_t)n);
	}
	close(fd);
	if (!b.s)
		b.s = xstrdup("");
	*out = b.s;
	if (len)
		*len = b.len;
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	const char *p = data;
	int err = 0;

	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && fchmodat(AT_FDCWD, tmp, mode, 0) < 0)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			int e = -errno;
			free(p);
			return e;
		}
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST) {
		int e = -errno;
		free(p);
		return e;
	}
	free(p);
	return is_dir(path) ? 0 : -ENOTDIR;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 ? -errno : 0;
}

int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *root_join(const char *root, const char *abs)
{
	size_t rl = strlen(root);

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	while (*abs == '/')
		abs++;
	if (rl == 1 && root[0] == '/')
		return xasprintf("/%s", abs);
	return xasprintf("%.*s/%s", (int)rl, root, abs);
}

char *path_normalize(const char *path)
{
	size_t n = strlen(path);
	char *out = xmalloc(n + 2);
	size_t o = 0;
	const char *p = path;

	out[o++] = '/';
	while (*p) {
		const char *s;
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		s = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - s);
		if (len == 1 && s[0] == '.')
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (o > 1) {
				o--;
				while (o > 1 && out[o - 1] != '/')
					o--;
				if (o > 1)
					o--;
			}
			continue;
		}
		if (o > 1)
			out[o++] = '/';
		memcpy(out + o, s, len);
		o += len;
	}
	out[o] = 0;
	return out;
}

char *path_dirname(const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s)
		return xstrdup(".");
	if (s == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(s - path));
}

const char *path_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int root_realpath(const char *root, const char *path, char **out, struct strv *chain)
{
	char *cur = path_normalize(path);
	int hops = 0;

	/* Walk component by component so that a symlinked directory in the
	 * middle (e.g. /lib -> usr/lib) is followed too. */
	for (;;) {
		char *resolved = NULL;
		size_t i;
		int changed = 0;

		for (i = 1; cur[i - 1];) {
			size_t end = i;
			char *prefix, *host, lnk[PATH_MAX];
			ssize_t ln;
			struct stat st;

			while (cur[end] && cur[end] != '/')
				end++;
			prefix = xstrndup(cur, end);
			host = root_join(root, prefix);
			if (lstat(host, &st) < 0) {
				int e = -errno;
				free(host);
				free(prefix);
				free(cur);
				return e;
			}
			if (S_ISLNK(st.st_mode)) {
				ln = readlink(host, lnk, sizeof(lnk) - 1);
				free(host);
				if (ln < 0 || ++hops > 40) {
					free(prefix);
					free(cur);
					return ln < 0 ? -errno : -ELOOP;
				}
				lnk[ln] = 0;
				if (chain)
					strv_push(chain, prefix);
				char *dir = path_dirname(prefix);
				char *joined = lnk[0] == '/'
						   ? xasprintf("%s%s", lnk, cur + end)
						   : xasprintf("%s/%s%s", dir, lnk, cur + end);
				free(dir);
				free(prefix);
				resolved = path_normalize(joined);
				free(joined);
				changed = 1;
				break;
			}
			free(host);
			free(prefix);
			if (!cur[end])
				break;
			i = end + 1;
		}
		if (!changed) {
			*out = cur;
			return 0;
		}
		free(cur);
		cur = resolved;
	}
}

/* quiet: 1 = stdout (unless outfd) and stderr to /dev/null; 2 = stderr only */
static int spawn(struct tx_ctx *ctx, char *const argv[], int outfd, int quiet, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int err;

	(void)ctx;
	posix_spawn_file_actions_init(&fa);
	if (outfd >= 0)
		posix_spawn_file_actions_adddup2(&fa, outfd, 1);
	else if (quiet == 1)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	err = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return -err;
}

static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

int run_cmd(struct tx_ctx *ctx, char *const argv[], const char *out_path, int quiet)
{
	int fd = -1, err;
	pid_t pid;

	if (out_path) {
		fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
	}
	err = spawn(ctx, argv, fd, quiet, &pid);
	if (fd >= 0)
		close(fd);
	if (err)
		return err;
	return wait_child(pid);
}

int run_capture(struct tx_ctx *ctx, char *const argv[], char **out, size_t max)
{
	return run_capture_q(ctx, argv, out, max, 0);
}

int run_capture_q(struct tx_ctx *ctx, char *const argv[], char **out, size_t max, int quiet)
{
	int p[2], err, st;
	pid_t pid;
	struct sbuf b = {0};
	char buf[8192];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	err = spawn(ctx, argv, p[1], quiet ? 2 : 0, &pid);
	close(p[1]);
	if (err) {
		close(p[0]);
		return err;
	}
	for (;;) {
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (b.len + (size_t)n <= max)
			sbuf_add(&b, buf, (size_t)n);
	}
	close(p[0]);
	st = wait_child(pid);
	*out = b.s ? b.s : xstrdup("");
	return st;
}

/* SHA-256 (FIPS 180-4). */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *s, const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 =
		    h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->blen = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;

	s->len += n;
	while (n) {
		size_t take = 64 - s->blen < n ? 64 - s->blen : n;

		memcpy(s->buf + s->blen, p, take);
		s->blen += take;
		p += take;
		n -= take;
		if (s->blen == 64) {
			sha256_block(s, s->buf);
			s->blen = 0;
		}
	}
}

void sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	unsigned char pad = 0x80, z = 0, lenb[8];

	sha256_update(s, &pad, 1);
	while (s->blen != 56)
		sha256_update(s, &z, 1);
	for (int i = 0; i < 8; i++)
		lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(s, lenb, 8);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

int sha256_file(const char *path, char out[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct sha256 s;
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		return -errno;
	sha256_init(&s);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&s, buf, (size_t)n);
	close(fd);
	if (n < 0)
		return -EIO;
	sha256_hex(&s, out);
	return 0;
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double median_of(double *v, size_t n, size_t *k)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] >= 0)
			v[m++] = v[i];
	if (k)
		*k = m;
	if (!m)
		return -1;
	qsort(v, m, sizeof(*v), cmp_double);
	return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}

int valid_pkg_name(const char *name)
{
	size_t n = strlen(name);

	if (n < 2 || n > 100)
		return 0;
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

void stale_pid_entries(const char *dir, const char *prefix, struct strv *out)
{
	size_t n = strlen(prefix);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, prefix, n))
			continue;
		pid = strtol(de->d_name + n, &end, 10);
		if (pid <= 0 || *end || kill((pid_t)pid, 0) == 0 || errno == EPERM)
			continue;
		strv_push_own(out, xasprintf("%s/%s", dir, de->d_name));
	}
	if (d)
		closedir(d);
}

int lock_path(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = -errno;
			close(fd);
			return e;
		}
	}
	return fd;
}

void umount_below(const char *dir)
{
	char *text = NULL;
	struct strv mnts = {0};
	size_t dl = strlen(dir);

	if (read_file("/proc/self/mounts", &text, NULL, 1 << 22) < 0)
		return;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		char *sp = strchr(l, ' ');
		char *mp = sp ? sp + 1 : NULL;
		char *e = mp ? strchr(mp, ' ') : NULL;

		if (!e)
			continue;
		*e = 0;
		if (!strncmp(mp, dir, dl) && mp[dl] == '/')
			strv_push(&mnts, mp);
	}
	free(text);
	for (size_t i = mnts.n; i-- > 0;)
		umount2(mnts.v[i], MNT_DETACH);
	strv_free(&mnts);
}

/* Fixed storage: the signal handler must not chase pointers into the heap
 * that the interrupted code may be changing. */
static char tx_tmp[TX_TMP_MAX][PATH_MAX];

void tx_tmp_register(const char *path)
{
	for (int i = 0; i < TX_TMP_MAX; i++) {
		if (!tx_tmp[i][0]) {
			snprintf(tx_tmp[i], PATH_MAX, "%s", path);
			return;
		}
	}
}

void tx_tmp_release(const char *path)
{
	for (int i = 0; i < TX_TMP_MAX; i++)
		if (!strcmp(tx_tmp[i], path))
			tx_tmp[i][0] = 0;
}

void tx_tmp_cleanup(void)
{
	for (int i = 0; i < TX_TMP_MAX; i++) {
		if (tx_tmp[i][0]) {
			umount_below(tx_tmp[i]);
			rm_rf(tx_tmp[i]);
			tx_tmp[i][0] = 0;
		}
	}
}
