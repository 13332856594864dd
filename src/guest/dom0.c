/* The dom0 role of tinyx-init: a Tinyx image that runs Xen's control domain.
 *
 * Active when /etc/tinyx/dom0.conf exists (the Xen kit writes it into the
 * dom0 image, src/xen/xenkit.c). Before the app starts, dom0_setup() runs its
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
 * Console markers (guest/markers.h; the probe times the guest from them):
 *   tinyx-dom0: ready              the daemons run and the bridge is up
 *   tinyx-dom0: xl create          just before xl runs
 *   tinyx-dom0: xl exited status: N  xl create failed (or, with -c, the
 *                                  guest console closed) */
#include "guest/dom0.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest/init.h"
#include "guest/spawn.h"
#include "guest/util.h"

#define DOM0_CONF "/etc/tinyx/dom0.conf"
#define XL_ARGS "/guest/xl-args"
#define MAX_ARGS 32
#define XL_MAX 128
/* linux/sockios.h (musl-gcc has no kernel headers) */
#ifndef SIOCBRADDBR
#define SIOCBRADDBR 0x89a0
#define SIOCBRADDIF 0x89a2
#endif

static char xl_path[XL_MAX] = "/usr/sbin/xl";

int dom0_role(void)
{
	return access(DOM0_CONF, F_OK) == 0;
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

/* A daemon or command of dom0.conf: its own session, init's environment. */
static pid_t spawn(char **argv)
{
	struct gspawn s = {.argv = argv, .who = TINYX_DOM0_PREFIX, .flags = GSPAWN_SETSID};

	return gspawn(&s);
}

static void mkdirs(const char *dir)
{
	char p[256];
	size_t n = strlen(dir);

	if (n >= sizeof(p))
		return;
	memcpy(p, dir, n + 1);
	mkdir_parents(p);
	mkdir(p, 0755);
}

static void load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		say_dom0("cannot open module %s", path);
		return;
	}
	if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
		say_dom0("cannot load module %s: %s", path, strerror(errno));
	close(fd);
}

static void wait_path(const char *path, const char *secs)
{
	long ms = atol(secs) * 1000;

	for (long t = 0; t < ms; t += 10) {
		if (access(path, F_OK) == 0)
			return;
		sleep_ms(10);
	}
	say_dom0("timed out waiting for %s", path);
}

static void bridge(const char *br, const char *iface)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (s < 0)
		return;
	if (ioctl(s, SIOCBRADDBR, br) < 0 && errno != EEXIST)
		say_dom0("cannot create bridge %s: %s", br, strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, br, IFNAMSIZ - 1);
	ifr.ifr_ifindex = (int)if_nametoindex(iface);
	if (!ifr.ifr_ifindex || ioctl(s, SIOCBRADDIF, &ifr) < 0)
		say_dom0("cannot add to the bridge: %s: %s", iface, strerror(errno));
	if (if_up(s, iface) < 0 || if_up(s, br) < 0)
		say_dom0("cannot bring up %s: %s", br, strerror(errno));
	close(s);
}

static void run(char **argv)
{
	pid_t p = spawn(argv);
	int status = p < 0 ? -1 : gwait(p);

	if (status >= 0 && (!WIFEXITED(status) || WEXITSTATUS(status)))
		say_dom0("%s failed, status: %d", argv[0],
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void directive(char **argv, int argc)
{
	if (!strcmp(argv[0], "module"))
		load_module(argv[1]);
	else if (!strcmp(argv[0], "mount") && argc == 3) {
		mkdirs(argv[2]);
		if (mount(argv[1], argv[2], argv[1], 0, NULL) < 0 && errno != EBUSY)
			say_dom0("cannot mount %s: %s", argv[1], strerror(errno));
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
		say_dom0("unknown directive %s", argv[0]);
}

void dom0_setup(void)
{
	char *text = slurp(DOM0_CONF, 65536, NULL), *l, *nl;

	if (!text) {
		say_dom0("cannot read %s", DOM0_CONF);
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
		if (argc >= 2)
			directive(argv, argc);
	}
	free(text);
	say_dom0(TINYX_DOM0_READY);
}

/* Between init and xl: init reaps only its app, and xl's status is what
 * tells the probe why a guest did not start. */
static int xl_watcher(void *arg)
{
	char **argv = arg;
	int status;
	pid_t x;

	if (chdir("/guest") < 0)
		return 1;
	say_dom0(TINYX_DOM0_XL_CREATE);
	x = spawn(argv);
	status = x > 0 ? gwait(x) : 0;
	say_dom0(TINYX_DOM0_XL_EXITED ": %d",
		 x > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}

void dom0_guest(void)
{
	char *text = slurp(XL_ARGS, 65536, NULL), *l, *nl;
	char *argv[MAX_ARGS + 4];
	int argc = 0;
	/* the watcher keeps init's blocked signals: a SIGTERM at power off
	 * reaches xl, and the watcher still tells how xl ended */
	struct gspawn s = {.fn = xl_watcher, .arg = argv, .flags = GSPAWN_MASKED};

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
	gspawn(&s);
}
