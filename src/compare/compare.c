/* tinyx compare; see compare.h. */
#include "compare/compare.h"
#include "compare/cmpimg.h"
#include "compare/container.h"
#include "compare/debvm.h"
#include "formats/imgconf.h"
#include "probe/probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STAGE "compare"

/* A file of the image, 0 when it is missing (the row says what it lacks). */
static long long size0(const char *dir, const char *name)
{
	long long n = file_size_at(dir, name);

	return n < 0 ? 0 : n;
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

static struct compare_row *new_row(struct compare_result *res, const char *name, const char *what)
{
	struct compare_row *r = &res->row[res->nrows++];

	memset(r, 0, sizeof(*r));
	r->name = name;
	snprintf(r->what, sizeof(r->what), "%s", what);
	r->size_bytes = r->rss_kb = r->pss_kb = r->guest_used_kb = -1;
	r->min_mb = -1;
	r->console_ms = r->init_ms = r->network_ms = r->service_ms = -1;
	r->rtt_median_us = r->rtt_p99_us = r->mbps = -1;
	return r;
}

static int row_complete(const struct compare_row *r, int vm)
{
	return r->size_bytes > 0 && r->rss_kb > 0 && r->pss_kb > 0 && r->guest_used_kb > 0 &&
	       r->min_mb > 0 && (!vm || (r->console_ms > 0 && r->init_ms > 0)) &&
	       r->network_ms >= 0 && r->service_ms > 0 && r->rtt_median_us > 0 &&
	       r->rtt_p99_us > 0 && r->mbps > 0;
}

/* One VM row: N probe runs with the extras, then the RAM bisection. */
static int vm_row(struct tx_ctx *ctx, const struct compare_opts *o, struct compare_row *row,
		  const char *dir, int timeout_s, const char *marker, int disk, int min_lo,
		  char accel[8])
{
	struct probe_opts po = {0};
	struct probe_result pr;
	struct imgconf c;
	double t0 = now_ms();
	int rc;

	rc = imgconf_load(ctx, dir, &c);
	if (rc < 0)
		return rc;
	/* what boots: kernel + initrd, kernel + disk, or all three (debian-vm) */
	row->size_bytes = size0(dir, c.kernel) + (!disk || disk == 2 ? size0(dir, c.initrd) : 0) +
			  (disk && c.disk ? size0(dir, c.disk) : 0);
	po.dir = dir;
	po.runs = o->runs;
	po.timeout_s = timeout_s;
	po.accel = "auto";
	po.init_marker = marker;
	po.use_disk = disk != 0;
	po.disk_initrd = disk == 2;
	po.extras = po.iperf3 = 1;
	/* a Xen image: its PVH entry on QEMU (the row tinyx-xen-pvh); the probe
	 * under the real hypervisor is 'tinyx probe' without --pvh-entry */
	po.xen_pvh_entry = 1;
	tx_info(ctx, "compare: %s: boot, memory, round trips, throughput (%d run%s)", row->name,
		o->runs, o->runs == 1 ? "" : "s");
	rc = probe_run(ctx, &po, &pr);
	snprintf(accel, 8, "%s", pr.accel);
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
	probe_result_free(&pr);
	if (rc == 0 && !o->no_min_mem) {
		/* a failing try ends by timeout at worst: three times the boot, at least 10 s */
		int t = (int)(3 * row->service_ms / 1000) + 1;

		tx_info(ctx, "compare: %s: smallest RAM that serves (bisection, MB steps, %d..%d)",
			row->name, min_lo, c.memory_mb);
		rc = probe_min_mem(ctx, &po, min_lo, c.memory_mb, t < 10 ? 10 : t, &row->min_mb);
	}
	if (rc < 0)
		snprintf(row->note, sizeof(row->note), "%s", ctx->err);
	row->seconds = (now_ms() - t0) / 1000;
	imgconf_free(&c);
	return rc;
}

int compare_run(struct tx_ctx *ctx, const struct compare_opts *o, struct compare_result *res)
{
	struct cmpimg_out img = {0};
	char *dir = xasprintf("%s/compare/%s", o->out ? o->out : "out", o->app), *d;
	int rc = 0, r, need_tinyx = 0;
	struct compare_row *row;

	memset(res, 0, sizeof(*res));
	res->app = o->app;
	res->runs = o->runs > 0 ? o->runs : 1;
	snprintf(res->accel, sizeof(res->accel), "tcg");
	if (!valid_pkg_name(o->app)) {
		free(dir);
		return tx_fail(ctx, -EINVAL, STAGE, "invalid package name '%s'", o->app);
	}
	need_tinyx = wanted(o, "tinyx-kvm") || wanted(o, "tinyx-kvm-disk") ||
		     wanted(o, "tinyx-xen-pvh") || wanted(o, "tinyx-min") || wanted(o, "container");
	if (need_tinyx) {
		tx_info(ctx, "compare: preparing the Tinyx images and the container root");
		rc = cmpimg_build(ctx, o->app, dir, &img);
		if (rc < 0)
			goto out;
	}
	if (wanted(o, "debian-vm")) {
		row = new_row(res, "debian-vm",
			      "systemd, Debian kernel + initramfs, ext4 disk, QEMU pc");
		tx_info(ctx, "compare: debian-vm: preparing the image (stage, disk)");
		r = debvm_image(ctx, o->app, &d);
		if (r == 0) {
			row->measured = 1;
			/* systemd under TCG boots in tens of seconds: room for a busy machine */
			r = vm_row(ctx, o, row, d, 600, DEBVM_INIT_MARKER, 2, 64, res->accel);
			free(d);
		} else {
			snprintf(row->note, sizeof(row->note), "%s", ctx->err);
		}
		if (r < 0 && !rc)
			rc = r;
	}
	static const struct {
		const char *name, *what;
		int disk;
	} tx[] = {
	    {"tinyx-kvm", "bzImage + initrd, QEMU microvm", 0},
	    {"tinyx-kvm-disk", "bzImage + rootfs.ext4 as root, QEMU microvm", 1},
	    {"tinyx-xen-pvh", "Xen kernel via its PVH entry, QEMU microvm", 0},
	    {"tinyx-min", "no BusyBox: app + libraries + init, QEMU microvm", 0},
	};
	for (size_t i = 0; i < sizeof(tx) / sizeof(tx[0]); i++) {
		if (!wanted(o, tx[i].name))
			continue;
		row = new_row(res, tx[i].name, tx[i].what);
		row->measured = 1;
		d = xasprintf("%s/%s", dir, tx[i].name);
		r = vm_row(ctx, o, row, d, 60, NULL, tx[i].disk, IMGCONF_MEM_MIN - 1, res->accel);
		free(d);
		if (r < 0 && !rc)
			rc = r;
	}
	if (wanted(o, "container")) {
		row = new_row(res, "container", "runc, own netns + veth, native");
		row->measured = 1;
		r = container_row(ctx, o->app, img.root, res->runs, !o->no_min_mem, row);
		if (r < 0 && !rc)
			rc = r;
	}
	if (!o->only) {
		row = new_row(res, "minios", "unikernel of the study");
		snprintf(row->note, sizeof(row->note), "not measured: not packaged in Debian");
		row = new_row(res, "osv", "unikernel of the study");
		snprintf(row->note, sizeof(row->note), "not measured: not packaged in Debian");
	}
	for (int i = 0; i < res->nrows; i++) {
		struct compare_row *w = &res->row[i];
		int vm = strcmp(w->name, "container") != 0;

		if (!w->measured)
			continue;
		w->ok = row_complete(w, vm);
		if (!w->ok && !rc)
			rc = tx_fail(ctx, -EIO, STAGE, "figures missing for '%s'", w->name);
	}
	if (o->plot) { /* drawn with what was measured, even after a failure */
		char keep[sizeof(ctx->err)];
		int pr;

		memcpy(keep, ctx->err, sizeof(keep));
		pr = compare_plot(ctx, res, o->plot);
		if (rc == 0)
			rc = pr;
		else
			memcpy(ctx->err, keep, sizeof(keep));
	}
out:
	cmpimg_out_free(&img);
	free(dir);
	return rc;
}

static const struct compare_row *base_row(const struct compare_result *res)
{
	for (int i = 0; i < res->nrows; i++)
		if (!strcmp(res->row[i].name, "debian-vm") && res->row[i].measured)
			return &res->row[i];
	return NULL;
}

static void cell(struct sbuf *out, int width, double v, const char *fmt)
{
	char b[32];

	if (v < 0)
		snprintf(b, sizeof(b), "-");
	else
		snprintf(b, sizeof(b), fmt, v);
	sbuf_printf(out, " %*s", width, b);
}

/* How many times better than debian-vm (smaller is better for all but throughput). */
static void ratio(struct sbuf *out, double v, double base, int higher_better)
{
	if (v <= 0 || base <= 0)
		sbuf_printf(out, " %8s", "-");
	else
		sbuf_printf(out, " %7.1fx", higher_better ? v / base : base / v);
}

void compare_report_text(const struct compare_result *res, struct sbuf *out)
{
	const struct compare_row *b = base_row(res);

	sbuf_printf(out,
		    "tinyx compare %s: medians of %d run%s; VMs under QEMU %s, the container "
		    "native\n",
		    res->app, res->runs, res->runs == 1 ? "" : "s", res->accel);
	if (!strcmp(res->accel, "tcg"))
		sbuf_puts(out, "(an emulated VM against a native container is not a fair boot "
			       "race; VMs against VMs are)\n");
	sbuf_printf(out, "\n%-14s %9s %8s %8s %8s %7s %8s %8s %8s %8s %8s %8s %8s\n", "system",
		    "image MB", "RSS MB", "PSS MB", "used MB", "min MB", "console", "init",
		    "net ms", "serve ms", "rtt us", "p99 us", "Mbit/s");
	for (int i = 0; i < res->nrows; i++) {
		const struct compare_row *r = &res->row[i];

		sbuf_printf(out, "%-14s", r->name);
		if (!r->measured) {
			sbuf_printf(out, " %s\n", r->note);
			continue;
		}
		cell(out, 9, r->size_bytes < 0 ? -1 : r->size_bytes / 1e6, "%.2f");
		cell(out, 8, r->rss_kb < 0 ? -1 : r->rss_kb / 1024.0, "%.1f");
		cell(out, 8, r->pss_kb < 0 ? -1 : r->pss_kb / 1024.0, "%.1f");
		cell(out, 8, r->guest_used_kb < 0 ? -1 : r->guest_used_kb / 1024.0, "%.1f");
		cell(out, 7, r->min_mb, "%.0f");
		cell(out, 8, r->console_ms, "%.0f");
		cell(out, 8, r->init_ms, "%.0f");
		cell(out, 8, r->network_ms, "%.0f");
		cell(out, 8, r->service_ms, "%.0f");
		cell(out, 8, r->rtt_median_us, "%.0f");
		cell(out, 8, r->rtt_p99_us, "%.0f");
		cell(out, 8, r->mbps, "%.0f");
		sbuf_puts(out, "\n");
	}
	if (b) {
		sbuf_printf(out, "\n%-14s %8s %8s %8s %8s %8s %8s\n", "vs debian-vm", "image",
			    "RSS", "min RAM", "serve", "rtt", "Mbit/s");
		for (int i = 0; i < res->nrows; i++) {
			const struct compare_row *r = &res->row[i];

			if (!r->measured || r == b)
				continue;
			sbuf_printf(out, "%-14s", r->name);
			ratio(out, (double)r->size_bytes, (double)b->size_bytes, 0);
			ratio(out, (double)r->rss_kb, (double)b->rss_kb, 0);
			ratio(out, r->min_mb, b->min_mb, 0);
			ratio(out, r->service_ms, b->service_ms, 0);
			ratio(out, r->rtt_median_us, b->rtt_median_us, 0);
			ratio(out, r->mbps, b->mbps, 1);
			sbuf_puts(out, "\n");
		}
		sbuf_puts(out, "(times smaller / faster / more than debian-vm)\n");
	}
	for (int i = 0; i < res->nrows; i++)
		if (res->row[i].measured && res->row[i].note[0])
			sbuf_printf(out, "%s: %s\n", res->row[i].name, res->row[i].note);
}

static void jnum(struct sbuf *out, const char *key, double v, const char *fmt, int comma)
{
	sbuf_printf(out, "\"%s\": ", key);
	if (v < 0)
		sbuf_puts(out, "null");
	else
		sbuf_printf(out, fmt, v);
	if (comma)
		sbuf_puts(out, ", ");
}

void compare_report_json(const struct compare_result *res, struct sbuf *out)
{
	const struct compare_row *b = base_row(res);

	sbuf_puts(out, "{\n  \"app\": ");
	sbuf_json_str(out, res->app);
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
		if (!r->measured) {
			sbuf_puts(out, "}");
			continue;
		}
		sbuf_puts(out, ",\n     \"size_bytes\": {");
		jnum(out, "total", (double)r->size_bytes, "%.0f", 0);
		sbuf_puts(out, "},\n     \"memory_kb\": {");
		jnum(out, "qemu_rss", (double)r->rss_kb, "%.0f", 1);
		jnum(out, "qemu_pss", (double)r->pss_kb, "%.0f", 1);
		jnum(out, "guest_used", (double)r->guest_used_kb, "%.0f", 0);
		sbuf_puts(out, "},\n     \"memory_mb\": {");
		jnum(out, "min_boot", r->min_mb, "%.0f", 0);
		sbuf_puts(out, "},\n     \"boot_ms\": {");
		jnum(out, "console", r->console_ms, "%.1f", 1);
		jnum(out, "init", r->init_ms, "%.1f", 1);
		jnum(out, "network", r->network_ms, "%.1f", 1);
		jnum(out, "service", r->service_ms, "%.1f", 0);
		sbuf_puts(out, "},\n     \"rtt_us\": {");
		jnum(out, "median", r->rtt_median_us, "%.1f", 1);
		jnum(out, "p99", r->rtt_p99_us, "%.1f", 0);
		sbuf_puts(out, "},\n     ");
		jnum(out, "throughput_mbps", r->mbps, "%.1f", 1);
		jnum(out, "seconds", r->seconds, "%.1f", 0);
		if (b && r != b) {
			sbuf_puts(out, ",\n     \"vs_debian_vm\": {");
			jnum(out, "image",
			     r->size_bytes > 0 ? (double)b->size_bytes / r->size_bytes : -1, "%.2f",
			     1);
			jnum(out, "qemu_rss", r->rss_kb > 0 ? (double)b->rss_kb / r->rss_kb : -1,
			     "%.2f", 1);
			jnum(out, "min_boot",
			     r->min_mb > 0 && b->min_mb > 0 ? (double)b->min_mb / r->min_mb : -1,
			     "%.2f", 1);
			jnum(out, "service", r->service_ms > 0 ? b->service_ms / r->service_ms : -1,
			     "%.2f", 1);
			jnum(out, "rtt",
			     r->rtt_median_us > 0 ? b->rtt_median_us / r->rtt_median_us : -1,
			     "%.2f", 1);
			jnum(out, "throughput", b->mbps > 0 ? r->mbps / b->mbps : -1, "%.2f", 0);
			sbuf_puts(out, "}");
		}
		sbuf_puts(out, "}");
	}
	sbuf_puts(out, "\n  ]\n}\n");
}
