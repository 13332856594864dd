/* The boot probe's insides (not for callers: they use probe.h): one run's
 * state, shared by the run loop (run.c), the console reader (console.c),
 * QEMU's process (qemu-proc.c), the detectors (check.h) and the backends
 * (backend.h). */
#ifndef TINYX_PROBE_RUN_H
#define TINYX_PROBE_RUN_H

#include "formats/imgconf.h"
#include "probe/backend.h"
#include "probe/fwd.h"
#include "probe/netns.h"
#include "probe/probe.h"

#define STAGE "probe"
#define TAIL_MAX 8192
#define LINE_MAX_ 512
#define PROBE_PORTS_MAX 16

struct run {
	struct tx_ctx *ctx;
	const struct probe_opts *o;
	const struct imgconf *c;
	const struct probe_backend *be;
	void *be_st; /* the backend's state */
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
	int panic; /* the guest died (a panic, or the backend says so) */
	double panic_t;
	char last_status[64]; /* the service's last wrong answer */
	/* what the guest's init said of the app (console.c; guest/markers.h) */
	struct probe_port {
		int udp, port;
	} ports[PROBE_PORTS_MAX]; /* "ready tcp/80": the ports it serves */
	int nports;
	int batch_done;	 /* the memory line after the first ready lines */
	char local[64];	 /* the first "local" line: "udp/53 127.0.0.1" */
	double local_t;	 /* when it came */
	int app_exits;	 /* "app exited" or "app killed" lines */
	char why[256];	 /* why the guest or the app died, when it said so */
	const char *app; /* the app's name in messages */
	int isolated;	 /* all sockets so far in the private namespace */
	int nsock;
	/* --forward (fwd.h): the server net asked for, and this run's */
	const struct fwd_net *fnet;
	struct fwd *fwd;
};

/* console.c: QEMU's stdout (the console) and stderr, the tail of both. */
void probe_read_pipe(struct run *R, int *fd, int *eof, int console, double now);
void probe_tail_text(const struct run *R, char *out, size_t max);
/* The last lines of the tail that are not the init's markers, "a | b". */
void probe_app_output(const struct run *R, char *out, size_t max);

/* qemu-proc.c: QEMU in the probe's namespace, its own process group. */
int probe_spawn_qemu(struct run *R, char *const argv[]);
/* 1 when QEMU is gone (its status in *status when this call reaped it). */
int probe_child_exited(struct run *R, int *status);
/* QEMU's pipes closed: wait a little for its status, read what is left. */
void probe_qemu_closing(struct run *R, int *status, double now);
void probe_stop_qemu(struct run *R);
long long probe_qemu_rss_kb(pid_t pid);

/* run.c: a non-blocking TCP socket connecting to the guest's port, created
 * (and checked) in the namespace; SO_ERROR of a socket. */
int probe_connect(struct run *R, int port);
/* The same for SOCK_STREAM or SOCK_DGRAM (a connected UDP socket). */
int probe_connect_type(struct run *R, int type, int port);
int probe_sock_error(int fd);

/* report.c: the statistics of r->per_run. */
void probe_result_stats(struct probe_result *r);

#endif
