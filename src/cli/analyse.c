#include "cli/cli.h"
#include "stage/overlay.h"
#include "closure/closure.h"
#include "formats/imgconf.h"
#include "image/netcheck.h"
#include "image/target.h"
#include "kernel/kconfig.h"
#include "kernel/kernel.h"
#include "kernel/kmin.h"
#include "stage/stage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --target NAME: one of the image targets (image/target.h). */
int cli_need_target(const struct cli *c, const char *cmd, int all)
{
	char *names = image_target_names(!c->target ? "|" : all ? ", " : " or "), *msg;
	int r = 0;

	if (!c->target || !(image_target_find(c->target) || (all && !strcmp(c->target, "all")))) {
		msg = c->target
			  ? xasprintf("unknown target '%%s' (%s%s)", names, all ? " or all" : "")
			  : xasprintf("%%s: missing --target %s", names);
		r = cli_usage_error(msg, c->target ? c->target : cmd);
		free(msg);
	}
	free(names);
	return r;
}

int cmd_stage(struct tx_ctx *ctx, const struct cli *c)
{
	struct stage_opts o = {.mirror = c->mirror, .extra = c->with};
	char *root = NULL;
	int r = stage_root(ctx, c->app, &o, &root);

	if (r < 0)
		return cli_fail(ctx, r);
	printf("%s\n", root);
	free(root);
	return 0;
}

/* The app's root: --root DIR, or the staged one. */
static int app_root(struct tx_ctx *ctx, const struct cli *c, char **root)
{
	struct stage_opts o = {.mirror = c->mirror, .extra = c->add};

	if (c->root) {
		if (!is_dir(c->root))
			return tx_fail(ctx, -ENOENT, "closure", "no root tree at '%s'", c->root);
		*root = xstrdup(c->root);
		return 0;
	}
	return stage_root(ctx, c->app, &o, root);
}

/* The app's closure into m (freed by the caller, even on failure); errors
 * before the analysis name stage. *ms (when not NULL): how long it took. */
static int app_closure(struct tx_ctx *ctx, const struct cli *c, const char *stage,
		       struct manifest *m, double *ms)
{
	struct app_spec spec = {0};
	struct strv add = {0};
	struct closure_extra x = {.add = &add};
	char *root = NULL, *ovl = NULL;
	double t0;
	int r;

	memset(m, 0, sizeof(*m));
	if (!valid_pkg_name(c->app))
		return tx_fail(ctx, -EINVAL, stage, "invalid package name '%s'", c->app);
	r = closure_add_list(ctx, stage, c->add, &add);
	if (r == 0)
		r = app_root(ctx, c, &root);
	if (r == 0)
		r = overlay_mount(ctx, root, c->overlay, c->noverlay, &ovl);
	if (r < 0) {
		strv_free(&add);
		free(root);
		return r;
	}
	manifest_init(m, c->app, ovl ? ovl : root);
	t0 = now_ms();
	r = closure_build_ex(ctx, c->app, ovl ? ovl : root, ctx->srcdir, &x, m, &spec);
	if (r == 0 && ovl)
		overlay_owners(m, root);
	/* the kernel options of the network and sysctl files, as a build asks
	 * for them (the same kernel); any NIC count: no interface is an error */
	if (r == 0)
		r = netcheck_features(ctx, m, IMGCONF_NICS_MAX, c->overlay, c->noverlay);
	if (ms)
		*ms = now_ms() - t0;
	appspec_free(&spec);
	strv_free(&add);
	overlay_umount(ovl);
	free(root);
	return r;
}

int cmd_closure(struct tx_ctx *ctx, const struct cli *c)
{
	struct manifest m;
	struct sbuf out = {0};
	double ms;
	int r = app_closure(ctx, c, "closure", &m, &ms);

	if (r == 0) {
		if (c->json)
			manifest_json(&m, &out);
		else
			manifest_text(&m, &out);
		fwrite(out.s, 1, out.len, stdout);
		tx_info(ctx,
			"closure: %zu entries, %lld bytes of files, %zu kernel features in "
			"%.1f ms",
			m.n, manifest_total_size(&m), m.nf, ms);
	}
	sbuf_free(&out);
	manifest_free(&m);
	return r < 0 ? cli_fail(ctx, r) : 0;
}

static int cmd_minimize(struct tx_ctx *ctx, const struct cli *c)
{
	struct kmin_opts o = {.app = c->app,
			      .target = c->target,
			      .budget_min = c->budget,
			      .candidates = c->candidates,
			      .trial_timeout_s = c->timeout ? c->timeout : 20,
			      .final_runs = c->runs ? c->runs : KMIN_PAIRS,
			      .out = c->out,
			      .mirror = c->mirror,
			      .root = c->root};
	struct kmin_result r;
	struct sbuf out = {0};
	int err = kmin_run(ctx, &o, &r); /* it checks the name */

	if (!err) {
		if (c->json)
			kmin_report_json(&r, &o, &out);
		else
			kmin_report_text(&r, &o, &out);
		fwrite(out.s, 1, out.len, stdout);
	}
	sbuf_free(&out);
	kmin_result_free(&r);
	return err ? cli_fail(ctx, err) : 0;
}

int cmd_kconfig(struct tx_ctx *ctx, const struct cli *c)
{
	struct manifest m;
	struct kconfig_set set = {0};
	struct sbuf out = {0};
	char *src = NULL, *ver = NULL, *bdir = NULL, *cfg = NULL, *text = NULL;
	size_t len = 0;
	int r;

	if (cli_need_target(c, "kconfig", 0))
		return TX_EXIT_USAGE;
	if (c->minimize && c->noverlay)
		return cli_usage_error("%s: --minimize takes no --overlay (it trims the kernel "
				       "of the staged app)",
				       "kconfig");
	if (c->minimize)
		return cmd_minimize(ctx, c);
	r = app_closure(ctx, c, "kconfig", &m, NULL);
	if (r == 0)
		r = kconfig_collect(ctx, ctx->srcdir, c->app, c->target, m.f, m.nf,
				    c->own_kernel ? KCOLLECT_OWN : 0, &set);
	if (r == 0)
		r = kernel_source(ctx, &src, &ver);
	if (r == 0) {
		bdir = xasprintf("%s/kbuild/%s", ctx->cache, c->target);
		r = kconfig_make(ctx, src, bdir, &set);
	}
	if (r == 0) {
		cfg = xasprintf("%s/.config", bdir);
		r = read_file(cfg, &text, &len, 1 << 24);
		if (r < 0)
			tx_fail(ctx, r, "kconfig", "cannot read '%s'", cfg);
	}
	if (r == 0) {
		if (c->json)
			kconfig_report_json(&set, text, &out);
		else
			kconfig_report_text(&set, &out);
		fwrite(out.s, 1, out.len, stdout);
	}
	sbuf_free(&out);
	free(text);
	free(cfg);
	free(bdir);
	free(src);
	free(ver);
	kconfig_set_free(&set);
	manifest_free(&m);
	return r < 0 ? cli_fail(ctx, r) : 0;
}

int cmd_kernel(struct tx_ctx *ctx, const struct cli *c)
{
	struct manifest m;
	struct kernel_out k = {0};
	int r;

	if (cli_need_target(c, "kernel", 0))
		return TX_EXIT_USAGE;
	r = app_closure(ctx, c, "kconfig", &m, NULL);
	if (r == 0)
		r = kernel_build(ctx, c->app, c->target, m.f, m.nf, ctx->srcdir,
				 c->own_kernel ? KCOLLECT_OWN : 0, &k);
	if (r == 0)
		printf("%s\n%s\n", k.bzimage, k.vmlinux);
	kernel_out_free(&k);
	manifest_free(&m);
	return r < 0 ? cli_fail(ctx, r) : 0;
}
