/* tinyx kconfig --minimize: the driver (see kmin.h and kmin-int.h). */
#include "image/target.h"
#include "kernel/kconfig-int.h"
#include "kernel/kmin-int.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "closure/closure.h"
#include "formats/appspec.h"
#include "image/build.h"
#include "stage/stage.h"

#define RECS_MAX (64u << 20)

/* ---- set-up ---- */

/* Read the record (one judged by another criterion is set aside), open it
 * for appending. */
static int read_record(struct km *k)
{
	char *text = NULL;
	size_t len = 0;

	if (!read_file(k->recpath, &text, &len, RECS_MAX)) {
		if (len >= sizeof(KMIN_RECORD_HEAD) - 1 &&
		    !memcmp(text, KMIN_RECORD_HEAD, sizeof(KMIN_RECORD_HEAD) - 1)) {
			kmin_recs_parse(text, len, &k->recs);
		} else {
			/* judged by another criterion: start over */
			char *old = xasprintf("%s.old", k->recpath);

			tx_info(k->ctx,
				"kconfig: '%s' was judged by another criterion: kept as '%s'",
				k->recpath, old);
			rename(k->recpath, old);
			free(old);
		}
	}
	free(text);
	if (k->recs.n)
		tx_info(k->ctx, "kconfig: %zu recorded trial results in '%s'", k->recs.n,
			k->recpath);
	k->recfd = open(k->recpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (k->recfd < 0)
		return tx_fail(k->ctx, -errno, "kconfig", "cannot open '%s': %s", k->recpath,
			       strerror(errno));
	if (!k->recs.n && lseek(k->recfd, 0, SEEK_END) == 0)
		km_record(k, "%s", KMIN_RECORD_HEAD);
	return 0;
}

static int app_requests(struct km *k)
{
	struct stage_opts so = {.mirror = k->o->mirror};
	struct manifest m;
	struct app_spec spec = {0};
	char *root = NULL;
	int err;

	if (k->o->root)
		root = xstrdup(k->o->root);
	else if ((err = stage_root(k->ctx, k->o->app, &so, &root)))
		return err;
	manifest_init(&m, k->o->app, root);
	err = closure_build(k->ctx, k->o->app, root, k->ctx->srcdir, &m, &spec);
	if (!err)
		err = kconfig_collect(k->ctx, k->ctx->srcdir, k->o->app, k->o->target, m.f, m.nf,
				      KCOLLECT_NO_MIN, &k->base);
	manifest_free(&m);
	appspec_free(&spec);
	free(root);
	return err;
}

/* One --candidates entry (n bytes at p, CONFIG_ optional). */
static int add_candidate(struct km *k, const char *p, size_t n)
{
	char *opt = xstrndup(p, n);
	const struct kconfig_req *q;
	int err = 0;

	if (!strncmp(opt, "CONFIG_", 7))
		memmove(opt, opt + 7, strlen(opt + 7) + 1);
	q = kconfig_set_find(&k->base, opt);
	if (!q || (strcmp(q->value, "y") && strcmp(q->value, "m")))
		err = tx_fail(k->ctx, -EINVAL, "kconfig",
			      "candidate is not an option '%s' requests as y or m '%s'", k->o->app,
			      opt);
	else if (q->flags & KREQ_REQUIRED)
		err = tx_fail(k->ctx, -EINVAL, "kconfig", "candidate is required (%s) '%s'", q->why,
			      opt);
	else if (!strv_contains(&k->cand, opt))
		strv_push(&k->cand, opt);
	free(opt);
	return err;
}

static int pick_candidates(struct km *k)
{
	const char *p = k->o->candidates;
	int err = 0;

	if (!p) {
		for (size_t i = 0; i < k->base.n; i++) {
			const struct kconfig_req *q = &k->base.r[i];

			if (!(q->flags & KREQ_REQUIRED) &&
			    (!strcmp(q->value, "y") || !strcmp(q->value, "m")))
				strv_push(&k->cand, q->option);
		}
	}
	while (p && *p && !err) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		err = add_candidate(k, p, n);
		p = e ? e + 1 : p + n;
	}
	if (err)
		return err;
	if (!k->cand.n)
		return tx_fail(k->ctx, -EINVAL, "kconfig", "no candidate options for '%s'",
			       k->o->app);
	k->removed = xcalloc(1, k->cand.n);
	return 0;
}

/* The base image: the app's rootfs and image.conf, from an unverified build
 * into the work dir. */
static int base_image(struct km *k)
{
	char *out = xasprintf("%s/base", k->work);
	struct build_opts bo = {.app = k->o->app,
				.target = k->o->target,
				.out = out,
				.mirror = k->o->mirror,
				.root = k->o->root,
				.no_summary = 1};
	int err = build_run(k->ctx, &bo);

	k->basedir = xasprintf("%s/%s/%s", out, k->o->app, k->o->target);
	/* a disk besides the initrd (KVM); the Xen image's squashfs is its initrd */
	k->has_disk = image_target_find(k->o->target) && image_target_find(k->o->target)->has_disk;
	free(out);
	return err;
}

/* ---- the result ---- */

/* The result, checked as a trial is; then both kernels timed in turn. */
static int verify_and_time(struct km *k, const char *fulldir, const char *mindir)
{
	int ok;

	tx_info(k->ctx,
		"kconfig: verifying the minimized kernel, then timing it against the full one "
		"(%d boots each, in turn)",
		km_final_runs(k));
	ok = km_boot_ok(k, mindir, 1, NULL);
	if (ok == 1)
		ok = km_paired(k, fulldir, mindir, km_final_runs(k), &k->r->service_before,
			       &k->r->service_after, &k->r->service_test);
	if (ok < 0)
		return ok;
	if (!ok)
		return tx_fail(k->ctx, -ETIMEDOUT, "kconfig",
			       "the minimized kernel of '%s' does not serve '%s'", k->o->app,
			       mindir);
	if (k->r->service_test.p < SIGN_TEST_ALPHA)
		return tx_fail(k->ctx, -ETIME, "kconfig",
			       "the minimized kernel boots to service slower than the full one "
			       "(%d of %d pairs slower, p = %.3f; medians %.0f against %.0f ms), "
			       "not accepted; no fragment written '%s'",
			       k->r->service_test.slower,
			       k->r->service_test.slower + k->r->service_test.faster,
			       k->r->service_test.p, k->r->service_after, k->r->service_before,
			       k->o->app);
	return 0;
}

/* The full kernel (the reference for the compression and the report), the
 * compression, the minimized kernel; then the fragment. */
static int finish(struct km *k, const char *none)
{
	struct kmin_result *r = k->r;
	char *fulldir = xasprintf("%s/full", k->work), *mindir = xasprintf("%s/min", k->work);
	char *base_cfg = NULL, *best_cfg = NULL, fullhash[65];
	const char *comp;
	size_t blen = 0, len = 0;
	int err;

	for (size_t c = 0; c < k->cand.n; c++)
		if (k->removed[c])
			strv_push(&r->removed, k->cand.v[c]);
	err = km_prepare(k, none, fulldir, &r->size_before, fullhash, &base_cfg, &blen);
	if (!err)
		err = km_compression(k, fulldir, fullhash);
	comp = k->comp;
	k->comp = NULL;
	if (!err)
		err = km_prepare(k, k->removed, k->trialdir, &r->size_options, NULL, NULL, NULL);
	k->comp = comp;
	if (!err)
		err = km_prepare(k, k->removed, mindir, &r->size_after, NULL, &best_cfg, &len);
	if (!err)
		err = verify_and_time(k, fulldir, mindir);
	if (!err) {
		r->options_before = km_count_on(base_cfg, blen);
		r->options_after = km_count_on(best_cfg, len);
		err = km_write_fragment(k, base_cfg, blen, best_cfg, len);
	}
	free(fulldir);
	free(mindir);
	free(base_cfg);
	free(best_cfg);
	return err;
}

static int minimize(struct km *k)
{
	char *none = xcalloc(1, k->cand.n);
	int err;

	tx_info(k->ctx,
		"kconfig: minimizing %s's %s kernel: %zu candidate options, budget %.0f min",
		k->o->app, k->o->target, k->cand.n, k->o->budget_min > 0 ? k->o->budget_min : 60);
	/* the unminimized kernel must serve, or no trial means anything */
	err = km_trial(k, none, "the app's full kernel", NULL);
	if (err == 0)
		err = tx_fail(k->ctx, -ETIMEDOUT, "kconfig",
			      "the app's own kernel does not serve; nothing to minimize '%s'",
			      k->o->app);
	else if (err == KMIN_BUDGET)
		err = tx_fail(k->ctx, -ETIME, "kconfig", "budget spent before the first trial '%s'",
			      k->o->app);
	if (err == 1)
		err = km_search(k);
	if (!err)
		err = finish(k, none);
	free(none);
	return err;
}

int kmin_run(struct tx_ctx *ctx, const struct kmin_opts *o, struct kmin_result *r)
{
	struct km k = {.ctx = ctx, .o = o, .r = r, .recfd = -1};
	const struct image_target *t;
	double t0 = now_ms();
	int err, lfd = -1;

	memset(r, 0, sizeof(*r));
	if (!valid_pkg_name(o->app))
		return tx_fail(ctx, -EINVAL, "kconfig", "invalid package name '%s'", o->app);
	if (!(t = kconfig_target(ctx, o->target)))
		return -EINVAL;
	k.deadline = t0 + (o->budget_min > 0 ? o->budget_min : 60) * 60000.0;
	k.work = xasprintf("%s/kmin/%s-%s", ctx->cache, o->app, o->target);
	k.recpath = xasprintf("%s/trials", k.work);
	k.trialdir = xasprintf("%s/trial", k.work);
	/* the work dir CACHE/kmin/APP-TARGET, locked for the run */
	lfd = kconfig_lock(ctx, "kconfig", k.work, "/.lock");
	err = lfd < 0 ? lfd : read_record(&k);
	if (!err)
		err = app_requests(&k);
	if (!err)
		err = pick_candidates(&k);
	if (!err)
		err = base_image(&k);
	if (!err)
		err = minimize(&k);
	r->seconds = (now_ms() - t0) / 1000.0;
	if (k.recfd >= 0)
		close(k.recfd);
	if (lfd >= 0)
		close(lfd);
	free(k.work);
	free(k.recpath);
	free(k.basedir);
	free(k.trialdir);
	free(k.removed);
	strv_free(&k.cand);
	kconfig_set_free(&k.base);
	kmin_recs_free(&k.recs);
	return err;
}
