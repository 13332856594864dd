/* The command line: a table of commands, each with its own options. Thin:
 * parse, call the stage, and turn an error into one line and an exit code
 * (tx_exit_code: 0 ok, 1 failed, 2 usage, 3 did not boot or serve). */
#ifndef TINYX_CLI_H
#define TINYX_CLI_H

#include "lib/util.h"

#include <stdio.h>

struct cli {
	const char *app, *root, *mirror, *target, *out, *xen_cfg, *candidates;
	const char *with, *plot, *only, *format, *firmware, *add, *forward;
	int json, no_verify, debug_shell, runs, disk, initrd, breakdown, timeout, memory, on_qemu,
	    console;
	int minimize, budget, min_mem, extras, iperf3, no_min_mem, stage_only;
	int quiet, help, boot_disk, nics, no_trace, trim, own_kernel, proxy;
	const char *overlay[8]; /* --overlay DIR, repeatable (stage/overlay.h) */
	int noverlay;
};

struct cli_cmd {
	const char *name;
	const char *args; /* "APP", "DIR" */
	const char *opts; /* the options it takes, space-separated, e.g. "--json --root" */
	const char *help; /* its usage text after "tinyx NAME ARGS" */
	int (*run)(struct tx_ctx *ctx, const struct cli *c);
};

/* The command named name, or NULL. */
const struct cli_cmd *cli_find(const char *name);
/* Parse argv[2..] for cmd into c: 0, or the exit code of a usage error
 * (the message is printed). */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli *c);
/* Print "tinyx: MSG (see 'tinyx help')" and return TX_EXIT_USAGE. */
int cli_usage_error(const char *fmt, const char *arg);
/* The usage of every command, or of one. */
void cli_usage(FILE *f, const struct cli_cmd *only);
/* 0 when --target names an image target (or "all" when all), else a usage
 * error (printed) and its exit code. */
int cli_need_target(const struct cli *c, const char *cmd, int all);
/* Print ctx->err and return the exit code for err (tx_exit_code). */
int cli_fail(struct tx_ctx *ctx, int err);

/* The commands (commands.c, run.c). */
int cmd_stage(struct tx_ctx *ctx, const struct cli *c);
int cmd_closure(struct tx_ctx *ctx, const struct cli *c);
int cmd_kconfig(struct tx_ctx *ctx, const struct cli *c);
int cmd_kernel(struct tx_ctx *ctx, const struct cli *c);
int cmd_build(struct tx_ctx *ctx, const struct cli *c);
int cmd_probe(struct tx_ctx *ctx, const struct cli *c);
int cmd_compare(struct tx_ctx *ctx, const struct cli *c);
int cmd_debvm(struct tx_ctx *ctx, const struct cli *c);

#endif
