/* tinyx: the command line. Thin: find the command in the table, parse its
 * options, call the stage, turn an error into one line and an exit code. */
#include "cli/cli.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct cli_cmd cmds[] = {
    {"build", "APP",
     "--target --out --no-verify --no-trace --trim --debug-shell --mirror --root --overlay "
     "--format --nics --add --own-kernel",
     "[--target kvm|xen|all] [--out DIR] [--no-verify] [--no-trace] [--trim] [--debug-shell]\n"
     "        [--overlay DIR]... [--format qcow2|raw|both|none] [--nics N] [--add PKG,...]\n"
     "        [--own-kernel]\n"
     "        stage, analyse, build kernel and rootfs, emit images, boot them;\n"
     "        --add: more packages in the image, their oneshot units run first;\n"
     "        the trace boot runs the app once on its whole staged root and adds\n"
     "        what it opened (--no-trace: the static analysis only; --trim: the\n"
     "        packages' programs and modules it never ran or loaded stay out);\n"
     "        --overlay: DIR's files over the staged root before the analysis and\n"
     "        in the image (your config; repeatable, the last wins); --format: the\n"
     "        KVM image's bootable disk, APP.qcow2 (default) and/or APP.img (raw);\n"
     "        --nics: N virtio NICs, eth0..eth(N-1) (1 to 8, default 1);\n"
     "        --own-kernel: no service baseline in the kernel (smaller, but a\n"
     "        kernel build of its own instead of the one most services share)",
     cmd_build},
    {"stage", "APP", "--mirror --with",
     "[--mirror URL] [--with PKG,...]\n"
     "        a cached debootstrap root with APP (and PKGs) installed",
     cmd_stage},
    {"closure", "APP", "--root --json --mirror --overlay --add",
     "[--root DIR] [--json] [--overlay DIR]... [--add PKG,...]\n"
     "        the manifest: every file, user and group APP needs, and why",
     cmd_closure},
    {"kconfig", "APP",
     "--target --json --minimize --budget --candidates --timeout --runs --out --mirror --root "
     "--overlay --own-kernel --add",
     "--target kvm|xen [--json] [--own-kernel] [--overlay DIR]... [--add PKG,...]\n"
     "        the merged, verified kernel config and why each option is set\n"
     "    --minimize [--budget MIN] [--candidates A,B,...] [--timeout S] [--runs N]\n"
     "        [--out FILE]: switch options off by trial (build, boot, serve); write\n"
     "        the smallest config that still serves as a fragment",
     cmd_kconfig},
    {"kernel", "APP", "--target --mirror --root --overlay --own-kernel --add",
     "--target kvm|xen [--own-kernel] [--overlay DIR]... [--add PKG,...]\n"
     "        build (or reuse) the kernel for APP (with the overlays and\n"
     "        packages of a build: the same kernel)",
     cmd_kernel},
    {"probe", "DIR",
     "--runs --json --disk --initrd --breakdown --timeout --memory --xen-cfg --qemu --console "
     "--extras --iperf3 --min-mem --boot-disk --firmware --forward --proxy",
     "[--runs N] [--json] [--disk|--initrd|--boot-disk|--firmware bios|uefi]\n"
     "        [--timeout S] [--memory MB]\n"
     "        [--xen-cfg NAME] [--qemu] [--console] [--extras] [--iperf3] [--min-mem]\n"
     "        [--breakdown] [--forward ADDR/P [--proxy]]\n"
     "        boot an image dir under QEMU and measure it, from its disk when it has\n"
     "        one (--initrd: from its initrd); a Xen image boots under Xen\n"
     "        with a Tinyx dom0 (--xen-cfg APP-pv.cfg: as PV; --qemu: on QEMU microvm\n"
     "        on QEMU, no Xen; --console: copy the console to stderr); --extras: QEMU\n"
     "        PSS and ICMP round trips too, --iperf3: and guest->host throughput (the\n"
     "        image needs iperf3), --min-mem: the smallest RAM that serves,\n"
     "        --breakdown: where the boot time goes, step by step; --boot-disk:\n"
     "        boot its bootable disk (APP.qcow2) from BIOS on -M pc, no -kernel;\n"
     "        --firmware uefi: from UEFI (OVMF) on -M q35, at least 96 MB, 90 s\n"
     "        timeout unless --timeout (--firmware bios: as --boot-disk);\n"
     "        --forward ADDR/P: the image is a network function with two NICs,\n"
     "        ADDR/P its eth1's address: the probe makes a client net (eth0)\n"
     "        and a server net (eth1; servers at the first two other addresses\n"
     "        of P, HTTP on tcp/8080, iperf3 on tcp/5201) and measures boot to\n"
     "        forwarding (the first answer through it), the round trip it adds\n"
     "        and the throughput through it (--proxy: the client asks the VM's\n"
     "        own eth0, a proxy or load balancer in front of the servers)",
     cmd_probe},
    {"debian-vm", "APP", "--add --nics --overlay --out --mirror --stage",
     "[--add PKG,...] [--nics N] [--overlay DIR]... [--out DIR] [--stage]\n"
     "        the standard Debian VM doing the job of the Tinyx image built with\n"
     "        the same options (systemd, Debian's kernel, the packages' units, the\n"
     "        overlays' files): OUT/debian-vm/APP with its run-qemu.sh, for\n"
     "        side-by-side figures (bench/vnf.sh); --stage: only stage its\n"
     "        Debian root (a later run makes the disk at once)",
     cmd_debvm},
    {"compare", "APP",
     "--runs --json --plot --only --no-min-mem --out --stage --forward --proxy --add --overlay "
     "--nics --trim",
     "[--runs N] [--json] [--plot DIR] [--only SYS,...] [--no-min-mem] [--stage]\n"
     "        [--forward ADDR/P [--proxy] [--add PKG,...] [--overlay DIR]... [--nics N]\n"
     "        [--trim]]\n"
     "        measure a Debian VM, the Tinyx images, a container and the\n"
     "        unikernels minios, osv and unikraft (from their sources in\n"
     "        TINYX_THIRD_PARTY) side by side: image size, memory, boot,\n"
     "        round trips, throughput; --stage: only stage the Debian roots\n"
     "        they need (a later run measures at once); --forward: APP is a\n"
     "        network function (made with --add, --overlay, --nics, --trim as\n"
     "        tinyx build makes it), ADDR/P its eth1's address as for tinyx\n"
     "        probe --forward: the Debian VM, the Tinyx VM and a container doing\n"
     "        its job, measured by what crosses them (boot to forwarding, round\n"
     "        trip, throughput)",
     cmd_compare},
};

const struct cli_cmd *cli_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

void cli_usage(FILE *f, const struct cli_cmd *only)
{
	fputs(only ? "usage:" : "usage: tinyx COMMAND [ARGS] [-q]\n\n", f);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!only || only == &cmds[i])
			fprintf(f, "  tinyx %s %s %s\n", cmds[i].name, cmds[i].args, cmds[i].help);
	fputs("\n'tinyx COMMAND --help' for one command; -q: no progress lines\n"
	      "environment: TINYX_CACHE (default ~/.cache/tinyx), SOURCE_DATE_EPOCH,\n"
	      "  TINYX_THIRD_PARTY (compare's unikernel sources; default ../shared/third_party\n"
	      "  beside the project)\n",
	      f);
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

int main(int argc, char **argv)
{
	struct tx_ctx ctx = {0};
	struct cli c = {0};
	const struct cli_cmd *cmd;
	int r;

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		cli_usage(argc < 2 ? stderr : stdout, argc > 2 ? cli_find(argv[2]) : NULL);
		return argc < 2 ? TX_EXIT_USAGE : 0;
	}
	cmd = cli_find(argv[1]);
	if (!cmd)
		return cli_usage_error("unknown command '%s'", argv[1]);
	r = cli_parse(cmd, argc, argv, &c);
	if (r || c.help) {
		if (c.help)
			cli_usage(stdout, cmd);
		return r;
	}
	char *cache = cache_dir(), *proj = project_dir();
	ctx.cache = cache;
	ctx.srcdir = proj;
	ctx.stage = cmd->name; /* whose input a shared parser reads, unless a stage says */
	ctx.verbose = c.quiet ? 0 : 1;
	ctx.tty = isatty(2);
	signal(SIGPIPE, SIG_IGN);
	own_process_group();
	/* Ctrl-C, SIGTERM or SIGHUP in any command: the children of this run
	 * stop, its temp dirs and QEMUs go, and tinyx dies of the signal */
	if (tx_signals_start() < 0) {
		fputs("tinyx: cannot set up signal handling\n", stderr);
		return TX_EXIT_FAIL;
	}
	r = cmd->run(&ctx, &c);
	tx_signals_hold();
	free(cache);
	free(proj);
	return r;
}
