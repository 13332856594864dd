/* ext4 image writer: mke2fs -d on a staging tree, then debugfs for what an
 * unprivileged user cannot put in the tree (owners, device nodes, times). */
#include "image/ext4.h"
#include "image/cpio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK 4096ll

/* A line of debugfs's output other than its echo of a command: it reports
 * failed commands there but exits 0. The first one is kept in *arg. */
static void debugfs_line(void *arg, const char *l)
{
	char **bad = arg;

	if (!*bad && *l && strncmp(l, "debugfs ", 8) && strncmp(l, "debugfs: ", 9) &&
	    strncmp(l, "Allocated inode", 15))
		*bad = xstrdup(l);
}

/* Run the e2fsprogs tool argv (no shell) with E2FSPROGS_FAKE_TIME=epoch, its
 * stdout and stderr in IMG.log: the tools say what went wrong on stderr. */
static int run_tool(struct tx_ctx *ctx, char *const *tool, const char *img, long long epoch,
		    const char *what)
{
	char fake[64], *argv[32] = {"env", fake}, *log = xasprintf("%s.log", img);
	char *text = NULL, *bad = NULL;
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	int dbg = !strcmp(tool[0], "debugfs"), r;

	snprintf(fake, sizeof(fake), "E2FSPROGS_FAKE_TIME=%lld", epoch);
	for (size_t n = 2; *tool && n < 31; n++)
		argv[n] = *tool++;
	r = tx_run_lines(ctx, &s, log, dbg ? debugfs_line : NULL, &bad);
	if (r != 0)
		read_file(log, &text, NULL, 4096);
	unlink(log);
	free(log);
	if (r == 0 && bad)
		r = tx_fail(ctx, -EIO, "rootfs", "debugfs on '%s': %s", img, bad);
	else if (r != 0)
		r = tx_fail(ctx, r < 0 ? r : -EIO, "rootfs", "%s failed on '%s' (status %d): %s",
			    what, img, r, text ? text : "");
	free(text);
	free(bad);
	return r;
}

/* debugfs reads its arguments with ss_parse: double quotes keep blanks, and a
 * path with a quote or a control character cannot be said at all. */
static int quotable(const char *p)
{
	for (; *p; p++)
		if (*p == '"' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static void set_meta(struct sbuf *cmd, const char *path, unsigned type_mode, unsigned uid,
		     unsigned gid, long long epoch)
{
	static const char *const times[] = {"atime", "mtime", "ctime", "crtime"};

	sbuf_printf(cmd, "sif \"%s\" mode 0%o\nsif \"%s\" uid %u\nsif \"%s\" gid %u\n", path,
		    type_mode, path, uid, path, gid);
	for (size_t i = 0; i < 4; i++)
		sbuf_printf(cmd, "sif \"%s\" %s @%lld\nsif \"%s\" %s_extra 0\n", path, times[i],
			    epoch, path, times[i]);
}

/* Build the staging tree and the debugfs commands; sum the space used. */
static int stage_tree(struct tx_ctx *ctx, const struct manifest *m, const char *stg,
		      const struct ment **v, size_t n, long long epoch, struct sbuf *cmd,
		      long long *blocks)
{
	static const unsigned ifmt[] = {
	    [ME_DIR] = S_IFDIR, [ME_FILE] = S_IFREG, [ME_SLINK] = S_IFLNK, [ME_NOD] = S_IFCHR};
	int err = 0;

	set_meta(cmd, "/", S_IFDIR | 0755, 0, 0, epoch);
	set_meta(cmd, "/lost+found", S_IFDIR | 0700, 0, 0, epoch);
	for (size_t i = 0; i < n && !err; i++) {
		const struct ment *e = v[i];
		char *host = root_join(stg, e->path), *src, *dir;
		unsigned type = e->type == ME_NOD && e->devtype == 'b' ? S_IFBLK : ifmt[e->type];
		long long size;

		if (!quotable(e->path)) {
			err =
			    tx_fail(ctx, -EINVAL, "rootfs", "path '%s' cannot go in ext4", e->path);
		} else if (e->type == ME_DIR && mkdir(host, 0755) < 0 && errno != EEXIST) {
			err = tx_fail(ctx, -errno, "rootfs", "cannot create '%s': %s", host,
				      strerror(errno));
		} else if (e->type == ME_SLINK && symlink(e->target, host) < 0) {
			err = tx_fail(ctx, -errno, "rootfs", "cannot make symlink '%s'", e->path);
		} else if (e->type == ME_FILE) {
			src =
			    e->src ? xstrdup(e->src) : root_join(m->root ? m->root : "/", e->path);
			err = copy_file(src, host, 0644);
			if (err < 0)
				err = tx_fail(ctx, err, "rootfs", "cannot copy '%s' to '%s': %s",
					      src, host, strerror(-err));
			size = err ? 0 : file_size(host);
			free(src);
			/* data plus extent blocks for big files */
			*blocks += (size + BLOCK - 1) / BLOCK + size / (BLOCK * 340 * 32768);
		} else if (e->type == ME_NOD) {
			dir = path_dirname(e->path);
			sbuf_printf(cmd, "cd \"%s\"\nmknod \"%s\" %c %u %u\ncd /\n", dir,
				    path_basename(e->path), e->devtype, e->major, e->minor);
			free(dir);
		}
		*blocks += e->type != ME_NOD; /* and one per dir, file and symlink */
		free(host);
		if (!err)
			set_meta(cmd, e->path,
				 type | (e->type == ME_SLINK ? 0777 : e->mode & 07777), e->uid,
				 e->gid, epoch);
	}
	return err;
}

/* Every parent of an entry must be a dir of the manifest: the staging tree is
 * then made of our own dirs only, and nothing is written through a symlink. */
static int check_parents(struct tx_ctx *ctx, const struct manifest *m, const struct ment **v,
			 size_t n)
{
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		char *dir = path_dirname(v[i]->path);
		const struct ment *p = manifest_find((struct manifest *)m, ME_DIR, dir);

		if (strcmp(dir, "/") && (!p || p->type != ME_DIR))
			err =
			    tx_fail(ctx, -EINVAL, "rootfs", "the parent of '%s' is %s", v[i]->path,
				    p ? "not a dir in the manifest" : "not in the manifest");
		free(dir);
	}
	return err;
}

static void content_uuid(const struct ment **v, size_t n, long long epoch, char out[37])
{
	struct sha256 s;
	char hex[65];

	sha256_init(&s);
	for (size_t i = 0; i < n; i++) {
		char line[64];

		sha256_update(&s, v[i]->path, strlen(v[i]->path) + 1);
		snprintf(line, sizeof(line), "%d %o %u %u %lld", (int)v[i]->type, v[i]->mode,
			 v[i]->uid, v[i]->gid, v[i]->size);
		sha256_update(&s, line, strlen(line) + 1);
	}
	sha256_update(&s, &epoch, sizeof(epoch));
	sha256_hex(&s, hex);
	/* a version 4 / variant 1 shaped UUID */
	snprintf(out, 37, "%.8s-%.4s-4%.3s-8%.3s-%.12s", hex, hex + 8, hex + 13, hex + 17,
		 hex + 20);
}

static int mkfs(struct tx_ctx *ctx, const char *stg, const char *img, long long blocks,
		size_t inodes, const char *uuid, long long epoch)
{
	char nino[32], ext[128];
	char *argv[] = {"mke2fs", "-q", "-F",		"-t",	     "ext4",	   "-b",
			"4096",	  "-I", "256",		"-N",	     nino,	   "-m",
			"0",	  "-O", "^has_journal", "-U",	     (char *)uuid, "-E",
			ext,	  "-d", (char *)stg,	(char *)img, NULL};
	int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r;

	snprintf(nino, sizeof(nino), "%zu", inodes);
	snprintf(ext, sizeof(ext), "hash_seed=%s,root_owner=0:0,lazy_itable_init=0,nodiscard",
		 uuid);
	if (fd < 0 || ftruncate(fd, blocks * BLOCK) < 0) {
		r = tx_fail(ctx, -errno, "rootfs", "cannot create '%s': %s", img, strerror(errno));
		if (fd >= 0)
			close(fd);
		return r;
	}
	close(fd);
	return run_tool(ctx, argv, img, epoch, "mke2fs");
}

int ext4_write(struct tx_ctx *ctx, const struct manifest *m, const char *stg, const char *out_path,
	       long long epoch)
{
	const struct ment **v = NULL;
	struct sbuf cmd = {0};
	char uuid[37], *tmp = xasprintf("%s.tmp", out_path);
	char *cmdfile = xasprintf("%s.debugfs", out_path);
	long long blocks = 0;
	size_t n = 0;
	int r = cpio_sorted_entries(ctx, m, &v, &n);

	if (!r)
		r = check_parents(ctx, m, v, n);
	rm_rf(stg); /* ours: a stale one from an interrupted run goes */
	if (!r && mkdir(stg, 0755) < 0)
		r = tx_fail(ctx, -errno, "rootfs", "cannot create '%s': %s", stg, strerror(errno));
	if (!r)
		r = stage_tree(ctx, m, stg, v, n, epoch, &cmd, &blocks);
	if (!r)
		r = write_file_atomic(cmdfile, cmd.s ? cmd.s : "", cmd.len, 0600);
	content_uuid(v, n, epoch, uuid);
	/* content, inode tables (256 B each), group metadata, 20% and 1 MiB slack */
	blocks = (blocks + (long long)(n + 64) * 256 / BLOCK) * 6 / 5 + 256 + 64;
	/* three tries: when the estimate was short, grow and retry */
	for (int tries = 0;
	     !r && (r = mkfs(ctx, stg, tmp, blocks, n + 64, uuid, epoch)) && tries < 2; tries++) {
		r = 0;
		blocks = blocks * 3 / 2;
	}
	if (!r)
		r = run_tool(ctx, (char *[]){"debugfs", "-w", "-f", cmdfile, tmp, NULL}, tmp, epoch,
			     "debugfs");
	if (!r)
		r = run_tool(ctx, (char *[]){"e2fsck", "-fn", tmp, NULL}, tmp, epoch, "e2fsck -fn");
	if (!r && rename(tmp, out_path) < 0)
		r = tx_fail(ctx, -errno, "rootfs", "cannot rename to '%s': %s", out_path,
			    strerror(errno));
	if (r)
		unlink(tmp);
	unlink(cmdfile);
	rm_rf(stg);
	sbuf_free(&cmd);
	free(v);
	free(tmp);
	free(cmdfile);
	return r;
}
