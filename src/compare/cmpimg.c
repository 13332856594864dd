/* The Tinyx images of tinyx compare; see cmpimg.h. */
#include "compare/cmpimg.h"
#include "image/target.h"
#include "image/build.h"
#include "closure/closure.h"
#include "compare/system.h"
#include "formats/hints.h"
#include "image/cpio.h"
#include "image/squashfs.h"
#include "image/qemu.h"
#include "image/rootfs.h"
#include "kernel/kernel.h"
#include "probe/probe.h"
#include "stage/stage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGE "compare"

int cmpimg_service(struct tx_ctx *ctx, const char *app, enum img_service *svc, int *port)
{
	char name[8];
	int r = hints_service(ctx, ctx->srcdir, app, name, port), s = img_service_find(name);

	if (svc)
		*svc = s < 0 ? IMG_SVC_NONE : (enum img_service)s;
	return r;
}

int cmpimg_check_service(const char *check, enum img_service *svc, int *port)
{
	int tcp = 0;

	for (const char *e = check; e && *e;) {
		size_t n = strcspn(e, ",");
		const char *on = memmem(e, n, " on tcp/", 8);
		char *end = NULL;
		long v = on ? strtol(on + 8, &end, 10) : 0;

		if (on && v > 0 && v <= 65535 && end == e + n) {
			if (!strncmp(e, "http 200 ", 9)) {
				*svc = IMG_SVC_HTTP, *port = (int)v;
				return 0;
			}
			if (!tcp)
				tcp = (int)v;
		}
		e += n;
		while (*e == ',' || *e == ' ')
			e++;
	}
	if (!tcp)
		return -ENOENT;
	*svc = IMG_SVC_TCP, *port = tcp;
	return 0;
}

int cmpimg_write_conf(struct tx_ctx *ctx, const char *app, const char *dir, struct imgconf *c)
{
	int r = cmpimg_service(ctx, app, &c->service, &c->port);

	return r < 0 ? r : imgconf_write(ctx, dir, c);
}

/* The app's closure with the client's merged in; the app's kernel features
 * stay the only ones in m->f (the kernel is the app's). */
static int closure_with_client(struct tx_ctx *ctx, const char *app, const char *root,
			       struct manifest *m, struct app_spec *spec)
{
	struct manifest c;
	int r;

	manifest_init(m, app, root);
	r = closure_build(ctx, app, root, ctx->srcdir, m, spec);
	if (r < 0)
		return r;
	manifest_init(&c, CMPIMG_CLIENT, root);
	r = closure_build(ctx, CMPIMG_CLIENT, root, ctx->srcdir, &c, NULL);
	for (size_t i = 0; r == 0 && i < c.nf; i++) {
		size_t j = 0;

		while (j < m->nf && strcmp(m->f[j].option, c.f[i].option))
			j++;
		if (j == m->nf)
			r = tx_fail(ctx, -EINVAL, STAGE,
				    "%s needs kernel option '%s' (for %s) that the %s kernel lacks",
				    CMPIMG_CLIENT, c.f[i].option, c.f[i].symbol, app);
	}
	for (size_t i = 0; r == 0 && i < c.n; i++)
		manifest_add(m, &c.e[i]);
	manifest_free(&c);
	return r;
}

static int make_initrd(struct tx_ctx *ctx, const char *app, const char *root, int busybox,
		       const char *work, const char *out, const char *disk)
{
	struct manifest m;
	struct app_spec spec = {0};
	char *init = xasprintf("%s/build/tinyx-init", ctx->srcdir);
	struct rootfs_opts ro = {
	    .init = init, .spec = &spec, .with_busybox = busybox, .workdir = work, .hostname = app};
	int r = closure_with_client(ctx, app, root, &m, &spec);

	if (r == 0)
		r = rootfs_assemble(ctx, &m, &ro);
	if (r == 0) {
		manifest_sort(&m);
		r = cpio_write(ctx, &m, out, ROOTFS_COMPRESSOR, 1);
	}
	if (r == 0 && disk) {
		char *stg = xasprintf("%s/squashfs-staging", work);
		r = squashfs_write(ctx, &m, stg, disk, 1);
		rm_rf(stg);
		free(stg);
	}
	manifest_free(&m);
	appspec_free(&spec);
	free(init);
	return r;
}

/* The four image dirs (cmpimg.h), from the two kernels and the two initrds. */
static const struct cmpimg_dir {
	const char *name;	      /* the row of compare_systems[] */
	const struct image_target *t; /* its kernel (a vmlinux is stripped) and image.conf */
	int min;		      /* the initrd without BusyBox */
	int disk;		      /* rootfs.squashfs too, booted as root (the initrd unused) */
	int pvh;		      /* the kernel's vmlinux, booted through its PVH entry */
} dirs[] = {
    {"tinyx-kvm", &target_kvm, 0, 1, 0},
    {"tinyx-kvm-initrd", &target_kvm, 0, 0, 0},
    {"tinyx-xen-pvh", &target_xen, 0, 0, 1},
    {"tinyx-min", &target_kvm, 1, 0, 0},
};

static int put_file(struct tx_ctx *ctx, const char *from, const char *d, const char *name,
		    int strip)
{
	char *to = xasprintf("%s/%s", d, name);
	int r = strip ? kernel_strip_to(ctx, from, to) : copy_file(from, to, 0644);

	if (r < 0 && !strip)
		tx_fail(ctx, r, STAGE, "cannot copy '%s'", from);
	free(to);
	return r;
}

/* DIR/NAME of t (work holds the initrds and the disk), booted with the
 * kernel command line of `tinyx build`. */
static int one_dir(struct tx_ctx *ctx, const char *app, const char *dir, const char *work,
		   const struct cmpimg_dir *t, const char *kernel)
{
	char *d = xasprintf("%s/%s", dir, t->name);
	char *initrd = xasprintf("%s/%s", work,
				 t->t->ramdisk_root ? "rootfs.squashfs"
				 : t->min	    ? "initrd-min"
						    : "initrd-full");
	char *disk = xasprintf("%s/rootfs.squashfs", work);
	int r = mkdir_p(d, 0755);
	struct imgconf c;

	/* what `tinyx build` says for its target, with this row's root */
	image_target_conf(t->t, app, "none", 0, &c);
	free(c.disk);
	c.disk = t->disk ? xstrdup("rootfs.squashfs") : NULL;
	free(c.note);
	c.note = NULL;
	free(c.comment);
	c.comment = xasprintf("tinyx compare: %s, %s", app, t->name);

	if (r < 0)
		r = tx_fail(ctx, r, STAGE, "cannot create '%s'", d);
	if (r == 0)
		r = put_file(ctx, kernel, d, "kernel", t->pvh);
	if (r == 0)
		r = put_file(ctx, initrd, d, c.initrd, 0);
	if (r == 0 && t->disk)
		r = put_file(ctx, disk, d, "rootfs.squashfs", 0);
	if (r == 0)
		r = cmpimg_write_conf(ctx, app, d, &c);
	free(d), free(initrd), free(disk);
	imgconf_free(&c);
	return r;
}

/* The dirs under dir (replaced whole). */
static int build(struct tx_ctx *ctx, const char *app, const char *dir, char **root)
{
	struct stage_opts so = {.extra = CMPIMG_CLIENT};
	struct kernel_out kk = {0}, kx = {0};
	char *work = xasprintf("%s/.work", dir), *full = xasprintf("%s/initrd-full", work);
	char *min = xasprintf("%s/initrd-min", work), *disk = xasprintf("%s/rootfs.squashfs", work);
	struct manifest m;
	struct app_spec spec = {0};
	int r = stage_root(ctx, app, &so, root);

	if (r < 0)
		goto done;
	/* the kernels: the app's own features only (iperf3's are checked to be a subset) */
	r = closure_with_client(ctx, app, *root, &m, &spec);
	if (r == 0)
		r = kernel_build(ctx, app, target_kvm.name, m.f, m.nf, ctx->srcdir, 0, &kk);
	if (r == 0)
		r = kernel_build(ctx, app, target_xen.name, m.f, m.nf, ctx->srcdir, 0, &kx);
	manifest_free(&m);
	appspec_free(&spec);
	if (r < 0)
		goto done;
	rm_rf(dir);
	if ((r = mkdir_p(work, 0755)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot create '%s'", work);
	else
		tx_info(ctx,
			"compare: tinyx images of %s with %s (initrd with and without BusyBox)",
			app, CMPIMG_CLIENT);
	if (r == 0)
		r = make_initrd(ctx, app, *root, 1, work, full, disk);
	if (r == 0)
		r = make_initrd(ctx, app, *root, 0, work, min, NULL);
	for (size_t i = 0; r == 0 && i < NELEM(dirs); i++)
		r = one_dir(ctx, app, dir, work, &dirs[i], dirs[i].pvh ? kx.vmlinux : kk.bzimage);
	rm_rf(work);
done:
	kernel_out_free(&kk);
	kernel_out_free(&kx);
	free(work), free(full), free(min), free(disk);
	return r;
}

int cmpimg_stage(struct tx_ctx *ctx, const char *app)
{
	return compare_stage_root(ctx, app, CMPIMG_CLIENT,
				  "the Tinyx images' and the container's root");
}

int cmpimg_prepare(struct tx_ctx *ctx, struct compare_state *st)
{
	if (st->root)
		return 0;
	tx_info(ctx, "compare: preparing the Tinyx images and the container root");
	return build(ctx, st->o->app, st->dir, &st->root);
}

int cmpimg_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row)
{
	char *d = xasprintf("%s/%s", st->dir, row->name);
	struct compare_vm vm = {.dir = d, .timeout_s = 60, .min_lo = IMGCONF_MEM_MIN - 1};
	int r = compare_vm_row(ctx, st, row, &vm);

	free(d);
	return r;
}

int cmpimg_peer_service(struct tx_ctx *ctx, struct compare_state *st)
{
	const char *app = st->o->app;
	int r;

	if (st->port > 0)
		return 0;
	r = cmpimg_service(ctx, app, &st->svc, &st->port);
	if (r < 0 || st->port > 0)
		return r;
	if (!st->check[0]) { /* no Tinyx row has served (--only): one boot */
		char *d = xasprintf("%s/tinyx-kvm", st->dir);
		struct probe_opts po = {
		    .dir = d, .app = app, .runs = 1, .timeout_s = 60, .accel = "auto"};
		struct probe_result pr;

		tx_info(ctx, "compare: what %s serves: one boot of tinyx-kvm", app);
		r = probe_run(ctx, &po, &pr);
		if (r == 0)
			snprintf(st->check, sizeof(st->check), "%s", pr.check);
		probe_result_free(&pr);
		free(d);
		if (r < 0)
			return r;
	}
	if (cmpimg_check_service(st->check, &st->svc, &st->port) < 0)
		return tx_fail(ctx, -ENOENT, STAGE,
			       "'%s' answered on no TCP port (%s): the debian-vm and container "
			       "rows need one",
			       app, st->check);
	tx_info(ctx, "compare: the Debian VM and the container are checked on tcp/%d (%s), as %s",
		st->port, img_service_name(st->svc), st->check);
	return 0;
}

int cmpimg_forward(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row)
{
	const struct compare_opts *o = st->o;
	/* what `tinyx build` makes of the options, one target; the probe's
	 * forwarding check is the verification */
	struct build_opts b = {.app = o->app,
			       .target = target_kvm.name,
			       .out = st->dir,
			       .no_summary = 1,
			       .overlays = o->overlays,
			       .noverlays = o->noverlays,
			       .disk_format = "none",
			       .nics = o->nics ? o->nics : 2,
			       .trim = o->trim,
			       .add = o->add};
	char *d = xasprintf("%s/%s/%s", st->dir, o->app, target_kvm.name);
	struct compare_vm vm = {.dir = d, .timeout_s = 60, .min_lo = IMGCONF_MEM_MIN - 1};
	int r;

	tx_info(ctx, "compare: tinyx-kvm: the image of %s as tinyx build makes it (%d NICs)",
		o->app, b.nics);
	r = build_run(ctx, &b);
	if (r < 0) {
		row->measured = 1;
		snprintf(row->note, sizeof(row->note), "%s", ctx->err);
	} else {
		r = compare_vm_row(ctx, st, row, &vm);
	}
	free(d);
	return r;
}
