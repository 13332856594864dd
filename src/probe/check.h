/* The probe's detectors: small state machines the run loop drives until
 * the guest answers. network (syn.c): the first RST or SYN-ACK for SYNs
 * sent every millisecond to a closed port; service (svc.c), by image.conf's
 * service=: http (a "HTTP/1.x 200" status line for "GET / HTTP/1.0") or tcp
 * (a connect); none: ports (portcheck.c), every port the app serves by
 * what it speaks. A new check is one file with one of these and a line in
 * run.c's table. */
#ifndef TINYX_PROBE_CHECK_H
#define TINYX_PROBE_CHECK_H

#include <poll.h>

struct run;

#define CHECK_FDS_MAX 256 /* sockets a check polls at most */

struct probe_check {
	const char *name;
	void *(*start)(struct run *R, double now); /* its state, owned until stop */
	/* open attempts when due; the ms until it wants the next tick */
	double (*tick)(void *st, struct run *R, double now);
	/* its sockets to poll, at most CHECK_FDS_MAX: their count */
	int (*fds)(void *st, struct pollfd *pf);
	/* their events (pf[0..n) as fds filled it): 1 when the guest answered */
	int (*event)(void *st, struct run *R, const struct pollfd *pf, int n, double now);
	void (*stop)(void *st); /* close its sockets, free it */
};

extern const struct probe_check probe_check_syn, probe_check_http, probe_check_tcp,
    probe_check_ports, probe_check_fwd;

#endif
