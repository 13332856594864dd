/* The files of the image dirs: the rootfs (initrd, squashfs), the published
 * manifest, and each target's dir (kernel, rootfs, image.conf, launchers). */
#include "image/bctx.h"
#include "image/cpio.h"
#include "image/disk.h"
#include "image/qemu.h"
#include "image/squashfs.h"
#include "image/rootfs.h"
#include "lib/cache.h"
#include "lib/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* FROM (NULL: WORK/NAME) to DIR/NAME, with the build's error line. */
static int copy_to(struct bctx *b, const char *from, const char *dir, const char *name)
{
	char *f = from ? xstrdup(from) : xasprintf("%s/%s", b->work, name);
	char *to = xasprintf("%s/%s", dir, name);
	int r = copy_file(f, to, 0644);

	if (r < 0)
		r = tx_fail(b->ctx, r, "build", "cannot copy '%s' to '%s': %s", f, to,
			    strerror(-r));
	free(f);
	free(to);
	return r;
}

/* The compressed roots of one raw archive, made in a cache entry. */
struct rootfs_job {
	struct bctx *b;
	const char *raw;
	double ms[2]; /* initrd, squashfs */
};

static int rootfs_fill(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	struct rootfs_job *j = arg;
	char *initrd = xasprintf("%s/initrd", tmp), *disk = xasprintf("%s/rootfs.squashfs", tmp);
	char *stg = xasprintf("%s/squashfs-staging", j->b->work);
	double t0 = now_ms();
	int r = cpio_compress(ctx, j->raw, initrd, ROOTFS_COMPRESSOR);

	j->ms[0] = now_ms() - t0;
	t0 = now_ms();
	if (r == 0)
		r = squashfs_write(ctx, &j->b->m, stg, disk, j->b->epoch);
	j->ms[1] = now_ms() - t0;
	free(stg);
	free(initrd);
	free(disk);
	return r;
}

/* The cache key of the compressed roots: the raw archive's bytes (every
 * path, owner, mode, time and file of the manifest) and how both writers
 * run. The squashfs is made from the same manifest, so the same key. */
static char *rootfs_key(struct bctx *b, const char *raw)
{
	struct sbuf s = {0};
	struct sha256 h;
	char sha[65], hex[65];

	sbuf_printf(&s, "tinyx-rootfs-1\nepoch %lld\n", b->epoch);
	cpio_recipe(ROOTFS_COMPRESSOR, &s);
	squashfs_recipe(&s);
	if (sha256_file(raw, sha) < 0) {
		sbuf_free(&s);
		return NULL;
	}
	sbuf_printf(&s, "archive %s\n", sha);
	sha256_init(&h);
	sha256_update(&h, s.s, s.len);
	sha256_hex(&h, hex);
	sbuf_free(&s);
	return xasprintf("%s/rootfs/%s", b->ctx->cache, hex);
}

int image_rootfs(struct bctx *b)
{
	struct tx_ctx *ctx = b->ctx;
	struct rootfs_opts ro = {.spec = &b->spec,
				 .debug_shell = b->o->debug_shell,
				 .with_busybox = 1,
				 .workdir = b->work,
				 .hostname = b->o->app,
				 .overlays = b->o->overlays,
				 .noverlays = b->o->noverlays};
	char *init = xasprintf("%s/build/tinyx-init", ctx->srcdir);
	char *raw = xasprintf("%s/initrd.cpio", b->work), *dir = NULL, *from = NULL;
	struct rootfs_job j = {.b = b, .raw = raw};
	double t0 = now_ms();
	int r = 0, cached = 0;

	ro.init = init;
	if (!path_exists(init))
		r = tx_fail(ctx, -ENOENT, "rootfs", "no guest init '%s' (maybe run make)", init);
	if (r == 0)
		r = rootfs_assemble(ctx, &b->m, &ro);
	if (r == 0) {
		manifest_sort(&b->m);
		r = cpio_write(ctx, &b->m, raw, "none", b->epoch);
	}
	if (r == 0 && !(dir = rootfs_key(b, raw)))
		r = tx_fail(ctx, -EIO, "rootfs", "cannot read '%s'", raw);
	if (r == 0) {
		r = tx_cache_get(ctx, &(struct tx_cache_entry){dir, "rootfs.squashfs", "rootfs",
							       NULL, rootfs_fill, &j});
		cached = r == 1;
		r = r < 0 ? r : 0;
	}
	for (int i = 0; r == 0 && i < 2; i++) { /* into the work dir, as if made there */
		const char *name = i ? "rootfs.squashfs" : "initrd";

		free(from);
		from = xasprintf("%s/%s", dir, name);
		r = copy_to(b, from, b->work, name);
	}
	if (r == 0 && cached)
		build_timed(b, t0, "rootfs-cached");
	if (r == 0 && !cached) { /* the archive and its compression; mksquashfs */
		build_timed(b, t0 + j.ms[1], "initrd");
		build_timed(b, now_ms() - j.ms[1], "squashfs");
	}
	if (r == 0) {
		char *initrd = xasprintf("%s/initrd", b->work);
		char *disk = xasprintf("%s/rootfs.squashfs", b->work);

		b->initrd_bytes = file_size(initrd);
		b->disk_bytes = file_size(disk);
		sha256_file(initrd, b->initrd_sha);
		sha256_file(disk, b->disk_sha);
		tx_info(ctx, "rootfs: %zu entries, initrd %.2f MB, squashfs %.2f MB%s", b->m.n,
			b->initrd_bytes / 1e6, b->disk_bytes / 1e6,
			cached ? " (reused from the cache)" : "");
		free(initrd);
		free(disk);
	}
	unlink(raw);
	free(from);
	free(dir);
	free(init);
	free(raw);
	return r;
}

/* The manifest as published: no build paths in it (the same bytes from any
 * checkout, out dir or pid). Sources in the project dir are named relative
 * to it; generated files lived in the work dir, gone by now: no src. */
int image_manifest(struct bctx *b)
{
	size_t pl = strlen(b->ctx->srcdir), wl = strlen(b->work);
	char **saved = xcalloc(b->m.n ? b->m.n : 1, sizeof(*saved));
	char *p = xasprintf("%s/manifest.txt", b->tmp);
	struct sbuf s = {0};
	int r;

	for (size_t i = 0; i < b->m.n; i++) {
		struct ment *e = &b->m.e[i];

		saved[i] = e->src;
		if (!e->src)
			continue;
		if (!strncmp(e->src, b->work, wl) && e->src[wl] == '/')
			e->src = NULL;
		else if (!strncmp(e->src, b->ctx->srcdir, pl) && e->src[pl] == '/')
			e->src += pl + 1;
	}
	manifest_text(&b->m, &s);
	for (size_t i = 0; i < b->m.n; i++)
		b->m.e[i].src = saved[i];
	free(saved);
	r = target_put(b->ctx, p, s.s ? s.s : "", 0644);
	sbuf_free(&s);
	free(p);
	return r;
}

/* DIR/kernel (c.kernel): the bzImage as is (the build checked its vmlinux's
 * PVH note). */
static int install_kernel(struct bctx *b, struct target_res *t, const char *dir)
{
	char *p = xasprintf("%s/kernel", dir);
	int r = copy_to(b, t->k.bzimage, dir, "kernel");

	t->kernel_bytes = file_size(p);
	sha256_file(p, t->kernel_sha);
	free(p);
	return r;
}

/* The file name, size and sha256 of DIR/APP.EXT in slot i. */
static void disk_record(struct bctx *b, struct target_res *t, const char *dir, int i,
			const char *ext)
{
	char *p = xasprintf("%s/%s.%s", dir, b->o->app, ext);

	snprintf(t->disk.name[i], sizeof(t->disk.name[i]), "%s.%s", b->o->app, ext);
	t->disk.bytes[i] = file_size(p);
	sha256_file(p, t->disk.sha[i]);
	free(p);
}

/* DIR/APP.qcow2 and/or DIR/APP.img (build --format): the kernel, the root
 * and the command line in one disk that firmware boots (image/disk.h). */
static int install_boot_disk(struct bctx *b, struct target_res *t, const char *dir,
			     struct imgconf *c)
{
	int fmt = disk_formats(b->o->disk_format), r;
	char *cmd = qemu_disk_cmdline(c), *k = xasprintf("%s/%s", dir, c->kernel);
	char *root = xasprintf("%s/%s", dir, c->disk ? c->disk : "");
	char *raw = xasprintf("%s/%s.img", fmt & DISK_RAW ? dir : b->work, b->o->app);
	char *q = xasprintf("%s/%s.qcow2", dir, b->o->app);
	struct disk_in in = {k, root, cmd, b->work, b->epoch};
	struct disk_info info;
	double t0 = now_ms();

	r = disk_write(b->ctx, &in, raw, &info);
	if (r == 0 && (fmt & DISK_QCOW2))
		r = disk_convert(b->ctx, raw, q);
	if (r == 0 && (fmt & DISK_QCOW2))
		disk_record(b, t, dir, 0, "qcow2");
	if (r == 0 && (fmt & DISK_RAW))
		disk_record(b, t, dir, 1, "img");
	if (!(fmt & DISK_RAW))
		unlink(raw);
	if (r == 0) {
		int i = fmt & DISK_QCOW2 ? 0 : 1;

		t->disk.uefi = info.uefi;
		t->disk.fat_bytes = info.fat_bytes;
		c->boot_disk = xstrdup(t->disk.name[i]);
		build_timed(b, t0, "disk-%s", t->t->name);
		tx_info(b->ctx, "disk: %s %.2f MB (kernel + root + %.2f MB), boots on BIOS%s",
			c->boot_disk, t->disk.bytes[i] / 1e6,
			(t->disk.bytes[i] - t->kernel_bytes - b->disk_bytes) / 1e6,
			info.uefi ? " and UEFI" : " (UEFI: the kernel has no EFI stub)");
	}
	free(cmd);
	free(k);
	free(root);
	free(raw);
	free(q);
	return r;
}

int image_target_dir(struct bctx *b, struct target_res *t)
{
	struct tx_ctx *ctx = b->ctx;
	char *dir = xasprintf("%s/%s", b->tmp, t->t->name);
	char *absout = realpath(b->o->out, NULL); /* libvirt wants absolute paths */
	char *fin = xasprintf("%s/%s/%s", absout ? absout : b->o->out, b->o->app, t->t->name);
	struct imgconf c;
	struct target_job j = {ctx, t->t, b->o->app, dir, fin, &c};
	int r = mkdir_p(dir, 0755);

	image_target_conf(t->t, b->o->app, b->service, b->port, &c);
	c.nics = b->o->nics ? b->o->nics : 1;
	/* the init waits for the kernel's RNG (app.conf's rng): a virtio RNG
	 * makes it ready at once, where TCG has no RDRAND */
	c.rng = b->spec.rng ? IMG_RNG_VIRTIO : IMG_RNG_NONE;
	c.memory_mb = image_guest_mb(t->t->ramdisk_root ? b->disk_bytes : b->initrd_bytes,
				     manifest_total_size(&b->m));
	if (b->trace_used_kb > 0) { /* what the app used on the trace boot, twice */
		long long need = (b->trace_used_kb * 2 / 1024 + 15) / 16 * 16;

		if (need > c.memory_mb) {
			c.memory_mb = need > IMGCONF_MEM_MAX ? IMGCONF_MEM_MAX : (int)need;
			tx_info_once(
			    ctx,
			    "build: the app used %lld MB on the trace boot: the images get "
			    "%d MB of RAM",
			    b->trace_used_kb / 1024, c.memory_mb);
		}
	}
	if (r < 0)
		r = tx_fail(ctx, r, "build", "cannot create '%s'", dir);
	if (r == 0)
		r = copy_to(b, NULL, dir, c.initrd);
	if (r == 0 && c.disk)
		r = copy_to(b, NULL, dir, c.disk);
	if (r == 0)
		r = install_kernel(b, t, dir);
	if (r == 0 && t->t->boot_disk && c.disk && disk_formats(b->o->disk_format) > 0)
		r = install_boot_disk(b, t, dir, &c);
	if (r == 0)
		r = imgconf_write(ctx, dir, &c);
	if (r == 0)
		r = t->t->write_launch(&j);
	imgconf_free(&c);
	free(absout);
	free(fin);
	free(dir);
	return r;
}
