/* --overlay DIR: a read-only overlayfs of the operator's dirs over the
 * staged root (see overlay.h). A mount and not a copy: the staged root is
 * a cache entry shared by every build of its package set, and a copy of it
 * costs seconds where the mount costs nothing. */
#include "stage/overlay.h"
#include "formats/manifest.h"
#include "image/rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE "overlay"

static int check_dir(struct tx_ctx *ctx, const char *host, const char *path, int depth);

/* One entry: host path h, at in-root path p. */
static int check_entry(struct tx_ctx *ctx, const char *h, const char *p, int depth)
{
	struct stat st;
	char lnk[4096];
	ssize_t n;
	int fd;

	if (lstat(h, &st) < 0)
		return tx_fail(ctx, -errno, STAGE, "cannot read overlay entry '%s'", h);
	if (S_ISDIR(st.st_mode))
		return check_dir(ctx, h, p, depth + 1);
	if (S_ISREG(st.st_mode)) {
		fd = open(h, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return tx_fail(ctx, -errno, STAGE, "cannot read overlay file '%s'", h);
		close(fd);
		return 0;
	}
	if (!S_ISLNK(st.st_mode))
		return tx_fail(ctx, -EPERM, STAGE,
			       "overlay entry '%s' is a device, fifo or socket (only files, dirs "
			       "and symlinks are taken)",
			       h);
	n = readlink(h, lnk, sizeof(lnk) - 1);
	if (n < 0)
		return tx_fail(ctx, -errno, STAGE, "cannot read overlay symlink '%s'", h);
	lnk[n] = 0;
	if (!rootfs_link_inside(p, lnk))
		return tx_fail(ctx, -EPERM, STAGE, "overlay symlink '%s' -> '%s' %s", h, lnk,
			       lnk[0] == '/' ? "is absolute (use a relative target)"
					     : "points outside the root");
	return 0;
}

static int check_dir(struct tx_ctx *ctx, const char *host, const char *path, int depth)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 64)
		return tx_fail(ctx, -ELOOP, STAGE, "overlay dir '%s' is nested too deep", host);
	d = opendir(host);
	if (!d)
		return tx_fail(ctx, -errno, STAGE, "cannot read overlay dir '%s'", host);
	while (r == 0 && (de = readdir(d))) {
		char *h, *p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		h = xasprintf("%s/%s", host, de->d_name);
		p = xasprintf("%s/%s", strcmp(path, "/") ? path : "", de->d_name);
		r = check_entry(ctx, h, p, depth);
		free(h);
		free(p);
	}
	closedir(d);
	return r;
}

int overlay_check(struct tx_ctx *ctx, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return tx_fail(ctx, -ENOENT, STAGE, "no overlay dir '%s'", dir);
	return check_dir(ctx, dir, "/", 0);
}

int overlay_mount(struct tx_ctx *ctx, const char *root, const char *const *dirs, int n,
		  char **merged)
{
	struct sbuf opt = {0};
	char tmpl[] = "/tmp/tinyx-overlay.XXXXXX";
	int r = 0;

	*merged = NULL;
	if (n <= 0)
		return 0;
	if (n > OVERLAY_MAX)
		return tx_fail(ctx, -E2BIG, STAGE, "at most %d overlays", OVERLAY_MAX);
	sbuf_puts(&opt, "lowerdir=");
	for (int i = n - 1; r == 0 && i >= 0; i--) {
		char *abs = realpath(dirs[i], NULL);

		r = overlay_check(ctx, dirs[i]);
		if (r == 0 && (!abs || strpbrk(abs, ":,\\")))
			r = tx_fail(ctx, -EINVAL, STAGE,
				    "overlay dir '%s' has ':', ',' or '\\' in its path", dirs[i]);
		if (r == 0)
			sbuf_printf(&opt, "%s:", abs);
		free(abs);
	}
	if (r == 0 && strpbrk(root, ":,\\"))
		r = tx_fail(ctx, -EINVAL, STAGE, "root '%s' has ':', ',' or '\\' in its path",
			    root);
	if (r == 0 && !mkdtemp(tmpl))
		r = tx_fail(ctx, -errno, STAGE, "cannot create a temp dir for the overlays");
	if (r == 0) {
		/* the mount goes below the registered dir: a stop signal's cleanup
		 * unmounts what is below a temp dir, then removes it */
		char *mnt = xasprintf("%s/root", tmpl);

		tx_tmp_register(tmpl);
		sbuf_puts(&opt, root);
		if (mkdir(mnt, 0755) < 0 ||
		    mount("overlay", mnt, "overlay", MS_RDONLY, opt.s) < 0) {
			r = tx_fail(
			    ctx, -errno, STAGE,
			    "cannot mount the overlays over '%s' (%s; overlayfs needs root)", root,
			    strerror(errno));
			rm_rf(tmpl);
			tx_tmp_release(tmpl);
			free(mnt);
		} else {
			*merged = mnt;
		}
	}
	sbuf_free(&opt);
	return r;
}

void overlay_umount(char *merged)
{
	char *slash = merged ? strrchr(merged, '/') : NULL;

	if (!slash)
		return;
	if (umount2(merged, MNT_DETACH) == 0) {
		rmdir(merged);
		*slash = 0;
		rmdir(merged);
		tx_tmp_release(merged);
	}
	free(merged);
}

void overlay_owners(struct manifest *m, const char *staged)
{
	for (size_t i = 0; i < m->n; i++) {
		struct ment *e = &m->e[i];
		char *p;
		struct stat st;
		int found;

		if (e->type != ME_FILE && e->type != ME_DIR && e->type != ME_SLINK)
			continue;
		p = xasprintf("%s%s", staged, e->path);
		found = lstat(p, &st) == 0;
		e->uid = found ? st.st_uid : 0;
		e->gid = found ? st.st_gid : 0;
		if (found && e->type == ME_DIR && S_ISDIR(st.st_mode))
			e->mode = st.st_mode & 07777;
		free(p);
	}
}
