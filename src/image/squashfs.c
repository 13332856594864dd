/* squashfs image writer: the whole tree from mksquashfs pseudo definitions
 * (squashfs-tools 4.5 cannot modify a dir and then its children, so nothing
 * comes from a source tree but the files' bytes). */
#include "image/squashfs.h"
#include "image/cpio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A path mksquashfs can read back from a quoted pseudo definition. */
static int sayable(const char *p, int quoted)
{
	if (!quoted && (*p == ' ' || *p == '\t' || !*p))
		return 0;
	for (; *p; p++)
		if ((quoted && (*p == '"' || *p == '\\')) || (unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* The pseudo definition of e ("PATH T TIME MODE UID GID ..."), its bytes
 * copied to STG/d/I for a file, which mksquashfs reads by running
 * `cat 'STG/d/I'` with sh (squashfs_write checks STG has no quote). */
static int define(struct tx_ctx *ctx, const struct manifest *m, const struct ment *e,
		  const char *stg, size_t i, long long epoch, struct sbuf *pf)
{
	char *data, *src;
	int r;

	if (!sayable(e->path, 1) || (e->type == ME_SLINK && !sayable(e->target, 0)))
		return tx_fail(ctx, -EINVAL, "rootfs", "path '%s' cannot go in squashfs", e->path);
	sbuf_printf(pf, "\"%s\" ", e->path);
	switch (e->type) {
	case ME_DIR:
		sbuf_printf(pf, "D %lld %o %u %u\n", epoch, e->mode & 07777, e->uid, e->gid);
		return 0;
	case ME_SLINK:
		sbuf_printf(pf, "S %lld 0777 %u %u %s\n", epoch, e->uid, e->gid, e->target);
		return 0;
	case ME_NOD:
		sbuf_printf(pf, "%c %lld %o %u %u %u %u\n", e->devtype == 'b' ? 'B' : 'C', epoch,
			    e->mode & 07777, e->uid, e->gid, e->major, e->minor);
		return 0;
	default:
		break;
	}
	data = xasprintf("%s/d/%zu", stg, i);
	src = e->src ? xstrdup(e->src) : root_join(m->root ? m->root : "/", e->path);
	r = copy_file(src, data, 0644);
	if (r < 0)
		r = tx_fail(ctx, r, "rootfs", "cannot copy '%s' to '%s': %s", src, data,
			    strerror(-r));
	else
		sbuf_printf(pf, "F %lld %o %u %u cat '%s'\n", epoch, e->mode & 07777, e->uid,
			    e->gid, data);
	free(src);
	free(data);
	return r;
}

/* zstd -19, 128 KB blocks: see squashfs.h; every time comes from the pseudo
 * definitions and -all-time; the root dir is 0755 root's */
static const char *const opts[] = {"-noappend", "-comp",      "zstd",	"-Xcompression-level",
				   "19",	"-b",	      "128K",	"-root-mode",
				   "0755",	"-root-uid",  "0",	"-root-gid",
				   "0",		"-no-xattrs", "-quiet", "-no-progress"};

void squashfs_recipe(struct sbuf *s)
{
	sbuf_printf(s, "mksquashfs -pf;");
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		sbuf_printf(s, " %s", opts[i]);
	sbuf_printf(s, "\n");
}

static int mksquashfs(struct tx_ctx *ctx, const char *stg, const char *pf, const char *img,
		      long long epoch)
{
	char t[24], *empty = xasprintf("%s/empty", stg), *log = xasprintf("%s.log", img);
	char *argv[40] = {"mksquashfs", empty, (char *)img,  "-pf", (char *)pf,
			  "-all-time",	t,     "-mkfs-time", t};
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	size_t n = 9;
	char *text = NULL;
	int r;

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		argv[n++] = (char *)opts[i];
	snprintf(t, sizeof(t), "%lld", epoch);
	r = tx_run_lines(ctx, &s, log, NULL, NULL);
	if (r != 0) {
		read_file(log, &text, NULL, 4096);
		r = tx_fail(ctx, r < 0 ? r : -EIO, "rootfs",
			    "mksquashfs failed on '%s' (status %d): %s", img, r, text ? text : "");
	}
	unlink(log);
	free(text);
	free(log);
	free(empty);
	return r;
}

int squashfs_write(struct tx_ctx *ctx, const struct manifest *m, const char *stg,
		   const char *out_path, long long epoch)
{
	const struct ment **v = NULL;
	struct sbuf pf = {0};
	char *tmp = xasprintf("%s.tmp", out_path), *pfile = xasprintf("%s/pseudo", stg);
	char *empty = xasprintf("%s/empty", stg), *data = xasprintf("%s/d", stg);
	size_t n = 0;
	int r = cpio_sorted_entries(ctx, m, &v, &n);

	if (epoch < 0 || epoch > 0xffffffffll)
		epoch = 0; /* squashfs times are unsigned 32-bit */
	if (!r && (!sayable(stg, 0) || strchr(stg, '\'')))
		r = tx_fail(ctx, -EINVAL, "rootfs", "a work dir mksquashfs cannot name '%s'", stg);
	rm_rf(stg); /* ours: a stale one from an interrupted run goes */
	if (!r && (mkdir(stg, 0700) < 0 || mkdir(empty, 0755) < 0 || mkdir(data, 0700) < 0))
		r = tx_fail(ctx, -errno, "rootfs", "cannot create '%s': %s", stg, strerror(errno));
	for (size_t i = 0; i < n && !r; i++)
		r = define(ctx, m, v[i], stg, i, epoch, &pf);
	if (!r)
		r = write_file_atomic(pfile, pf.s ? pf.s : "", pf.len, 0600);
	if (!r)
		r = mksquashfs(ctx, stg, pfile, tmp, epoch);
	if (!r && rename(tmp, out_path) < 0)
		r = tx_fail(ctx, -errno, "rootfs", "cannot rename to '%s': %s", out_path,
			    strerror(errno));
	if (r)
		unlink(tmp);
	rm_rf(stg);
	sbuf_free(&pf);
	free(v);
	free(tmp);
	free(pfile);
	free(empty);
	free(data);
	return r;
}
