/* The dom0 role of tinyx-init: a Tinyx image that runs Xen's control domain.
 *
 * Active when /etc/tinyx/dom0.conf exists (the Xen kit writes it into the
 * dom0 image, src/xenkit.c). Before the app starts, dom0_setup() runs its
 * directives in order, one per line ('#' comments, blank lines ignored):
 *   module PATH            load a kernel module (finit_module); the kit lists
 *                          them with their modules.dep dependencies first
 *   mount TYPE DIR         mount a pseudo filesystem (xenfs on /proc/xen)
 *   mkdir DIR              create a dir (and its parents), mode 0755
 *   start PATH ARGS...     start a daemon and go on
 *   wait PATH SECONDS      wait until PATH exists (a daemon's socket)
 *   run PATH ARGS...       run a command to its end; a failure is reported
 *   bridge BRIDGE IFACE    create BRIDGE, enslave IFACE, bring both up
 *   xl PATH                the xl that dom0_guest() runs
 * The app (app.conf) then runs as in any image: for the dom0 that is
 * xenconsoled in the foreground. After it started, dom0_guest() runs
 * `xl create -c` when the probe put a guest in the image (/guest/xl-args:
 * one argument per line, the config first), its console on this console.
 *
 * Console markers (the probe times the guest from them):
 *   tinyx-dom0: ready              the daemons run and the bridge is up
 *   tinyx-dom0: xl create          just before xl runs
 *   tinyx-dom0: xl exited status N xl create failed (or, with -c, the guest
 *                                  console closed) */
#include "dom0.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DOM0_CONF "/etc/tinyx/dom0.conf"
#define XL_ARGS "/guest/xl-args"
#define MAX_ARGS 32
#define XL_MAX 128
/* linux/sockios.h (musl-gcc has no kernel headers) */
#ifndef SIOCBRADDBR
#define SIOCBRADDBR 0x89a0
#define SIOCBRADDIF 0x89a2
#endif

static void put(const char *a, const char *b, const char *c)
{
	char buf[512];
	size_t n = 0;
	const char *parts[] = {"tinyx-dom0: ", a, b, c ? ": " : NULL, c, "\n"};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t l = parts[i] ? strlen(parts[i]) : 0;
		if (n + l >= sizeof(buf))
			l = sizeof(buf) - 1 - n;
		memcpy(buf + n, parts[i], l);
		n += l;
	}
	if (write(1, buf, n) < 0) {
		/* no console: nobody to tell */
	}
}

static void put_num(const char *a, const char *b, long v)
{
	char num[24], *p = num + sizeof(num) - 1;
	int neg = v < 0;
	unsigned long u = neg ? 0ul - (unsigned long)v : (unsigned long)v;

	*p = 0;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) && p > num + 1);
	if (neg)
		*--p = '-';
	put(a, b, p);
}

static char xl_path[XL_MAX] = "/usr/sbin/xl";

int dom0_role(void)
{
	return access(DOM0_CONF, F_OK) == 0;
}

static char *slurp_all(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	size_t len = 0, cap = 65536;

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf && len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf)
		buf[len] = 0;
	return buf;
}

/* Split a line on blanks in place; returns argc. */
static int split(char *l, char **argv, int max)
{
	int n = 0;

	while (*l && n < max - 1) {
		while (*l == ' ' || *l == '\t')
			l++;
		if (!*l)
			break;
		argv[n++] = l;
		while (*l && *l != ' ' && *l != '\t')
			l++;
		if (*l)
			*l++ = 0;
	}
	argv[n] = NULL;
	return n;
}

static pid_t spawn(char **argv)
{
	pid_t p = fork();

	if (p == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		execv(argv[0], argv);
		put("cannot run ", argv[0], NULL);
		_exit(127);
	}
	return p;
}

static void mkdirs(const char *dir)
{
	char p[256];
	size_t n = strlen(dir);

	if (n >= sizeof(p))
		return;
	memcpy(p, dir, n + 1);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static void load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		put("cannot open module ", path, NULL);
		return;
	}
	if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
		put("cannot load module ", path, strerror(errno));
	close(fd);
}

static void wait_path(const char *path, const char *secs)
{
	long ms = atol(secs) * 1000;
	struct timespec ts = {0, 10 * 1000 * 1000};

	for (long t = 0; t < ms; t += 10) {
		if (access(path, F_OK) == 0)
			return;
		nanosleep(&ts, NULL);
	}
	put("timed out waiting for ", path, NULL);
}

static int if_flags_up(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static void bridge(const char *br, const char *iface)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (s < 0)
		return;
	if (ioctl(s, SIOCBRADDBR, br) < 0 && errno != EEXIST)
		put("cannot create bridge ", br, strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, br, IFNAMSIZ - 1);
	ifr.ifr_ifindex = (int)if_nametoindex(iface);
	if (!ifr.ifr_ifindex || ioctl(s, SIOCBRADDIF, &ifr) < 0)
		put("cannot add to the bridge: ", iface, strerror(errno));
	if (if_flags_up(s, iface) < 0 || if_flags_up(s, br) < 0)
		put("cannot bring up ", br, strerror(errno));
	close(s);
}

static void run(char **argv)
{
	pid_t p = spawn(argv);
	int status = 0;

	if (p < 0)
		return;
	while (waitpid(p, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		put_num(argv[0], " failed, status", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

void dom0_setup(void)
{
	char *text = slurp_all(DOM0_CONF), *l, *nl;

	if (!text) {
		put("cannot read ", DOM0_CONF, NULL);
		return;
	}
	for (l = text; l && *l; l = nl) {
		char *argv[MAX_ARGS];
		int argc;

		nl = strchr(l, '\n');
		if (nl)
			*nl++ = 0;
		if (*l == '#')
			continue;
		argc = split(l, argv, MAX_ARGS);
		if (argc < 2)
			continue;
		if (!strcmp(argv[0], "module"))
			load_module(argv[1]);
		else if (!strcmp(argv[0], "mount") && argc == 3) {
			mkdirs(argv[2]);
			if (mount(argv[1], argv[2], argv[1], 0, NULL) < 0 && errno != EBUSY)
				put("cannot mount ", argv[1], strerror(errno));
		} else if (!strcmp(argv[0], "mkdir"))
			mkdirs(argv[1]);
		else if (!strcmp(argv[0], "start"))
			spawn(argv + 1);
		else if (!strcmp(argv[0], "wait") && argc == 3)
			wait_path(argv[1], argv[2]);
		else if (!strcmp(argv[0], "run"))
			run(argv + 1);
		else if (!strcmp(argv[0], "bridge") && argc == 3)
			bridge(argv[1], argv[2]);
		else if (!strcmp(argv[0], "xl") && strlen(argv[1]) < XL_MAX)
			memcpy(xl_path, argv[1], strlen(argv[1]) + 1);
		else
			put("unknown directive ", argv[0], NULL);
	}
	free(text);
	put("ready", NULL, NULL);
}

void dom0_guest(void)
{
	char *text = slurp_all(XL_ARGS), *l, *nl;
	char *argv[MAX_ARGS + 4];
	int argc = 0;
	pid_t p;

	if (!text)
		return; /* no guest given: the dom0 just runs */
	argv[argc++] = xl_path;
	argv[argc++] = "create";
	argv[argc++] = "-c";
	for (l = text; l && *l && argc < MAX_ARGS + 3; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = 0;
		if (*l)
			argv[argc++] = l;
	}
	argv[argc] = NULL;
	/* a watcher between init and xl: init reaps only its app, and xl's
	 * status is what tells the probe why a guest did not start */
	p = fork();
	if (p == 0) {
		int status = 0;
		pid_t x;

		if (chdir("/guest") < 0)
			_exit(1);
		put("xl create", NULL, NULL);
		x = spawn(argv);
		while (x > 0 && waitpid(x, &status, 0) < 0 && errno == EINTR)
			;
		put_num("xl exited", " status",
			x > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		_exit(0);
	}
}
