#include "cli/cli.h"
#include "compare/compare.h"
#include "compare/debvm.h"
#include "formats/imgconf.h"
#include "image/build.h"
#include "probe/probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_build(struct tx_ctx *ctx, const struct cli *c)
{
	struct build_opts o = {0};
	int r;

	if (c->target && cli_need_target(c, "build", 1))
		return TX_EXIT_USAGE;
	o.app = c->app;
	o.target = c->target ? c->target : "all";
	o.out = c->out ? c->out : "out";
	o.verify = !c->no_verify;
	o.no_trace = c->no_trace;
	o.trim = c->trim;
	if (c->trim && c->no_trace)
		return cli_usage_error("%s: --trim needs the trace boot, not --no-trace", "build");
	o.own_kernel = c->own_kernel;
	o.add = c->add;
	o.debug_shell = c->debug_shell;
	o.mirror = c->mirror;
	o.root = c->root;
	o.overlays = c->overlay;
	o.noverlays = c->noverlay;
	o.nics = c->nics;
	o.disk_format = c->format;
	r = build_run(ctx, &o);
	return r < 0 ? cli_fail(ctx, r) : 0;
}

int cmd_probe(struct tx_ctx *ctx, const struct cli *c)
{
	struct probe_opts o = {0};
	struct probe_result res = {0};
	struct sbuf out = {0};
	int r;

	o.dir = c->app;
	o.runs = c->runs ? c->runs : 1;
	o.json = c->json;
	o.timeout_s = c->timeout; /* 0: 30 s, under Xen 150 s */
	o.use_disk = c->disk;
	o.use_initrd = c->initrd;
	/* --firmware: the bootable disk from that firmware (--boot-disk: BIOS) */
	if (c->firmware && strcmp(c->firmware, "bios") && strcmp(c->firmware, "uefi"))
		return cli_usage_error("unknown firmware '%s' (bios, uefi)", c->firmware);
	o.boot_disk = c->boot_disk || c->firmware;
	o.uefi = c->firmware && !strcmp(c->firmware, "uefi");
	o.breakdown = c->breakdown;
	o.xen_on_qemu = c->on_qemu;
	o.xen_cfg = c->xen_cfg;
	o.keep_console = c->console;
	o.memory_mb = c->memory;
	o.accel = "auto";
	o.extras = c->extras;
	o.iperf3 = c->iperf3;
	/* --forward: a network function; its extras are what crosses it */
	if (c->proxy && !c->forward)
		return cli_usage_error("%s needs --forward ADDR/P", "--proxy");
	if (c->forward && c->iperf3)
		return cli_usage_error("%s: the throughput is through the function, from the "
				       "probe's client",
				       "--forward and --iperf3 together");
	o.forward = c->forward;
	o.proxy = c->proxy;
	o.extras |= c->forward != NULL;
	r = probe_run(ctx, &o, &res);
	if (r == 0 && c->min_mem) /* from the image's own RAM down: each try is one boot */
		r = probe_min_mem(ctx, &o, IMGCONF_MEM_MIN - 1, res.memory_mb,
				  o.timeout_s < 20 ? o.timeout_s : 20, &res.min_boot_mb);
	/* nothing booted (a bad option or image dir): the error line says it all */
	if ((r == 0 || res.runs) && c->json)
		probe_report_json(&res, &o, &out);
	else if (r == 0 || res.runs)
		probe_report_text(&res, &o, &out);
	if (out.s)
		fwrite(out.s, 1, out.len, stdout);
	sbuf_free(&out);
	probe_result_free(&res);
	return r < 0 ? cli_fail(ctx, r) : 0;
}

int cmd_compare(struct tx_ctx *ctx, const struct cli *c)
{
	struct compare_opts o = {0};
	struct compare_result res;
	struct sbuf out = {0};
	int r;

	o.app = c->app;
	o.runs = c->runs ? c->runs : 1;
	o.out = c->out ? c->out : "out";
	o.plot = c->plot;
	o.only = c->only;
	o.no_min_mem = c->no_min_mem;
	o.forward = c->forward;
	o.proxy = c->proxy;
	o.add = c->add;
	o.overlays = c->overlay;
	o.noverlays = c->noverlay;
	o.nics = c->nics;
	o.trim = c->trim;
	if (c->proxy && !c->forward)
		return cli_usage_error("%s needs --forward ADDR/P", "--proxy");
	if (!c->forward && (c->add || c->noverlay || c->nics || c->trim))
		return cli_usage_error("%s: --add, --overlay, --nics and --trim make a network "
				       "function: with --forward ADDR/P",
				       "compare");
	if (c->forward && c->nics == 1)
		return cli_usage_error("%s: a network function has two NICs at least",
				       "compare --forward --nics 1");
	if (compare_check_only(ctx, c->only, c->forward != NULL) < 0) {
		fprintf(stderr, "tinyx: %s\n", ctx->err);
		return TX_EXIT_USAGE;
	}
	if (c->stage_only) {
		r = compare_stage(ctx, &o);
		return r < 0 ? cli_fail(ctx, r) : 0;
	}
	r = compare_run(ctx, &o, &res);
	if (c->json)
		compare_report_json(&res, &out);
	else
		compare_report_text(&res, &out);
	if (out.s)
		fwrite(out.s, 1, out.len, stdout);
	sbuf_free(&out);
	compare_result_free(&res);
	return r < 0 ? cli_fail(ctx, r) : 0;
}

int cmd_debvm(struct tx_ctx *ctx, const struct cli *c)
{
	struct debvm_job o = {.app = c->app,
			      .add = c->add,
			      .out = c->out ? c->out : "out",
			      .mirror = c->mirror,
			      .overlays = c->overlay,
			      .noverlays = c->noverlay,
			      .nics = c->nics,
			      .stage_only = c->stage_only};
	char *dir = NULL;
	int r = debvm_job_run(ctx, &o, &dir);

	if (r < 0)
		return cli_fail(ctx, r);
	printf("%s\n", dir);
	free(dir);
	return 0;
}
