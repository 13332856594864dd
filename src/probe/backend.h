/* How the probe boots an image: straight on QEMU (backend.c), or under a
 * hypervisor nested in QEMU (xen/xenprobe.c). The run loop (run.c) is the
 * same for all: a backend builds the command and reads its own console
 * lines. A new target's probe is one file with one of these and one line in
 * probe_backend_for()'s table. Every hook but prepare may be NULL. */
#ifndef TINYX_PROBE_BACKEND_H
#define TINYX_PROBE_BACKEND_H

#include "formats/imgconf.h"
#include "probe/probe.h"

#define PB_LINE_SKIP 1u /* not the guest's line: the loop reads no marker in it */
#define PB_LINE_DIED 2u /* the guest died: like a panic */

struct probe_backend {
	const char *name;
	/* refuse options before the image's files are looked at */
	int (*check)(struct tx_ctx *ctx, const struct probe_opts *o);
	/* fill argv (argv[0] is QEMU) from o, c and r (accel, memory_mb set);
	 * may set o's defaults and r's machine, accel and xen fields; *st is
	 * its state for the hooks. 0 or -errno with ctx->err. */
	int (*prepare)(struct tx_ctx *ctx, struct probe_opts *o, const struct imgconf *c,
		       struct probe_result *r, struct strv *argv, void **st);
	/* each whole console line, first: PB_LINE_* bits; panicked: the loop
	 * saw the guest die already */
	unsigned (*on_line)(void *st, const char *line, int panicked, double now);
	/* 1 once the guest runs: its network is probed, its markers count */
	int (*guest_started)(void *st);
	/* explain the guest's death (rc -EIO): 1 with why and detail filled */
	int (*explain)(void *st, char *why, size_t why_n, char *detail, size_t detail_n);
	/* the end of a run: rebase its times; reset for the next run */
	void (*finish)(void *st, struct probe_run_rec *rec, double t0);
	void (*cleanup)(void *st);
};

extern const struct probe_backend probe_backend_qemu;

/* The backend for an image's target (image.conf target=) and --pvh-entry. */
const struct probe_backend *probe_backend_for(enum img_target t, int on_qemu);

#endif
