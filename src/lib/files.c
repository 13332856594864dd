#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int read_file(const char *path, char **out, size_t *len, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	struct sbuf b = {0};
	char buf[65536];

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || b.len + (size_t)n > max)
			r = n < 0 ? -errno : -EFBIG;
		if (n <= 0 || r < 0)
			break;
		sbuf_add(&b, buf, (size_t)n);
	}
	close(fd);
	if (r < 0) {
		sbuf_free(&b);
		return r;
	}
	*out = b.s ? b.s : xstrdup("");
	if (len)
		*len = b.len;
	return 0;
}

/* Write all of len bytes; a write that makes no progress is -EIO. */
static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int err = fd < 0 ? -errno : write_all(fd, data, len);

	if (fd >= 0 && close(fd) < 0 && !err)
		err = -errno;
	if (!err && fchmodat(AT_FDCWD, tmp, mode, 0) < 0)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err && fd >= 0)
		unlink(tmp);
	free(tmp);
	return err;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int r = 0;

	/* each prefix ending before a '/', then the whole path */
	for (char *s = p + 1; r == 0; s++) {
		char ch = *s;

		if (ch && ch != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			r = -errno;
		*s = ch;
		if (!ch)
			break;
	}
	free(p);
	if (r < 0)
		return r;
	return is_dir(path) ? 0 : -ENOTDIR;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	(void)flag;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0; /* rmdir for a dir */
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
	char *copy = xstrdup(path), *save = NULL, *out = xmalloc(strlen(path) + 2);
	size_t o = 0;

	for (char *s = strtok_r(copy, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (!strcmp(s, ".."))
			while (o > 0 && out[--o] != '/')
				;
		else if (strcmp(s, "."))
			o += (size_t)sprintf(out + o, "/%s", s);
	}
	if (!o)
		out[o++] = '/';
	out[o] = 0;
	free(copy);
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

/* 1 when the in-root path is a symlink (its target in lnk), 0 when it is
 * something else, or -errno. */
static int read_link_in(const char *root, const char *path, char lnk[PATH_MAX])
{
	char *host = root_join(root, path);
	struct stat st;
	ssize_t n;
	int r = lstat(host, &st) < 0 ? -errno : 0;

	if (r == 0 && S_ISLNK(st.st_mode)) {
		n = readlink(host, lnk, PATH_MAX - 1);
		r = n < 0 ? -errno : 1;
		lnk[n < 0 ? 0 : n] = 0;
	}
	free(host);
	return r;
}

int root_realpath(const char *root, const char *path, char **out, struct strv *chain)
{
	char *cur = path_normalize(path), lnk[PATH_MAX];
	size_t end = 0;
	int hops = 0, r;

	/* Walk component by component so that a symlinked directory in the
	 * middle (e.g. /lib -> usr/lib) is followed too. */
	do {
		char *prefix, *dir, *joined;

		end += 1 + strcspn(cur + end + 1, "/");
		prefix = xstrndup(cur, end);
		r = read_link_in(root, prefix, lnk);
		if (r == 1 && ++hops > 40)
			r = -ELOOP;
		if (r == 1) {
			if (chain)
				strv_push(chain, prefix);
			dir = path_dirname(prefix);
			joined = lnk[0] == '/' ? xasprintf("%s%s", lnk, cur + end)
					       : xasprintf("%s/%s%s", dir, lnk, cur + end);
			free(cur);
			cur = path_normalize(joined);
			end = 0;
			free(joined);
			free(dir);
		}
		free(prefix);
	} while (r >= 0 && cur[end]);
	if (r < 0) {
		free(cur);
		return r;
	}
	*out = cur;
	return 0;
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
		char *p = xasprintf("%s/%s", dir, de->d_name);

		if (out) {
			strv_push_own(out, p);
			continue;
		}
		umount_below(p);
		rm_rf(p);
		free(p);
	}
	if (d)
		closedir(d);
}

int lock_path(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644), e;

	while (fd >= 0 && flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			e = -errno;
			close(fd);
			return e;
		}
	return fd < 0 ? -errno : fd;
}

void umount_below(const char *dir)
{
	/* /proc/self/mounts names the real path: a cache dir reached through
	 * a symlink ($TINYX_CACHE, or a dir in it) must match too */
	char *text = NULL, *real = realpath(dir, NULL);
	struct strv mnts = {0};
	size_t dl;

	if (real)
		dir = real;
	dl = strlen(dir);
	if (read_file("/proc/self/mounts", &text, NULL, 1 << 22) < 0) {
		free(real);
		return;
	}
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
	free(real);
}

long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 || !S_ISREG(st.st_mode) ? -1 : (long long)st.st_size;
}

long long file_size_at(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	long long n = file_size(p);

	free(p);
	return n;
}

/* Copy in chunks; ENOSPC from write() is reported as such, any other short
 * write as EIO (a pipe or a device that took less than asked). */
static int copy_fd(int in, int out)
{
	char buf[1 << 16];
	int r = 0;

	while (r == 0) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		r = write_all(out, buf, (size_t)n);
	}
	return r;
}

int copy_file(const char *src, const char *dst, mode_t mode)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out, r;
	struct stat st;

	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(in);
		return -EINVAL;
	}
	/* never through a link: the target dirs are ours, a link there is not */
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	r = out < 0 ? -errno : copy_fd(in, out);
	close(in);
	if (out >= 0 && close(out) < 0 && r == 0)
		r = -errno;
	if (r == 0 && fchmodat(AT_FDCWD, dst, mode, 0) < 0)
		r = -errno;
	return r;
}
