/* newc cpio writer (the format of the kernel's initramfs, see
 * Documentation/driver-api/early-userspace/buffer-format.rst). */
#include "image/cpio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Single-threaded and without names or times in the headers, so that the same
 * input gives the same bytes. lz4 -l: the kernel reads only the legacy frame.
 * xz: the kernel's decoder knows CRC32 only; a 1 MiB dictionary is what the
 * kernel's own usr/Makefile uses and bounds the guest's decoder memory. */
static const char *const compressors[][7] = {
    {"zstd", "-q", "-19", "--single-thread", "-c"},
    {"lz4", "-q", "-l", "-9", "-c"},
    {"xz", "-q", "--check=crc32", "--lzma2=dict=1MiB", "--threads=1", "-c"},
    {"gzip", "-n", "-9", "-c"},
};

int cpio_check_path(const char *path)
{
	const char *p = path;

	if (p[0] != '/')
		return -EINVAL;
	if (!p[1])
		return 0;
	while (*p) {
		const char *s = ++p;

		while (*p && *p != '/') {
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return -EINVAL;
			p++;
		}
		if (p == s || (p - s == 1 && s[0] == '.') ||
		    (p - s == 2 && s[0] == '.' && s[1] == '.'))
			return -EINVAL;
	}
	return 0;
}

static int cmp_ment(const void *a, const void *b)
{
	return strcmp((*(const struct ment *const *)a)->path,
		      (*(const struct ment *const *)b)->path);
}

int cpio_sorted_entries(struct tx_ctx *ctx, const struct manifest *m, const struct ment ***out,
			size_t *n)
{
	const struct ment **v = xcalloc(m->n ? m->n : 1, sizeof(*v));
	size_t k = 0;
	int err = 0;

	for (size_t i = 0; i < m->n && !err; i++) {
		const struct ment *e = &m->e[i];

		if (e->type == ME_USER || e->type == ME_GROUP)
			continue;
		if (!e->path || cpio_check_path(e->path))
			err = tx_fail(ctx, -EINVAL, "rootfs", "bad path '%s' in the manifest",
				      e->path ? e->path : "");
		else if (!strcmp(e->path, "/TRAILER!!!"))
			err = tx_fail(ctx, -EINVAL, "rootfs",
				      "path '%s' would end the cpio archive early", e->path);
		else if (e->type == ME_SLINK && (!e->target || !e->target[0]))
			err =
			    tx_fail(ctx, -EINVAL, "rootfs", "symlink '%s' has no target", e->path);
		else if (e->type == ME_NOD && e->devtype != 'c' && e->devtype != 'b')
			err = tx_fail(ctx, -EINVAL, "rootfs", "device '%s' is neither c nor b",
				      e->path);
		else if (strcmp(e->path, "/")) /* the root exists already */
			v[k++] = e;
	}
	if (!err)
		qsort(v, k, sizeof(*v), cmp_ment);
	for (size_t i = 1; !err && i < k; i++)
		if (!strcmp(v[i]->path, v[i - 1]->path))
			err = tx_fail(ctx, -EINVAL, "rootfs", "path '%s' is twice in the manifest",
				      v[i]->path);
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*n = k;
	return 0;
}

struct writer {
	FILE *f;
	unsigned long long off;
	unsigned ino;
	unsigned mtime;
};

static int put(struct writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		return -EIO;
	w->off += n;
	return 0;
}

static int pad4(struct writer *w)
{
	static const char z[4];

	return put(w, z, (size_t)((4 - w->off % 4) % 4));
}

static int header(struct writer *w, const char *name, unsigned mode, unsigned uid, unsigned gid,
		  unsigned nlink, unsigned long long size, unsigned rmaj, unsigned rmin)
{
	char h[128];
	size_t nl = strlen(name) + 1;
	int trailer = !strcmp(name, "TRAILER!!!");

	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 trailer ? 0 : ++w->ino, mode, uid, gid, nlink, trailer ? 0 : w->mtime,
		 (unsigned)size, 0u, 0u, rmaj, rmin, (unsigned)nl, 0u);
	if (put(w, h, 110) || put(w, name, nl) || pad4(w))
		return -EIO;
	return 0;
}

static int write_body(struct tx_ctx *ctx, struct writer *w, const struct manifest *m,
		      const struct ment *e, const char *name)
{
	char *host = e->src ? xstrdup(e->src) : root_join(m->root ? m->root : "/", e->path);
	int fd = open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), err = fd < 0 ? -errno : 0;
	struct stat st;
	unsigned long long left = 0;
	char buf[65536];

	if (!err && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)))
		err = -EINVAL;
	if (err)
		err = tx_fail(ctx, err, "rootfs", "cannot read file '%s' for '%s'%s", host, e->path,
			      err == -EINVAL || err == -ELOOP ? ": not a regular file" : "");
	else if ((left = (unsigned long long)st.st_size) > 0xffffffffull)
		err = tx_fail(ctx, -EFBIG, "rootfs", "file '%s' is too big for cpio", e->path);
	else
		err = header(w, name, S_IFREG | (e->mode & 07777), e->uid, e->gid, 1, left, 0, 0);
	while (!err && left) {
		ssize_t n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = tx_fail(ctx, n < 0 ? -errno : -EIO, "rootfs",
				      "cannot read file '%s' (did it change?)", host);
			break;
		}
		err = put(w, buf, (size_t)n);
		left -= (unsigned long long)n;
	}
	if (!err)
		err = pad4(w);
	if (fd >= 0)
		close(fd);
	free(host);
	return err;
}

static int write_entry(struct tx_ctx *ctx, struct writer *w, const struct manifest *m,
		       const struct ment *e)
{
	const char *name = e->path + 1;
	unsigned perm = e->mode & 07777;
	size_t tl;

	switch (e->type) {
	case ME_DIR:
		return header(w, name, S_IFDIR | perm, e->uid, e->gid, 2, 0, 0, 0);
	case ME_FILE:
		return write_body(ctx, w, m, e, name);
	case ME_SLINK:
		tl = strlen(e->target);
		if (header(w, name, S_IFLNK | 0777, e->uid, e->gid, 1, tl, 0, 0) ||
		    put(w, e->target, tl) || pad4(w))
			return -EIO;
		return 0;
	case ME_NOD:
		return header(w, name, (e->devtype == 'c' ? S_IFCHR : S_IFBLK) | perm, e->uid,
			      e->gid, 1, 0, e->major, e->minor);
	default:
		return 0;
	}
}

/* A failed write: say why (a full disk is the usual reason). */
static int write_failed(struct tx_ctx *ctx, const char *path)
{
	int e = errno ? errno : EIO;

	return tx_fail(ctx, -e, "rootfs", "cannot write '%s': %s", path, strerror(e));
}

static int write_archive(struct tx_ctx *ctx, const struct manifest *m, const char *path,
			 long long epoch)
{
	struct writer w = {0};
	const struct ment **v;
	size_t n;
	int err = cpio_sorted_entries(ctx, m, &v, &n);

	if (err)
		return err;
	w.mtime = epoch < 0 ? 0 : epoch > 0xffffffffll ? 0xffffffffu : (unsigned)epoch;
	w.f = fopen(path, "wbe");
	if (!w.f)
		err = write_failed(ctx, path);
	else
		setvbuf(w.f, NULL, _IOFBF, 1 << 20);
	for (size_t i = 0; i < n && !err; i++) {
		err = write_entry(ctx, &w, m, v[i]);
		if (err == -EIO)
			err = write_failed(ctx, path);
	}
	if (!err && header(&w, "TRAILER!!!", 0, 0, 0, 1, 0, 0, 0))
		err = write_failed(ctx, path);
	if (w.f && fclose(w.f) != 0 && !err)
		err = write_failed(ctx, path);
	free(v);
	return err;
}

static const char *const *compressor_argv(const char *name)
{
	for (size_t i = 0; i < sizeof(compressors) / sizeof(*compressors); i++)
		if (!strcmp(name, compressors[i][0]))
			return compressors[i];
	return NULL;
}

void cpio_recipe(const char *compressor, struct sbuf *s)
{
	const char *const *c = compressor_argv(compressor);

	sbuf_printf(s, "cpio newc;");
	for (size_t k = 0; c && c[k]; k++)
		sbuf_printf(s, " %s", c[k]);
	sbuf_printf(s, "\n");
}

int cpio_compress(struct tx_ctx *ctx, const char *raw, const char *out_path, const char *compressor)
{
	const char *const *c = compressor_argv(compressor);
	char *tmp = xasprintf("%s.tmp", out_path);
	char *argv[8] = {0};
	size_t k = 0;
	int err = 0;

	if (!c && strcmp(compressor, "none"))
		err = tx_fail(ctx, -EINVAL, "rootfs",
			      "unknown compressor '%s' (zstd, lz4, xz, gzip or none)", compressor);
	for (; c && c[k]; k++)
		argv[k] = (char *)c[k];
	argv[k] = (char *)raw;
	if (!err && c && (err = run_cmd(ctx, argv, tmp, 1)))
		err =
		    tx_fail(ctx, err < 0 ? err : -EIO, "rootfs",
			    "cannot compress the initramfs with '%s' (status %d); maybe install %s",
			    compressor, err, compressor);
	if (!err && !c && (err = copy_file(raw, tmp, 0644)) < 0)
		err = tx_fail(ctx, err, "rootfs", "cannot copy '%s' to '%s': %s", raw, tmp,
			      strerror(-err));
	if (!err && rename(tmp, out_path) < 0)
		err = tx_fail(ctx, -errno, "rootfs", "cannot rename to '%s': %s", out_path,
			      strerror(errno));
	unlink(tmp);
	free(tmp);
	return err;
}

int cpio_write(struct tx_ctx *ctx, const struct manifest *m, const char *out_path,
	       const char *compressor, long long epoch)
{
	char *raw = xasprintf("%s.tmp-cpio", out_path);
	int err = 0;

	if (!compressor_argv(compressor) && strcmp(compressor, "none"))
		err = tx_fail(ctx, -EINVAL, "rootfs",
			      "unknown compressor '%s' (zstd, lz4, xz, gzip or none)", compressor);
	if (!err)
		err = write_archive(ctx, m, raw, epoch);
	if (!err)
		err = cpio_compress(ctx, raw, out_path, compressor);
	unlink(raw);
	free(raw);
	return err;
}
