#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum kind { FLAG, TEXT, NUM, LIST };

/* Every option of every command; a command says which of them it takes. */
static const struct opt {
	const char *name;
	enum kind kind;
	size_t off;	 /* into struct cli */
	int lo, hi;	 /* NUM */
	const char *bad; /* NUM: "bad number of runs '%s'" */
} opts[] = {
    {"--json", FLAG, offsetof(struct cli, json), 0, 0, NULL},
    {"--no-verify", FLAG, offsetof(struct cli, no_verify), 0, 0, NULL},
    {"--no-trace", FLAG, offsetof(struct cli, no_trace), 0, 0, NULL},
    {"--trim", FLAG, offsetof(struct cli, trim), 0, 0, NULL},
    {"--own-kernel", FLAG, offsetof(struct cli, own_kernel), 0, 0, NULL},
    {"--debug-shell", FLAG, offsetof(struct cli, debug_shell), 0, 0, NULL},
    {"--disk", FLAG, offsetof(struct cli, disk), 0, 0, NULL},
    {"--initrd", FLAG, offsetof(struct cli, initrd), 0, 0, NULL},
    {"--breakdown", FLAG, offsetof(struct cli, breakdown), 0, 0, NULL},
    {"--console", FLAG, offsetof(struct cli, console), 0, 0, NULL},
    {"--qemu", FLAG, offsetof(struct cli, on_qemu), 0, 0, NULL},
    {"--minimize", FLAG, offsetof(struct cli, minimize), 0, 0, NULL},
    {"--no-min-mem", FLAG, offsetof(struct cli, no_min_mem), 0, 0, NULL},
    {"--stage", FLAG, offsetof(struct cli, stage_only), 0, 0, NULL},
    {"--min-mem", FLAG, offsetof(struct cli, min_mem), 0, 0, NULL},
    {"--extras", FLAG, offsetof(struct cli, extras), 0, 0, NULL},
    {"--iperf3", FLAG, offsetof(struct cli, iperf3), 0, 0, NULL},
    {"--quiet", FLAG, offsetof(struct cli, quiet), 0, 0, NULL},
    {"--boot-disk", FLAG, offsetof(struct cli, boot_disk), 0, 0, NULL},
    {"--proxy", FLAG, offsetof(struct cli, proxy), 0, 0, NULL},
    {"-q", FLAG, offsetof(struct cli, quiet), 0, 0, NULL},
    {"--root", TEXT, offsetof(struct cli, root), 0, 0, NULL},
    {"--add", TEXT, offsetof(struct cli, add), 0, 0, NULL},
    {"--mirror", TEXT, offsetof(struct cli, mirror), 0, 0, NULL},
    {"--target", TEXT, offsetof(struct cli, target), 0, 0, NULL},
    {"--out", TEXT, offsetof(struct cli, out), 0, 0, NULL},
    {"--xen-cfg", TEXT, offsetof(struct cli, xen_cfg), 0, 0, NULL},
    {"--candidates", TEXT, offsetof(struct cli, candidates), 0, 0, NULL},
    {"--with", TEXT, offsetof(struct cli, with), 0, 0, NULL},
    {"--plot", TEXT, offsetof(struct cli, plot), 0, 0, NULL},
    {"--only", TEXT, offsetof(struct cli, only), 0, 0, NULL},
    {"--format", TEXT, offsetof(struct cli, format), 0, 0, NULL},
    {"--firmware", TEXT, offsetof(struct cli, firmware), 0, 0, NULL},
    {"--forward", TEXT, offsetof(struct cli, forward), 0, 0, NULL},
    {"--overlay", LIST, offsetof(struct cli, overlay), 0, 0, NULL},
    {"--runs", NUM, offsetof(struct cli, runs), 1, 1000, "bad number of runs '%s'"},
    {"--timeout", NUM, offsetof(struct cli, timeout), 1, 3600, "bad timeout '%s'"},
    {"--memory", NUM, offsetof(struct cli, memory), 16, 65536, "bad guest memory (MB) '%s'"},
    {"--budget", NUM, offsetof(struct cli, budget), 1, 100000, "bad budget (minutes) '%s'"},
    {"--nics", NUM, offsetof(struct cli, nics), 1, 8, "bad number of NICs '%s' (1 to 8)"},
};

int cli_usage_error(const char *fmt, const char *arg)
{
	fputs("tinyx: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see 'tinyx help')\n", stderr);
	return TX_EXIT_USAGE;
}

int cli_fail(struct tx_ctx *ctx, int err)
{
	tx_signals_hold(); /* a failure caused by Ctrl-C is not reported */
	fprintf(stderr, "tinyx: %s\n", ctx->err[0] ? ctx->err : "failed");
	return tx_exit_code(err < 0 ? err : -EINVAL);
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

/* 1 when the space-separated list has word. */
static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

static const struct opt *find_opt(const char *name)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

/* One option of cmd at argv[*i]; its value (if any) is argv[*i + 1]. */
static int parse_opt(const struct cli_cmd *cmd, int argc, char **argv, int *i, struct cli *c)
{
	const char *a = argv[*i];
	const struct opt *o = find_opt(a);
	char *field = (char *)c;

	if (!o)
		return cli_usage_error("unknown option '%s'", a);
	if (!has_word(cmd->opts, a) && o->off != offsetof(struct cli, quiet)) {
		fprintf(stderr,
			"tinyx: option '%s' does not apply to '%s' (see 'tinyx %s --help')\n", a,
			cmd->name, cmd->name);
		return TX_EXIT_USAGE;
	}
	if (o->kind == FLAG) {
		*(int *)(field + o->off) = 1;
		return 0;
	}
	if (*i + 1 >= argc)
		return cli_usage_error("option '%s' needs a value", a);
	(*i)++;
	if (o->kind == LIST && c->noverlay >= (int)(sizeof(c->overlay) / sizeof(c->overlay[0])))
		return cli_usage_error("too many '%s' options (8 at most)", a);
	if (o->kind == LIST)
		c->overlay[c->noverlay++] = argv[*i];
	else if (o->kind == TEXT)
		*(const char **)(field + o->off) = argv[*i];
	else if (parse_int(argv[*i], o->lo, o->hi, (int *)(field + o->off)) < 0)
		return cli_usage_error(o->bad, argv[*i]);
	return 0;
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli *c)
{
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		int r;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			c->help = 1;
			return 0;
		}
		if (a[0] == '-' && a[1]) {
			r = parse_opt(cmd, argc, argv, &i, c);
			if (r)
				return r;
		} else if (!c->app) {
			c->app = a;
		} else {
			return cli_usage_error("unexpected argument '%s'", a);
		}
	}
	if (c->iperf3)
		c->extras = 1; /* the throughput is one of the extras */
	if (!c->app)
		return cli_usage_error(
		    cmd->args[0] == 'D' ? "%s: missing image DIR" : "%s: missing APP", cmd->name);
	return 0;
}
