/* The boot probe; see probe.h. */
#include "probe/probe.h"
#include "image/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "formats/imgconf.h"
#include "probe/netns.h"
#include "xen/xenprobe.h"
#include "probe/probex.h"

#define STAGE "probe"
#define SYN_PORT 1	  /* a closed port of the guest */
#define SYN_KEEP_MS 200.0 /* close SYN sockets older than this */
#define SYN_MAX 256
#define SVC_MAX 8
#define TAIL_MAX 8192
#define LINE_MAX_ 512

/* ---- KVM check ---------------------------------------------------------- */

int probe_kvm_works(void)
{
	int kvm = -1, vm = -1, vcpu = -1, ok = 0;
	void *mem = MAP_FAILED, *run = MAP_FAILED;
	long run_size = 0;
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	/* a /dev/kvm that runs a hlt guest may still fail real guests (seen:
	 * "KVM internal error" without vmx/svm): require the CPU flags too */
	{
		char *ci = NULL;
		size_t len;
		int hw = 0;
		if (read_file("/proc/cpuinfo", &ci, &len, 1 << 22) == 0)
			hw = strstr(ci, " vmx") || strstr(ci, " svm");
		free(ci);
		if (!hw)
			return 0;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0 || ioctl(kvm, KVM_GET_API_VERSION, 0) != 12)
		goto out;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		goto out;
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		goto out;
	((unsigned char *)mem)[0] = 0xf4; /* hlt */
	memset(&region, 0, sizeof(region));
	region.guest_phys_addr = 0x1000;
	region.memory_size = 4096;
	region.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		goto out;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0)
		goto out;
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		goto out;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		goto out;
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		goto out;
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		goto out;
	ok = ((struct kvm_run *)run)->exit_reason == KVM_EXIT_HLT;
out:
	if (run != MAP_FAILED)
		munmap(run, (size_t)run_size);
	if (mem != MAP_FAILED)
		munmap(mem, 4096);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	if (kvm >= 0)
		close(kvm);
	return ok;
}

/* ---- one run ------------------------------------------------------------ */

enum svc_state { SVC_CONNECTING, SVC_READING };

struct syn_sock {
	int fd;
	double t;
};

struct svc_try {
	int fd;
	double t;
	enum svc_state st;
	char buf[64];
	size_t len;
};

struct run {
	struct tx_ctx *ctx;
	const struct probe_opts *o;
	const struct imgconf *c;
	struct netns ns;
	pid_t pid;
	int cleanup; /* the registry's handle on its process group */
	int out_fd, err_fd;
	int out_eof, err_eof;
	double t0;
	struct probe_run_rec rec;
	char tail[TAIL_MAX];
	size_t tail_len;
	char line[LINE_MAX_];
	size_t line_len;
	int panic;
	double panic_t;
	struct syn_sock syn[SYN_MAX];
	int nsyn;
	double next_syn;
	struct svc_try svc[SVC_MAX];
	int nsvc;
	double next_svc;
	char last_status[64];
	int isolated; /* all sockets so far in the private namespace */
	int nsock;
	int xen;	  /* under Xen: the guest's times start at the xl create line */
	double t_mark;	  /* when that line came, else -1 */
	int xl_failed;	  /* xl exited before the guest served */
	char xl_err[200]; /* xl's first error line */
};

static void tail_add(struct run *R, const char *s, size_t n)
{
	if (n >= TAIL_MAX) {
		s += n - TAIL_MAX;
		n = TAIL_MAX;
	}
	if (R->tail_len + n > TAIL_MAX) {
		size_t drop = R->tail_len + n - TAIL_MAX;
		memmove(R->tail, R->tail + drop, R->tail_len - drop);
		R->tail_len -= drop;
	}
	memcpy(R->tail + R->tail_len, s, n);
	R->tail_len += n;
}

/* The last lines of the tail, printable, at most max-1 bytes, starting at a line. */
static void tail_text(const struct run *R, char *out, size_t max)
{
	size_t start = R->tail_len > max - 1 ? R->tail_len - (max - 1) : 0, j = 0;

	if (start > 0) {
		while (start < R->tail_len && R->tail[start - 1] != '\n')
			start++;
	}
	for (size_t i = start; i < R->tail_len && j + 1 < max; i++) {
		unsigned char ch = (unsigned char)R->tail[i];
		if (ch == '\r')
			continue;
		if (ch == '\n' || ch == '\t' || (ch >= 0x20 && ch < 0x7f))
			out[j++] = (char)ch;
		else if (ch >= 0x80)
			out[j++] = '?';
	}
	while (j > 0 && out[j - 1] == '\n')
		j--;
	out[j] = '\0';
}

static const char *init_marker(const struct run *R)
{
	return R->o->init_marker && *R->o->init_marker ? R->o->init_marker : "tinyx: init";
}

static void on_line(struct run *R, char *l, double now)
{
	const char *p;

	if (R->xen && R->t_mark < 0) {
		/* the dom0's own boot: its init markers are not the guest's */
		if (strstr(l, XENPROBE_MARK_CREATE))
			R->t_mark = now;
		return;
	}
	if (R->xen && !R->xl_err[0] && strstr(l, "error:"))
		snprintf(R->xl_err, sizeof(R->xl_err), "%.150s", l);
	if (R->xen && !R->panic && strstr(l, XENPROBE_MARK_EXITED)) {
		R->xl_failed = 1;
		R->panic = 1;
		R->panic_t = now;
	}

	if (R->rec.init < 0 && strstr(l, init_marker(R)))
		R->rec.init = now - R->t0;
	if (R->rec.ready < 0 && strstr(l, "tinyx: ready"))
		R->rec.ready = now - R->t0;
	if (R->rec.guest_used_kb < 0 && (p = strstr(l, "tinyx: mem used"))) {
		p += strlen("tinyx: mem used");
		while (*p && (*p < '0' || *p > '9'))
			p++;
		if (*p)
			R->rec.guest_used_kb = strtoll(p, NULL, 10);
	}
	if (!R->panic && strstr(l, "Kernel panic")) {
		R->panic = 1;
		R->panic_t = now;
	}
}

static void console_feed(struct run *R, const char *s, size_t n, double now)
{
	tail_add(R, s, n);
	if (R->o->keep_console && n) {
		if (write(2, s, n) < 0) {
			/* best effort */
		}
	}
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '\n') {
			R->line[R->line_len] = '\0';
			on_line(R, R->line, now);
			R->line_len = 0;
		} else if (ch != '\r' && R->line_len + 1 < LINE_MAX_) {
			R->line[R->line_len++] = ch;
		}
	}
	/* markers without their newline yet still count */
	if (R->line_len) {
		R->line[R->line_len] = '\0';
		if (strstr(R->line, init_marker(R)) && R->rec.init < 0 &&
		    (!R->xen || R->t_mark >= 0))
			R->rec.init = now - R->t0;
	}
}

static void check_sock(struct run *R, int fd)
{
	int iso = netns_socket_isolated(&R->ns, fd);

	R->nsock++;
	if (iso != 1)
		R->isolated = 0;
}

/* A non-blocking TCP socket connecting to the guest, created in the namespace. */
static int guest_connect(struct run *R, int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	check_sock(R, fd);
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

static int sock_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

static void syn_tick(struct run *R, double now)
{
	int w = 0;

	for (int i = 0; i < R->nsyn; i++) {
		if (now - R->syn[i].t > SYN_KEEP_MS)
			close(R->syn[i].fd);
		else
			R->syn[w++] = R->syn[i];
	}
	R->nsyn = w;
	if (R->nsyn < SYN_MAX) {
		int fd = guest_connect(R, SYN_PORT);
		if (fd >= 0) {
			R->syn[R->nsyn].fd = fd;
			R->syn[R->nsyn].t = now;
			R->nsyn++;
		}
	}
}

static void syn_close_all(struct run *R)
{
	for (int i = 0; i < R->nsyn; i++)
		close(R->syn[i].fd);
	R->nsyn = 0;
}

static void svc_drop(struct run *R, int i)
{
	close(R->svc[i].fd);
	R->svc[i] = R->svc[--R->nsvc];
}

static void svc_close_all(struct run *R)
{
	while (R->nsvc)
		svc_drop(R, 0);
}

static void svc_tick(struct run *R, double now)
{
	int connecting = 0;
	double newest = -1;

	for (int i = 0; i < R->nsvc; i++) {
		if (R->svc[i].st == SVC_READING && now - R->svc[i].t > 3000) {
			svc_drop(R, i--);
			continue;
		}
		if (R->svc[i].st == SVC_CONNECTING) {
			connecting++;
			if (R->svc[i].t > newest)
				newest = R->svc[i].t;
		}
	}
	if (now < R->next_svc || R->nsvc >= SVC_MAX)
		return;
	/* one attempt at a time, another one when it seems lost (no answer in 100 ms) */
	if (connecting && now - newest < 100)
		return;
	if (R->nsvc >= SVC_MAX)
		return;
	{
		int fd = guest_connect(R, R->c->port);
		if (fd >= 0) {
			struct svc_try *t = &R->svc[R->nsvc++];
			memset(t, 0, sizeof(*t));
			t->fd = fd;
			t->t = now;
			t->st = SVC_CONNECTING;
		}
		R->next_svc = now + 1;
	}
}

/* 1 when served. */
static int svc_event(struct run *R, int i, short rev, double now)
{
	struct svc_try *t = &R->svc[i];

	if (t->st == SVC_CONNECTING) {
		int err = sock_error(t->fd);
		if (err == 0 && (rev & POLLOUT)) {
			static const char req[] = "GET / HTTP/1.0\r\nHost: " NETNS_GUEST_ADDR
						  "\r\nUser-Agent: tinyx-probe\r\n\r\n";
			if (R->c->service == IMG_SVC_TCP)
				return 1;
			if (send(t->fd, req, sizeof(req) - 1, MSG_NOSIGNAL) !=
			    (ssize_t)sizeof(req) - 1) {
				svc_drop(R, i);
				R->next_svc = now + 1;
				return 0;
			}
			t->st = SVC_READING;
			t->t = now;
			return 0;
		}
		if (err || (rev & (POLLERR | POLLHUP))) {
			svc_drop(R, i);
			R->next_svc = now + 1;
		}
		return 0;
	}
	/* reading the status line */
	{
		ssize_t n = recv(t->fd, t->buf + t->len, sizeof(t->buf) - 1 - t->len, 0);
		char *nl;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n > 0)
			t->len += (size_t)n;
		t->buf[t->len] = '\0';
		nl = strpbrk(t->buf, "\r\n");
		if (nl || n <= 0 || t->len >= sizeof(t->buf) - 1) {
			if (nl)
				*nl = '\0';
			if (!strncmp(t->buf, "HTTP/1.", 7) && t->buf[7] >= '0' &&
			    t->buf[7] <= '9' && !strncmp(t->buf + 8, " 200", 4) &&
			    (t->buf[12] == '\0' || t->buf[12] == ' '))
				return 1;
			if (t->len)
				snprintf(R->last_status, sizeof(R->last_status), "%s", t->buf);
			svc_drop(R, i);
			R->next_svc = now + 10;
		}
	}
	return 0;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* QEMU in the probe's namespace, its own process group (killed as one,
 * also by the cleanup registry on Ctrl-C), console and stderr on pipes. */
static pid_t spawn_qemu(struct run *R, char *const argv[], int *out_fd, int *err_fd)
{
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	int po[2], pe[2], r;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]), close(po[1]);
		return -errno;
	}
	s.out = po[1];
	s.err = pe[1];
	s.fd3 = R->ns.tap_fd;
	s.netns = R->ns.ns_fd;
	s.flags = TX_SPAWN_PGRP | TX_SPAWN_PDEATH;
	r = tx_spawn(R->ctx, &s, &pid);
	close(po[1]);
	close(pe[1]);
	if (r < 0) {
		close(po[0]), close(pe[0]);
		return r;
	}
	R->cleanup = tx_cleanup_pgrp(pid);
	set_nonblock(po[0]);
	set_nonblock(pe[0]);
	*out_fd = po[0];
	*err_fd = pe[0];
	return pid;
}

static void qemu_gone(struct run *R)
{
	R->pid = 0;
	tx_cleanup_pop(R->cleanup);
	R->cleanup = -1;
}

static int child_exited(struct run *R, int *status)
{
	pid_t w;

	if (R->pid <= 0)
		return 1;
	w = waitpid(R->pid, status, WNOHANG);
	if (w == R->pid) {
		qemu_gone(R);
		return 1;
	}
	return 0;
}

static void stop_qemu(struct run *R)
{
	int status;

	if (R->pid <= 0)
		return;
	kill(-R->pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (child_exited(R, &status))
			break;
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (R->pid > 0) {
		kill(-R->pid, SIGKILL);
		while (waitpid(R->pid, &status, 0) < 0 && errno == EINTR)
			;
		qemu_gone(R);
	}
	/* anything else left in the group (there should be nothing) */
}

static long long qemu_rss_kb(pid_t pid)
{
	char path[64], *text = NULL, *p;
	size_t len;
	long long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_file(path, &text, &len, 1 << 16) < 0)
		return -1;
	p = strstr(text, "\nVmRSS:");
	if (p)
		kb = strtoll(p + 7, NULL, 10);
	free(text);
	return kb;
}

static void read_pipe(struct run *R, int *fd, int *eof, int console, double now)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(*fd, buf, sizeof(buf));
		if (n > 0) {
			if (console) {
				if (R->rec.console < 0)
					R->rec.console = now - R->t0;
				console_feed(R, buf, (size_t)n, now);
			} else {
				tail_add(R, buf, (size_t)n);
				if (R->o->keep_console && write(2, buf, (size_t)n) < 0) {
					/* best effort */
				}
			}
			if ((size_t)n < sizeof(buf))
				return;
			continue;
		}
		if (n == 0) {
			*eof = 1;
			close(*fd);
			*fd = -1;
		}
		return; /* EAGAIN or error */
	}
}

static void build_argv(struct strv *a, const struct probe_opts *o, const struct imgconf *c,
		       const char *dir, const char *accel, int mem)
{
	char *extra = xasprintf(
	    "tinyx.ip=%s/%d tinyx.gw=%s%s", NETNS_GUEST_ADDR, NETNS_PREFIX, NETNS_HOST_ADDR,
	    o->iperf3 ? " tinyx.iperf3=" NETNS_HOST_ADDR "," PROBEX_IPERF3_STR : "");
	struct qemu_boot b = {.c = c,
			      .dir = dir,
			      .qemu = o->qemu,
			      .accel = accel,
			      .memory_mb = mem,
			      .use_disk = o->use_disk,
			      .disk_initrd = o->disk_initrd,
			      .netdev = "tap,id=n0,fd=3",
			      .mac = NETNS_GUEST_MAC,
			      .extra = extra};

	qemu_argv(&b, a);
	free(extra);
}

/* The second part, once the guest serves (probex.h): QEMU's memory as the
 * host sees it (PSS from smaps_rollup), the ICMP round trip, and, when the
 * guest was asked for it, the iperf3 throughput. QEMU keeps running. */
static int run_extras(struct run *R)
{
	struct probex_mem m = {-1, -1};
	int replies, rc;

	if (R->pid > 0 && probex_mem_add(R->pid, &m) == 0) {
		R->rec.qemu_pss_kb = m.pss_kb;
		if (R->rec.qemu_rss_kb < 0)
			R->rec.qemu_rss_kb = m.rss_kb;
	}
	tx_info(R->ctx, "probe: round trips (ICMP echo flood) to %s", R->o->dir);
	rc = probex_rtt(R->ctx, PROBEX_RTT_COUNT, PROBEX_RTT_MAX_MS, &R->rec.rtt_median_us,
			&R->rec.rtt_p99_us, &replies);
	if (rc < 0 || !R->o->iperf3)
		return rc;
	tx_info(R->ctx, "probe: throughput (iperf3, guest to host, %d s) of %s",
		PROBEX_IPERF3_SECONDS, R->o->dir);
	return probex_iperf3(R->ctx, (PROBEX_IPERF3_SECONDS + 60) * 1000, NULL, NULL,
			     &R->rec.throughput_mbps);
}

/* Returns 0 served, <0 error (ctx->err set), with R->rec filled. */
static int one_run(struct run *R, char *const argv[])
{
	struct tx_ctx *ctx = R->ctx;
	const struct probe_opts *o = R->o;
	int timeout_s = o->timeout_s > 0 ? o->timeout_s : 30;
	double deadline, served_at = -1;
	int status = 0, rc = 0, need_svc = R->c->service != IMG_SVC_NONE;
	pid_t pid;

	R->isolated = 1;
	R->rec.ok = 0;
	R->rec.console = R->rec.init = R->rec.network = R->rec.service = R->rec.ready = -1;
	R->rec.guest_used_kb = R->rec.qemu_rss_kb = R->rec.qemu_pss_kb = -1;
	R->rec.rtt_median_us = R->rec.rtt_p99_us = R->rec.throughput_mbps = -1;
	R->rec.dom0 = -1;
	R->out_fd = R->err_fd = -1;

	rc = netns_open(ctx, &R->ns);
	if (rc < 0)
		return rc;

	R->t0 = now_ms();
	pid = spawn_qemu(R, argv, &R->out_fd, &R->err_fd);
	if (pid < 0) {
		rc = tx_fail(ctx, (int)pid, STAGE, "cannot run '%s' (%s)", argv[0],
			     strerror((int)-pid));
		goto out;
	}
	R->pid = pid;
	if (netns_pid_isolated(&R->ns, pid) != 1)
		R->isolated = 0;
	deadline = R->t0 + timeout_s * 1000.0;
	R->next_syn = R->t0;
	R->next_svc = 0;

	for (;;) {
		struct pollfd pf[2 + SYN_MAX + SVC_MAX];
		int np = 0, syn_base, svc_base;
		double now = now_ms(), wait_ms;
		struct timespec ts;

		if (served_at >= 0) {
			/* linger a little for the guest's memory line, then stop */
			if (R->rec.guest_used_kb >= 0 || R->rec.init < 0 ||
			    now - served_at > (o->extras ? 3000 : 200))
				break;
		} else if (now >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		if (R->panic && now - R->panic_t > 300) {
			rc = -EIO;
			break;
		}
		if ((R->out_eof && R->err_eof) || child_exited(R, &status)) {
			if (served_at >= 0)
				break;
			/* pipes closed: QEMU is on its way out; get its status */
			for (int k = 0; k < 100 && R->pid > 0 && !child_exited(R, &status); k++) {
				struct timespec ts5 = {0, 5 * 1000 * 1000};
				nanosleep(&ts5, NULL);
			}
			/* drain what is left */
			if (R->out_fd >= 0)
				read_pipe(R, &R->out_fd, &R->out_eof, 1, now);
			if (R->err_fd >= 0)
				read_pipe(R, &R->err_fd, &R->err_eof, 0, now);
			rc = -ECHILD;
			break;
		}
		if (R->rec.network < 0 && now >= R->next_syn && (!R->xen || R->t_mark >= 0)) {
			syn_tick(R, now);
			R->next_syn += 1.0;
			if (R->next_syn < now)
				R->next_syn = now + 1.0;
		}
		if (R->rec.network >= 0 && need_svc && served_at < 0)
			svc_tick(R, now);

		if (R->out_fd >= 0)
			pf[np++] = (struct pollfd){R->out_fd, POLLIN, 0};
		else
			pf[np++] = (struct pollfd){-1, 0, 0};
		if (R->err_fd >= 0)
			pf[np++] = (struct pollfd){R->err_fd, POLLIN, 0};
		else
			pf[np++] = (struct pollfd){-1, 0, 0};
		syn_base = np;
		for (int i = 0; i < R->nsyn; i++)
			pf[np++] = (struct pollfd){R->syn[i].fd, POLLOUT, 0};
		svc_base = np;
		for (int i = 0; i < R->nsvc; i++)
			pf[np++] = (struct pollfd){
			    R->svc[i].fd, R->svc[i].st == SVC_CONNECTING ? POLLOUT : POLLIN, 0};

		wait_ms = served_at >= 0 ? 10 : deadline - now;
		if (R->rec.network < 0 && R->next_syn - now < wait_ms)
			wait_ms = R->next_syn - now;
		if (R->rec.network >= 0 && need_svc && served_at < 0) {
			double d = R->next_svc - now;
			if (d < 1)
				d = 1;
			if (d < wait_ms)
				wait_ms = d;
		}
		if (wait_ms > 50)
			wait_ms = 50; /* recheck the child and signals now and then */
		if (wait_ms < 0)
			wait_ms = 0;
		ts.tv_sec = (time_t)(wait_ms / 1000);
		ts.tv_nsec = (long)((wait_ms - ts.tv_sec * 1000.0) * 1e6);
		if (ppoll(pf, (nfds_t)np, &ts, NULL) < 0) {
			if (errno == EINTR)
				continue;
			rc = tx_fail(ctx, -errno, STAGE, "poll: %s", strerror(errno));
			goto out;
		}
		now = now_ms();
		if (pf[0].revents)
			read_pipe(R, &R->out_fd, &R->out_eof, 1, now);
		if (pf[1].revents)
			read_pipe(R, &R->err_fd, &R->err_eof, 0, now);
		if (R->out_fd < 0)
			R->out_eof = 1;
		if (R->err_fd < 0)
			R->err_eof = 1;
		if (R->rec.network < 0) {
			for (int i = 0; i < R->nsyn; i++) {
				int err;
				if (!pf[syn_base + i].revents)
					continue;
				err = sock_error(R->syn[i].fd);
				if (err == 0 || err == ECONNREFUSED) {
					R->rec.network = now - R->t0;
					break;
				}
			}
			if (R->rec.network >= 0) {
				syn_close_all(R);
				if (!need_svc) {
					R->rec.service = R->rec.network;
					served_at = now;
				}
			}
		} else if (served_at < 0) {
			/* svc_event may drop entries: walk the poll array by fd */
			for (int k = svc_base; k < np && served_at < 0; k++) {
				if (!pf[k].revents)
					continue;
				for (int i = 0; i < R->nsvc; i++) {
					if (R->svc[i].fd != pf[k].fd)
						continue;
					if (svc_event(R, i, pf[k].revents, now)) {
						R->rec.service = now - R->t0;
						served_at = now;
					}
					break;
				}
			}
			if (served_at >= 0) {
				svc_close_all(R);
				R->rec.qemu_rss_kb = qemu_rss_kb(R->pid);
			}
		}
	}

	if (served_at >= 0) {
		R->rec.ok = 1;
		rc = 0;
		if (R->rec.qemu_rss_kb < 0 && R->pid > 0)
			R->rec.qemu_rss_kb = qemu_rss_kb(R->pid);
		if (o->extras)
			rc = run_extras(R);
	} else {
		char tail[600];
		const char *what;
		char why[160], detail[160] = "";

		tail_text(R, tail, sizeof(tail));
		for (char *p = tail; *p; p++)
			if (*p == '\n')
				*p = '|';
		if (rc == -ETIMEDOUT) {
			what = R->rec.network < 0 ? "the guest network did not come up"
						  : "the service did not answer";
			snprintf(detail, sizeof(detail), " (%s%s%s%s)", what,
				 R->last_status[0] ? "; last answer '" : "", R->last_status,
				 R->last_status[0] ? "'" : "");
			snprintf(why, sizeof(why), "image did not serve within %d s", timeout_s);
		} else if (rc == -EIO && R->xl_failed) {
			snprintf(why, sizeof(why), "xl create failed in the dom0");
			snprintf(detail, sizeof(detail), " (%.150s)",
				 R->xl_err[0] ? R->xl_err : "xl exited");
		} else if (rc == -EIO) {
			snprintf(why, sizeof(why), "the guest kernel panicked");
		} else {
			if (WIFEXITED(status))
				snprintf(why, sizeof(why),
					 "QEMU exited with status %d before the image served",
					 WEXITSTATUS(status));
			else if (WIFSIGNALED(status))
				snprintf(why, sizeof(why),
					 "QEMU died of signal %d before the image served",
					 WTERMSIG(status));
			else
				snprintf(why, sizeof(why), "QEMU stopped before the image served");
			rc = -EIO;
		}
		rc = tx_fail(ctx, rc, STAGE, "%s '%s'%s; console: %s", why, o->dir, detail,
			     tail[0] ? tail : "(nothing)");
	}
out:
	syn_close_all(R);
	svc_close_all(R);
	if (R->out_fd >= 0)
		close(R->out_fd);
	if (R->err_fd >= 0)
		close(R->err_fd);
	R->out_fd = R->err_fd = -1;
	stop_qemu(R);
	{
		char keep[sizeof(ctx->err)];
		int crc;
		memcpy(keep, ctx->err, sizeof(keep));
		crc = netns_close(ctx, &R->ns);
		if (crc < 0 && rc == 0)
			rc = crc;
		else
			memcpy(ctx->err, keep, sizeof(keep));
	}
	if (R->nsock == 0 && rc == 0)
		R->isolated = 0; /* nothing was checked: do not claim it */
	return rc;
}

/* Under Xen the guest's times count from the xl create line; QEMU start to
 * that line is the dom0's boot. The first console byte is the dom0's, and
 * the guest's cannot be told from xl's own output on the shared line. */
static void xen_rebase(struct run *R)
{
	double m = R->t_mark >= 0 ? R->t_mark - R->t0 : -1;
	double *v[] = {&R->rec.init, &R->rec.network, &R->rec.service, &R->rec.ready};

	R->rec.dom0 = m;
	R->rec.console = -1;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (*v[i] >= 0)
			*v[i] = m >= 0 && *v[i] >= m ? *v[i] - m : -1;
}

/* ---- statistics and reports --------------------------------------------- */

static void stat_of(struct probe_stat *s, const struct probe_run_rec *runs, int n, size_t off)
{
	double *v = xcalloc((size_t)n + 1, sizeof(double));
	size_t k;

	for (int i = 0; i < n; i++)
		v[i] = *(const double *)((const char *)&runs[i] + off);
	memset(s, 0, sizeof(*s));
	s->median = median_of(v, (size_t)n, &k);
	s->n = (int)k;
	s->min = k ? v[0] : -1;
	s->max = k ? v[k - 1] : -1;
	free(v);
}

static long long median_ll(const struct probe_run_rec *runs, int n, int guest)
{
	double *v = xcalloc((size_t)n + 1, sizeof(double));
	long long m;

	for (int i = 0; i < n; i++)
		v[i] = (double)(guest ? runs[i].guest_used_kb : runs[i].qemu_rss_kb);
	m = (long long)median_of(v, (size_t)n, NULL);
	free(v);
	return m;
}

static double median_d(const struct probe_run_rec *runs, int n, size_t off)
{
	struct probe_stat st;

	stat_of(&st, runs, n, off);
	return st.n ? st.median : -1;
}

static void extras_medians(struct probe_result *r)
{
	double *v = xcalloc((size_t)r->runs + 1, sizeof(double));

	for (int i = 0; i < r->runs; i++)
		v[i] = (double)r->per_run[i].qemu_pss_kb;
	r->qemu_pss_kb = (long long)median_of(v, (size_t)r->runs, NULL);
	free(v);
	r->rtt_median_us =
	    median_d(r->per_run, r->runs, offsetof(struct probe_run_rec, rtt_median_us));
	r->rtt_p99_us = median_d(r->per_run, r->runs, offsetof(struct probe_run_rec, rtt_p99_us));
	r->throughput_mbps =
	    median_d(r->per_run, r->runs, offsetof(struct probe_run_rec, throughput_mbps));
}

void probe_result_free(struct probe_result *r)
{
	if (!r)
		return;
	free(r->per_run);
	r->per_run = NULL;
}

int probe_run(struct tx_ctx *ctx, const struct probe_opts *o, struct probe_result *r)
{
	struct imgconf c;
	struct strv argv = {0};
	struct run *R = NULL;
	struct xenprobe xp = {0};
	struct probe_opts xo;
	const char *accel = "tcg";
	int runs = o->runs > 0 ? o->runs : 1, rc, mem, i;

	memset(r, 0, sizeof(*r));
	r->guest_used_kb = r->qemu_rss_kb = r->qemu_pss_kb = -1;
	r->rtt_median_us = r->rtt_p99_us = r->throughput_mbps = -1;
	r->min_boot_mb = -1;
	r->size_kernel = r->size_rootfs = -1;
	if (!o->dir)
		return tx_fail(ctx, -EINVAL, STAGE, "no image dir given");
	if (runs > PROBE_MAX_RUNS)
		return tx_fail(ctx, -EINVAL, STAGE, "at most %d runs", PROBE_MAX_RUNS);
	if (!is_dir(o->dir))
		return tx_fail(ctx, -ENOENT, STAGE, "no such image dir '%s'", o->dir);
	rc = imgconf_load(ctx, o->dir, &c);
	if (rc < 0)
		return rc;
	snprintf(r->machine, sizeof(r->machine), "%s", img_machine_name(c.machine));
	snprintf(r->service_name, sizeof(r->service_name), "%s", img_service_name(c.service));
	snprintf(r->target, sizeof(r->target), "%s", img_target_name(c.target));
	snprintf(r->note, sizeof(r->note), "%s", c.note ? c.note : "");
	r->port = c.port;
	r->vcpus = c.vcpus;
	mem = o->memory_mb > 0 ? o->memory_mb : c.memory_mb;
	r->memory_mb = mem;
	if (mem < IMGCONF_MEM_MIN || mem > IMGCONF_MEM_MAX) {
		rc = tx_fail(ctx, -ERANGE, STAGE, "memory must be %d..%d MB", IMGCONF_MEM_MIN,
			     IMGCONF_MEM_MAX);
		goto done;
	}
	if (c.target == IMG_XEN && !o->xen_pvh_entry && o->use_disk) {
		rc = tx_fail(ctx, -EINVAL, STAGE,
			     "--disk does not apply to a guest under Xen '%s' (maybe --pvh-entry)",
			     o->dir);
		goto done;
	}
	r->size_kernel = file_size_at(o->dir, c.kernel);
	if (r->size_kernel < 0) {
		rc = tx_fail(ctx, -ENOENT, STAGE, "no kernel '%s/%s'", o->dir, c.kernel);
		goto done;
	}
	if (o->use_disk) {
		if (!c.disk) {
			rc = tx_fail(ctx, -ENOENT, STAGE, "the image has no disk '%s'", o->dir);
			goto done;
		}
		r->size_rootfs = file_size_at(o->dir, c.disk);
		if (r->size_rootfs < 0) {
			rc = tx_fail(ctx, -ENOENT, STAGE, "no disk '%s/%s'", o->dir, c.disk);
			goto done;
		}
	} else {
		r->size_rootfs = file_size_at(o->dir, c.initrd);
		if (r->size_rootfs < 0) {
			rc = tx_fail(ctx, -ENOENT, STAGE, "no initrd '%s/%s'", o->dir, c.initrd);
			goto done;
		}
	}
	if (o->accel && !strcmp(o->accel, "kvm"))
		accel = "kvm";
	else if (o->accel && !strcmp(o->accel, "auto"))
		accel = probe_kvm_works() ? "kvm" : "tcg";
	else if (o->accel && strcmp(o->accel, "tcg")) {
		rc = tx_fail(ctx, -EINVAL, STAGE, "unknown accelerator '%s' (tcg, kvm, auto)",
			     o->accel);
		goto done;
	}
	snprintf(r->accel, sizeof(r->accel), "%s", accel);
	if (c.target == IMG_XEN && !o->xen_pvh_entry) {
		rc = xenprobe_prepare(ctx, o, &c, &xp, &argv);
		if (rc < 0)
			goto done;
		r->xen_mode = 1;
		snprintf(r->machine, sizeof(r->machine), "xen-on-pc");
		snprintf(r->accel, sizeof(r->accel), "tcg");
		snprintf(r->xen_cfg, sizeof(r->xen_cfg), "%s", xp.cfg);
		snprintf(r->xen_guest_type, sizeof(r->xen_guest_type), "%s", xp.guest_type);
		snprintf(r->xen_kit, sizeof(r->xen_kit), "%s", xp.kit.versions);
		xo = *o;
		if (xo.timeout_s <= 0)
			xo.timeout_s = XENPROBE_TIMEOUT_S;
		o = &xo;
	} else {
		build_argv(&argv, o, &c, o->dir, accel, mem);
	}

	r->per_run = xcalloc((size_t)runs, sizeof(*r->per_run));
	R = xcalloc(1, sizeof(*R));

	r->netns_isolated = 1;
	rc = 0;
	for (i = 0; i < runs && rc == 0; i++) {
		memset(R, 0, sizeof(*R));
		R->ctx = ctx;
		R->o = o;
		R->c = &c;
		R->ns.host_fd = R->ns.ns_fd = R->ns.tap_fd = -1;
		R->cleanup = -1;
		tx_info(ctx, "probe: run %d/%d of %s", i + 1, runs, o->dir);
		R->xen = r->xen_mode;
		R->t_mark = -1;
		rc = one_run(R, argv.v);
		if (R->xen)
			xen_rebase(R);
		r->per_run[i] = R->rec;
		r->runs = i + 1;
		if (!R->isolated)
			r->netns_isolated = 0;
		if (rc == 0)
			r->runs_ok++;
		else
			tail_text(R, r->console_tail, sizeof(r->console_tail));
	}
	r->ok = rc == 0 && r->runs_ok == runs;
	stat_of(&r->console, r->per_run, r->runs, offsetof(struct probe_run_rec, console));
	stat_of(&r->init, r->per_run, r->runs, offsetof(struct probe_run_rec, init));
	stat_of(&r->network, r->per_run, r->runs, offsetof(struct probe_run_rec, network));
	stat_of(&r->service, r->per_run, r->runs, offsetof(struct probe_run_rec, service));
	r->guest_used_kb = median_ll(r->per_run, r->runs, 1);
	r->qemu_rss_kb = median_ll(r->per_run, r->runs, 0);
	stat_of(&r->dom0, r->per_run, r->runs, offsetof(struct probe_run_rec, dom0));
	extras_medians(r);

done:
	free(R);
	strv_free(&argv);
	imgconf_free(&c);
	xenprobe_cleanup(&xp);
	return rc;
}

static void fmt_ms(struct sbuf *out, double v)
{
	if (v < 0)
		sbuf_puts(out, "null");
	else
		sbuf_printf(out, "%.1f", v);
}

static void json_stat(struct sbuf *out, const char *name, const struct probe_stat *s)
{
	sbuf_printf(out, "\"%s\": {\"median\": ", name);
	fmt_ms(out, s->n ? s->median : -1);
	sbuf_puts(out, ", \"min\": ");
	fmt_ms(out, s->n ? s->min : -1);
	sbuf_puts(out, ", \"max\": ");
	fmt_ms(out, s->n ? s->max : -1);
	sbuf_printf(out, ", \"n\": %d}", s->n);
}

static void json_ll(struct sbuf *out, long long v)
{
	if (v < 0)
		sbuf_puts(out, "null");
	else
		sbuf_printf(out, "%lld", v);
}

void probe_report_json(const struct probe_result *r, const struct probe_opts *o, struct sbuf *out)
{
	long long total =
	    r->size_kernel >= 0 && r->size_rootfs >= 0 ? r->size_kernel + r->size_rootfs : -1;

	sbuf_puts(out, "{\n  \"dir\": ");
	sbuf_json_str(out, o->dir ? o->dir : "");
	sbuf_printf(out, ",\n  \"ok\": %s,\n  \"runs\": %d,\n  \"runs_ok\": %d,\n",
		    r->ok ? "true" : "false", r->runs, r->runs_ok);
	sbuf_printf(out, "  \"netns_isolated\": %s,\n", r->netns_isolated ? "true" : "false");
	sbuf_puts(out, "  \"accel\": ");
	sbuf_json_str(out, r->accel[0] ? r->accel : "tcg");
	sbuf_puts(out, ", \"machine\": ");
	sbuf_json_str(out, r->machine);
	sbuf_puts(out, ", \"target\": ");
	sbuf_json_str(out, r->target);
	sbuf_puts(out, ", \"service\": ");
	sbuf_json_str(out, r->service_name);
	sbuf_printf(out, ", \"port\": %d, \"memory_mb\": %d, \"vcpus\": %d, \"disk\": %s,\n",
		    r->port, r->memory_mb, r->vcpus, o->use_disk ? "true" : "false");
	sbuf_puts(out, "  \"boot_ms\": {\n    ");
	json_stat(out, "console", &r->console);
	sbuf_puts(out, ",\n    ");
	json_stat(out, "init", &r->init);
	sbuf_puts(out, ",\n    ");
	json_stat(out, "network", &r->network);
	sbuf_puts(out, ",\n    ");
	json_stat(out, "service", &r->service);
	sbuf_puts(out, "\n  },\n  \"size_bytes\": {\"kernel\": ");
	json_ll(out, r->size_kernel);
	sbuf_puts(out, ", \"rootfs\": ");
	json_ll(out, r->size_rootfs);
	sbuf_puts(out, ", \"total\": ");
	json_ll(out, total);
	sbuf_puts(out, "},\n  \"memory_kb\": {\"guest_used\": ");
	json_ll(out, r->guest_used_kb);
	sbuf_puts(out, ", \"qemu_rss\": ");
	json_ll(out, r->qemu_rss_kb);
	sbuf_puts(out, ", \"qemu_pss\": ");
	json_ll(out, r->qemu_pss_kb);
	sbuf_puts(out, "},\n  \"memory_mb\": {\"min_boot\": ");
	json_ll(out, r->min_boot_mb);
	sbuf_puts(out, "},\n  \"rtt_us\": {\"median\": ");
	fmt_ms(out, r->rtt_median_us);
	sbuf_puts(out, ", \"p99\": ");
	fmt_ms(out, r->rtt_p99_us);
	sbuf_puts(out, "},\n  \"throughput_mbps\": ");
	fmt_ms(out, r->throughput_mbps);
	sbuf_puts(out, ",\n  \"per_run\": [");
	for (int i = 0; i < r->runs && r->per_run; i++) {
		const struct probe_run_rec *p = &r->per_run[i];
		sbuf_printf(out, "%s\n    {\"ok\": %s, \"console\": ", i ? "," : "",
			    p->ok ? "true" : "false");
		fmt_ms(out, p->console);
		sbuf_puts(out, ", \"init\": ");
		fmt_ms(out, p->init);
		sbuf_puts(out, ", \"network\": ");
		fmt_ms(out, p->network);
		sbuf_puts(out, ", \"service\": ");
		fmt_ms(out, p->service);
		sbuf_puts(out, ", \"ready\": ");
		fmt_ms(out, p->ready);
		sbuf_puts(out, ", \"guest_used_kb\": ");
		json_ll(out, p->guest_used_kb);
		sbuf_puts(out, ", \"qemu_rss_kb\": ");
		json_ll(out, p->qemu_rss_kb);
		sbuf_puts(out, ", \"qemu_pss_kb\": ");
		json_ll(out, p->qemu_pss_kb);
		sbuf_puts(out, ", \"rtt_us_median\": ");
		fmt_ms(out, p->rtt_median_us);
		sbuf_puts(out, ", \"rtt_us_p99\": ");
		fmt_ms(out, p->rtt_p99_us);
		sbuf_puts(out, ", \"throughput_mbps\": ");
		fmt_ms(out, p->throughput_mbps);
		sbuf_puts(out, "}");
	}
	sbuf_puts(out, r->runs ? "\n  ]" : "]");
	if (r->xen_mode) {
		sbuf_puts(out, ",\n  \"xen\": {\"guest_type\": ");
		sbuf_json_str(out, r->xen_guest_type);
		sbuf_puts(out, ", \"cfg\": ");
		sbuf_json_str(out, r->xen_cfg);
		sbuf_puts(out, ", \"kit\": ");
		sbuf_json_str(out, r->xen_kit);
		sbuf_puts(out, ",\n    ");
		json_stat(out, "dom0_ms", &r->dom0);
		sbuf_puts(out, "}");
	}
	if (!r->ok && r->console_tail[0]) {
		sbuf_puts(out, ",\n  \"console_tail\": ");
		sbuf_json_str(out, r->console_tail);
	}
	if (r->note[0] && !r->xen_mode) { /* the note says how the build verified it */
		sbuf_puts(out, ",\n  \"note\": ");
		sbuf_json_str(out, r->note);
	}
	sbuf_puts(out, "\n}\n");
}

static void text_row(struct sbuf *out, const char *name, const struct probe_stat *s)
{
	if (!s->n)
		sbuf_printf(out, "  %-9s %9s %9s %9s\n", name, "-", "-", "-");
	else
		sbuf_printf(out, "  %-9s %9.1f %9.1f %9.1f\n", name, s->median, s->min, s->max);
}

static void text_size(struct sbuf *out, const char *name, long long v)
{
	if (v < 0)
		sbuf_printf(out, "%s -", name);
	else
		sbuf_printf(out, "%s %.2f MB (%lld bytes)", name, v / 1e6, v);
}

void probe_report_text(const struct probe_result *r, const struct probe_opts *o, struct sbuf *out)
{
	sbuf_printf(out, "probe %s: %s, %d/%d run%s served (%s %s, %s, %d MB, %d vcpu%s, %s",
		    o->dir ? o->dir : "", r->ok ? "ok" : "FAILED", r->runs_ok, r->runs,
		    r->runs == 1 ? "" : "s", r->target, r->machine, r->accel[0] ? r->accel : "tcg",
		    r->memory_mb, r->vcpus, r->vcpus == 1 ? "" : "s", r->service_name);
	if (r->port)
		sbuf_printf(out, "/%d", r->port);
	sbuf_printf(out, "%s)\n", o->use_disk ? ", disk root" : "");
	sbuf_printf(out, "  %-9s %9s %9s %9s\n", "ms", "median", "min", "max");
	text_row(out, "console", &r->console);
	text_row(out, "init", &r->init);
	text_row(out, "network", &r->network);
	text_row(out, "service", &r->service);
	sbuf_puts(out, "  size: ");
	text_size(out, "kernel", r->size_kernel);
	sbuf_puts(out, ", ");
	text_size(out, "rootfs", r->size_rootfs);
	sbuf_puts(out, ", ");
	text_size(out, "total",
		  r->size_kernel >= 0 && r->size_rootfs >= 0 ? r->size_kernel + r->size_rootfs
							     : -1);
	sbuf_puts(out, "\n");
	if (r->guest_used_kb >= 0 || r->qemu_rss_kb >= 0) {
		sbuf_puts(out, "  memory:");
		if (r->guest_used_kb >= 0)
			sbuf_printf(out, " guest used %lld KB", r->guest_used_kb);
		if (r->qemu_rss_kb >= 0)
			sbuf_printf(out, "%s QEMU RSS %lld KB", r->guest_used_kb >= 0 ? "," : "",
				    r->qemu_rss_kb);
		sbuf_puts(out, "\n");
	}
	if (r->qemu_pss_kb >= 0 || r->min_boot_mb >= 0) {
		sbuf_puts(out, "  memory:");
		if (r->qemu_pss_kb >= 0)
			sbuf_printf(out, " QEMU PSS %lld KB", r->qemu_pss_kb);
		if (r->min_boot_mb >= 0)
			sbuf_printf(out, "%s smallest RAM that serves %d MB",
				    r->qemu_pss_kb >= 0 ? "," : "", r->min_boot_mb);
		sbuf_puts(out, "\n");
	}
	if (r->rtt_median_us >= 0)
		sbuf_printf(out, "  rtt: median %.0f us, p99 %.0f us (ICMP echo flood)\n",
			    r->rtt_median_us, r->rtt_p99_us);
	if (r->throughput_mbps >= 0)
		sbuf_printf(out, "  throughput: %.1f Mbit/s (iperf3, guest to host)\n",
			    r->throughput_mbps);
	sbuf_printf(out, "  network namespace: %s\n",
		    r->netns_isolated ? "private (every probe socket and QEMU checked)"
				      : "NOT verified");
	if (r->xen_mode) {
		sbuf_printf(out, "  xen: %s guest from %s; times from xl create in the dom0\n",
			    r->xen_guest_type, r->xen_cfg);
		text_row(out, "dom0", &r->dom0);
		sbuf_printf(out, "  kit: %s\n", r->xen_kit);
	}
	if (r->note[0] && !r->xen_mode)
		sbuf_printf(out, "  note: %s\n", r->note);
	if (!r->ok && r->console_tail[0])
		sbuf_printf(out, "  console (last lines):\n%s\n", r->console_tail);
}
