/* The container row of tinyx compare: the app's staged root run with runc.
 *
 * The root is not touched: an overlay (the staged root below, a temp dir
 * above) is mounted in a private mount namespace of this process, so it
 * disappears with it. The container gets its own network namespace (held by
 * a small child process) joined by a veth pair to the probe's private
 * namespace (netns.h), with the same addresses a VM gets; its process is the
 * one the Tinyx init would start (the app spec of the closure; a forking
 * daemon and the unit's ExecStartPre= commands under the root's sh). Its
 * start is timed from `runc run` to the first answer of the service the
 * Tinyx image answered (HTTP 200, else a TCP connect); then the same extras as for a
 * VM (probex.h): the memory of its processes (RSS, PSS; "used": its memory
 * cgroup's usage without inactive file pages), the ICMP round trip, and
 * iperf3 (the client started with `runc exec`). The smallest RAM is a
 * bisection of the cgroup's memory limit. Every container, mount, namespace
 * and process is gone when it returns. */
#include "closure/closure.h"
#include "compare/system.h"
#include "formats/appspec.h"
#include "probe/fwd.h"
#include "probe/netns.h"
#include "probe/probex.h"
#include "stage/overlay.h"
#include "stage/stage.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STAGE "compare"
#define SERVE_TIMEOUT_MS 30000
#define CG_MEM "/sys/fs/cgroup/memory"

struct ctr {
	struct tx_ctx *ctx;
	const char *app, *root;
	struct app_spec spec;
	char tmp[32], bundle[48], rootfs[64], upper[48], work[48];
	char id[64];
	int port, http; /* the service checked: HTTP 200, else a TCP connect */
	struct netns ns;
	pid_t holder; /* keeps the container's network namespace */
	int mounted, running;
	/* --forward: a network function between the client net (eth0) and the
	 * server net (eth1, fwd.h); NULL: a service */
	const struct compare_opts *fwd_o;
	struct fwd fw;
	int fw_on;
};

/* Docker's default capability set: what a plain `docker run` gives nginx;
 * a network function gets CAP_NET_ADMIN too (`docker run --cap-add
 * NET_ADMIN`: its rules, routes and links). */
static const char caps[] =
    "[\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FSETID\", \"CAP_FOWNER\", \"CAP_MKNOD\", "
    "\"CAP_NET_RAW\", \"CAP_SETGID\", \"CAP_SETUID\", \"CAP_SETFCAP\", \"CAP_SETPCAP\", "
    "\"CAP_NET_BIND_SERVICE\", \"CAP_SYS_CHROOT\", \"CAP_KILL\", \"CAP_AUDIT_WRITE\"]";
static const char caps_fwd[] =
    "[\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_FSETID\", \"CAP_FOWNER\", \"CAP_MKNOD\", "
    "\"CAP_NET_RAW\", \"CAP_SETGID\", \"CAP_SETUID\", \"CAP_SETFCAP\", \"CAP_SETPCAP\", "
    "\"CAP_NET_BIND_SERVICE\", \"CAP_SYS_CHROOT\", \"CAP_KILL\", \"CAP_AUDIT_WRITE\", "
    "\"CAP_NET_ADMIN\"]";

/* One argv element for sh, then a space. */
static void sh_word(struct sbuf *sh, const char *w, size_t n)
{
	sbuf_sh_word(sh, w, n);
	sbuf_puts(sh, " ");
}

/* A hook ("FLAGS\tARG0\tARG..."): one sh line; '-' ignores its failure. */
static void sh_hook(struct sbuf *sh, const char *h)
{
	const char *p = strchr(h, '\t');
	int ignore = p && memchr(h, '-', (size_t)(p - h)) != NULL;

	while (p) {
		const char *e = strchr(p + 1, '\t');

		sh_word(sh, p + 1, e ? (size_t)(e - p - 1) : strlen(p + 1));
		p = e;
	}
	sbuf_puts(sh, ignore ? "|| true\n" : "|| exit 1\n");
}

/* The container's process: the app itself, or, for a daemon that forks or
 * has ExecStartPre=/ExecStartPost= commands, the staged root's sh running
 * them in order and then staying while the pid file's process lives (a
 * container ends with its first process); a oneshot unit (a ruleset
 * loaded) under sh that stays once it is done. */
static void process_args(struct ctr *C, struct sbuf *s)
{
	struct sbuf sh = {0};
	int stay = C->spec.forking || C->spec.oneshot;

	if (!stay && !C->spec.pre.n && !C->spec.post.n) {
		for (size_t i = 0; i < C->spec.argv.n; i++) {
			sbuf_puts(s, i ? ", " : "");
			sbuf_json_str(s, C->spec.argv.v[i]);
		}
		return;
	}
	for (size_t i = 0; i < C->spec.pre.n; i++)
		sh_hook(&sh, C->spec.pre.v[i]);
	for (size_t i = 0; i < C->spec.argv.n; i++)
		sh_word(&sh, C->spec.argv.v[i], strlen(C->spec.argv.v[i]));
	sbuf_puts(&sh, stay ? "|| exit 1\n" : "&\n");
	for (size_t i = 0; i < C->spec.post.n; i++)
		sh_hook(&sh, C->spec.post.v[i]);
	if (!stay)
		sbuf_puts(&sh, "wait\n");
	else if (C->spec.forking && C->spec.pidfile) {
		sbuf_puts(&sh, "f=");
		sh_word(&sh, C->spec.pidfile, strlen(C->spec.pidfile));
		sbuf_puts(
		    &sh,
		    "\nwhile [ ! -s \"$f\" ] || kill -0 \"$(cat \"$f\")\" 2>/dev/null; do sleep 1; "
		    "done\n");
	} else
		sbuf_puts(&sh, "while :; do sleep 3600; done\n");
	sbuf_puts(s, "\"/bin/sh\", \"-c\", ");
	sbuf_json_str(s, sh.s);
	sbuf_free(&sh);
}

static void config_json(struct ctr *C, long long mem_limit, struct sbuf *s)
{
	sbuf_puts(s, "{\n\"ociVersion\": \"1.0.2\",\n\"process\": {\"terminal\": false, ");
	sbuf_printf(s, "\"user\": {\"uid\": %u, \"gid\": %u}, \"args\": [",
		    C->spec.has_user ? C->spec.uid : 0, C->spec.has_user ? C->spec.gid : 0);
	process_args(C, s);
	sbuf_puts(
	    s,
	    "], \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"");
	for (size_t i = 0; i < C->spec.env.n; i++) {
		sbuf_puts(s, ", ");
		sbuf_json_str(s, C->spec.env.v[i]);
	}
	sbuf_puts(s, "], \"cwd\": ");
	sbuf_json_str(s, C->spec.workdir ? C->spec.workdir : "/");
	sbuf_printf(s,
		    ", \"capabilities\": {\"bounding\": %s, \"effective\": %s, \"permitted\": %s}, "
		    "\"noNewPrivileges\": true},\n",
		    C->fwd_o ? caps_fwd : caps, C->fwd_o ? caps_fwd : caps,
		    C->fwd_o ? caps_fwd : caps);
	sbuf_puts(s, "\"root\": {\"path\": \"rootfs\", \"readonly\": false},\n\"hostname\": ");
	sbuf_json_str(s, C->app);
	sbuf_puts(
	    s,
	    ",\n\"mounts\": [\n"
	    " {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
	    " {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": "
	    "[\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
	    " {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", "
	    "\"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", "
	    "\"mode=0620\"]},\n"
	    " {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\", "
	    "\"options\": "
	    "[\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
	    " {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", \"options\": "
	    "[\"nosuid\", \"noexec\", \"nodev\", \"ro\"]}\n],\n");
	sbuf_printf(s, "\"linux\": {\"cgroupsPath\": \"/%s\", ", C->id);
	if (mem_limit > 0)
		sbuf_printf(s, "\"resources\": {\"memory\": {\"limit\": %lld, \"swap\": %lld}}, ",
			    mem_limit, mem_limit);
	sbuf_printf(
	    s,
	    "\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, "
	    "{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"/proc/%d/ns/net\"}],\n"
	    " \"maskedPaths\": [\"/proc/kcore\", \"/proc/keys\", \"/proc/timer_list\", "
	    "\"/sys/firmware\"],\n"
	    " \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", "
	    "\"/proc/sysrq-trigger\"]}\n}\n",
	    (int)C->holder);
}

/* runc with the arguments up to a NULL (at most 10). */
static int runc(struct ctr *C, ...)
{
	char *argv[12] = {"runc"};
	va_list ap;
	int n = 1;

	va_start(ap, C);
	while (n < 11 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	return run_cmd(C->ctx, argv, NULL, 1);
}

/* Ctrl-C or SIGTERM while a container runs (from the cleanup registry,
 * after which its temp dir and the overlay below it go too). */
static void runc_delete(void *arg)
{
	struct ctr *C = arg;

	runc(C, "delete", "-f", C->id, NULL);
}

static void runc_gone(struct ctr *C)
{
	if (!C->running)
		return;
	runc(C, "kill", C->id, "KILL", NULL);
	runc(C, "delete", "-f", C->id, NULL);
	C->running = 0;
}

/* A child in a fresh network namespace, alive until killed (or we die). */
static int start_holder(struct ctr *C)
{
	int p[2];
	char ok;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		ok = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
		if (write(p[1], &ok, 1) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -errno;
	}
	C->holder = pid;
	if (read(p[0], &ok, 1) != 1 || !ok) {
		close(p[0]);
		return -EPERM;
	}
	close(p[0]);
	return 0;
}

static int ip(struct ctr *C, int inside, const char *const *args)
{
	char *argv[16], nsarg[64];
	int n = 0;

	snprintf(nsarg, sizeof(nsarg), "--net=/proc/%d/ns/net", (int)C->holder);
	if (inside) {
		argv[n++] = "nsenter";
		argv[n++] = nsarg;
	}
	argv[n++] = "ip";
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	return run_cmd(C->ctx, argv, NULL, 1) == 0 ? 0 : -EIO;
}

/* --forward: the server net (fwd.h) joined to the container's eth1 by a
 * veth, eth1 with the function's own address (ADDR/P), and the default route
 * via the client net, as the probe gives a VM (tinyx.gw=). */
static int network_fwd(struct ctr *C)
{
	struct fwd_net n;
	char own[32];
	const char *steps[][8] = {
	    {"addr", "add", own, "dev", "eth1"},
	    {"link", "set", "eth1", "up"},
	    {"route", "add", "default", "via", NETNS_HOST_ADDR},
	};
	int r = fwd_parse(C->ctx, C->fwd_o->forward, &n);

	if (r == 0)
		r = fwd_open(C->ctx, &C->fw, &n, C->fwd_o->proxy, C->holder);
	if (r < 0)
		return r;
	C->fw_on = 1;
	snprintf(own, sizeof(own), "%s/%u", n.vm, n.prefix);
	for (size_t i = 0; r == 0 && i < sizeof(steps) / sizeof(steps[0]); i++)
		r = ip(C, 1, steps[i]);
	return r < 0 ? tx_fail(C->ctx, r, STAGE, "cannot give the container's eth1 '%s'", own) : 0;
}

/* The probe's namespace (tap unused: its address moves to the veth) and the
 * container's, joined by a veth pair. */
static int network(struct ctr *C)
{
	char pid[16], host[32], guest[32];
	const char *steps[][11] = {
	    /* in the probe's namespace */
	    {"addr", "flush", "dev", NETNS_TAP},
	    {"link", "add", "vh0", "type", "veth", "peer", "name", "eth0", "netns", pid},
	    {"addr", "add", host, "dev", "vh0"},
	    {"link", "set", "vh0", "up"},
	    /* in the container's */
	    {"addr", "add", guest, "dev", "eth0"},
	    {"link", "set", "eth0", "up"},
	    {"link", "set", "lo", "up"},
	};
	int r = 0;

	snprintf(pid, sizeof(pid), "%d", (int)C->holder);
	snprintf(host, sizeof(host), "%s/%d", NETNS_HOST_ADDR, NETNS_PREFIX);
	snprintf(guest, sizeof(guest), "%s/%d", NETNS_GUEST_ADDR, NETNS_PREFIX);
	for (size_t i = 0; r == 0 && i < sizeof(steps) / sizeof(steps[0]); i++)
		r = ip(C, i >= 4, steps[i]);
	if (r < 0)
		return tx_fail(C->ctx, r, STAGE, "cannot set up the container's veth pair '%s'",
			       "vh0");
	return C->fwd_o ? network_fwd(C) : 0;
}

/* The overlay: the staged root below, a temp dir above, in a private mount
 * namespace of this process (nothing shows on the host, nothing outlives us). */
static int overlay(struct ctr *C)
{
	char *opts;
	int r = 0;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return tx_fail(C->ctx, -errno, STAGE, "cannot make a private mount namespace (%s)",
			       strerror(errno));
	{ /* --overlay DIRs above the staged root, the last one on top */
		struct sbuf low = {0};
		const struct compare_opts *o = C->fwd_o;

		for (int i = o ? o->noverlays - 1 : -1; i >= 0 && r == 0; i--) {
			r = overlay_check(C->ctx, o->overlays[i]);
			if (strpbrk(o->overlays[i], ",:"))
				r = tx_fail(C->ctx, -EINVAL, STAGE,
					    "an overlay dir overlayfs cannot name '%s'",
					    o->overlays[i]);
			sbuf_printf(&low, "%s:", o->overlays[i]);
		}
		sbuf_puts(&low, C->root);
		opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", low.s, C->upper, C->work);
		sbuf_free(&low);
		if (r < 0) {
			free(opts);
			return r;
		}
	}
	if (mount("overlay", C->rootfs, "overlay", 0, opts) < 0)
		r = tx_fail(C->ctx, -errno, STAGE, "cannot mount an overlay on '%s' (%s)", C->root,
			    strerror(errno));
	else
		C->mounted = 1;
	free(opts);
	return r;
}

/* The dirs the unit asks systemd for, in the container's root. */
static void make_dirs(struct ctr *C)
{
	for (size_t i = 0; i < C->spec.dirs.n; i++) {
		char path[512];
		unsigned mode, uid, gid;

		if (sscanf(C->spec.dirs.v[i], "%511s %o %u %u", path, &mode, &uid, &gid) != 4)
			continue;
		char *p = xasprintf("%s%s", C->rootfs, path);
		mkdir_p(p, (mode_t)mode);
		if (chown(p, uid, gid) < 0) {
			/* best effort, as systemd would do it */
		}
		free(p);
	}
}

/* 1 when the app answers GET / with 200 (http), or takes the connection;
 * *answered: the connection was taken or refused (the network is up). */
static int svc_try(int port, int http, int *answered)
{
	static const char req[] = "GET / HTTP/1.0\r\nHost: " NETNS_GUEST_ADDR "\r\n\r\n";
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	struct pollfd pf = {.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), .events = POLLIN};
	char buf[64] = {0};
	size_t len = 0;

	*answered = 0;
	if (pf.fd < 0)
		return 0;
	inet_pton(AF_INET, NETNS_GUEST_ADDR, &sin.sin_addr);
	if (connect(pf.fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		*answered = errno == ECONNREFUSED;
	} else if (!http) {
		close(pf.fd);
		return *answered = 1;
	} else {
		*answered = 1;
		if (send(pf.fd, req, sizeof(req) - 1, MSG_NOSIGNAL) == (ssize_t)sizeof(req) - 1)
			while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len) &&
			       poll(&pf, 1, 2000) > 0) {
				ssize_t n = recv(pf.fd, buf + len, sizeof(buf) - 1 - len, 0);

				if (n <= 0)
					break;
				len += (size_t)n;
			}
	}
	close(pf.fd);
	return !strncmp(buf, "HTTP/1.", 7) && !strncmp(buf + 8, " 200", 4);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* 1 when the container's cgroup is there and holds no process any more
 * (its app exited or was killed, e.g. by the memory limit). */
static int all_gone(const struct ctr *C)
{
	char *v1 = xasprintf(CG_MEM "/%s/cgroup.procs", C->id);
	char *v2 = xasprintf("/sys/fs/cgroup/%s/cgroup.procs", C->id);
	char *t = NULL;
	size_t len = 0;
	int gone =
	    (read_file(v1, &t, &len, 1 << 16) == 0 || read_file(v2, &t, &len, 1 << 16) == 0) &&
	    !t[strspn(t, " \n")];

	free(t);
	free(v1);
	free(v2);
	return gone;
}

/* One container start: runc run -d, then the service check until it
 * answers, or until no process of it is left. */
static int start(struct ctr *C, long long mem_limit, double *init, double *net, double *serve)
{
	struct sbuf js = {0};
	char *cfg = xasprintf("%s/config.json", C->bundle);
	double t0, deadline;
	int r, answered = 0;

	config_json(C, mem_limit, &js);
	r = write_file_atomic(cfg, js.s, js.len, 0644);
	sbuf_free(&js);
	free(cfg);
	if (r < 0)
		return tx_fail(C->ctx, r, STAGE, "cannot write the container config");
	*init = *net = *serve = -1;
	t0 = now_ms();
	C->running = 1;
	if (runc(C, "run", "-d", "--bundle", C->bundle, C->id, NULL) != 0)
		return tx_fail(C->ctx, -EIO, STAGE, "runc run failed for '%s'", C->id);
	*init = now_ms() - t0;
	deadline = t0 + SERVE_TIMEOUT_MS;
	for (int turn = 1; now_ms() < deadline; turn++) {
		char who[16];
		int ok = C->fw_on ? fwd_ask(C->fw.target, who, sizeof(who))
				  : svc_try(C->port, C->http, &answered);

		if (C->fw_on) /* the container's own network is up at its start */
			answered = 1;
		if (answered && *net < 0)
			*net = now_ms() - t0;
		if (ok) {
			*serve = now_ms() - t0;
			return 0;
		}
		if ((C->fw_on || turn % 64 == 0) && all_gone(C))
			return -ECHILD; /* nothing left that could answer */
		sleep_ms(1);
	}
	return -ETIMEDOUT;
}

/* The memory of the container's processes (RSS, PSS) and "used": its
 * memory cgroup's usage without inactive file pages (v1; v2: memory.current). */
static void mem_of(struct ctr *C, double *rss, double *pss, double *used)
{
	char *out = NULL, *p, *st = NULL, *s2 = NULL;
	char *argv[] = {"runc", "ps", "--format", "json", C->id, NULL};
	char *v1 = xasprintf(CG_MEM "/%s/memory.usage_in_bytes", C->id);
	char *v1s = xasprintf(CG_MEM "/%s/memory.stat", C->id);
	char *v2 = xasprintf("/sys/fs/cgroup/%s/memory.current", C->id);
	struct probex_mem m = {-1, -1};
	long long inact = 0;

	if (run_capture_q(C->ctx, argv, &out, 1 << 16, 1) == 0)
		for (p = out; *p; p++)
			if (*p >= '0' && *p <= '9') {
				probex_mem_add((pid_t)strtol(p, &p, 10), &m);
				p--;
			}
	*rss = m.rss_kb;
	*pss = m.pss_kb;
	*used = -1;
	if (read_file(v1, &st, NULL, 4096) == 0) {
		if (read_file(v1s, &s2, NULL, 1 << 16) == 0 &&
		    (p = strstr(s2, "\ntotal_inactive_file ")))
			inact = strtoll(p + 21, NULL, 10);
		*used = (strtoll(st, NULL, 10) - inact) / 1024;
	} else if (read_file(v2, &st, NULL, 4096) == 0) {
		*used = strtoll(st, NULL, 10) / 1024;
	}
	free(out), free(st), free(s2), free(v1), free(v1s), free(v2);
}

static void start_client(void *arg)
{
	struct ctr *C = arg;

	runc(C, "exec", "-d", C->id, "/usr/bin/" CMPIMG_CLIENT, "-c", NETNS_HOST_ADDR, "-t",
	     PROBEX_IPERF3_STR, NULL);
}

/* --forward: what crosses the container (as the probe's fwd_extras for a
 * VM): the echo through it and to its own side, iperf3 through it. A figure
 * its rules do not let through stays -1. */
static void fwd_extras(struct ctr *C, double *rtt, double *p99, double *own, double *mbps)
{
	struct tx_errsave keep;
	double p;
	int replies;

	tx_err_save(C->ctx, &keep);
	tx_info(C->ctx, "compare: container: round trips through it to %s and to its own side",
		C->fw.net.srv[0]);
	if (!C->fw.proxy)
		(void)probex_rtt_to(C->ctx, C->fw.net.srv[0], PROBEX_RTT_COUNT, PROBEX_RTT_MAX_MS,
				    rtt, p99, &replies);
	(void)probex_rtt_to(C->ctx, NETNS_GUEST_ADDR, PROBEX_RTT_COUNT, PROBEX_RTT_MAX_MS, own, &p,
			    &replies);
	tx_info(C->ctx, "compare: container: throughput (iperf3, client to %s through it, %d s)",
		C->fw.target, PROBEX_IPERF3_SECONDS);
	if (probex_iperf3_client(C->ctx, C->fw.target, 0, (PROBEX_IPERF3_SECONDS + 5) * 1000,
				 mbps) < 0)
		tx_info(C->ctx, "compare: container: %s", C->ctx->err);
	tx_err_restore(C->ctx, &keep);
}

/* The runs: each figure's median over them. */
static int runs_of(struct ctr *C, int runs, struct compare_row *row)
{
	/* figure k of run i in v[k * runs + i]: init, network, service, RSS,
	 * PSS, used, RTT median and p99, throughput, RTT to its own side */
	double *v = xcalloc((size_t)runs * 10, sizeof(double)), m[10];
	int r = 0;

	for (int i = 0; i < runs * 10; i++)
		v[i] = -1;
	for (int i = 0; i < runs && r == 0; i++) {
		double *x[10];
		int replies;

		for (int k = 0; k < 10; k++)
			x[k] = v + k * runs + i;
		if (C->fw_on)
			tx_info(C->ctx,
				"compare: container: run %d/%d: runc run to an answer from %s "
				"through it",
				i + 1, runs, C->fw.target);
		else
			tx_info(C->ctx, "compare: container: run %d/%d: runc run to %s on tcp/%d",
				i + 1, runs, C->http ? "HTTP 200" : "a connect", C->port);
		r = start(C, 0, x[0], x[1], x[2]);
		if (r == -ETIMEDOUT && C->fw_on)
			tx_fail(C->ctx, r, STAGE,
				"no answer through the container from %s on tcp/%d within %d s",
				C->fw.target, FWD_PORT, SERVE_TIMEOUT_MS / 1000);
		else if (r == -ETIMEDOUT)
			tx_fail(C->ctx, r, STAGE, "the container did not serve within %d s",
				SERVE_TIMEOUT_MS / 1000);
		else if (r == -ECHILD)
			tx_fail(C->ctx, r, STAGE,
				"the container's processes exited before it served");
		if (r < 0)
			break;
		sleep_ms(200); /* as for a VM: let the app settle before the memory */
		mem_of(C, x[3], x[4], x[5]);
		if (C->fw_on) {
			fwd_extras(C, x[6], x[7], x[9], x[8]);
			runc_gone(C);
			continue;
		}
		tx_info(C->ctx, "compare: container: round trips and throughput");
		r = probex_rtt(C->ctx, PROBEX_RTT_COUNT, PROBEX_RTT_MAX_MS, x[6], x[7], &replies);
		if (r == 0)
			r = probex_iperf3(C->ctx, (PROBEX_IPERF3_SECONDS + 30) * 1000, start_client,
					  C, x[8]);
		runc_gone(C);
	}
	for (int k = 0; k < 10; k++)
		m[k] = median_of(v + k * runs, (size_t)runs, NULL);
	row->init_ms = m[0], row->network_ms = m[1], row->service_ms = m[2];
	row->rss_kb = (long long)m[3], row->pss_kb = (long long)m[4];
	row->guest_used_kb = (long long)m[5];
	row->rtt_median_us = m[6], row->rtt_p99_us = m[7], row->mbps = m[8];
	row->rtt_own_us = m[9];
	free(v);
	return r;
}

/* The smallest cgroup memory limit that serves: 64 MB serves (checked),
 * 1 MB cannot. */
static int min_limit(struct ctr *C, struct compare_row *row)
{
	int lo = 1, hi = 64, r;
	double a, b, c;

	tx_info(C->ctx, "compare: container: smallest memory limit that serves (bisection)");
	r = start(C, (long long)hi << 20, &a, &b, &c);
	runc_gone(C);
	while (r == 0 && hi - lo > 1) {
		int mid = lo + (hi - lo) / 2, ok = start(C, (long long)mid << 20, &a, &b, &c);

		runc_gone(C);
		tx_info(C->ctx, "min-mem: container %d MB %s", mid,
			ok == 0 ? "serves" : "does not serve");
		if (ok == 0)
			hi = mid;
		else
			lo = mid;
	}
	C->ctx->err[0] = 0;
	if (r == 0)
		row->min_mb = hi;
	else
		tx_fail(C->ctx, r, STAGE, "the container does not serve with %d MB", hi);
	return r;
}

/* The bundle's dirs in a temp dir (removed on an interruption too). */
static int bundle(struct ctr *C)
{
	snprintf(C->tmp, sizeof(C->tmp), "/tmp/tinyx-container-XXXXXX");
	if (!mkdtemp(C->tmp)) {
		int r = tx_fail(C->ctx, -errno, STAGE, "cannot create a temp dir '%s'", C->tmp);

		C->tmp[0] = 0;
		return r;
	}
	tx_tmp_register(C->tmp);
	snprintf(C->bundle, sizeof(C->bundle), "%s/bundle", C->tmp);
	snprintf(C->rootfs, sizeof(C->rootfs), "%s/rootfs", C->bundle);
	snprintf(C->upper, sizeof(C->upper), "%s/upper", C->tmp);
	snprintf(C->work, sizeof(C->work), "%s/work", C->tmp);
	if (mkdir_p(C->rootfs, 0755) < 0 || mkdir_p(C->upper, 0755) < 0 ||
	    mkdir_p(C->work, 0755) < 0)
		return tx_fail(C->ctx, -EIO, STAGE, "cannot create '%s'", C->tmp);
	return 0;
}

/* Everything gone: the container, the holder, the namespace, the overlay. */
static void teardown(struct ctr *C, int cleanup)
{
	struct tx_errsave keep;

	runc_gone(C);
	tx_cleanup_pop(cleanup);
	if (C->fw_on)
		fwd_close(&C->fw);
	C->fw_on = 0;
	if (C->holder > 0)
		tx_kill(C->holder);
	tx_err_save(C->ctx, &keep);
	netns_close(C->ctx, &C->ns);
	tx_err_restore(C->ctx, &keep);
	if (C->mounted)
		umount2(C->rootfs, MNT_DETACH);
	if (C->tmp[0]) {
		rm_rf(C->tmp);
		tx_tmp_release(C->tmp);
	}
	appspec_free(&C->spec);
}

/* With the root mounted and the spec made: the unit's dirs, the probe's
 * namespace, the container's and its network (--forward: its sysctls). */
static int up(struct ctr *C)
{
	int r;

	make_dirs(C);
	r = netns_open(C->ctx, &C->ns);
	if (r == 0 && (r = start_holder(C)) < 0)
		tx_fail(C->ctx, r, STAGE, "cannot create the container's network namespace");
	if (r == 0)
		r = network(C);
	if (r == 0 && C->fwd_o)
		r = ctr_sysctls(C->ctx, C->rootfs, C->holder);
	return r;
}

int container_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row)
{
	struct ctr C = {.ctx = ctx, .app = st->o->app, .root = st->root};
	char *du = NULL, *argv[] = {"du", "-s", "-b", (char *)C.root, NULL};
	struct manifest m;
	double t0 = now_ms();
	int r, cleanup = -1;

	row->measured = 1;
	C.ns.host_fd = C.ns.ns_fd = C.ns.tap_fd = -1;
	snprintf(C.id, sizeof(C.id), "tinyx-compare-%d", (int)getpid());
	r = cmpimg_peer_service(ctx, st);
	C.port = st->port;
	C.http = st->svc == IMG_SVC_HTTP;
	if (r == 0 && (!C.root || !C.port))
		r = tx_fail(ctx, -EINVAL, STAGE, "container: no root or no port for '%s'", C.app);
	if (r < 0)
		goto out;
	if (run_capture_q(ctx, argv, &du, 4096, 1) == 0)
		row->size_bytes = atoll(du);
	free(du);
	manifest_init(&m, C.app, C.root);
	r = closure_build(ctx, C.app, C.root, ctx->srcdir, &m, &C.spec);
	manifest_free(&m);
	if (r == 0)
		r = bundle(&C);
	if (r == 0) {
		cleanup = tx_cleanup_push(runc_delete, &C);
		r = overlay(&C);
	}
	if (r == 0)
		r = up(&C);
	if (r == 0)
		r = runs_of(&C, st->res->runs, row);
	if (r == 0 && !st->o->no_min_mem)
		r = min_limit(&C, row);
out:
	if (r < 0)
		snprintf(row->note, sizeof(row->note), "%s", ctx->err);
	teardown(&C, cleanup);
	row->seconds = (now_ms() - t0) / 1000;
	return r;
}

/* The container's size: the staged root and the overlays (du). */
static long long size_of(struct tx_ctx *ctx, const char *root, const struct compare_opts *o)
{
	char *argv[4 + OVERLAY_MAX + 1] = {"du", "-scb", "--", (char *)root}, *out = NULL, *p;
	long long n = -1;
	int k = 4;

	for (int i = 0; i < o->noverlays && i < OVERLAY_MAX; i++)
		argv[k++] = (char *)o->overlays[i];
	argv[k] = NULL;
	if (run_capture_q(ctx, argv, &out, 1 << 16, 1) == 0 && (p = strstr(out, "\ttotal")))
		while (p > out && p[-1] >= '0' && p[-1] <= '9')
			n = atoll(--p);
	free(out);
	return n;
}

int container_forward(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row)
{
	const struct compare_opts *o = st->o;
	struct ctr C = {.ctx = ctx, .app = o->app, .fwd_o = o};
	struct stage_opts so = {.extra = o->add};
	struct strv add = {0};
	struct closure_extra x = {.add = &add};
	struct manifest m;
	char *root = NULL;
	double t0 = now_ms();
	int r, cleanup = -1;

	row->measured = 1;
	row->na |= COMPARE_NA_MIN_MEM | (o->proxy ? COMPARE_NA_RTT : 0);
	C.ns.host_fd = C.ns.ns_fd = C.ns.tap_fd = -1;
	snprintf(C.id, sizeof(C.id), "tinyx-compare-%d", (int)getpid());
	r = closure_add_list(ctx, STAGE, o->add, &add);
	if (r == 0)
		r = stage_root(ctx, o->app, &so, &root);
	C.root = root;
	if (r == 0) {
		row->size_bytes = size_of(ctx, root, o);
		r = bundle(&C);
	}
	if (r == 0) {
		cleanup = tx_cleanup_push(runc_delete, &C);
		r = overlay(&C);
	}
	if (r == 0) { /* the unit as the overlays make it, with --add's oneshots */
		manifest_init(&m, C.app, C.rootfs);
		r = closure_build_ex(ctx, C.app, C.rootfs, ctx->srcdir, &x, &m, &C.spec);
		manifest_free(&m);
	}
	if (r == 0)
		r = up(&C);
	if (r == 0)
		r = runs_of(&C, st->res->runs, row);
	if (r < 0)
		snprintf(row->note, sizeof(row->note), "%s", ctx->err);
	teardown(&C, cleanup);
	strv_free(&add);
	free(root);
	row->seconds = (now_ms() - t0) / 1000;
	return r;
}
