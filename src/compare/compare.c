/* tinyx compare; see compare.h. */
#include "compare/compare.h"
#include "compare/system.h"
#include "formats/imgconf.h"
#include "compare/debvm.h"
#include "probe/fwd.h"
#include "probe/netns.h"
#include "probe/probe.h"
#include "stage/stage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STAGE "compare"

/* The rows, in this order. */
const struct compare_system compare_systems[] = {
    {"debian-vm", "systemd, Debian kernel + initramfs, ext4 disk, QEMU pc", 1, cmpimg_prepare,
     debvm_stage, debvm_measure, debvm_forward},
    {"tinyx-kvm", "bzImage + read-only squashfs root disk, QEMU microvm", 1, cmpimg_prepare,
     cmpimg_stage, cmpimg_measure, cmpimg_forward},
    {"tinyx-kvm-initrd", "bzImage + initrd, QEMU microvm", 1, cmpimg_prepare, cmpimg_stage,
     cmpimg_measure, NULL},
    {"tinyx-xen-pvh", "Xen kernel via its PVH entry, QEMU microvm", 1, cmpimg_prepare, cmpimg_stage,
     cmpimg_measure, NULL},
    {"tinyx-min", "no BusyBox: app + libraries + init, QEMU microvm", 1, cmpimg_prepare,
     cmpimg_stage, cmpimg_measure, NULL},
    {"container", "runc, own netns + veth, native", 0, cmpimg_prepare, cmpimg_stage,
     container_measure, container_forward},
    {"minios", "Mini-OS + lwIP HTTP app, PV under Xen (nested in QEMU)", 1, NULL, NULL,
     minios_measure, NULL},
    {"osv", "OSv running the app's closure, PVH kernel + rofs disk, QEMU pc", 1, cmpimg_prepare,
     cmpimg_stage, osv_measure, NULL},
    {"unikraft", "Unikraft nginx (musl, lwIP), multiboot + CPIO initrd, QEMU pc", 1, NULL, NULL,
     unikraft_measure, NULL},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL},
};

static const struct compare_system *system_find(const char *name, size_t len)
{
	for (const struct compare_system *s = compare_systems; s->name; s++)
		if (strlen(s->name) == len && !strncmp(s->name, name, len))
			return s;
	return NULL;
}

int compare_check_only(struct tx_ctx *ctx, const char *only, int forward)
{
	struct sbuf names = {0};
	const struct compare_system *f = NULL;
	const char *p = only;
	size_t l = 0;
	int r;

	for (; p; p = p[l] ? p + l + 1 : NULL) {
		l = strcspn(p, ",");
		f = system_find(p, l);
		if (!f || (forward && !f->forward))
			break;
	}
	if (!p)
		return 0;
	for (const struct compare_system *s = compare_systems; s->name; s++)
		if (!forward || s->forward)
			sbuf_printf(&names, "%s%s", names.len ? ", " : "", s->name);
	if (f)
		r = tx_fail(ctx, -EINVAL, STAGE,
			    "system '%.*s' cannot forward (with --forward, one of: %s)", (int)l, p,
			    names.s);
	else
		r = tx_fail(ctx, -EINVAL, STAGE, "unknown system '%.*s' (one of: %s)", (int)l, p,
			    names.s);
	sbuf_free(&names);
	return r;
}

static int wanted(const struct compare_opts *o, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = o->only; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l == n && !strncmp(p, name, n))
			return 1;
		p += l + (p[l] == ',');
	}
	return !o->only;
}

struct compare_row *compare_row_add(struct compare_result *res, const char *name, const char *what)
{
	struct compare_row *r;

	res->row = xrealloc(res->row, (size_t)(res->nrows + 1) * sizeof(*r));
	r = &res->row[res->nrows++];
	memset(r, 0, sizeof(*r));
	r->name = name;
	snprintf(r->what, sizeof(r->what), "%s", what);
	r->size_bytes = r->rss_kb = r->pss_kb = r->guest_used_kb = -1;
	r->min_mb = -1;
	r->console_ms = r->init_ms = r->network_ms = r->service_ms = -1;
	r->rtt_median_us = r->rtt_p99_us = r->mbps = r->rtt_own_us = -1;
	return r;
}

void compare_result_free(struct compare_result *res)
{
	free(res->row);
	res->row = NULL;
	res->nrows = 0;
}

/* A file of the image, 0 when it is missing (the row says what it lacks). */
static long long size0(const char *dir, const char *name)
{
	long long n = file_size_at(dir, name);

	return n < 0 ? 0 : n;
}

int compare_vm_row(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row,
		   const struct compare_vm *vm)
{
	const struct compare_opts *o = st->o;
	/* a Xen image: its PVH entry on QEMU (the row tinyx-xen-pvh); the probe
	 * under the real hypervisor is 'tinyx probe' without --pvh-entry */
	struct probe_opts po = {.dir = vm->dir,
				.app = o->app,
				.port = vm->peer ? st->port : 0,
				.service = st->svc,
				.runs = o->runs,
				.timeout_s = vm->timeout_s,
				.accel = "auto",
				.init_marker = vm->init_marker,
				.disk_initrd = vm->disk_initrd,
				.extras = 1,
				.xen_on_qemu = !vm->real_xen,
				.forward = o->forward,
				.proxy = o->proxy};
	struct probe_result pr;
	struct imgconf c;
	double t0 = now_ms(), dom0_ms = 0;
	int rc;

	row->measured = 1;
	rc = imgconf_load(ctx, vm->dir, &c);
	if (rc < 0)
		return rc;
	/* a unikernel runs no client of ours; one that serves iperf3 is measured */
	po.iperf3 = !vm->real_xen && (!vm->unikernel || c.iperf3 == IMG_IPERF3_SERVER) &&
		    !o->forward; /* --forward: the probe's client through it */
	/* what boots: kernel + initrd, kernel + disk, or all three (debian-vm) */
	row->size_bytes = size0(vm->dir, c.kernel) +
			  (!c.disk || vm->disk_initrd ? size0(vm->dir, c.initrd) : 0) +
			  (c.disk ? size0(vm->dir, c.disk) : 0);
	po.use_disk = c.disk != NULL;
	tx_info(ctx, "compare: %s: boot, memory, round trips, throughput (%d run%s)", row->name,
		o->runs, o->runs == 1 ? "" : "s");
	rc = probe_run(ctx, &po, &pr);
	snprintf(st->res->accel, sizeof(st->res->accel), "%s", pr.accel);
	if (rc == 0 && !vm->peer && !st->check[0]) /* what the peers are checked on */
		snprintf(st->check, sizeof(st->check), "%s", pr.check);
	row->console_ms = pr.console.n ? pr.console.median : -1;
	row->init_ms = pr.init.n ? pr.init.median : -1;
	row->network_ms = pr.network.n ? pr.network.median : -1;
	row->service_ms = pr.service.n ? pr.service.median : -1;
	row->rss_kb = pr.qemu_rss_kb;
	row->pss_kb = pr.qemu_pss_kb;
	row->guest_used_kb = pr.guest_used_kb;
	row->rtt_median_us = pr.rtt_median_us;
	row->rtt_p99_us = pr.rtt_p99_us;
	row->mbps = pr.throughput_mbps;
	row->rtt_own_us = pr.rtt_own_us;
	if (o->forward)
		row->na |= COMPARE_NA_MIN_MEM | (o->proxy ? COMPARE_NA_RTT : 0);
	/* under Xen the service counts from xl create: the dom0's boot comes first */
	dom0_ms = pr.dom0.n ? pr.dom0.median : 0;
	probe_result_free(&pr);
	if (vm->real_xen) { /* QEMU runs Xen and the dom0 too */
		row->rss_kb = row->pss_kb = -1;
		row->na |= COMPARE_NA_QEMU_MEM | COMPARE_NA_CONSOLE;
		snprintf(row->note, sizeof(row->note),
			 "under Xen nested in QEMU, times from xl create: no QEMU memory (it "
			 "holds Xen and the dom0)");
	}
	if (vm->unikernel && po.iperf3) { /* no Tinyx init to count memory */
		row->guest_used_kb = -1;
		row->na |= COMPARE_NA_GUEST_MEM;
		snprintf(row->note + strlen(row->note), sizeof(row->note) - strlen(row->note),
			 "%sno guest memory count; throughput from iperf3's server in the "
			 "unikernel, the host's client in reverse (-R)",
			 row->note[0] ? ", " : "");
	} else if (vm->unikernel) { /* nor to run iperf3 */
		row->guest_used_kb = -1;
		row->mbps = -1;
		row->na |= COMPARE_NA_GUEST_MEM | COMPARE_NA_MBPS;
		snprintf(row->note + strlen(row->note), sizeof(row->note) - strlen(row->note),
			 "%sno guest memory count and no throughput (no iperf3 client in the "
			 "unikernel)",
			 row->note[0] ? ", " : "");
	}
	if (rc == 0 && !o->no_min_mem && !o->forward) {
		/* a failing try ends by timeout at worst: three times the boot, at least 10 s */
		int t = (int)(3 * (dom0_ms + row->service_ms) / 1000) + 1;

		tx_info(ctx,
			"compare: %s: smallest RAM that serves (search to 1 MB or 2 %%, %d..%d)",
			row->name, vm->min_lo, c.memory_mb);
		rc =
		    probe_min_mem(ctx, &po, vm->min_lo, c.memory_mb, t < 10 ? 10 : t, &row->min_mb);
		if (rc == 0 && row->min_mb == vm->min_lo && vm->min_lo == IMGCONF_MEM_MIN)
			snprintf(row->note + strlen(row->note),
				 sizeof(row->note) - strlen(row->note),
				 "; %d MB of RAM is the least the probe boots: it may need less",
				 IMGCONF_MEM_MIN);
	}
	if (rc < 0)
		snprintf(row->note, sizeof(row->note), "%s", ctx->err);
	row->seconds = (now_ms() - t0) / 1000;
	imgconf_free(&c);
	return rc;
}

static int row_complete(const struct compare_row *r, int vm)
{
	int qemu = (r->na & COMPARE_NA_QEMU_MEM) || (r->rss_kb > 0 && r->pss_kb > 0);
	int guest = (r->na & COMPARE_NA_GUEST_MEM) || r->guest_used_kb > 0;
	int mbps = (r->na & COMPARE_NA_MBPS) || r->mbps > 0;
	int console = (r->na & COMPARE_NA_CONSOLE) || r->console_ms > 0;

	if (r->na & COMPARE_NA_MIN_MEM) /* --forward: boot to forwarding; what
					 * the function's rules let through */
		return r->size_bytes > 0 && r->service_ms > 0 && (!vm || console);
	return r->size_bytes > 0 && qemu && guest && mbps && r->min_mb > 0 &&
	       (!vm || (console && r->init_ms > 0)) && r->network_ms >= 0 && r->service_ms > 0 &&
	       r->rtt_median_us > 0 && r->rtt_p99_us > 0;
}

/* Every measured row has every figure: rc, else the first that lacks some. */
static int check_rows(struct tx_ctx *ctx, struct compare_result *res, int rc)
{
	for (int i = 0; i < res->nrows; i++) {
		struct compare_row *w = &res->row[i];
		const struct compare_system *s = system_find(w->name, strlen(w->name));

		if (!w->measured)
			continue;
		w->ok = row_complete(w, !s || s->is_vm);
		if (!w->ok && !rc)
			rc = tx_fail(ctx, -EIO, STAGE, "figures missing for '%s'", w->name);
	}
	return rc;
}

int compare_stage_root(struct tx_ctx *ctx, const char *app, const char *extra, const char *what)
{
	struct stage_opts so = {.extra = extra};
	char *root = NULL;
	int r = stage_root(ctx, app, &so, &root);

	if (r == 0)
		tx_info(ctx, "compare: %s %s", what, root);
	free(root);
	return r < 0 ? r : 0;
}

int compare_stage(struct tx_ctx *ctx, const struct compare_opts *o)
{
	int rc;

	if (!valid_pkg_name(o->app))
		return tx_fail(ctx, -EINVAL, STAGE, "invalid package name '%s'", o->app);
	rc = compare_check_only(ctx, o->only, o->forward != NULL);
	if (rc == 0 && o->forward) { /* the roots of the network function's rows */
		struct debvm_job j = {.app = o->app,
				      .add = o->add,
				      .out = o->out ? o->out : "out",
				      .overlays = o->overlays,
				      .noverlays = o->noverlays,
				      .nics = o->nics ? o->nics : 2,
				      .stage_only = 1};
		char *d = NULL;

		if (wanted(o, "tinyx-kvm") || wanted(o, "container"))
			rc = compare_stage_root(ctx, o->app, o->add,
						"the Tinyx image's and the container's root");
		if (rc == 0 && wanted(o, "debian-vm"))
			rc = debvm_job_run(ctx, &j, &d);
		free(d);
		return rc < 0 ? rc : 0;
	}
	/* the Tinyx rows and the container share one root: staged once */
	for (const struct compare_system *s = compare_systems; s->name && rc == 0; s++) {
		const struct compare_system *t = compare_systems;

		while (t < s && (t->stage != s->stage || !wanted(o, t->name)))
			t++;
		if (s->stage && t == s && wanted(o, s->name))
			rc = s->stage(ctx, o->app);
	}
	return rc < 0 ? rc : 0;
}

int compare_run(struct tx_ctx *ctx, const struct compare_opts *o, struct compare_result *res)
{
	struct compare_state st = {.o = o, .res = res};
	const struct compare_system *s;
	double t0 = now_ms();
	int rc, r, i = 0, n = 0;

	memset(res, 0, sizeof(*res));
	res->app = o->app;
	res->runs = o->runs > 0 ? o->runs : 1;
	res->forward = o->forward;
	res->proxy = o->proxy;
	snprintf(res->accel, sizeof(res->accel), "tcg");
	if (!valid_pkg_name(o->app))
		return tx_fail(ctx, -EINVAL, STAGE, "invalid package name '%s'", o->app);
	rc = compare_check_only(ctx, o->only, o->forward != NULL);
	if (rc == 0 && o->forward) {
		struct fwd_net fn;

		rc = fwd_parse(ctx, o->forward, &fn);
	}
	if (rc < 0)
		return rc;
	st.dir = xasprintf("%s/compare/%s", o->out ? o->out : "out", o->app);
	/* a network function's rows make their own images */
	for (s = compare_systems; s->name && rc == 0 && !o->forward; s++)
		if (s->prepare && wanted(o, s->name))
			rc = s->prepare(ctx, &st);
	if (rc < 0)
		goto out;
	/* the rows in the table's order; the Tinyx rows measured first: what
	 * they answer is what the Debian VM and the container are checked on */
	for (s = compare_systems; s->name; s++)
		if (wanted(o, s->name) && (!o->forward || s->forward)) {
			compare_row_add(res, s->name, s->what);
			n++;
		}
	for (int pass = 0; pass < 2; pass++)
		for (int k = 0; k < res->nrows; k++) {
			struct compare_row *w = &res->row[k];
			int tinyx;

			s = system_find(w->name, strlen(w->name));
			tinyx = o->forward ? s->forward == cmpimg_forward
					   : s->measure == cmpimg_measure;
			if (tinyx != (pass == 0))
				continue;
			tx_info(ctx, "compare: system %d of %d: %s (%.0f s so far)", ++i, n,
				s->name, (now_ms() - t0) / 1000);
			r = (o->forward ? s->forward : s->measure)(ctx, &st, w);
			if (r < 0 && !rc)
				rc = r;
		}
	rc = check_rows(ctx, res, rc);
	if (o->plot) { /* drawn with what was measured, even after a failure */
		struct tx_errsave keep;

		tx_err_save(ctx, &keep);
		r = compare_plot(ctx, res, o->plot);
		if (rc == 0)
			rc = r;
		else
			tx_err_restore(ctx, &keep);
	}
out:
	free(st.root);
	free(st.dir);
	return rc;
}

void compare_row_figures(const struct compare_row *r, double v[COMPARE_NFIG])
{
	const double f[COMPARE_NFIG] = {
	    r->size_bytes, r->rss_kb,  r->pss_kb,     r->guest_used_kb, r->min_mb,
	    r->console_ms, r->init_ms, r->network_ms, r->service_ms,	r->rtt_median_us,
	    r->rtt_p99_us, r->mbps,    r->seconds};

	memcpy(v, f, sizeof(f));
}

static const struct compare_row *base_row(const struct compare_result *res)
{
	for (int i = 0; i < res->nrows; i++)
		if (!strcmp(res->row[i].name, "debian-vm") && res->row[i].measured)
			return &res->row[i];
	return NULL;
}

/* Figure i of a row in the reports: its text column (none for the seconds),
 * the figure over div with prec decimals; its JSON key, GROUP.KEY in the
 * object GROUP. */
static const struct column {
	const char *head;
	int width;
	double div;
	int prec;
	const char *key;
} columns[COMPARE_NFIG] = {{"image MB", 9, 1e6, 2, "size_bytes.total"},
			   {"RSS MB", 8, 1024, 1, "memory_kb.qemu_rss"},
			   {"PSS MB", 8, 1024, 1, "memory_kb.qemu_pss"},
			   {"used MB", 8, 1024, 1, "memory_kb.guest_used"},
			   {"min MB", 7, 1, 0, "memory_mb.min_boot"},
			   {"console", 8, 1, 0, "boot_ms.console"},
			   {"init", 8, 1, 0, "boot_ms.init"},
			   {"net ms", 8, 1, 0, "boot_ms.network"},
			   {"serve ms", 8, 1, 0, "boot_ms.service"},
			   {"rtt us", 8, 1, 0, "rtt_us.median"},
			   {"p99 us", 8, 1, 0, "rtt_us.p99"},
			   {"Mbit/s", 8, 1, 0, "throughput_mbps"},
			   {"", 0, 1, 0, "seconds"}};

/* The ratios to debian-vm (text column, JSON key, figure): how many times
 * smaller, or for throughput larger. */
static const struct vs {
	const char *head, *key;
	int fig, higher;
} vs[] = {{"image", "image", 0, 0},   {"RSS", "qemu_rss", 1, 0}, {"min RAM", "min_boot", 4, 0},
	  {"serve", "service", 8, 0}, {"rtt", "rtt", 9, 0},	 {"Mbit/s", "throughput", 11, 1}};

void compare_report_text(const struct compare_result *res, struct sbuf *out)
{
	const struct compare_row *b = base_row(res);
	double v[COMPARE_NFIG], bv[COMPARE_NFIG];
	char cell[32];

	sbuf_printf(out,
		    "tinyx compare %s: medians of %d run%s; VMs under QEMU %s, the container "
		    "native\n",
		    res->app, res->runs, res->runs == 1 ? "" : "s", res->accel);
	if (!strcmp(res->accel, "tcg"))
		sbuf_puts(out, "(an emulated VM against a native container is not a fair boot "
			       "race; VMs against VMs are)\n");
	if (res->forward) {
		struct fwd_net n;
		struct tx_ctx quiet = {0};

		if (fwd_parse(&quiet, res->forward, &n) == 0)
			sbuf_printf(out,
				    "a network function, eth1 %s: serve ms is boot to forwarding "
				    "(the first answer of %s on tcp/%d through it), rtt the echo "
				    "through it, Mbit/s iperf3 through it\n",
				    res->forward,
				    res->proxy ? NETNS_GUEST_ADDR " (a proxy)" : n.srv[0],
				    FWD_PORT);
	}
	sbuf_printf(out, "\n%-14s", "system");
	for (size_t c = 0; *columns[c].head; c++)
		sbuf_printf(out, " %*s", columns[c].width, columns[c].head);
	for (int i = 0; i < res->nrows; i++) {
		const struct compare_row *r = &res->row[i];

		sbuf_printf(out, "\n%-14s", r->name);
		if (!r->measured)
			sbuf_printf(out, " %s", r->note);
		compare_row_figures(r, v);
		for (size_t c = 0; r->measured && *columns[c].head; c++) {
			snprintf(cell, sizeof(cell), v[c] < 0 ? "-" : "%.*f", columns[c].prec,
				 v[c] / columns[c].div);
			sbuf_printf(out, " %*s", columns[c].width, cell);
		}
	}
	if (b) {
		compare_row_figures(b, bv);
		sbuf_printf(out, "\n\n%-14s", "vs debian-vm");
		for (size_t c = 0; c < NELEM(vs); c++)
			sbuf_printf(out, " %8s", vs[c].head);
		for (int i = 0; i < res->nrows; i++) {
			if (!res->row[i].measured || &res->row[i] == b)
				continue;
			compare_row_figures(&res->row[i], v);
			sbuf_printf(out, "\n%-14s", res->row[i].name);
			for (size_t c = 0; c < NELEM(vs); c++) {
				double x = v[vs[c].fig], y = bv[vs[c].fig];

				if (x <= 0 || y <= 0)
					sbuf_printf(out, " %8s", "-");
				else
					sbuf_printf(out, " %7.1fx", vs[c].higher ? x / y : y / x);
			}
		}
		sbuf_puts(out, "\n(times smaller / faster / more than debian-vm)");
	}
	sbuf_puts(out, "\n");
	for (int i = 0; i < res->nrows; i++) {
		const struct compare_row *r = &res->row[i];

		if (!res->forward || !r->measured)
			continue;
		sbuf_printf(out, "%s: round trip to its own side ", r->name);
		sbuf_printf(out, r->rtt_own_us > 0 ? "%.0f us" : "not measured", r->rtt_own_us);
		if (r->rtt_own_us > 0 && r->rtt_median_us > 0)
			sbuf_printf(out, ", forwarding adds %.0f us",
				    r->rtt_median_us - r->rtt_own_us);
		if (r->rtt_median_us < 0)
			sbuf_puts(out, r->na & COMPARE_NA_RTT ? "; no echo crosses a proxy"
							      : "; no echo through it");
		if (r->mbps < 0)
			sbuf_puts(out, "; no iperf3 through it");
		sbuf_puts(out, "\n");
	}
	for (int i = 0; i < res->nrows; i++)
		if (res->row[i].measured && res->row[i].note[0])
			sbuf_printf(out, "%s: %s\n", res->row[i].name, res->row[i].note);
}

/* sep "key": v in fmt, or null when not measured (v < 0). */
static void jnum(struct sbuf *out, const char *sep, const char *key, double v, const char *fmt)
{
	sbuf_printf(out, "%s\"%s\": ", sep, key);
	if (v < 0)
		sbuf_puts(out, "null");
	else
		sbuf_printf(out, fmt, v);
}

static void json_figures(const struct compare_row *r, const struct compare_row *b, struct sbuf *out)
{
	double v[COMPARE_NFIG], bv[COMPARE_NFIG];
	int gl = -1; /* the length of the group's name, 0 at the row's level */

	compare_row_figures(r, v);
	for (size_t i = 0; i < COMPARE_NFIG; i++) {
		const char *k = columns[i].key, *dot = strchr(k, '.');
		int l = dot ? (int)(dot - k) : 0;
		int same = l == gl && !strncmp(k, columns[i ? i - 1 : 0].key, (size_t)l);

		if (!same)
			sbuf_printf(out, "%s,\n     ", gl > 0 ? "}" : "");
		if (!same && l)
			sbuf_printf(out, "\"%.*s\": {", l, k);
		gl = l;
		jnum(out, same ? ", " : "", k + (l ? l + 1 : 0), v[i], i <= 4 ? "%.0f" : "%.1f");
	}
	if (!b || r == b)
		return;
	compare_row_figures(b, bv);
	sbuf_puts(out, ",\n     \"vs_debian_vm\": {");
	for (size_t c = 0; c < NELEM(vs); c++) {
		double x = v[vs[c].fig], y = bv[vs[c].fig];

		if (vs[c].higher)
			x = y > 0 ? x / y : -1;
		else
			x = x > 0 ? y / x : -1;
		jnum(out, c ? ", " : "", vs[c].key, x, "%.2f");
	}
	sbuf_puts(out, "}");
}

void compare_report_json(const struct compare_result *res, struct sbuf *out)
{
	const struct compare_row *b = base_row(res);

	sbuf_puts(out, "{\n  \"app\": ");
	sbuf_json_str(out, res->app);
	if (res->forward) {
		sbuf_puts(out, ",\n  \"forward\": {\"eth1\": ");
		sbuf_json_str(out, res->forward);
		sbuf_printf(out, ", \"proxy\": %s}", res->proxy ? "true" : "false");
	}
	sbuf_printf(out, ",\n  \"runs\": %d,\n  \"accel\": ", res->runs);
	sbuf_json_str(out, res->accel);
	sbuf_puts(out, ",\n  \"systems\": [");
	for (int i = 0; i < res->nrows; i++) {
		const struct compare_row *r = &res->row[i];

		sbuf_printf(out, "%s\n    {\"name\": ", i ? "," : "");
		sbuf_json_str(out, r->name);
		sbuf_printf(out, ", \"measured\": %s, \"ok\": %s, \"what\": ",
			    r->measured ? "true" : "false", r->ok ? "true" : "false");
		sbuf_json_str(out, r->what);
		if (r->note[0]) {
			sbuf_puts(out, ", \"note\": ");
			sbuf_json_str(out, r->note);
		}
		if (r->measured)
			json_figures(r, b, out);
		if (r->measured && res->forward)
			jnum(out, ",\n     ", "rtt_own_us", r->rtt_own_us, "%.1f");
		sbuf_puts(out, "}");
	}
	sbuf_puts(out, "\n  ]\n}\n");
}
