/* The boot probe's run loop; see probe.h. One run: a private namespace,
 * QEMU (qemu-proc.c) with the backend's command (backend.h), its console
 * read (console.c) while the checks (check.h) run in turn until the last
 * one answers or the time is up. */
#include "probe/run.h"
#include "probe/check.h"
#include "probe/probex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The check of image.conf's service=; none: the ports the app serves. */
static const struct {
	enum img_service svc;
	const struct probe_check *check;
} services[] = {
    {IMG_SVC_HTTP, &probe_check_http},
    {IMG_SVC_TCP, &probe_check_tcp},
};

int probe_connect(struct run *R, int port)
{
	return probe_connect_type(R, SOCK_STREAM, port);
}

int probe_connect_type(struct run *R, int type, int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	R->nsock++;
	if (netns_socket_isolated(&R->ns, fd) != 1)
		R->isolated = 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, NETNS_GUEST_ADDR, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno != EINPROGRESS) {
		/* ECONNREFUSED right away is possible; report it through SO_ERROR */
		if (errno == ECONNREFUSED)
			return fd;
		close(fd);
		return -errno;
	}
	return fd;
}

int probe_sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

/* --forward: what crosses the function (fwd.h). A figure its rules do not
 * let through (no echo through a proxy, ICMP dropped) stays unmeasured:
 * the verdict is the answer through it, already had. */
static int fwd_extras(struct run *R)
{
	struct tx_errsave keep;
	double p99;
	int replies;

	tx_err_save(R->ctx, &keep);
	tx_info(R->ctx, "probe: round trips through %s to %s and to its own side", R->o->dir,
		R->fwd->net.srv[0]);
	if (!R->fwd->proxy)
		(void)probex_rtt_to(R->ctx, R->fwd->net.srv[0], PROBEX_RTT_COUNT, PROBEX_RTT_MAX_MS,
				    &R->rec.rtt_median_us, &R->rec.rtt_p99_us, &replies);
	(void)probex_rtt_to(R->ctx, NETNS_GUEST_ADDR, PROBEX_RTT_COUNT, PROBEX_RTT_MAX_MS,
			    &R->rec.rtt_own_us, &p99, &replies);
	tx_info(R->ctx, "probe: throughput (iperf3, client to %s through it, %d s)", R->fwd->target,
		PROBEX_IPERF3_SECONDS);
	if (probex_iperf3_client(R->ctx, R->fwd->target, 0, (PROBEX_IPERF3_SECONDS + 5) * 1000,
				 &R->rec.throughput_mbps) < 0)
		tx_info(R->ctx, "probe: %s", R->ctx->err);
	tx_err_restore(R->ctx, &keep);
	return 0;
}

/* The second part, once the guest serves (probex.h): QEMU's memory as the
 * host sees it (PSS from smaps_rollup), the ICMP round trip, and, when the
 * guest was asked for it, the iperf3 throughput (--forward: fwd_extras).
 * QEMU keeps running. */
static int run_extras(struct run *R)
{
	struct probex_mem m = {-1, -1};
	int replies, rc;

	if (R->pid > 0 && probex_mem_add(R->pid, &m) == 0) {
		R->rec.qemu_pss_kb = m.pss_kb;
		if (R->rec.qemu_rss_kb < 0)
			R->rec.qemu_rss_kb = m.rss_kb;
	}
	if (R->fwd)
		return fwd_extras(R);
	tx_info(R->ctx, "probe: round trips (ICMP echo flood) to %s", R->o->dir);
	rc = probex_rtt(R->ctx, PROBEX_RTT_COUNT, PROBEX_RTT_MAX_MS, &R->rec.rtt_median_us,
			&R->rec.rtt_p99_us, &replies);
	if (rc < 0 || !R->o->iperf3)
		return rc;
	tx_info(R->ctx, "probe: throughput (iperf3, guest to host, %d s) of %s",
		PROBEX_IPERF3_SECONDS, R->o->dir);
	if (R->c->iperf3 == IMG_IPERF3_SERVER)
		return probex_iperf3_reverse(R->ctx, (PROBEX_IPERF3_SECONDS + 60) * 1000,
					     &R->rec.throughput_mbps);
	return probex_iperf3(R->ctx, (PROBEX_IPERF3_SECONDS + 60) * 1000, NULL, NULL,
			     &R->rec.throughput_mbps);
}

/* An app that listens on loopback only, and on no other address this long
 * after, serves no one outside the VM. */
#define LOCAL_ONLY_MS 5000.0

/* The loop's state: the checks in turn (network, then the service's). */
struct loop {
	const struct probe_check *ck[2];
	double *at[2]; /* the phase each check times */
	int n, cur;
	void *st; /* the current check's */
	double deadline, served_at;
	int status, qemu_exited;
	int exits; /* the app's exits when it served */
};

static void loop_init(struct run *R, struct loop *L)
{
	memset(L, 0, sizeof(*L));
	L->ck[0] = &probe_check_syn;
	L->at[0] = &R->rec.network;
	L->ck[1] = &probe_check_ports;
	L->at[1] = &R->rec.service;
	L->n = 2;
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (services[i].svc == R->c->service && R->c->port > 0)
			L->ck[1] = services[i].check;
	if (R->fwd) { /* the answer through it; a function may drop the SYN check's */
		L->ck[0] = &probe_check_fwd;
		L->at[0] = &R->rec.service;
		L->n = 1;
	}
	L->served_at = -1;
	L->deadline = R->t0 + (R->o->timeout_s > 0 ? R->o->timeout_s : 30) * 1000.0;
	L->st = L->ck[0]->start(R, R->t0);
}

static void loop_stop(struct loop *L)
{
	if (L->st)
		L->ck[L->cur]->stop(L->st);
	L->st = NULL;
}

/* The current check answered: time it, start the next, or served. */
static void phase_done(struct run *R, struct loop *L, double now)
{
	if (*L->at[L->cur] < 0) /* a check may time its answer itself */
		*L->at[L->cur] = now - R->t0;
	loop_stop(L);
	if (++L->cur < L->n) {
		L->st = L->ck[L->cur]->start(R, now);
		return;
	}
	L->served_at = now;
	L->exits = R->app_exits;
	R->rec.qemu_rss_kb = probe_qemu_rss_kb(R->pid);
}

/* 1 when the run is over: served (and lingered a little for the guest's
 * memory line), out of time (*rc -ETIMEDOUT), or the guest or QEMU died
 * (*rc PROBE_EDIED). */
static int loop_over(struct run *R, struct loop *L, double now, int *rc)
{
	/* --forward: the function is what answers; an app that ran to its end
	 * (a oneshot: a ruleset loaded) is fine, one that failed says so */
	if (L->served_at >= 0 && R->app_exits > L->exits && !R->why[0] && !R->fwd)
		snprintf(R->why, sizeof(R->why), "the app exited after it served");
	if (L->served_at < 0 && R->local[0] && !R->nports && !R->fwd &&
	    now - R->local_t > LOCAL_ONLY_MS) {
		*rc = -ETIMEDOUT;
		return 1;
	}
	if (R->why[0]) {
		L->served_at = -1; /* whatever answered, the app is not running */
		*rc = -PROBE_EDIED;
		return 1;
	}
	if (L->served_at >= 0) {
		if (R->o->trace)
			return now - L->served_at > 1500;
		if (R->rec.guest_used_kb >= 0 || R->rec.init < 0 ||
		    now - L->served_at > (R->o->extras ? 3000 : 200))
			return 1;
	} else if (now >= L->deadline) {
		*rc = -ETIMEDOUT;
		return 1;
	}
	if (R->panic && now - R->panic_t > 300) {
		*rc = -PROBE_EDIED;
		return 1;
	}
	if ((R->out_eof && R->err_eof) || probe_child_exited(R, &L->status)) {
		if (L->served_at >= 0)
			return 1;
		/* pipes closed: QEMU is on its way out; get its status */
		probe_qemu_closing(R, &L->status, now);
		L->qemu_exited = 1;
		*rc = -PROBE_EDIED;
		return 1;
	}
	return 0;
}

static struct timespec ms_ts(double ms)
{
	if (ms > 50)
		ms = 50; /* recheck the child now and then */
	if (ms < 0)
		ms = 0;
	return (struct timespec){(time_t)(ms / 1000),
				 (long)((ms - (time_t)(ms / 1000) * 1000.0) * 1e6)};
}

/* One turn: 1 when the run is over (*rc 0 or -errno). */
static int loop_turn(struct run *R, struct loop *L, int *rc)
{
	struct pollfd pf[2 + CHECK_FDS_MAX];
	double now = now_ms(), wait;
	int np = 2, active;
	struct timespec ts;

	if (loop_over(R, L, now, rc))
		return 1;
	active = L->served_at < 0 && (!R->be->guest_started || R->be->guest_started(R->be_st));
	wait = L->served_at >= 0 ? 10 : L->deadline - now;
	if (active) {
		double w = L->ck[L->cur]->tick(L->st, R, now);
		wait = w < wait ? w : wait;
	}
	pf[0] = (struct pollfd){R->out_fd, R->out_fd >= 0 ? POLLIN : 0, 0};
	pf[1] = (struct pollfd){R->err_fd, R->err_fd >= 0 ? POLLIN : 0, 0};
	if (active)
		np += L->ck[L->cur]->fds(L->st, pf + 2);
	ts = ms_ts(wait);
	if (ppoll(pf, (nfds_t)np, &ts, NULL) < 0) {
		if (errno == EINTR)
			return 0;
		*rc = tx_fail(R->ctx, -errno, STAGE, "poll: %s", strerror(errno));
		L->served_at = -1; /* not a run that served, whatever came before */
		return 1;
	}
	now = now_ms();
	if (pf[0].revents)
		probe_read_pipe(R, &R->out_fd, &R->out_eof, 1, now);
	if (pf[1].revents)
		probe_read_pipe(R, &R->err_fd, &R->err_eof, 0, now);
	R->out_eof |= R->out_fd < 0;
	R->err_eof |= R->err_fd < 0;
	if (active && L->ck[L->cur]->event(L->st, R, pf + 2, np - 2, now))
		phase_done(R, L, now);
	return 0;
}

/* Why a run that timed out did not serve, from what the init said. */
static void timeout_cause(struct run *R, char *why, size_t cap, int timeout_s)
{
	if (R->fwd)
		snprintf(why, cap, "no answer through the VM from %s on tcp/%d within %d s%s%s%s",
			 R->fwd->target, FWD_PORT, timeout_s,
			 R->last_status[0] ? " (last answer '" : "", R->last_status,
			 R->last_status[0] ? "')" : "");
	else if (R->local[0] && !R->nports)
		snprintf(why, cap,
			 "'%s' listens only on %s (its own config); add an overlay to serve the "
			 "network",
			 R->app, R->local);
	else if (R->rec.network >= 0 && R->c->port <= 0 && !R->nports)
		snprintf(why, cap, "'%s' never listened on a port within %d s", R->app, timeout_s);
	else if (R->rec.network >= 0) {
		char on[24] = "";

		if (R->c->port > 0 && R->c->service != IMG_SVC_NONE)
			snprintf(on, sizeof(on), " on tcp/%d", R->c->port);
		snprintf(why, cap, "'%s' did not answer%s within %d s%s%s%s", R->app, on, timeout_s,
			 R->last_status[0] ? " (last answer '" : "", R->last_status,
			 R->last_status[0] ? "')" : "");
	} else
		snprintf(why, cap, "the guest network did not come up within %d s", timeout_s);
}

/* ctx->err for a run that did not serve: the cause, then the app's last
 * lines (the console's when the app said nothing). */
static int run_failed(struct run *R, const struct loop *L, int rc)
{
	char tail[600], why[320], out[400];
	int timeout_s = R->o->timeout_s > 0 ? R->o->timeout_s : 30, st = L->status;

	probe_tail_text(R, tail, sizeof(tail));
	for (char *p = tail; *p; p++)
		if (*p == '\n')
			*p = '|';
	probe_app_output(R, out, sizeof(out));
	if (R->why[0])
		snprintf(why, sizeof(why), "'%s': %s", R->app, R->why);
	else if (rc == -ETIMEDOUT)
		timeout_cause(R, why, sizeof(why), timeout_s);
	else if (L->qemu_exited && WIFEXITED(st))
		snprintf(why, sizeof(why), "QEMU exited with status %d before the image served",
			 WEXITSTATUS(st));
	else if (L->qemu_exited && WIFSIGNALED(st))
		snprintf(why, sizeof(why), "QEMU died of signal %d before the image served",
			 WTERMSIG(st));
	else if (L->qemu_exited)
		snprintf(why, sizeof(why), "QEMU stopped before the image served");
	else if (R->be->explain && R->be->explain(R->be_st, why, sizeof(why), out, sizeof(out)))
		return tx_fail(R->ctx, rc, STAGE, "%s '%s'%s; console: %s", why, R->o->dir, out,
			       tail[0] ? tail : "(nothing)");
	else
		snprintf(why, sizeof(why), "the guest kernel panicked");
	return tx_fail(R->ctx, rc, STAGE, "%s (image '%s'); last output: %s", why, R->o->dir, out);
}

static void run_reset(struct run *R)
{
	R->isolated = 1;
	R->rec.ok = 0;
	R->rec.console = R->rec.init = R->rec.network = R->rec.service = R->rec.ready = -1;
	R->rec.guest_used_kb = R->rec.qemu_rss_kb = R->rec.qemu_pss_kb = -1;
	R->rec.rtt_median_us = R->rec.rtt_p99_us = R->rec.throughput_mbps = -1;
	R->rec.rtt_own_us = -1;
	R->rec.dom0 = -1;
	R->out_fd = R->err_fd = -1;
}

/* The app's name for messages: the caller's, else the image dir's parent's
 * (out/nginx/kvm: nginx). */
static char *probe_app_name(const struct probe_opts *o)
{
	char *d, *slash;

	if (o->app && *o->app)
		return xstrdup(o->app);
	d = xstrdup(o->dir);
	for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--)
		d[n - 1] = 0;
	slash = strrchr(d, '/');
	if (slash) {
		*slash = 0;
		slash = strrchr(d, '/');
		memmove(d, slash ? slash + 1 : d, strlen(slash ? slash + 1 : d) + 1);
	}
	if (!*d || !strcmp(d, ".")) {
		free(d);
		d = xstrdup("the app");
	}
	return d;
}

/* Returns 0 served, <0 error (ctx->err set), with R->rec filled. */
static int one_run(struct run *R, char *const argv[])
{
	struct loop L;
	struct tx_errsave keep;
	struct fwd fw;
	int rc, crc;

	run_reset(R);
	rc = netns_open(R->ctx, &R->ns);
	if (rc < 0)
		return rc;
	if (R->fnet) {
		rc = fwd_open(R->ctx, &fw, R->fnet, R->o->proxy, 0);
		if (rc < 0)
			goto out;
		R->fwd = &fw;
	}
	R->t0 = now_ms();
	rc = probe_spawn_qemu(R, argv);
	if (rc < 0) {
		rc = tx_fail(R->ctx, rc, STAGE, "cannot run '%s' (%s)", argv[0], strerror(-rc));
		goto out;
	}
	if (netns_pid_isolated(&R->ns, R->pid) != 1)
		R->isolated = 0;
	loop_init(R, &L);
	while (!loop_turn(R, &L, &rc))
		;
	loop_stop(&L);
	if (L.served_at >= 0) {
		R->rec.ok = 1;
		if (R->rec.qemu_rss_kb < 0 && R->pid > 0)
			R->rec.qemu_rss_kb = probe_qemu_rss_kb(R->pid);
		rc = R->o->extras ? run_extras(R) : 0;
	} else if (rc == -ETIMEDOUT || rc == -PROBE_EDIED) {
		rc = run_failed(R, &L, rc);
	}
out:
	if (R->out_fd >= 0)
		close(R->out_fd);
	if (R->err_fd >= 0)
		close(R->err_fd);
	R->out_fd = R->err_fd = -1;
	probe_stop_qemu(R);
	if (R->fwd)
		fwd_close(R->fwd);
	R->fwd = NULL;
	tx_err_save(R->ctx, &keep);
	crc = netns_close(R->ctx, &R->ns);
	if (crc < 0 && rc == 0)
		rc = crc;
	else
		tx_err_restore(R->ctx, &keep);
	if (R->nsock == 0 && rc == 0)
		R->isolated = 0; /* nothing was checked: do not claim it */
	return rc;
}

/* r->accel from o->accel */
static int probe_accel(struct tx_ctx *ctx, const struct probe_opts *o, struct probe_result *r)
{
	if (!o->accel || !strcmp(o->accel, "tcg") || !strcmp(o->accel, "kvm"))
		snprintf(r->accel, sizeof(r->accel), "%s", o->accel ? o->accel : "tcg");
	else if (!strcmp(o->accel, "auto"))
		snprintf(r->accel, sizeof(r->accel), "%s", probe_kvm_works() ? "kvm" : "tcg");
	else
		return tx_fail(ctx, -EINVAL, STAGE, "unknown accelerator '%s' (tcg, kvm, auto)",
			       o->accel);
	return 0;
}

/* The image's files and sizes, and the options that apply to it. */
static int check_image(struct tx_ctx *ctx, const struct probe_opts *o, const struct imgconf *c,
		       struct probe_result *r)
{
	const char *name = o->boot_disk ? c->boot_disk : o->use_disk ? c->disk : c->initrd;

	r->size_kernel = file_size_at(o->dir, c->kernel);
	if (r->size_kernel < 0)
		return tx_fail(ctx, -ENOENT, STAGE, "no kernel '%s/%s'", o->dir, c->kernel);
	if (o->boot_disk && (!c->boot_disk || c->target != IMG_KVM))
		return tx_fail(ctx, -ENOENT, STAGE, "the image has no bootable disk '%s'", o->dir);
	if (o->boot_disk) { /* all in one file: the disk is the size */
		r->size_kernel = 0;
		r->size_rootfs = file_size_at(o->dir, name);
		return r->size_rootfs < 0
			   ? tx_fail(ctx, -ENOENT, STAGE, "no bootable disk '%s/%s'", o->dir, name)
			   : probe_accel(ctx, o, r);
	}
	if (o->use_disk && !c->disk)
		return tx_fail(ctx, -ENOENT, STAGE, "the image has no disk '%s'", o->dir);
	r->size_rootfs = file_size_at(o->dir, name);
	if (r->size_rootfs < 0 && c->target == IMG_XEN && !o->xen_on_qemu && !o->use_disk)
		r->size_rootfs = 0; /* a unikernel under Xen: the kernel is all of it */
	if (r->size_rootfs < 0)
		return tx_fail(ctx, -ENOENT, STAGE, "no %s '%s/%s'",
			       o->use_disk ? "disk" : "initrd", o->dir, name);
	return probe_accel(ctx, o, r);
}

/* r's fields from the image dir before any run; c is loaded when 0. */
static int probe_setup(struct tx_ctx *ctx, const struct probe_opts *o, struct imgconf *c,
		       struct probe_result *r)
{
	int runs = o->runs > 0 ? o->runs : 1, rc;

	memset(r, 0, sizeof(*r));
	r->guest_used_kb = r->qemu_rss_kb = r->qemu_pss_kb = -1;
	r->rtt_median_us = r->rtt_p99_us = r->throughput_mbps = r->rtt_own_us = -1;
	r->min_boot_mb = -1;
	r->size_kernel = r->size_rootfs = -1;
	if (!o->dir)
		return tx_fail(ctx, -EINVAL, STAGE, "no image dir given");
	if (runs > PROBE_MAX_RUNS)
		return tx_fail(ctx, -EINVAL, STAGE, "at most %d runs", PROBE_MAX_RUNS);
	if (!is_dir(o->dir))
		return tx_fail(ctx, -ENOENT, STAGE, "no such image dir '%s'", o->dir);
	rc = imgconf_load(ctx, o->dir, c);
	if (rc < 0)
		return rc;
	if (o->port > 0)
		c->port = o->port, c->service = o->service;
	snprintf(r->machine, sizeof(r->machine), "%s", img_machine_name(c->machine));
	snprintf(r->service_name, sizeof(r->service_name), "%s", img_service_name(c->service));
	snprintf(r->target, sizeof(r->target), "%s", img_target_name(c->target));
	snprintf(r->note, sizeof(r->note), "%s", c->note ? c->note : "");
	r->port = c->port;
	r->vcpus = c->vcpus;
	r->memory_mb = o->memory_mb > 0 ? o->memory_mb : c->memory_mb;
	if (r->memory_mb < IMGCONF_MEM_MIN || r->memory_mb > IMGCONF_MEM_MAX) {
		imgconf_free(c);
		return tx_fail(ctx, -ERANGE, STAGE, "memory must be %d..%d MB", IMGCONF_MEM_MIN,
			       IMGCONF_MEM_MAX);
	}
	return 0;
}

int probe_run(struct tx_ctx *ctx, const struct probe_opts *o, struct probe_result *r)
{
	const struct probe_backend *be;
	struct probe_opts po = *o;
	struct imgconf c;
	struct fwd_net fnet;
	struct strv argv = {0};
	struct run *R = NULL;
	void *st = NULL;
	char *app = NULL;
	int runs = o->runs > 0 ? o->runs : 1, rc;

	if (o->use_disk + o->use_initrd + o->boot_disk > 1) /* name the two (or three) given */
		return tx_fail(ctx, -EINVAL, STAGE, "%s%s%s%s%s together '%s'",
			       o->use_disk ? "--disk" : "", o->use_disk ? " and " : "",
			       o->use_initrd ? "--initrd" : "",
			       o->use_initrd && o->boot_disk ? " and " : "",
			       o->boot_disk ? "--boot-disk" : "", o->dir);
	if (o->forward && (rc = fwd_parse(ctx, o->forward, &fnet)) < 0)
		return rc;
	rc = probe_setup(ctx, o, &c, r);
	if (rc < 0)
		return rc;
	if (o->forward && c.target == IMG_XEN && !o->xen_on_qemu) {
		imgconf_free(&c);
		return tx_fail(ctx, -EINVAL, STAGE,
			       "--forward boots on QEMU: add --qemu for a Xen image '%s'", o->dir);
	}
	if (o->forward)
		snprintf(r->forward_to, sizeof(r->forward_to), "%s",
			 o->proxy ? NETNS_GUEST_ADDR : fnet.srv[0]);
	/* the image's default root: its disk when it has one */
	po.use_disk = !o->boot_disk && (o->use_disk || (c.disk && !o->use_initrd));
	po.disk_initrd |= po.use_disk && c.disk_initrd; /* a distro's VM (image.conf) */
	o = &po;
	r->disk_root = o->boot_disk ? 2 : po.use_disk;
	be = probe_backend_for(c.target, o->xen_on_qemu);
	rc = be->check ? be->check(ctx, o) : 0;
	if (rc == 0)
		rc = check_image(ctx, o, &c, r);
	if (rc == 0)
		rc = be->prepare(ctx, &po, &c, r, &argv, &st);
	if (rc < 0)
		goto done;
	app = probe_app_name(o);
	r->per_run = xcalloc((size_t)runs, sizeof(*r->per_run));
	R = xcalloc(1, sizeof(*R));
	r->netns_isolated = 1;
	for (int i = 0; i < runs && rc == 0; i++) {
		*R = (struct run){.ctx = ctx,
				  .o = &po,
				  .c = &c,
				  .be = be,
				  .be_st = st,
				  .cleanup = -1,
				  .app = app,
				  .fnet = o->forward ? &fnet : NULL};
		R->ns.host_fd = R->ns.ns_fd = R->ns.tap_fd = -1;
		tx_info(ctx, "probe: run %d/%d of %s", i + 1, runs, o->dir);
		rc = one_run(R, argv.v);
		if (be->finish)
			be->finish(st, &R->rec, R->t0);
		r->per_run[i] = R->rec;
		r->runs = i + 1;
		r->netns_isolated &= R->isolated;
		r->runs_ok += rc == 0;
		if (rc == 0)
			snprintf(r->check, sizeof(r->check), "%s", R->rec.check);
		if (rc < 0)
			probe_tail_text(R, r->console_tail, sizeof(r->console_tail));
	}
	r->ok = rc == 0 && r->runs_ok == runs;
	probe_result_stats(r);
done:
	free(R);
	free(app);
	strv_free(&argv);
	imgconf_free(&c);
	if (be->cleanup && st)
		be->cleanup(st);
	return rc;
}
