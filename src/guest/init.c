/* tinyx-init: PID 1 of a Tinyx VM.
 *
 * Puts a tmpfs overlay on a read-only root, mounts the API filesystems, sets
 * the hostname and the network (static from the kernel command line, else
 * DHCP), runs the one app described by /etc/tinyx/app.conf (format in
 * src/formats/appspec.h, read by formats/appconf.c, the reader the host
 * shares), watches it, and powers off when it is done. The parts: conf.c
 * (the spec), net.c (network), dhcp.c (DHCP client), svc.c (run, watch,
 * restart, reap, power off), spawn.c (every child), dom0.c (the Xen dom0
 * role), util.c (output).
 *
 * Console markers (guest/markers.h; a host times each phase with them):
 *   tinyx: init                    first thing once userspace runs
 *   tinyx: ready tcp/PORT          the first time any TCP socket listens, one
 *                                  line per port listening at that moment,
 *                                  lowest first (again after a restart)
 *   tinyx: sysctl KEY=VALUE        a sysctl.d assignment applied (sysctl.c)
 *   tinyx: net IFACE ADDR/PREFIX   the address is set and the link up (also
 *                                  each address of /etc/network/interfaces)
 *   tinyx: route DST via GW dev IF a route of that file (netcfg.c)
 *   tinyx: dhcp IFACE ADDR/PREFIX via ROUTER   a lease taken (dhcp.c), at
 *                                  any time: the app does not wait for it
 *   tinyx: mem used KB             right after the ready lines
 *   tinyx: rng ready after N ms    app.conf's "rng 1": the init waited for the
 *                                  kernel's RNG before the app (blocking on
 *                                  getrandom makes the kernel gather it)
 *   tinyx: app exited status N     or "app killed by signal N"
 *   tinyx: app done 'PROG' status 0  a oneshot app ran to its end (the VM
 *                                  stays up)
 *   tinyx: poweroff
 * Kernel command line (read from /proc/cmdline: the kernel does not pass
 * dotted parameters to init):
 *   tinyx.hostname=NAME  default /etc/hostname, else "tinyx"
 *   tinyx.ip=ADDR/PREFIX tinyx.gw=ADDR tinyx.if=IFACE (default eth0)
 *   no tinyx.ip= (or tinyx.ip=dhcp): DHCP on IFACE, in a child (dhcp.c);
 *   tinyx.ip=off: no address (lo only)
 *   tinyx.debug_shell=1  honoured only when /etc/tinyx/debug-shell exists
 *   tinyx.iperf3=HOST,SECONDS  once the app is ready, run "iperf3 -c HOST -t
 *                        SECONDS" (guest -> host throughput, for tinyx compare),
 *                        retried every 200 ms for up to 2 min until it succeeds;
 *                        marker "tinyx: iperf3 done" (or "failed")
 *   tinyx.trace=1        run the app under the tracer (trace.c): "tinyx: trace
 *                        PATH" for each file it opens or runs (the build's
 *                        trace boot)
 *   tinyx.off=poweroff|reboot  how to end; default: power off when the kernel
 *                        can (ACPI, or Xen), else reboot, which QEMU run with
 *                        -no-reboot turns into an exit (a kernel without a
 *                        power-off method would only halt)
 * Signals: SIGTERM, SIGINT (ctrl-alt-del), SIGPWR, SIGUSR1/SIGUSR2 (BusyBox
 * halt/poweroff) stop the app (SIGTERM, SIGKILL after 2 s) and power off.
 * The kernel's orderly_poweroff() (Xen "xl shutdown") runs poweroff_cmd, which
 * is set to "/init --poweroff": that signals PID 1.
 *
 * Not PID 1: `tinyx-init --print-conf FILE` prints the spec as parsed, in the
 * canonical form of appspec_text() (tests/unit/test-appspec compares what the
 * host writes with what this binary reads). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "guest/dom0.h"
#include "guest/init.h"
#include "guest/util.h"

#define CONF "/etc/tinyx/app.conf"
#define DEBUG_FLAG "/etc/tinyx/debug-shell"

struct cmdline cmd;

static void copy_val(char *dst, size_t cap, const char *v)
{
	size_t n = strcspn(v, " \n");

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = 0;
}

static void read_cmdline(void)
{
	char *c = slurp("/proc/cmdline", 4096, NULL), *h;

	strcpy(cmd.ifname, "eth0");
	h = slurp("/etc/hostname", 64, NULL);
	copy_val(cmd.hostname, sizeof(cmd.hostname), h && *h ? h : "tinyx");
	free(h);
	for (char *p = c; p && *p; p++) {
		if (p != c && p[-1] != ' ')
			continue;
		if (!strncmp(p, "tinyx.hostname=", 15))
			copy_val(cmd.hostname, sizeof(cmd.hostname), p + 15);
		else if (!strncmp(p, "tinyx.ip=", 9))
			copy_val(cmd.ip, sizeof(cmd.ip), p + 9);
		else if (!strncmp(p, "tinyx.gw=", 9))
			copy_val(cmd.gw, sizeof(cmd.gw), p + 9);
		else if (!strncmp(p, "tinyx.if=", 9))
			copy_val(cmd.ifname, sizeof(cmd.ifname), p + 9);
		else if (!strncmp(p, "tinyx.iperf3=", 13))
			copy_val(cmd.iperf3, sizeof(cmd.iperf3), p + 13);
		else if (!strncmp(p, "tinyx.trace=1", 13))
			cmd.trace = 1;
		else if (!strncmp(p, "tinyx.debug_shell=1", 19))
			cmd.debug_shell = 1;
		else if (!strncmp(p, "tinyx.off=reboot", 16))
			cmd.off = 2;
		else if (!strncmp(p, "tinyx.off=poweroff", 18))
			cmd.off = 1;
	}
	free(c);
}

static void do_mount(const char *src, const char *dir, const char *type, unsigned long fl,
		     const char *data, int optional)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, fl, data) < 0 && errno != EBUSY && !(optional && errno == ENODEV))
		say("cannot mount %s on %s: %s", type, dir, strerror(errno));
}

/* A read-only root (the squashfs disk): a tmpfs overlay on top becomes "/",
 * so the app writes where it likes (into RAM) and the disk is never written.
 * Its upper dir lives on a tmpfs mounted on the old root's /run, which the
 * overlay keeps once the old root is detached. */
static void root_overlay(void)
{
	static const char *const dirs[] = {"/run/rw", "/run/work", "/run/root"};
	struct statvfs sv;
	int r;

	if (statvfs("/", &sv) < 0 || !(sv.f_flag & ST_RDONLY))
		return;
	r = mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	for (size_t i = 0; i < 3 && r == 0; i++)
		r = mkdir(dirs[i], 0755);
	if (r == 0)
		r = mount("overlay", "/run/root", "overlay", 0,
			  "lowerdir=/,upperdir=/run/rw,workdir=/run/work");
	if (r == 0 && chdir("/run/root") == 0 && syscall(SYS_pivot_root, ".", ".") == 0 &&
	    umount2(".", MNT_DETACH) == 0 && chdir("/") == 0)
		return;
	say("cannot put a writable overlay on the read-only root: %s", strerror(errno));
}

static void mount_all(void)
{
	const unsigned long nse = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	do_mount("proc", "/proc", "proc", nse, NULL, 0);
	do_mount("sysfs", "/sys", "sysfs", nse, NULL, 0);
	do_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 0);
	do_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666",
		 1);
	do_mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 1);
	do_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0);
	do_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 0);
	static const char *const links[][2] = {{"/proc/self/fd", "/dev/fd"},
					       {"/proc/self/fd/0", "/dev/stdin"},
					       {"/proc/self/fd/1", "/dev/stdout"},
					       {"/proc/self/fd/2", "/dev/stderr"}};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][0], links[i][1]) < 0 && errno != EEXIST)
			break;
}

/* fds 0-2 on the console (the kernel opened them if /dev/console existed). */
static void console_fds(void)
{
	int fd;

	if (fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0)
			dup2(fd, i);
	close(fd);
}

/* The kernel's orderly_poweroff() runs this: "/init --poweroff". */
/* Wait until the kernel's RNG is ready. A blocking getrandom() makes the
 * kernel gather entropy from timer jitter (0.9 s under QEMU's TCG, which has
 * no RDRAND on its default CPU); until then some kernel features drop work
 * (WireGuard: every handshake). */
static void rng_wait(void)
{
	double t0 = now_ms();
	char b;
	ssize_t n;

	while ((n = getrandom(&b, 1, 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		say("cannot wait for the kernel's RNG: %s", strerror(errno));
	else
		say("rng ready after %d ms", (int)(now_ms() - t0)); /* vfmt has no %f */
}

static void set_poweroff_cmd(const char *self)
{
	int fd = open("/proc/sys/kernel/poweroff_cmd", O_WRONLY | O_CLOEXEC);
	char pc[256];
	size_t n;

	if (fd < 0)
		return;
	n = fmt(pc, sizeof(pc), "%s --poweroff", self[0] == '/' ? self : "/init");
	if (write(fd, pc, n) < 0)
		say("cannot set poweroff_cmd: %s", strerror(errno));
	close(fd);
}

static int not_pid1(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (argc == 3 && !strcmp(argv[1], "--print-conf")) {
		if (conf_load(&conf, argv[2]) < 0)
			return 1;
		conf_print(&conf);
		return 0;
	}
	if ((argc == 2 && !strcmp(argv[1], "--poweroff")) || !strcmp(base, "poweroff"))
		return kill(1, SIGUSR2) < 0;
	if (!strcmp(base, "reboot") || !strcmp(base, "halt"))
		return kill(1, SIGTERM) < 0;
	out("usage: tinyx-init --print-conf FILE | --poweroff (as PID 1: the init)\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGPWR, SIGUSR1,
				   SIGUSR2, SIGHUP,  SIGIO /* the notify and syslog sockets */};
	sigset_t set;

	if (getpid() != 1)
		return not_pid1(argc, argv);
	int early = fcntl(1, F_GETFD) >= 0; /* the kernel gave us the console */
	int have_conf;

	say(TINYX_MARK_INIT);
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	reboot(RB_DISABLE_CAD); /* ctrl-alt-del becomes SIGINT */
	root_overlay();
	mount_all();
	console_fds();
	if (!early)
		say(TINYX_MARK_INIT); /* no /dev/console in the image: late, but said */
	set_poweroff_cmd(argv[0]);
	syslog_open();
	read_cmdline();
	if (sethostname(cmd.hostname, strlen(cmd.hostname)) < 0)
		say("cannot set hostname: %s", strerror(errno));
	sysctl_apply(); /* as systemd-sysctl: before the network and the app */
	have_conf = conf_load(&conf, CONF) == 0;
	if (have_conf) /* a firewall's ruleset before any interface is up */
		start_netpre();
	net_up(&cmd);
	if (cmd.debug_shell && access(DEBUG_FLAG, F_OK) == 0)
		start_shell();
	if (dom0_role())
		dom0_setup();
	if (have_conf && !conf.netpre) {
		if (conf.rng)
			rng_wait();
		start_app();
	} else if (!have_conf)
		no_app();
	if (dom0_role())
		dom0_guest();
	svc_loop(&set);
}
