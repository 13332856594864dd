/* tinyx-init: PID 1 of a Tinyx VM.
 *
 * Mounts the API filesystems, sets the hostname and a static network from the
 * kernel command line, runs the one app described by /etc/tinyx/app.conf
 * (format in src/appspec.h), watches it, and powers off when it is done.
 *
 * Console markers (a host times each phase with them):
 *   tinyx: init                    first thing once userspace runs
 *   tinyx: ready tcp/PORT          the first time any TCP socket listens, one
 *                                  line per port listening at that moment,
 *                                  lowest first (again after a restart)
 *   tinyx: net IFACE ADDR/PREFIX   the address is set and the link up
 *   tinyx: mem used KB             right after the ready lines
 *   tinyx: app exited status N     or "app killed by signal N"
 *   tinyx: poweroff
 * Kernel command line (read from /proc/cmdline: the kernel does not pass
 * dotted parameters to init):
 *   tinyx.hostname=NAME  default /etc/hostname, else "tinyx"
 *   tinyx.ip=ADDR/PREFIX tinyx.gw=ADDR tinyx.if=IFACE (default eth0)
 *   tinyx.debug_shell=1  honoured only when /etc/tinyx/debug-shell exists
 *   tinyx.iperf3=HOST,SECONDS  once the app is ready, run "iperf3 -c HOST -t
 *                        SECONDS" (guest -> host throughput, for tinyx compare),
 *                        retried every 200 ms for up to 2 min until it succeeds;
 *                        marker "tinyx: iperf3 done" (or "failed")
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
 * canonical form of appspec_text() (tests compare the two parsers). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dom0.h"

#define CONF "/etc/tinyx/app.conf"
#define DEBUG_FLAG "/etc/tinyx/debug-shell"
#define MAX_RESTARTS 5
#define MAX_GROUPS 32
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct list {
	char **v;
	int n;
};

static struct spec {
	struct list argv, env, dirs;
	unsigned uid, gid, groups[MAX_GROUPS];
	int has_user, ngroups, forking, restart;
	char *pidfile, *workdir;
} spec;

static struct cmdline {
	char hostname[65], ip[64], gw[64], ifname[IFNAMSIZ], iperf3[80];
	int debug_shell, off; /* off: 0 auto, 1 power off, 2 reboot */
} cmd;

enum app_state { APP_NONE, APP_RUNNING, APP_STARTING, APP_WAIT_PIDFILE };

static struct state {
	enum app_state app;
	pid_t pid;   /* the app (or the forking starter while APP_STARTING) */
	pid_t shell; /* debug shell */
	int restarts, ready, ready_once;
	double since; /* ms: start of the current phase (ready poll, pid file wait) */
} st;

/* A small formatter (%s %.*s %d %u %ld %lu %lo %x, '0' flag, width): musl's
 * printf brings the float code and doubles the size of this program. */
static size_t vfmt(char *buf, size_t cap, const char *f, va_list ap)
{
	size_t n = 0;

#define PUT(c) (n + 1 < cap ? (void)(buf[n++] = (c)) : (void)0)
	for (; *f; f++) {
		char tmp[24], *e = tmp + sizeof(tmp), *p = e, pad = ' ';
		int width = 0, prec = -1, lng = 0, neg = 0;
		unsigned long v;

		if (*f != '%') {
			PUT(*f);
			continue;
		}
		if (*++f == '0')
			pad = *f++;
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		if (f[0] == '.' && f[1] == '*') {
			prec = va_arg(ap, int);
			f += 2;
		}
		while (*f == 'l' || *f == 'z')
			lng = *f++;
		if (*f == 's') {
			const char *str = va_arg(ap, const char *);

			for (int i = 0; str && str[i] && (prec < 0 || i < prec); i++)
				PUT(str[i]);
			continue;
		}
		if (*f == 'd') {
			long sv = lng ? va_arg(ap, long) : va_arg(ap, int);

			neg = sv < 0;
			v = neg ? 0ul - (unsigned long)sv : (unsigned long)sv;
		} else {
			v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
		}
		unsigned base = *f == 'o' ? 8 : *f == 'x' ? 16 : 10;
		do
			*--p = "0123456789abcdef"[v % base];
		while ((v /= base) && p > tmp + 1);
		if (neg)
			*--p = '-';
		for (int i = (int)(e - p); i < width; i++)
			PUT(pad);
		while (p < e)
			PUT(*p++);
	}
#undef PUT
	buf[n] = 0;
	return n;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	size_t n = 7;

	memcpy(buf, "tinyx: ", 7);
	va_start(ap, fmt);
	n += vfmt(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	buf[n++] = '\n';
	if (write(1, buf, n) < 0) {
		/* no console tty (yet): the kernel log reaches the console too */
		int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

		if (fd >= 0 && write(fd, buf, n) < 0) {
			/* nothing else to tell it to */
		}
		if (fd >= 0)
			close(fd);
	}
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = vfmt(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(1, buf, n) < 0) {
		/* stdout closed */
	}
}

static size_t va_fmt(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static size_t va_fmt(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = vfmt(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}

static void out_line(const char *kw, const char *val)
{
	out("%s ", kw);
	if (write(1, val, strlen(val)) < 0 || write(1, "\n", 1) < 0) {
		/* stdout closed */
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Read a small file whole, NUL-terminated; NULL on error. */
static char *slurp(const char *path, size_t max, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *b;
	size_t len = 0;

	if (fd < 0)
		return NULL;
	b = malloc(max + 1);
	while (b && len < max) {
		ssize_t r = read(fd, b + len, max - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (b)
		b[len] = 0;
	if (lenp)
		*lenp = len;
	return b;
}

static int list_push(struct list *l, char *s)
{
	char **v = realloc(l->v, (size_t)(l->n + 2) * sizeof(*v));

	if (!v)
		return -1;
	l->v = v;
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

/* Strict unsigned parse of a whole token. */
static int num(const char *s, int base, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, base);
	return errno || *end || *out > max ? -1 : 0;
}

static int parse_dir(char *v, char **path, unsigned long f[3])
{
	char *save = NULL, *tok[5];
	int k = 0;

	if (!*v || v[0] == ' ' || v[strlen(v) - 1] == ' ' || strstr(v, "  "))
		return -1;
	for (char *t = strtok_r(v, " ", &save); t && k < 5; t = strtok_r(NULL, " ", &save))
		tok[k++] = t;
	if (k != 4 || tok[0][0] != '/' || num(tok[1], 8, 07777, &f[0]) ||
	    num(tok[2], 10, 4294967294ul, &f[1]) || num(tok[3], 10, 4294967294ul, &f[2]))
		return -1;
	*path = tok[0];
	return 0;
}

static int directive(char *kw, char *v)
{
	unsigned long u, f[3];
	char *path;

	if (!strcmp(kw, "arg"))
		return list_push(&spec.argv, v);
	if (!strcmp(kw, "env"))
		return strchr(v, '=') && v[0] != '=' ? list_push(&spec.env, v) : -1;
	if (!strcmp(kw, "dir")) {
		char *canon = malloc(strlen(v) + 40);

		if (!canon || parse_dir(v, &path, f))
			return -1;
		char head[64];

		va_fmt(head, sizeof(head), " %04lo %lu %lu", f[0], f[1], f[2]);
		memcpy(canon, path, strlen(path));
		strcpy(canon + strlen(path), head);
		return list_push(&spec.dirs, canon);
	}
	if (!strcmp(kw, "user") || !strcmp(kw, "group")) {
		if (num(v, 10, 4294967294ul, &u))
			return -1;
		*(kw[0] == 'u' ? &spec.uid : &spec.gid) = (unsigned)u;
		spec.has_user = 1;
		return 0;
	}
	if (!strcmp(kw, "groups")) {
		char *save = NULL;

		if (!*v || v[0] == ' ' || v[strlen(v) - 1] == ' ' || strstr(v, "  "))
			return -1;
		spec.ngroups = 0;
		for (char *t = strtok_r(v, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			if (spec.ngroups == MAX_GROUPS || num(t, 10, 4294967294ul, &u))
				return -1;
			spec.groups[spec.ngroups++] = (unsigned)u;
		}
		return 0;
	}
	if (!strcmp(kw, "forking"))
		return num(v, 10, 1, &u) ? -1 : (spec.forking = (int)u, 0);
	if (!strcmp(kw, "restart")) {
		if (strcmp(v, "no") && strcmp(v, "on-failure"))
			return -1;
		spec.restart = v[0] == 'o';
		return 0;
	}
	if (!strcmp(kw, "pidfile") || !strcmp(kw, "workdir")) {
		if (v[0] != '/' || strchr(v, '\r'))
			return -1;
		*(kw[0] == 'p' ? &spec.pidfile : &spec.workdir) = v;
		return 0;
	}
	return -1;
}

/* Parse the app spec in place (the buffer is kept: the spec points into it). */
static int parse_conf(const char *path)
{
	size_t len;
	char *text = slurp(path, 1 << 20, &len), *line, *next;
	int lineno = 0;

	if (!text) {
		say("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (strlen(text) != len) {
		say("%s: NUL byte", path);
		return -1;
	}
	for (line = text; line && *line; line = next) {
		char *sp, *b = line;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		while (*b == ' ' || *b == '\t')
			b++;
		if (!*b || *b == '#')
			continue;
		sp = strchr(line, ' ');
		if (sp)
			*sp = 0;
		if (!sp || directive(line, sp + 1)) {
			say("%s: line %d: bad directive '%.32s'", path, lineno, line);
			return -1;
		}
	}
	if (!spec.argv.n || spec.argv.v[0][0] != '/' || (spec.forking && !spec.pidfile)) {
		say("%s: no absolute command, or forking without pidfile", path);
		return -1;
	}
	return 0;
}

static void print_conf(void)
{
	out("# tinyx app spec: read by /init (see src/appspec.h)\n");
	for (int i = 0; i < spec.argv.n; i++)
		out_line("arg", spec.argv.v[i]);
	for (int i = 0; i < spec.env.n; i++)
		out_line("env", spec.env.v[i]);
	if (spec.has_user)
		out("user %u\ngroup %u\n", spec.uid, spec.gid);
	if (spec.ngroups) {
		out("groups");
		for (int i = 0; i < spec.ngroups; i++)
			out(" %u", spec.groups[i]);
		out("\n");
	}
	for (int i = 0; i < spec.dirs.n; i++)
		out_line("dir", spec.dirs.v[i]);
	if (spec.workdir)
		out_line("workdir", spec.workdir);
	if (spec.pidfile)
		out_line("pidfile", spec.pidfile);
	out("forking %d\nrestart %s\n", spec.forking, spec.restart ? "on-failure" : "no");
}

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

static int if_up(int s, const char *name)
{
	struct ifreq ifr = {0};

	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static int set_addr(int s, unsigned long req, const char *name, struct in_addr a)
{
	struct ifreq ifr = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
	sin->sin_family = AF_INET;
	sin->sin_addr = a;
	return ioctl(s, req, &ifr);
}

static void net_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char addr[64], *slash;
	unsigned long prefix = 32;
	struct in_addr a, mask, gw;

	if (s < 0)
		return; /* no IPv4 in this kernel */
	if (if_up(s, "lo") < 0)
		say("cannot bring up lo: %s", strerror(errno));
	if (!cmd.ip[0])
		goto out;
	memcpy(addr, cmd.ip, sizeof(addr));
	slash = strchr(addr, '/');
	if (slash)
		*slash++ = 0;
	if (inet_pton(AF_INET, addr, &a) != 1 || (slash && num(slash, 10, 32, &prefix))) {
		say("bad tinyx.ip '%s' (want ADDR/PREFIX)", cmd.ip);
		goto out;
	}
	mask.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
	if (set_addr(s, SIOCSIFADDR, cmd.ifname, a) < 0 ||
	    set_addr(s, SIOCSIFNETMASK, cmd.ifname, mask) < 0 || if_up(s, cmd.ifname) < 0) {
		say("cannot configure %s: %s", cmd.ifname, strerror(errno));
		goto out;
	}
	if (cmd.gw[0]) {
		struct rtentry rt = {0};
		struct sockaddr_in *dst = (struct sockaddr_in *)&rt.rt_dst;
		struct sockaddr_in *gwa = (struct sockaddr_in *)&rt.rt_gateway;
		struct sockaddr_in *gm = (struct sockaddr_in *)&rt.rt_genmask;

		if (inet_pton(AF_INET, cmd.gw, &gw) != 1) {
			say("bad tinyx.gw '%s'", cmd.gw);
			goto out;
		}
		dst->sin_family = gwa->sin_family = gm->sin_family = AF_INET;
		gwa->sin_addr = gw;
		rt.rt_flags = RTF_UP | RTF_GATEWAY;
		rt.rt_dev = cmd.ifname;
		if (ioctl(s, SIOCADDRT, &rt) < 0)
			say("cannot add default route via %s: %s", cmd.gw, strerror(errno));
	}
	say("net %s %s", cmd.ifname, cmd.ip);
out:
	close(s);
}

static void make_dirs(void)
{
	for (int i = 0; i < spec.dirs.n; i++) {
		char *d = strdup(spec.dirs.v[i]), *path;
		unsigned long f[3];

		if (!d || parse_dir(d, &path, f)) {
			free(d);
			continue;
		}
		for (char *p = path + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = 0;
			mkdir(path, 0755);
			*p = '/';
		}
		if ((mkdir(path, (mode_t)f[0]) < 0 && errno != EEXIST) ||
		    chown(path, (uid_t)f[1], (gid_t)f[2]) < 0 || chmod(path, (mode_t)f[0]) < 0)
			say("cannot create dir %s: %s", path, strerror(errno));
		free(d);
	}
}

static void child_exec(char **argv, char **envp, int drop)
{
	sigset_t all;
	int fd;

	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	setsid();
	fd = open("/dev/null", O_RDONLY);
	if (fd > 0) {
		dup2(fd, 0);
		close(fd);
	}
	if (drop) {
		gid_t g[MAX_GROUPS];

		for (int i = 0; i < spec.ngroups; i++)
			g[i] = spec.groups[i];
		if (setgroups((size_t)spec.ngroups, g) < 0 || setgid(spec.gid) < 0 ||
		    setuid(spec.uid) < 0) {
			say("cannot drop privileges to %u:%u: %s", spec.uid, spec.gid,
			    strerror(errno));
			_exit(126);
		}
	}
	if (chdir(spec.workdir ? spec.workdir : "/") < 0)
		say("cannot chdir to %s: %s", spec.workdir, strerror(errno));
	execve(argv[0], argv, envp);
	say("cannot run %s: %s", argv[0], strerror(errno));
	_exit(127);
}

static void start_app(void)
{
	static struct list envp;
	pid_t pid;

	if (!envp.n) {
		int has_path = 0;

		for (int i = 0; i < spec.env.n; i++) {
			list_push(&envp, spec.env.v[i]);
			has_path |= !strncmp(spec.env.v[i], "PATH=", 5);
		}
		if (!has_path)
			list_push(&envp, DEFAULT_PATH);
	}
	make_dirs();
	pid = fork();
	if (pid < 0) {
		say("cannot fork: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		child_exec(spec.argv.v, envp.v, spec.has_user);
	st.pid = pid;
	st.app = spec.forking ? APP_STARTING : APP_RUNNING;
	st.ready = 0;
	st.since = now_ms();
}

static void start_shell(void)
{
	char tty[64] = "/dev/console", *act = slurp("/sys/class/tty/console/active", 128, NULL);
	char *argv[] = {"-sh", NULL}, *envp[] = {DEFAULT_PATH, "HOME=/", "TERM=linux", NULL};
	pid_t pid;

	if (act && *act) {
		char *last = strrchr(act, ' ');

		va_fmt(tty, sizeof(tty), "/dev/%.*s", (int)strcspn(last ? last + 1 : act, "\n"),
		       last ? last + 1 : act);
	}
	free(act);
	pid = fork();
	if (pid == 0) {
		sigset_t all;
		int fd;

		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		setsid();
		fd = open(tty, O_RDWR);
		if (fd < 0)
			fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			ioctl(fd, TIOCSCTTY, 0);
			for (int i = 0; i < 3; i++)
				dup2(fd, i);
		}
		if (chdir("/") < 0)
			_exit(126);
		execve("/bin/sh", argv, envp);
		say("cannot run /bin/sh: %s", strerror(errno));
		_exit(127);
	}
	if (pid > 0) {
		st.shell = pid;
		say("debug shell on %s", tty);
	}
}

/* Listening TCP ports in /proc/net/tcp and tcp6 (state 0A), sorted. */
static int listen_ports(unsigned *ports, int max)
{
	static const char *files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
	int n = 0;

	for (int f = 0; f < 2; f++) {
		char *text = slurp(files[f], 1 << 18, NULL), *line, *next;

		for (line = text ? strchr(text, '\n') : NULL; line; line = next) {
			/* "  sl  local_address rem_address   st ...": ADDR:PORT in hex */
			char *tok[4], *p = line + 1;
			unsigned long port;
			int k = 0;

			next = strchr(p, '\n');
			if (next)
				*next = 0;
			for (; k < 4; k++) {
				p += strspn(p, " ");
				tok[k] = p;
				p += strcspn(p, " ");
				if (!*p)
					break;
				*p++ = 0;
			}
			if (k < 4 || strcmp(tok[3], "0A") || !strchr(tok[1], ':') ||
			    num(strchr(tok[1], ':') + 1, 16, 65535, &port))
				continue;
			int dup = 0;
			for (int i = 0; i < n; i++)
				dup |= ports[i] == port;
			if (!dup && n < max)
				ports[n++] = port;
		}
		free(text);
	}
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && ports[j - 1] > ports[j]; j--) {
			unsigned t = ports[j];
			ports[j] = ports[j - 1];
			ports[j - 1] = t;
		}
	return n;
}

static void mem_used(void)
{
	char *mi = slurp("/proc/meminfo", 8192, NULL), *t, *a;

	if (mi && (t = strstr(mi, "MemTotal:")) && (a = strstr(mi, "MemAvailable:")))
		say("mem used %ld KB", strtol(t + 9, NULL, 10) - strtol(a + 13, NULL, 10));
	free(mi);
}

/* The throughput client of tinyx compare (tinyx.iperf3=HOST,SECONDS): a
 * child that retries until the host's one-off server has taken one test.
 * Kept apart from the app's supervision: init only reaps it. */
static void start_iperf3(void)
{
	char host[64], *secs = strchr(cmd.iperf3, ',');
	pid_t pid;

	if (!cmd.iperf3[0] || !secs || secs - cmd.iperf3 >= (long)sizeof(host))
		return;
	memcpy(host, cmd.iperf3, (size_t)(secs - cmd.iperf3));
	host[secs - cmd.iperf3] = 0;
	secs++;
	pid = fork();
	if (pid != 0)
		return;
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	for (int i = 0; i < 600; i++) {
		char *argv[] = {"/usr/bin/iperf3", "-c", host, "-t", secs, NULL};
		char *envp[] = {DEFAULT_PATH, "TMPDIR=/tmp", NULL};
		int status = 0;
		pid_t c = fork();

		if (c == 0) {
			int fd = open("/dev/null", O_RDWR);

			if (fd >= 0) {
				dup2(fd, 0);
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execve(argv[0], argv, envp);
			_exit(127);
		}
		if (c < 0 || waitpid(c, &status, 0) < 0)
			break;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			say("iperf3 done");
			_exit(0);
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			break;
		sleep_ms(200);
	}
	say("iperf3 failed");
	_exit(1);
}

static void check_ready(void)
{
	unsigned ports[32];
	int n = listen_ports(ports, 32);

	if (!n)
		return;
	for (int i = 0; i < n; i++)
		say("ready tcp/%u", ports[i]);
	mem_used();
	if (!st.ready_once)
		start_iperf3();
	st.ready_once = 1;
	st.ready = 1;
}

static void power_off(void)
{
	double t0;

	if (st.pid > 0 && st.app != APP_NONE)
		kill(st.pid, SIGTERM);
	kill(-1, SIGTERM);
	t0 = now_ms();
	while (now_ms() - t0 < 2000) {
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p < 0 && errno == ECHILD)
			break;
		if (p <= 0)
			sleep_ms(20);
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	sync();
	if (!cmd.off)
		cmd.off = access("/sys/firmware/acpi", F_OK) == 0 ||
				  access("/sys/hypervisor/type", F_OK) == 0
			      ? 1
			      : 2;
	say(cmd.off == 1 ? "poweroff" : "poweroff (by reboot)");
	if (cmd.off == 2) {
		/* without ACPI the kernel would first poke a keyboard controller
		 * that microvm does not have, for seconds under TCG */
		int fd = open("/sys/kernel/reboot/type", O_WRONLY | O_CLOEXEC);

		if (fd >= 0) {
			if (write(fd, "triple", 6) < 0) {
				/* keep the kernel's default */
			}
			close(fd);
		}
	}
	reboot(cmd.off == 1 ? RB_POWER_OFF : RB_AUTOBOOT);
	for (;;)
		pause();
}

static void app_gone(int status, int known)
{
	int failed = !known || !WIFEXITED(status) || WEXITSTATUS(status) != 0;

	if (!known)
		say("app exited (pid %d is gone)", (int)st.pid);
	else if (WIFSIGNALED(status))
		say("app killed by signal %d", WTERMSIG(status));
	else
		say("app exited status %d", WEXITSTATUS(status));
	st.app = APP_NONE;
	st.pid = 0;
	if (failed && spec.restart && st.restarts < MAX_RESTARTS) {
		st.restarts++;
		sleep_ms(100L << st.restarts); /* 200 ms .. 3.2 s */
		say("restarting app (%d/%d)", st.restarts, MAX_RESTARTS);
		start_app();
		return;
	}
	if (st.shell > 0)
		return; /* keep the machine up for whoever debugs it */
	power_off();
}

static void read_pidfile(void)
{
	char *s = slurp(spec.pidfile, 64, NULL);
	long pid = s ? strtol(s, NULL, 10) : 0;

	free(s);
	if (pid > 1 && kill((pid_t)pid, 0) == 0) {
		st.pid = (pid_t)pid;
		st.app = APP_RUNNING;
		return;
	}
	if (now_ms() - st.since > 10000) {
		say("no live pid in %s after the command forked", spec.pidfile);
		st.pid = 0;
		app_gone(0, 0);
	}
}

static void reap(void)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p == st.shell) {
			st.shell = 0;
			say("debug shell exited");
			if (st.app == APP_NONE)
				power_off();
		} else if (p == st.pid && st.app == APP_STARTING) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
				st.app = APP_WAIT_PIDFILE;
				st.since = now_ms();
				read_pidfile();
			} else {
				app_gone(status, 1);
			}
		} else if (p == st.pid && st.app == APP_RUNNING) {
			app_gone(status, 1);
		}
	}
}

/* How long to sleep before the next look: fast while waiting for the first
 * listening socket, slower as time passes. -1: wait for a signal only. */
static long tick_ms(void)
{
	double age = now_ms() - st.since;

	if (st.app == APP_WAIT_PIDFILE)
		return 20;
	if (st.app == APP_NONE)
		return -1;
	if (!st.ready)
		return age < 2000 ? 10 : age < 30000 ? 100 : 1000;
	return spec.forking ? 500 : -1;
}

static void loop(const sigset_t *set)
{
	for (;;) {
		long ms = tick_ms();
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		int sig = sigtimedwait(set, NULL, ms < 0 ? NULL : &ts);

		if (sig == SIGCHLD)
			reap();
		else if (sig > 0 && sig != SIGHUP) {
			say("signal %d: stopping", sig);
			power_off();
		}
		if (st.app == APP_WAIT_PIDFILE)
			read_pidfile();
		if (st.app == APP_RUNNING && spec.forking && kill(st.pid, 0) < 0 &&
		    errno == ESRCH) {
			reap(); /* a reparented daemon is our child: prefer its status */
			if (st.app == APP_RUNNING && kill(st.pid, 0) < 0)
				app_gone(0, 0);
		}
		if ((st.app == APP_RUNNING || st.app == APP_STARTING) && !st.ready)
			check_ready();
	}
}

static int not_pid1(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (argc == 3 && !strcmp(argv[1], "--print-conf")) {
		if (parse_conf(argv[2]) < 0)
			return 1;
		print_conf();
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
	sigset_t set;
	int fd;

	if (getpid() != 1)
		return not_pid1(argc, argv);
	int early = fcntl(1, F_GETFD) >= 0; /* the kernel gave us the console */

	say("init");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPWR);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	reboot(RB_DISABLE_CAD); /* ctrl-alt-del becomes SIGINT */
	mount_all();
	console_fds();
	if (!early)
		say("init"); /* no /dev/console in the image: late, but said */
	fd = open("/proc/sys/kernel/poweroff_cmd", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		char pc[256];
		size_t n =
		    va_fmt(pc, sizeof(pc), "%s --poweroff", argv[0][0] == '/' ? argv[0] : "/init");

		if (write(fd, pc, n) < 0)
			say("cannot set poweroff_cmd: %s", strerror(errno));
		close(fd);
	}
	read_cmdline();
	if (sethostname(cmd.hostname, strlen(cmd.hostname)) < 0)
		say("cannot set hostname: %s", strerror(errno));
	net_up();
	if (cmd.debug_shell && access(DEBUG_FLAG, F_OK) == 0)
		start_shell();
	if (dom0_role())
		dom0_setup();
	if (parse_conf(CONF) == 0)
		start_app();
	else if (st.shell <= 0)
		power_off();
	if (dom0_role())
		dom0_guest();
	loop(&set);
	return 0;
}
