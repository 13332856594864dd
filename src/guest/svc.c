/* The guest init's supervision of the app: start it (as its user, in its
 * dirs), watch for its first listening socket, follow a forking daemon
 * through its pid file, restart it on failure, reap, power off. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest/init.h"
#include "guest/ports.h"
#include "guest/spawn.h"
#include "guest/util.h"

#define MAX_RESTARTS 5
#define NOTIFY_PATH "/run/tinyx/notify" /* Type=notify: NOTIFY_SOCKET */
#define LATE_PORTS_MS 3000		/* after ready, new ports are still said */

enum app_state { APP_NONE, APP_RUNNING, APP_STARTING, APP_WAIT_PIDFILE };

static struct state {
	enum app_state app;
	pid_t pid;     /* the app (or the forking starter while APP_STARTING) */
	pid_t shell;   /* debug shell */
	pid_t iperf3;  /* the throughput client, when asked for */
	pid_t tracer;  /* the trace boot's tracer (trace.c), when asked for */
	int notify_fd; /* Type=notify: the socket NOTIFY_SOCKET names, 0 none */
	int notified;  /* READY=1 came since the app started */
	int restarts, ready, ready_once;
	double since;	 /* ms: start of the current phase (ready poll, pid file wait) */
	int netpre_fail; /* a "<" hook failed before the network: the app fails */
} st;

static struct gport seen[32]; /* the ports said since the app started */
static int nseen;

/* How the app and its unit's hooks run: its user, dirs and environment. */
static struct gspawn app_base(void)
{
	static struct list envp;
	static struct gcred cred;
	struct gspawn s = {.argv = conf.argv.v,
			   .dir = conf.workdir ? conf.workdir : "/",
			   .cred = conf.has_user ? &cred : NULL,
			   .flags = GSPAWN_SETSID | GSPAWN_NULL_IN};

	cred = (struct gcred){conf.uid, conf.gid, conf.groups, (int)conf.ngroups};
	s.has_umask = conf.has_umask;
	s.umask = conf.umask;
	s.nofile_soft = conf.nofile_soft;
	s.nofile_hard = conf.nofile_hard;
	s.caps = conf.caps;
	if (!envp.n) {
		int has_path = 0;

		for (int i = 0; i < conf.env.n; i++) {
			list_push(&envp, conf.env.v[i]);
			has_path |= !strncmp(conf.env.v[i], "PATH=", 5);
		}
		if (!has_path)
			list_push(&envp, DEFAULT_PATH);
		if (conf.notify)
			list_push(&envp, "NOTIFY_SOCKET=" NOTIFY_PATH);
	}
	s.envp = envp.v;
	return s;
}

/* Type=notify: a datagram socket for sd_notify(), SIGIO when one comes. */
static void notify_open(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = NOTIFY_PATH};
	int fd;

	if (st.notify_fd > 0)
		return;
	char dir[] = NOTIFY_PATH;

	mkdir_parents(dir);
	unlink(NOTIFY_PATH);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    chmod(NOTIFY_PATH, 0666) < 0 || fcntl(fd, F_SETOWN, getpid()) < 0 ||
	    fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK) < 0) {
		say("cannot make the notify socket %s: %s", NOTIFY_PATH, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	st.notify_fd = fd;
}

/* Fork s, under the tracer when the trace boot asks for it (trace.c). */
static pid_t spawn_traced(struct gspawn *s)
{
	int gate[2];
	pid_t pid;

	if (cmd.trace && pipe2(gate, O_CLOEXEC) == 0) {
		s->gate_r = gate[0];
		s->gate_w = gate[1];
	}
	pid = gspawn(s);
	if (s->gate_r > 0) {
		close(gate[0]);
		if (pid > 0)
			st.tracer = trace_start(pid, gate[1]);
		close(gate[1]); /* no tracer: the child reads EOF and goes on */
		s->gate_r = s->gate_w = 0;
	}
	return pid;
}

/* Which hooks run_hooks runs: HOOK_PRE the ExecStartPre= ones but those
 * flagged "<", which HOOK_NETPRE runs before the network comes up;
 * HOOK_POST the ExecStartPost= ones. */
enum { HOOK_PRE, HOOK_POST, HOOK_NETPRE };

/* Those hooks in turn: 0, or the status of the first that failed without
 * a "-". */

static int run_hooks(int which)
{
	const struct list *h = which == HOOK_POST ? &conf.post : &conf.pre;
	const char *what = which == HOOK_POST ? "ExecStartPost" : "ExecStartPre";

	for (int i = 0; i < h->n; i++) {
		char *copy = strdup(h->v[i]), *tab = copy ? strchr(copy, '\t') : NULL;
		struct list argv = {0};
		struct gspawn s = app_base();
		int status = -1;
		pid_t pid;

		if (!tab) {
			free(copy);
			return -1;
		}
		*tab = 0;
		if (which != HOOK_POST && !strchr(copy, '<') != (which == HOOK_PRE)) {
			free(copy);
			continue;
		}
		for (char *a = tab + 1, *t; a; a = t ? t + 1 : NULL) {
			if ((t = strchr(a, '\t')))
				*t = 0;
			list_push(&argv, a);
		}
		s.argv = argv.v;
		if (strpbrk(copy, "+!"))
			s.cred = NULL;
		pid = argv.n ? spawn_traced(&s) : -1;
		if (pid > 0)
			status = gwait(pid);
		if (status != 0 && !strchr(copy, '-'))
			say("%s '%s' failed: %s %d", what, argv.v ? argv.v[0] : "?",
			    status > 0 && WIFSIGNALED(status) ? "signal" : "status",
			    status > 0 && WIFSIGNALED(status) ? WTERMSIG(status)
			    : status > 0		      ? WEXITSTATUS(status)
							      : -1);
		free(argv.v);
		free(copy);
		if (status != 0 && !strchr(h->v[i], '-'))
			return status ? status : 1;
	}
	return 0;
}

static void app_gone(int status, int known);

/* The app runs: its ExecStartPost= commands; a failure stops it. */
static void app_started(void)
{
	if (conf.post.n && run_hooks(HOOK_POST) && st.pid > 0)
		kill(st.pid, SIGTERM);
}

void start_app(void)
{
	struct gspawn s = app_base();
	pid_t pid;
	int r;

	conf_make_dirs(&conf);
	if (conf.notify)
		notify_open();
	st.pid = 0;
	st.app = APP_NONE;
	st.notified = 0;
	if ((r = st.netpre_fail ? st.netpre_fail : run_hooks(HOOK_PRE)) != 0) {
		app_gone(r > 0 ? r : 1 << 8, 1);
		return;
	}
	pid = spawn_traced(&s);
	if (pid < 0) {
		say("cannot fork: %s", strerror(errno));
		return;
	}
	st.pid = pid;
	st.app = conf.forking ? APP_STARTING : APP_RUNNING;
	st.ready = 0;
	st.since = now_ms();
	nseen = 0;
	if (!conf.forking && !conf.notify)
		app_started();
}

/* Before the network comes up: the "<" hooks (units ordered Before=
 * network-pre.target, a firewall's ruleset among --add's packages) and,
 * with app.conf's netpre, the app itself, a oneshot, waited for to its end
 * (at most NETPRE_MS, as systemd's start timeout: then the network comes
 * up anyway), so that no interface is up, let alone forwarding, before the
 * ruleset is loaded. */
#define NETPRE_MS 90000
static void reap(void);
void start_netpre(void)
{
	double t0 = now_ms();
	int r = run_hooks(HOOK_NETPRE);

	if (r != 0)
		st.netpre_fail = r > 0 ? r : 1 << 8;
	if (!conf.netpre)
		return;
	start_app();
	while (st.app == APP_RUNNING && st.pid > 0 && now_ms() - t0 < NETPRE_MS) {
		sigset_t chld;
		struct timespec ts = {0, 100 * 1000 * 1000};

		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigtimedwait(&chld, NULL, &ts);
		reap();
	}
	if (st.app == APP_RUNNING)
		say("'%s' still runs after %d s: the network comes up anyway", conf.argv.v[0],
		    NETPRE_MS / 1000);
}

/* What the app said on the notify socket: READY=1 makes it started,
 * MAINPID=N names its main process (sd_notify(3)). */
static void notify_read(void)
{
	char buf[4096];
	ssize_t n;

	while (st.notify_fd > 0 && (n = recv(st.notify_fd, buf, sizeof(buf) - 1, 0)) >= 0) {
		char *save = NULL;

		buf[n] = 0;
		for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			long pid = !strncmp(l, "MAINPID=", 8) ? strtol(l + 8, NULL, 10) : 0;

			if (pid > 1 && kill((pid_t)pid, 0) == 0 && st.app == APP_RUNNING)
				st.pid = (pid_t)pid;
			if (!strcmp(l, "READY=1") && !st.notified && st.app == APP_RUNNING) {
				st.notified = 1;
				say("app says READY=1");
				app_started();
			}
		}
	}
}

void start_shell(void)
{
	char tty[64] = "/dev/console", *act = slurp("/sys/class/tty/console/active", 128, NULL);
	char *argv[] = {"-sh", NULL}, *envp[] = {DEFAULT_PATH, "HOME=/", "TERM=linux", NULL};
	struct gspawn s = {.argv = argv,
			   .path = "/bin/sh",
			   .envp = envp,
			   .tty = tty,
			   .dir = "/",
			   .flags = GSPAWN_SETSID};
	pid_t pid;

	if (act && *act) {
		char *last = strrchr(act, ' ');

		fmt(tty, sizeof(tty), "/dev/%.*s", (int)strcspn(last ? last + 1 : act, "\n"),
		    last ? last + 1 : act);
	}
	free(act);
	pid = gspawn(&s);
	if (pid > 0) {
		st.shell = pid;
		say("debug shell on %s", tty);
	}
}

static void mem_used(void)
{
	char *mi = slurp("/proc/meminfo", 8192, NULL), *t, *a;

	if (mi && (t = strstr(mi, "MemTotal:")) && (a = strstr(mi, "MemAvailable:")))
		say(TINYX_MARK_MEM " %ld KB", strtol(t + 9, NULL, 10) - strtol(a + 13, NULL, 10));
	free(mi);
}

/* The iperf3 child: retry every 200 ms for up to 2 min until the host's
 * one-off server has taken one test. */
static int iperf3_client(void *arg)
{
	char **argv = arg, *envp[] = {DEFAULT_PATH, "TMPDIR=/tmp", NULL};
	struct gspawn s = {.argv = argv, .envp = envp, .flags = GSPAWN_NULL_OUT};

	for (int i = 0; i < 600; i++) {
		pid_t c = gspawn(&s);
		int status = c < 0 ? -1 : gwait(c);

		if (status < 0)
			break;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			say(TINYX_MARK_IPERF3 " done");
			return 0;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			break;
		sleep_ms(200);
	}
	say(TINYX_MARK_IPERF3 " failed");
	return 1;
}

/* The throughput client of tinyx compare (tinyx.iperf3=HOST,SECONDS), kept
 * apart from the app's supervision: init only reaps it. */
static void start_iperf3(void)
{
	char host[64], *secs = strchr(cmd.iperf3, ',');
	char *argv[] = {"/usr/bin/iperf3", "-c", host, "-t", secs ? secs + 1 : NULL, NULL};
	struct gspawn s = {.fn = iperf3_client, .arg = argv};

	if (!cmd.iperf3[0] || !secs || secs - cmd.iperf3 >= (long)sizeof(host))
		return;
	memcpy(host, cmd.iperf3, (size_t)(secs - cmd.iperf3));
	host[secs - cmd.iperf3] = 0;
	st.iperf3 = gspawn(&s);
}

/* Say each port the first time it serves the network ("ready tcp/80"), or
 * the first time it is seen on loopback only ("local udp/53 127.0.0.1").
 * Ready once a port serves; after that, ports that come later for a few
 * more seconds are said too. */
static int ports_sorted(struct gport *p, int max)
{
	int n = ports_scan(p, max);

	for (int i = 1; i < n; i++) /* by protocol and port: the same lines each boot */
		for (int j = i; j > 0 && (p[j - 1].udp > p[j].udp ||
					  (p[j - 1].udp == p[j].udp && p[j - 1].port > p[j].port));
		     j--) {
			struct gport t = p[j];
			p[j] = p[j - 1];
			p[j - 1] = t;
		}
	return n;
}

static int ports_same(const struct gport *a, int na, const struct gport *b, int nb)
{
	if (na != nb)
		return 0;
	for (int i = 0; i < na; i++)
		if (a[i].udp != b[i].udp || a[i].port != b[i].port || a[i].local != b[i].local)
			return 0;
	return 1;
}

static int ports_public(const struct gport *p, int n)
{
	for (int i = 0; i < n; i++)
		if (!p[i].local)
			return 1;
	return 0;
}

static void check_ready(void)
{
	struct gport now[32], again[32];
	int n = ports_sorted(now, 32), fresh = 0;

	/* The first ports: an app that opens several may be between two binds
	 * (one vCPU, and this scan ran in between); the first batch is said
	 * once the set has held still for 50 ms, so the probe sees it whole. */
	for (int k = 0; !st.ready && ports_public(now, n) && k < 20; k++) {
		int m;

		sleep_ms(50);
		m = ports_sorted(again, 32);
		if (ports_same(now, n, again, m))
			break;
		memcpy(now, again, sizeof(now));
		n = m;
	}
	for (int i = 0; i < n; i++) {
		struct gport *k = NULL;

		for (int j = 0; j < nseen && !k; j++)
			if (seen[j].udp == now[i].udp && seen[j].port == now[i].port)
				k = &seen[j];
		if (!k && nseen < 32) {
			k = &seen[nseen++];
			*k = now[i];
			k->said = 0;
		}
		if (!k || k->said == 2 || (k->said == 1 && now[i].local))
			continue;
		if (now[i].local)
			say(TINYX_MARK_LOCAL "%s/%u %s", now[i].udp ? "udp" : "tcp", now[i].port,
			    now[i].addr);
		else
			say(TINYX_MARK_READY " %s/%u", now[i].udp ? "udp" : "tcp", now[i].port);
		k->said = now[i].local ? 1 : 2;
		fresh += !now[i].local;
	}
	if (!fresh || st.ready)
		return;
	mem_used();
	if (!st.ready_once)
		start_iperf3();
	st.ready_once = 1;
	st.ready = 1;
	st.since = now_ms();
}

/* Stop everything: SIGTERM, SIGKILL after 2 s. */
static void kill_all(void)
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
}

void power_off(void)
{
	kill_all();
	sync();
	if (!cmd.off)
		cmd.off = access("/sys/firmware/acpi", F_OK) == 0 ||
				  access("/sys/hypervisor/type", F_OK) == 0
			      ? 1
			      : 2;
	say(cmd.off == 1 ? TINYX_MARK_POWEROFF : TINYX_MARK_POWEROFF " (by reboot)");
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

void no_app(void)
{
	if (st.shell <= 0)
		power_off();
}

static void app_gone(int status, int known)
{
	int failed = !known || !WIFEXITED(status) || WEXITSTATUS(status) != 0;

	if (!known)
		say(TINYX_MARK_EXITED " (pid %d is gone)", (int)st.pid);
	else if (WIFSIGNALED(status))
		say(TINYX_MARK_KILLED " by signal %d", WTERMSIG(status));
	else
		say(TINYX_MARK_EXITED " status %d", WEXITSTATUS(status));
	st.app = APP_NONE;
	st.pid = 0;
	if (!failed && conf.oneshot) { /* its work is done: the kernel keeps it */
		say(TINYX_MARK_DONE " '%s' status 0", conf.argv.v[0]);
		return;
	}
	if (failed && conf.restart && st.restarts < MAX_RESTARTS) {
		st.restarts++;
		sleep_ms(100L << st.restarts); /* 200 ms .. 3.2 s */
		say(TINYX_MARK_RESTART " (%d/%d)", st.restarts, MAX_RESTARTS);
		start_app();
		return;
	}
	/* the verdict the host's probe reads: the app is not running anymore */
	if (!known)
		say(TINYX_MARK_FAILED " '%s' is gone", conf.argv.v[0]);
	else if (WIFSIGNALED(status))
		say(TINYX_MARK_FAILED " '%s' was killed by signal %d after %d restarts",
		    conf.argv.v[0], WTERMSIG(status), st.restarts);
	else
		say(TINYX_MARK_FAILED " '%s' exited with status %d after %d restarts",
		    conf.argv.v[0], WEXITSTATUS(status), st.restarts);
	if (st.shell > 0)
		return; /* keep the machine up for whoever debugs it */
	power_off();
}

/* A forking daemon without a pid file: as systemd guesses its main
 * process, the one left once the command exited. Orphans are the init's
 * children: the oldest process whose parent is the init (not the debug
 * shell, not the iperf3 or DHCP client, not the tracer) is the daemon; its workers are its own. */
static long guess_main(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	long best = 0;

	while (d && (de = readdir(d))) {
		unsigned long pid, ppid;
		char path[64], *stat, *p;

		if (num(de->d_name, 10, 1UL << 22, &pid) || pid <= 1 || (pid_t)pid == st.shell ||
		    (pid_t)pid == st.iperf3 || (pid_t)pid == dhcp_pid || (pid_t)pid == st.tracer)
			continue;
		fmt(path, sizeof(path), "/proc/%lu/stat", pid);
		stat = slurp(path, 1024, NULL);
		p = stat ? strrchr(stat, ')') : NULL; /* "PID (COMM) S PPID ..." */
		if (p && p[1] == ' ' && p[2] && p[3] == ' ') {
			p[4 + strcspn(p + 4, " ")] = 0;
			if (!num(p + 4, 10, 1UL << 22, &ppid) && ppid == 1 &&
			    (!best || (long)pid < best))
				best = (long)pid;
		}
		free(stat);
	}
	if (d)
		closedir(d);
	return best;
}

static void read_pidfile(void)
{
	char *s = conf.pidfile ? slurp(conf.pidfile, 64, NULL) : NULL;
	long pid = s ? strtol(s, NULL, 10) : 0;

	if (!conf.pidfile && now_ms() - st.since >= 100) /* a double fork settles first */
		pid = guess_main();
	free(s);
	if (pid > 1 && kill((pid_t)pid, 0) == 0) {
		st.pid = (pid_t)pid;
		st.app = APP_RUNNING;
		app_started();
		return;
	}
	if (now_ms() - st.since > 10000) {
		if (conf.pidfile)
			say("no live pid in %s after the command forked", conf.pidfile);
		else
			say("no process left after the command forked");
		st.pid = 0;
		app_gone(0, 0);
	}
}

/* A guessed main process that exits 0 was a step of the daemon's double
 * fork: guess again (the daemon is then the init's child too). */
static int guessed_gone(int status)
{
	return st.app == APP_RUNNING && conf.forking && !conf.pidfile && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
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
		} else if (p == st.pid && (st.app == APP_STARTING || guessed_gone(status))) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
				st.app = APP_WAIT_PIDFILE;
				st.since = now_ms();
				read_pidfile();
			} else {
				app_gone(status, 1);
			}
		} else if (p == st.pid && st.app == APP_RUNNING && !conf.forking &&
			   WIFEXITED(status) && !WEXITSTATUS(status) &&
			   now_ms() - st.since < 10000 && guess_main() > 0) {
			/* exit 0 at once, leaving a process: a daemon that went
			 * to the background (a SysV one: no unit says so; or a
			 * oneshot unit that starts one); its orphans are already
			 * ours. Followed as systemd follows Type=forking */
			say("'%s' exited 0 at start: following what it left running",
			    conf.argv.v[0]);
			conf.forking = 1;
			st.app = APP_WAIT_PIDFILE;
			st.since = now_ms();
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
	if (age < LATE_PORTS_MS)
		return 100;
	return conf.forking ? 500 : -1;
}

void svc_loop(const sigset_t *set)
{
	for (;;) {
		long ms = tick_ms();
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		int sig = sigtimedwait(set, NULL, ms < 0 ? NULL : &ts);

		if (sig == SIGCHLD)
			reap();
		else if (sig == SIGIO) {
			notify_read();
			syslog_read();
		} else if (sig > 0 && sig != SIGHUP) {
			say("signal %d: stopping", sig);
			power_off();
		}
		if (st.app == APP_WAIT_PIDFILE)
			read_pidfile();
		if (st.app == APP_RUNNING && conf.forking && kill(st.pid, 0) < 0 &&
		    errno == ESRCH) {
			reap(); /* a reparented daemon is our child: prefer its status */
			if (st.app == APP_RUNNING && kill(st.pid, 0) < 0)
				app_gone(0, 0);
		}
		if ((st.app == APP_RUNNING || st.app == APP_STARTING) &&
		    (!st.ready || now_ms() - st.since < LATE_PORTS_MS))
			check_ready();
	}
}
