/* tinyx: the command line. Thin: parse options, call the stage, turn errors
 * into one line and an exit code (0 ok, 1 failed, 2 usage, 3 did not boot). */
#include "image/build.h"
#include "closure/closure.h"
#include "compare/compare.h"
#include "kernel/kconfig.h"
#include "kernel/kernel.h"
#include "kernel/kmin.h"
#include "formats/imgconf.h"
#include "probe/probe.h"
#include "stage/stage.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EX_FAIL 1
#define EX_USAGE 2
#define EX_BOOT 3

static const char usage[] =
    "usage: tinyx COMMAND [ARGS]\n"
    "\n"
    "  build APP [--target kvm|xen|all] [--out DIR] [--no-verify] [--debug-shell]\n"
    "                         stage, analyse, build kernel and rootfs, emit images, boot them\n"
    "  stage APP [--mirror URL] [--with PKG,...]\n"
    "                         a cached debootstrap root with APP (and PKGs) installed\n"
    "  closure APP [--root DIR] [--json]\n"
    "                         the manifest: every file, user and group APP needs, and why\n"
    "  kconfig APP --target kvm|xen [--json]\n"
    "                         the merged, verified kernel config and why each option is set\n"
    "  kconfig APP --target kvm|xen --minimize [--budget MIN] [--candidates A,B,...]\n"
    "          [--timeout S] [--runs N] [--out FILE] [--json]\n"
    "                         switch options off by trial (build, boot, serve); write the\n"
    "                         smallest config that still serves as a fragment\n"
    "  kernel APP --target kvm|xen\n"
    "                         build (or reuse) the kernel for APP\n"
    "  probe DIR [--runs N] [--json] [--disk] [--timeout S] [--memory MB]\n"
    "            [--xen-cfg NAME] [--pvh-entry] [--console]\n"
    "                         boot an image dir under QEMU and measure it; a Xen image\n"
    "                         boots under Xen with a Tinyx dom0 (--xen-cfg APP-pv.cfg:\n"
    "                         as PV; --pvh-entry: its PVH entry on QEMU, no Xen;\n"
    "                         --console: copy the console to stderr)\n"
    "            [--extras] [--iperf3] [--min-mem]\n"
    "                         --extras: QEMU PSS and ICMP round trips too, --iperf3: and\n"
    "                         guest->host throughput (the image needs iperf3), --min-mem:\n"
    "                         the smallest RAM that serves\n"
    "  compare APP [--runs N] [--json] [--plot DIR] [--only SYS,...] [--no-min-mem]\n"
    "                         measure a Debian VM, the Tinyx images and a container side by\n"
    "                         side: image size, memory, boot, round trips, throughput\n"
    "\n"
    "environment: TINYX_CACHE (default ~/.cache/tinyx), SOURCE_DATE_EPOCH\n";

struct cli {
	const char *app, *root, *mirror, *target, *out, *dir, *xen_cfg, *candidates;
	const char *with, *plot, *only;
	int json, no_verify, debug_shell, runs, disk, timeout, memory, pvh_entry, console;
	int minimize, budget, min_mem, extras, iperf3, no_min_mem;
	int quiet;
};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("tinyx: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see 'tinyx help')\n", stderr);
	return EX_USAGE;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* Options common to all commands; the first non-option is the app or dir. */
static int parse_args(int argc, char **argv, struct cli *c)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--json")) {
			c->json = 1;
		} else if (!strcmp(a, "--no-verify")) {
			c->no_verify = 1;
		} else if (!strcmp(a, "--debug-shell")) {
			c->debug_shell = 1;
		} else if (!strcmp(a, "--disk")) {
			c->disk = 1;
		} else if (!strcmp(a, "--console")) {
			c->console = 1;
		} else if (!strcmp(a, "--pvh-entry")) {
			c->pvh_entry = 1;
		} else if (!strcmp(a, "--minimize")) {
			c->minimize = 1;
		} else if (!strcmp(a, "--no-min-mem")) {
			c->no_min_mem = 1;
		} else if (!strcmp(a, "--min-mem")) {
			c->min_mem = 1;
		} else if (!strcmp(a, "--extras")) {
			c->extras = 1;
		} else if (!strcmp(a, "--iperf3")) {
			c->extras = c->iperf3 = 1;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			c->quiet = 1;
		} else if (!strcmp(a, "--root") || !strcmp(a, "--mirror") ||
			   !strcmp(a, "--target") || !strcmp(a, "--out") || !strcmp(a, "--runs") ||
			   !strcmp(a, "--timeout") || !strcmp(a, "--memory") ||
			   !strcmp(a, "--xen-cfg") || !strcmp(a, "--budget") ||
			   !strcmp(a, "--candidates") || !strcmp(a, "--with") ||
			   !strcmp(a, "--plot") || !strcmp(a, "--only")) {
			if (!v)
				return usage_error("option '%s' needs a value", a);
			i++;
			if (!strcmp(a, "--root"))
				c->root = v;
			else if (!strcmp(a, "--mirror"))
				c->mirror = v;
			else if (!strcmp(a, "--target"))
				c->target = v;
			else if (!strcmp(a, "--with"))
				c->with = v;
			else if (!strcmp(a, "--plot"))
				c->plot = v;
			else if (!strcmp(a, "--only"))
				c->only = v;
			else if (!strcmp(a, "--out"))
				c->out = v;
			else if (!strcmp(a, "--xen-cfg"))
				c->xen_cfg = v;
			else if (!strcmp(a, "--runs") && parse_int(v, 1, 1000, &c->runs) < 0)
				return usage_error("bad number of runs '%s'", v);
			else if (!strcmp(a, "--timeout") && parse_int(v, 1, 3600, &c->timeout) < 0)
				return usage_error("bad timeout '%s'", v);
			else if (!strcmp(a, "--memory") && parse_int(v, 16, 65536, &c->memory) < 0)
				return usage_error("bad guest memory (MB) '%s'", v);
			else if (!strcmp(a, "--budget") && parse_int(v, 1, 100000, &c->budget) < 0)
				return usage_error("bad budget (minutes) '%s'", v);
			else if (!strcmp(a, "--candidates"))
				c->candidates = v;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option '%s'", a);
		} else if (!c->app) {
			c->app = a;
		} else {
			return usage_error("unexpected argument '%s'", a);
		}
	}
	return 0;
}

/* The project dir: fragments and overlays live there. */
static char *project_dir(void)
{
	const char *env = getenv("TINYX_HOME");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env)
		return xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *d1 = path_dirname(exe), *d2 = path_dirname(d1);
		char *frag = xasprintf("%s/kconfig-fragments", d2);

		free(d1);
		if (is_dir(frag)) {
			free(frag);
			return d2;
		}
		free(frag);
		free(d2);
	}
	return xstrdup(".");
}

static char *cache_dir(void)
{
	const char *env = getenv("TINYX_CACHE");
	const char *home = getenv("HOME");

	if (env && *env)
		return xstrdup(env);
	return xasprintf("%s/.cache/tinyx", home && *home ? home : "/root");
}

static int fail(struct tx_ctx *ctx, int code)
{
	fprintf(stderr, "tinyx: %s\n", ctx->err[0] ? ctx->err : "failed");
	return code;
}

static int need_app(const struct cli *c, const char *cmd)
{
	if (!c->app)
		return usage_error("%s: missing APP", cmd);
	return 0;
}

static int need_target(const struct cli *c, const char *cmd)
{
	if (!c->target)
		return usage_error("%s: missing --target kvm|xen", cmd);
	if (strcmp(c->target, "kvm") && strcmp(c->target, "xen"))
		return usage_error("unknown target '%s' (kvm or xen)", c->target);
	return 0;
}

static int cmd_stage(struct tx_ctx *ctx, struct cli *c)
{
	struct stage_opts o = {.mirror = c->mirror, .extra = c->with};
	char *root = NULL;

	if (need_app(c, "stage"))
		return EX_USAGE;
	if (stage_root(ctx, c->app, &o, &root) < 0)
		return fail(ctx, EX_FAIL);
	printf("%s\n", root);
	free(root);
	return 0;
}

/* The app's root: --root DIR, or the staged one. */
static int app_root(struct tx_ctx *ctx, struct cli *c, char **root)
{
	struct stage_opts o = {.mirror = c->mirror};

	if (c->root) {
		if (!is_dir(c->root))
			return tx_fail(ctx, -ENOENT, "closure", "no root tree at '%s'", c->root);
		*root = xstrdup(c->root);
		return 0;
	}
	return stage_root(ctx, c->app, &o, root);
}

static int cmd_closure(struct tx_ctx *ctx, struct cli *c)
{
	struct manifest m;
	struct app_spec spec = {0};
	struct sbuf out = {0};
	char *root = NULL;
	double t0;
	int r;

	if (need_app(c, "closure"))
		return EX_USAGE;
	if (!valid_pkg_name(c->app)) {
		tx_fail(ctx, -EINVAL, "closure", "invalid package name '%s'", c->app);
		return fail(ctx, EX_FAIL);
	}
	if (app_root(ctx, c, &root) < 0)
		return fail(ctx, EX_FAIL);
	manifest_init(&m, c->app, root);
	t0 = now_ms();
	r = closure_build(ctx, c->app, root, ctx->srcdir, &m, &spec);
	if (r == 0) {
		if (c->json)
			manifest_json(&m, &out);
		else
			manifest_text(&m, &out);
		fwrite(out.s, 1, out.len, stdout);
		tx_info(ctx,
			"closure: %zu entries, %lld bytes of files, %zu kernel features in "
			"%.1f ms",
			m.n, manifest_total_size(&m), m.nf, now_ms() - t0);
	}
	sbuf_free(&out);
	manifest_free(&m);
	appspec_free(&spec);
	free(root);
	return r < 0 ? fail(ctx, EX_FAIL) : 0;
}

/* The app's kernel features, from its closure. */
static int app_features(struct tx_ctx *ctx, struct cli *c, struct manifest *m)
{
	struct app_spec spec = {0};
	char *root = NULL;
	int r;

	if (!valid_pkg_name(c->app))
		return tx_fail(ctx, -EINVAL, "kconfig", "invalid package name '%s'", c->app);
	r = app_root(ctx, c, &root);
	if (r < 0)
		return r;
	manifest_init(m, c->app, root);
	r = closure_build(ctx, c->app, root, ctx->srcdir, m, &spec);
	appspec_free(&spec);
	free(root);
	return r;
}

static int cmd_minimize(struct tx_ctx *ctx, struct cli *c)
{
	struct kmin_opts o = {.app = c->app,
			      .target = c->target,
			      .budget_min = c->budget,
			      .candidates = c->candidates,
			      .trial_timeout_s = c->timeout ? c->timeout : 20,
			      .final_runs = c->runs ? c->runs : 5,
			      .out = c->out,
			      .mirror = c->mirror,
			      .root = c->root};
	struct kmin_result r;
	struct sbuf out = {0};
	int err;

	if (!valid_pkg_name(c->app)) {
		tx_fail(ctx, -EINVAL, "kconfig", "invalid package name '%s'", c->app);
		return fail(ctx, EX_FAIL);
	}
	err = kmin_run(ctx, &o, &r);
	if (!err) {
		if (c->json)
			kmin_report_json(&r, &o, &out);
		else
			kmin_report_text(&r, &o, &out);
		fwrite(out.s, 1, out.len, stdout);
	}
	sbuf_free(&out);
	kmin_result_free(&r);
	return err ? fail(ctx, err == -ETIMEDOUT ? EX_BOOT : EX_FAIL) : 0;
}

static int cmd_kconfig(struct tx_ctx *ctx, struct cli *c)
{
	struct manifest m;
	struct kconfig_set set = {0};
	struct sbuf out = {0};
	char *src = NULL, *ver = NULL, *bdir = NULL, *cfg = NULL, *text = NULL;
	size_t len = 0;
	int r;

	if (need_app(c, "kconfig") || need_target(c, "kconfig"))
		return EX_USAGE;
	if (c->minimize)
		return cmd_minimize(ctx, c);
	r = app_features(ctx, c, &m);
	if (r == 0)
		r = kconfig_collect(ctx, ctx->srcdir, c->app, c->target, m.f, m.nf, 0, &set);
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
	return r < 0 ? fail(ctx, EX_FAIL) : 0;
}

static int cmd_kernel(struct tx_ctx *ctx, struct cli *c)
{
	struct manifest m;
	struct kernel_out k = {0};
	int r;

	if (need_app(c, "kernel") || need_target(c, "kernel"))
		return EX_USAGE;
	r = app_features(ctx, c, &m);
	if (r == 0)
		r = kernel_build(ctx, c->app, c->target, m.f, m.nf, ctx->srcdir, &k);
	if (r == 0)
		printf("%s\n%s\n", k.bzimage, k.vmlinux);
	kernel_out_free(&k);
	manifest_free(&m);
	return r < 0 ? fail(ctx, EX_FAIL) : 0;
}

static int cmd_probe(struct tx_ctx *ctx, struct cli *c)
{
	struct probe_opts o = {0};
	struct probe_result res = {0};
	struct sbuf out = {0};
	int r;

	if (!c->app)
		return usage_error("%s: missing image DIR", "probe");
	o.dir = c->app;
	o.runs = c->runs ? c->runs : 1;
	o.json = c->json;
	o.timeout_s = c->timeout; /* 0: 30 s, under Xen 150 s */
	o.use_disk = c->disk;
	o.xen_pvh_entry = c->pvh_entry;
	o.xen_cfg = c->xen_cfg;
	o.keep_console = c->console;
	o.memory_mb = c->memory;
	o.accel = "auto";
	o.extras = c->extras;
	o.iperf3 = c->iperf3;
	r = probe_run(ctx, &o, &res);
	if (r == 0 && c->min_mem) {
		int mb;
		/* from the image's own RAM down: each try is one boot */
		r = probe_min_mem(ctx, &o, IMGCONF_MEM_MIN - 1, res.memory_mb,
				  o.timeout_s < 20 ? o.timeout_s : 20, &mb);
		res.min_boot_mb = mb;
	}
	if (c->json)
		probe_report_json(&res, &o, &out);
	else
		probe_report_text(&res, &o, &out);
	if (out.s)
		fwrite(out.s, 1, out.len, stdout);
	sbuf_free(&out);
	probe_result_free(&res);
	if (r < 0) {
		fprintf(stderr, "tinyx: %s\n", ctx->err);
		return r == -EINVAL || r == -ENOENT || r == -ERANGE ? EX_FAIL : EX_BOOT;
	}
	return 0;
}

/* Our children must be ours to stop: lead a process group of our own, unless
 * we are in the terminal's foreground group (Ctrl-C reaches all of it, and
 * leaving it would cut us off from the terminal). */
static void own_process_group(void)
{
	if (getpgrp() == getpid())
		return;
	if (isatty(0) && tcgetpgrp(0) == getpgrp())
		return;
	setpgid(0, 0);
}

static int cmd_compare(struct tx_ctx *ctx, struct cli *c)
{
	struct compare_opts o = {0};
	struct compare_result res;
	struct sbuf out = {0};
	int r;

	if (need_app(c, "compare"))
		return EX_USAGE;
	o.app = c->app;
	o.runs = c->runs ? c->runs : 1;
	o.out = c->out ? c->out : "out";
	o.plot = c->plot;
	o.only = c->only;
	o.no_min_mem = c->no_min_mem;
	r = compare_run(ctx, &o, &res);
	if (c->json)
		compare_report_json(&res, &out);
	else
		compare_report_text(&res, &out);
	if (out.s)
		fwrite(out.s, 1, out.len, stdout);
	sbuf_free(&out);
	if (r == -ETIMEDOUT || r == -EIO)
		return fail(ctx, EX_BOOT);
	return r < 0 ? fail(ctx, EX_FAIL) : 0;
}

static int cmd_build(struct tx_ctx *ctx, struct cli *c)
{
	struct build_opts o = {0};
	int r;

	if (need_app(c, "build"))
		return EX_USAGE;
	if (c->target && strcmp(c->target, "kvm") && strcmp(c->target, "xen") &&
	    strcmp(c->target, "all"))
		return usage_error("unknown target '%s' (kvm, xen or all)", c->target);
	o.app = c->app;
	o.target = c->target ? c->target : "all";
	o.out = c->out ? c->out : "out";
	o.verify = !c->no_verify;
	o.debug_shell = c->debug_shell;
	o.mirror = c->mirror;
	o.root = c->root;
	r = build_run(ctx, &o);
	if (r == -ETIMEDOUT || r == -EPIPE)
		return fail(ctx, EX_BOOT);
	return r < 0 ? fail(ctx, EX_FAIL) : 0;
}

int main(int argc, char **argv)
{
	struct tx_ctx ctx = {0};
	struct cli c = {0};
	int r;

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : 0;
	}
	r = parse_args(argc, argv, &c);
	if (r)
		return r;
	char *cache = cache_dir(), *proj = project_dir();
	ctx.cache = cache;
	ctx.srcdir = proj;
	ctx.verbose = c.quiet ? 0 : 1;
	ctx.tty = isatty(2);
	/* children (debootstrap, make, qemu) get no terminal input */
	signal(SIGPIPE, SIG_IGN);
	own_process_group();
	/* Ctrl-C, SIGTERM or SIGHUP in any command: the children of this run
	 * stop, its temp dirs and QEMUs go, and tinyx dies of the signal */
	if (tx_signals_start() < 0) {
		fputs("tinyx: cannot set up signal handling\n", stderr);
		return EX_FAIL;
	}

	if (!strcmp(argv[1], "stage"))
		r = cmd_stage(&ctx, &c);
	else if (!strcmp(argv[1], "closure"))
		r = cmd_closure(&ctx, &c);
	else if (!strcmp(argv[1], "kconfig"))
		r = cmd_kconfig(&ctx, &c);
	else if (!strcmp(argv[1], "kernel"))
		r = cmd_kernel(&ctx, &c);
	else if (!strcmp(argv[1], "probe"))
		r = cmd_probe(&ctx, &c);
	else if (!strcmp(argv[1], "build"))
		r = cmd_build(&ctx, &c);
	else if (!strcmp(argv[1], "compare"))
		r = cmd_compare(&ctx, &c);
	else
		r = usage_error("unknown command '%s'", argv[1]);
	free(cache);
	free(proj);
	return r;
}
