/* tinyx build APP: the whole pipeline, into OUT/APP/ whole or not at all.
 *
 *   stage -> closure -> kernel (per target) -> rootfs (initrd, squashfs)
 *         -> OUT/APP.tmp.PID/{manifest.txt, TARGET/...} -> verify (boot) -> rename
 *
 * The targets are image/target.h's table; their dirs are image-files.c's,
 * build.json and the summary image-report.c's. */
#include "closure/closure.h"
#include "formats/hints.h"
#include "image/bctx.h"
#include "image/disk.h"
#include "image/netcheck.h"
#include "image/trace.h"
#include "kernel/kconfig.h"
#include "stage/overlay.h"
#include "stage/stage.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void build_timed(struct bctx *b, double t0, const char *fmt, ...)
{
	va_list ap;

	if (b->nt >= BUILD_TIMINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(b->t[b->nt].name, sizeof(b->t[b->nt].name), fmt, ap);
	va_end(ap);
	b->t[b->nt++].ms = now_ms() - t0;
}

/* The closure of the root (the overlays' mount over it when there is one),
 * with the paths the trace boot found when runtime is not NULL and the
 * packages of --add. */
static int closure_pass(struct bctx *b, const struct strv *runtime, const struct strv *opened)
{
	const char *root = b->ovl ? b->ovl : b->root;
	struct closure_extra x = {.runtime = runtime, .add = &b->add, .opened = opened};
	int r;

	manifest_init(&b->m, b->o->app, root);
	r = closure_build_ex(b->ctx, b->o->app, root, b->ctx->srcdir, &x, &b->m, &b->spec);
	if (r < 0)
		return r;
	if (b->ovl)
		overlay_owners(&b->m, b->root);
	tx_info(b->ctx, "closure: %zu entries, %.2f MB of files, %zu kernel features", b->m.n,
		manifest_total_size(&b->m) / 1e6, b->m.nf);
	return 0;
}

/* The root (staged, or the caller's), the closure and the service to check:
 * from the hints ("service http 80"), else none. */
static int build_inputs(struct bctx *b)
{
	struct tx_ctx *ctx = b->ctx;
	struct stage_opts so = {.mirror = b->o->mirror, .extra = b->o->add};
	double t0 = now_ms();
	const char *was;
	int r = 0;

	r = closure_add_list(ctx, "build", b->o->add, &b->add); /* --add A,B */
	if (r < 0)
		return r;
	if (b->o->root && !is_dir(b->o->root))
		return tx_fail(ctx, -ENOENT, "build", "no root tree at '%s'", b->o->root);
	if (b->o->root)
		b->root = xstrdup(b->o->root);
	else if ((r = stage_root(ctx, b->o->app, &so, &b->root)) < 0)
		return r;
	build_timed(b, t0, "stage");
	r = overlay_mount(ctx, b->root, b->o->overlays, b->o->noverlays, &b->ovl);
	if (r < 0)
		return r;
	t0 = now_ms();
	if ((r = closure_pass(b, NULL, NULL)) < 0)
		return r;
	build_timed(b, t0, "closure");
	/* the closure has read the same file already: an error here cannot be new */
	was = tx_stage(ctx, "closure");
	r = hints_service(ctx, ctx->srcdir, b->o->app, b->service, &b->port);
	tx_stage(ctx, was);
	return r;
}

static int target_kernels(struct bctx *b);

/* The targets asked for ("all": every one), each with its kernel. */
static int build_kernels(struct bctx *b)
{
	struct tx_ctx *ctx = b->ctx;
	const char *want = b->o->target;
	size_t n = 0;
	int r;

	while (image_targets[n])
		n++;
	b->tr = xcalloc(n, sizeof(*b->tr));
	for (size_t i = 0; i < n; i++)
		if (!strcmp(want, "all") || !strcmp(want, image_targets[i]->name))
			b->tr[b->ntr++].t = image_targets[i];
	if (!b->ntr) {
		char *names = image_target_names(", ");

		r = tx_fail(ctx, -EINVAL, "build", "unknown target '%s' (%s or all)", want, names);
		free(names);
		return r;
	}
	/* the kernel options the image's network and sysctl files need */
	if ((r = netcheck_features(ctx, &b->m, b->o->nics ? b->o->nics : 1, b->o->overlays,
				   b->o->noverlays)) < 0)
		return r;
	return target_kernels(b);
}

/* Each target's kernel, from the manifest's features. */
static int target_kernels(struct bctx *b)
{
	struct tx_ctx *ctx = b->ctx;
	int r;

	for (int i = 0; i < b->ntr; i++) {
		struct target_res *t = &b->tr[i];
		double t0 = now_ms();

		r = kernel_build(ctx, b->o->app, t->t->name, b->m.f, b->m.nf, ctx->srcdir,
				 b->o->own_kernel ? KCOLLECT_OWN : 0, &t->k);
		if (r < 0)
			return r;
		build_timed(b, t0, "kernel-%s", t->t->name);
		tx_info(ctx, "kernel: %s %s (%s)", t->t->name,
			t->k.cached ? "reused from the cache" : "built", t->k.hash);
	}
	return 0;
}

/* The kernel options the manifest asks for, one per line. */
static char *feature_set(const struct manifest *m)
{
	struct sbuf s = {0};

	for (size_t i = 0; i < m->nf; i++)
		if (!i || strcmp(m->f[i].option, m->f[i - 1].option))
			sbuf_printf(&s, "%s\n", m->f[i].option);
	return s.s ? s.s : xstrdup("");
}

/* The trace boot saw the app wait for the kernel's RNG (how: its
 * getrandom() or /dev/random): the init waits for it before the app
 * (app.conf rng 1), the images get a virtio RNG (image.conf rng=virtio) and
 * the kernel its driver, which makes the RNG ready at once. */
static void trace_rng(struct bctx *b, const char *how)
{
	static const char *const opts[] = {"HW_RANDOM", "HW_RANDOM_VIRTIO"};

	if (!b->spec.rng)
		tx_info(b->ctx,
			"trace: %s waits for the kernel's RNG (%s): the images get a "
			"virtio RNG",
			b->o->app, how);
	b->spec.rng = 1;
	for (int i = 0; i < 2; i++) {
		int have = 0;

		for (size_t k = 0; k < b->m.nf; k++) /* a fragment's "# init: rng" has them */
			have |= !strcmp(b->m.f[k].option, opts[i]);
		if (!have)
			manifest_add_feature(&b->m, opts[i],
					     "the trace boot: waits for the kernel's RNG", how);
	}
}

/* The trace boot (image/trace.h): what the app opened that the closure
 * missed joins the manifest, the kernels follow when their features
 * changed. */
static int build_trace(struct bctx *b)
{
	struct tx_ctx *ctx = b->ctx;
	struct strv add = {0}, opened = {0};
	char rng[32] = "";
	char *before = NULL, *after = NULL;
	double t0 = now_ms();
	int r;

	if (b->o->no_trace || !b->ntr)
		return 0;
	r = image_trace(b, b->tr[0].k.bzimage, b->tr[0].k.hash, &add, b->o->trim ? &opened : NULL,
			&b->trace_cached, &b->trace_used_kb, rng, sizeof(rng));
	if (r == 0 && (add.n || opened.n || rng[0])) {
		before = feature_set(&b->m);
		if (add.n || opened.n) { /* the closure anew, with what the trace saw */
			manifest_free(&b->m);
			appspec_free(&b->spec);
			memset(&b->spec, 0, sizeof(b->spec));
			r = closure_pass(b, &add, opened.n ? &opened : NULL);
			if (r == 0)
				r = netcheck_features(ctx, &b->m, b->o->nics ? b->o->nics : 1,
						      b->o->overlays, b->o->noverlays);
		}
		if (r == 0 && rng[0])
			trace_rng(b, rng);
		if (r == 0)
			after = feature_set(&b->m);
		if (after && strcmp(before, after)) {
			for (int i = 0; i < b->ntr; i++)
				kernel_out_free(&b->tr[i].k);
			tx_info(ctx, "trace: the added files need other kernel features");
			r = target_kernels(b);
		}
	}
	for (size_t i = 0; r == 0 && i < b->m.n; i++)
		if (b->m.e[i].reason && !strcmp(b->m.e[i].reason, "opened-at-runtime"))
			strv_push(&b->traced, b->m.e[i].path);
	if (r == 0)
		tx_info(ctx, "trace: %s; %zu files opened at run time added%s",
			b->trace_cached ? "reused from the cache" : "done", b->traced.n,
			b->traced.n ? ":" : "");
	for (size_t i = 0; r == 0 && i < b->traced.n && i < 20; i++)
		tx_info(ctx, "  %s", b->traced.v[i]);
	if (r == 0 && b->traced.n > 20)
		tx_info(ctx, "  ... (%zu more: manifest.txt, reason opened-at-runtime)",
			b->traced.n - 20);
	build_timed(b, t0, "trace");
	strv_free(&add);
	strv_free(&opened);
	free(before);
	free(after);
	return r;
}

/* Temp dirs of builds that died (killed, power cut): OUT/.APP.tmp.PID and
 * OUT/APP.old.PID whose PID is gone. */
static void clean_stale_tmp(const char *out, const char *app)
{
	for (int i = 0; i < 2; i++) {
		char *prefix = xasprintf(i ? "%s.old." : ".%s.tmp.", app);

		stale_pid_entries(out, prefix, NULL);
		free(prefix);
	}
}

/* The network config and sysctls the image holds, against each target's
 * kernel (image/netcheck.h): an error before any image dir is written. */
static int check_net(struct bctx *b)
{
	struct netcheck_kernel *k = xcalloc((size_t)b->ntr, sizeof(*k));
	char **text = xcalloc((size_t)b->ntr, sizeof(*text));
	int r = 0;

	for (int i = 0; r == 0 && i < b->ntr; i++) {
		k[i].target = b->tr[i].t->name;
		r = read_file(b->tr[i].k.config, &text[i], &k[i].len, 1 << 24);
		if (r < 0)
			r = tx_fail(b->ctx, r, "build", "cannot read the kernel config '%s'",
				    b->tr[i].k.config);
		k[i].config = text[i];
	}
	if (r == 0)
		r = netcheck_image(b->ctx, &b->m, b->o->nics ? b->o->nics : 1, k, b->ntr);
	for (int i = 0; i < b->ntr; i++)
		free(text[i]);
	free(text);
	free(k);
	return r;
}

/* OUT/.APP.tmp.PID with the manifest and every target's dir. */
static int build_images(struct bctx *b)
{
	struct tx_ctx *ctx = b->ctx;
	const struct build_opts *o = b->o;
	int r = mkdir_p(o->out, 0755);

	if (r < 0)
		return tx_fail(ctx, r, "build", "cannot create output dir '%s'", o->out);
	clean_stale_tmp(o->out, o->app);
	b->final = xasprintf("%s/%s", o->out, o->app);
	b->tmp = xasprintf("%s/.%s.tmp.%d", o->out, o->app, (int)getpid());
	b->work = xasprintf("%s/.work", b->tmp);
	rm_rf(b->tmp);
	tx_tmp_register(b->tmp);
	r = mkdir_p(b->work, 0755);
	if (r < 0)
		return tx_fail(ctx, r, "build", "cannot create '%s'", b->work);
	r = image_rootfs(b);
	if (r == 0)
		r = check_net(b);
	if (r == 0)
		r = image_manifest(b);
	for (int i = 0; r == 0 && i < b->ntr; i++)
		r = image_target_dir(b, &b->tr[i]);
	rm_rf(b->work);
	return r;
}

/* The probe's message for the build: "verify: CAUSE (the kvm image); last
 * output: ..." (the probe names the image by its temporary dir). */
static int verify_failed(struct bctx *b, struct target_res *t, const char *dir, int r)
{
	struct tx_ctx *ctx = b->ctx;
	char msg[sizeof(ctx->err)], *img = xasprintf(" (image '%s')", dir), *at;
	const char *m = ctx->err;

	if (!strncmp(m, "probe: ", 7))
		m += 7;
	snprintf(msg, sizeof(msg), "%s", m);
	at = strstr(msg, img);
	if (at) {
		char rest[sizeof(msg)];

		snprintf(rest, sizeof(rest), "%s", at + strlen(img));
		snprintf(at, sizeof(msg) - (size_t)(at - msg), " (the %s image)%s", t->t->name,
			 rest);
	}
	free(img);
	return tx_fail(ctx, r == -PROBE_EDIED ? r : -ETIMEDOUT, "verify", "%s", msg);
}

static int verify_target(struct bctx *b, struct target_res *t)
{
	struct tx_ctx *ctx = b->ctx;
	char *dir = xasprintf("%s/%s", b->tmp, t->t->name);
	/* accel auto: KVM only where it really runs guests. A PVH kernel is
	 * checked through that entry (seconds); the full check under Xen is
	 * `tinyx probe out/APP/xen` (a minute, and the Xen kit). */
	struct probe_opts po = {.dir = dir,
				.app = b->o->app,
				.runs = 1,
				.timeout_s = 60,
				.accel = "auto",
				.xen_on_qemu = t->t->on_qemu};
	double t0 = now_ms();
	int r;

	tx_info(ctx, "verify: booting the %s image under QEMU and checking %s", t->t->name,
		b->port ? "its service" : "every port the app listens on");
	r = probe_run(ctx, &po, &t->pr);
	build_timed(b, t0, "verify-%s", t->t->name);
	if (r < 0)
		r = verify_failed(b, t, dir, r);
	free(dir);
	t->verified = r == 0;
	return r;
}

/* Put the finished tmp dir in place of OUT/APP. */
static int publish(struct bctx *b)
{
	char *old = xasprintf("%s.old.%d", b->final, (int)getpid());
	int had = path_exists(b->final), r = 0;

	if (had && rename(b->final, old) < 0)
		r = tx_fail(b->ctx, -errno, "build", "cannot replace '%s'", b->final);
	else if (rename(b->tmp, b->final) < 0) {
		r = tx_fail(b->ctx, -errno, "build", "cannot create '%s'", b->final);
		if (had)
			rename(old, b->final);
	} else if (had)
		rm_rf(old);
	free(old);
	return r;
}

/* Verify, write build.json, publish, print the table. */
static int build_finish(struct bctx *b, double tall)
{
	struct sbuf s = {0};
	char *p;
	int r = 0;

	for (int i = 0; b->o->verify && r == 0 && i < b->ntr; i++)
		r = verify_target(b, &b->tr[i]);
	if (r < 0)
		return r;
	build_timed(b, tall, "total");
	p = xasprintf("%s/build.json", b->tmp);
	image_report_json(b, &s);
	r = target_put(b->ctx, p, s.s, 0644);
	free(p);
	sbuf_free(&s);
	if (r == 0)
		r = publish(b);
	if (r == 0 && !b->o->no_summary)
		image_report_summary(b);
	return r;
}

static void build_free(struct bctx *b)
{
	if (b->tmp) {
		rm_rf(b->tmp);
		tx_tmp_release(b->tmp);
		free(b->tmp);
	}
	for (int i = 0; i < b->ntr; i++) {
		kernel_out_free(&b->tr[i].k);
		probe_result_free(&b->tr[i].pr);
	}
	free(b->tr);
	manifest_free(&b->m);
	strv_free(&b->traced);
	strv_free(&b->add);
	free(b->root);
	overlay_umount(b->ovl);
	appspec_free(&b->spec);
	free(b->final);
	free(b->work);
}

int build_run(struct tx_ctx *ctx, const struct build_opts *o)
{
	struct bctx b = {.ctx = ctx, .o = o};
	const char *env = getenv("SOURCE_DATE_EPOCH");
	double tall = now_ms();
	struct stat st;
	int r;

	if (!valid_pkg_name(o->app))
		return tx_fail(ctx, -EINVAL, "build", "invalid package name '%s'", o->app);
	if (disk_formats(o->disk_format) < 0)
		return tx_fail(ctx, -EINVAL, "build",
			       "unknown disk format '%s' (qcow2, raw, both or none)",
			       o->disk_format);
	if (stat(o->out, &st) == 0 && !S_ISDIR(st.st_mode))
		return tx_fail(ctx, -ENOTDIR, "build", "output path is not a directory '%s'",
			       o->out);
	/* every timestamp in the images: SOURCE_DATE_EPOCH, else a fixed one
	 * (not 0: e2fsprogs reads a fake time of 0 as "use the clock") */
	b.epoch = env && *env ? strtoll(env, NULL, 10) : 1;
	if (b.epoch <= 0)
		b.epoch = 1;
	r = build_inputs(&b);
	if (r == 0)
		r = build_kernels(&b);
	if (r == 0)
		r = build_trace(&b);
	if (r == 0)
		r = build_images(&b);
	if (r == 0)
		r = build_finish(&b, tall);
	build_free(&b);
	return r;
}
