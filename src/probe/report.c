/* The probe's statistics over its runs, and its reports (text and JSON). */
#include "probe/run.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D(field) offsetof(struct probe_run_rec, field), 0
#define LL(field) offsetof(struct probe_run_rec, field), 1

/* One field (a double, or a long long when ll) over the runs that measured
 * it (median_of drops the -1 of the others). */
static struct probe_stat stat_of(const struct probe_run_rec *runs, int n, size_t off, int ll)
{
	double *v = xcalloc((size_t)n + 1, sizeof(double));
	struct probe_stat s = {0};
	size_t k;

	for (int i = 0; i < n; i++) {
		const void *f = (const char *)&runs[i] + off;
		v[i] = ll ? (double)*(const long long *)f : *(const double *)f;
	}
	s.median = median_of(v, (size_t)n, &k);
	s.n = (int)k;
	s.min = k ? v[0] : -1;
	s.max = k ? v[k - 1] : -1;
	free(v);
	return s;
}

void probe_result_stats(struct probe_result *r)
{
	const struct probe_run_rec *p = r->per_run;
	int n = r->runs;

	r->console = stat_of(p, n, D(console));
	r->init = stat_of(p, n, D(init));
	r->network = stat_of(p, n, D(network));
	r->service = stat_of(p, n, D(service));
	r->dom0 = stat_of(p, n, D(dom0));
	/* the medians are -1 when no run measured them */
	r->guest_used_kb = (long long)stat_of(p, n, LL(guest_used_kb)).median;
	r->qemu_rss_kb = (long long)stat_of(p, n, LL(qemu_rss_kb)).median;
	r->qemu_pss_kb = (long long)stat_of(p, n, LL(qemu_pss_kb)).median;
	r->rtt_median_us = stat_of(p, n, D(rtt_median_us)).median;
	r->rtt_p99_us = stat_of(p, n, D(rtt_p99_us)).median;
	r->throughput_mbps = stat_of(p, n, D(throughput_mbps)).median;
	r->rtt_own_us = stat_of(p, n, D(rtt_own_us)).median;
}

void probe_result_free(struct probe_result *r)
{
	if (!r)
		return;
	free(r->per_run);
	r->per_run = NULL;
}

static const char *const phase_names[4] = {"console", "init", "network", "service"};

static const struct probe_stat *phase(const struct probe_result *r, int i)
{
	return (const struct probe_stat *[]){&r->console, &r->init, &r->network, &r->service}[i];
}

static void fmt_ms(struct sbuf *out, double v)
{
	if (v < 0)
		sbuf_puts(out, "null");
	else
		sbuf_printf(out, "%.1f", v);
}

static void json_ll(struct sbuf *out, long long v)
{
	if (v < 0)
		sbuf_puts(out, "null");
	else
		sbuf_printf(out, "%lld", v);
}

static void key_ll(struct sbuf *out, const char *key, long long v)
{
	sbuf_puts(out, key);
	json_ll(out, v);
}

static void key_ms(struct sbuf *out, const char *key, double v)
{
	sbuf_puts(out, key);
	fmt_ms(out, v);
}

static void key_str(struct sbuf *out, const char *key, const char *v)
{
	sbuf_puts(out, key);
	sbuf_json_str(out, v);
}

static void json_stat(struct sbuf *out, const char *name, const struct probe_stat *s)
{
	sbuf_printf(out, "\"%s\": {\"median\": ", name);
	fmt_ms(out, s->n ? s->median : -1);
	key_ms(out, ", \"min\": ", s->n ? s->min : -1);
	key_ms(out, ", \"max\": ", s->n ? s->max : -1);
	sbuf_printf(out, ", \"n\": %d}", s->n);
}

static void json_per_run(const struct probe_result *r, struct sbuf *out)
{
	static const struct {
		const char *name;
		size_t off;
		int ll;
	} f[] = {{"console", D(console)},
		 {"init", D(init)},
		 {"network", D(network)},
		 {"service", D(service)},
		 {"ready", D(ready)},
		 {"guest_used_kb", LL(guest_used_kb)},
		 {"qemu_rss_kb", LL(qemu_rss_kb)},
		 {"qemu_pss_kb", LL(qemu_pss_kb)},
		 {"rtt_us_median", D(rtt_median_us)},
		 {"rtt_us_p99", D(rtt_p99_us)},
		 {"throughput_mbps", D(throughput_mbps)}};

	sbuf_puts(out, ",\n  \"per_run\": [");
	for (int i = 0; i < r->runs && r->per_run; i++) {
		const char *p = (const char *)&r->per_run[i];
		sbuf_printf(out, "%s\n    {\"ok\": %s", i ? "," : "",
			    r->per_run[i].ok ? "true" : "false");
		for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
			sbuf_printf(out, ", \"%s\": ", f[k].name);
			if (f[k].ll)
				json_ll(out, *(const long long *)(p + f[k].off));
			else
				fmt_ms(out, *(const double *)(p + f[k].off));
		}
		sbuf_printf(out, ", \"restarts\": %d", r->per_run[i].restarts);
		key_str(out, ", \"check\": ", r->per_run[i].check);
		sbuf_puts(out, "}");
	}
	sbuf_puts(out, r->runs ? "\n  ]" : "]");
}

static void json_xen(const struct probe_result *r, struct sbuf *out)
{
	key_str(out, ",\n  \"xen\": {\"guest_type\": ", r->xen_guest_type);
	key_str(out, ", \"cfg\": ", r->xen_cfg);
	key_str(out, ", \"kit\": ", r->xen_kit);
	sbuf_puts(out, ",\n    ");
	json_stat(out, "dom0_ms", &r->dom0);
	sbuf_puts(out, "}");
}

/* Where boot time goes, from the probe's clock (QEMU start = 0) and the
 * console lines: each step's median over the runs that served. */
static const struct {
	const char *name, *what;
} steps[] = {
    {"kernel", "QEMU start -> first console byte (firmware, kernel unpack and early boot)"},
    {"root", "first console byte -> /init runs (kernel boot, root mounted)"},
    {"network", "/init runs -> the network answers (init: address, link up)"},
    {"listen", "the network answers -> the app listens (init: 'tinyx: ready')"},
    {"answer", "the app listens -> its first answer (the service check)"},
};

static double step_ms(const struct probe_run_rec *p, size_t i)
{
	const double t[] = {0, p->console, p->init, p->network, p->ready, p->service};

	if (!p->ok || t[i] < 0 || t[i + 1] < 0)
		return -1;
	return t[i + 1] - t[i];
}

/* Each step's median in ms (-1: not measured), in steps[] order. */
static void breakdown(const struct probe_result *r, double *med)
{
	double *v = xcalloc((size_t)r->runs + 1, sizeof(*v));

	for (size_t i = 0; i < (sizeof(steps) / sizeof(steps[0])); i++) {
		for (int k = 0; k < r->runs && r->per_run; k++)
			v[k] = step_ms(&r->per_run[k], i);
		med[i] = median_of(v, (size_t)r->runs, NULL);
	}
	free(v);
}

static void breakdown_text(const struct probe_result *r, struct sbuf *out)
{
	double med[(sizeof(steps) / sizeof(steps[0]))];

	breakdown(r, med);
	sbuf_puts(out, "  where the boot time goes (medians, ms):\n");
	for (size_t i = 0; i < (sizeof(steps) / sizeof(steps[0])); i++)
		if (med[i] < 0)
			sbuf_printf(out, "    %-8s %8s  %s\n", steps[i].name, "-", steps[i].what);
		else
			sbuf_printf(out, "    %-8s %8.1f  %s\n", steps[i].name, med[i],
				    steps[i].what);
}

static void breakdown_json(const struct probe_result *r, struct sbuf *out)
{
	double med[(sizeof(steps) / sizeof(steps[0]))];

	breakdown(r, med);
	sbuf_puts(out, ",\n  \"breakdown_ms\": {");
	for (size_t i = 0; i < (sizeof(steps) / sizeof(steps[0])); i++) {
		sbuf_printf(out, "%s\"%s\": ", i ? ", " : "", steps[i].name);
		if (med[i] < 0)
			sbuf_puts(out, "null");
		else
			sbuf_printf(out, "%.1f", med[i]);
	}
	sbuf_puts(out, "}");
}

void probe_report_json(const struct probe_result *r, const struct probe_opts *o, struct sbuf *out)
{
	long long total =
	    r->size_kernel >= 0 && r->size_rootfs >= 0 ? r->size_kernel + r->size_rootfs : -1;

	key_str(out, "{\n  \"dir\": ", o->dir ? o->dir : "");
	sbuf_printf(out, ",\n  \"ok\": %s,\n  \"runs\": %d,\n  \"runs_ok\": %d,\n",
		    r->ok ? "true" : "false", r->runs, r->runs_ok);
	sbuf_printf(out, "  \"netns_isolated\": %s,\n", r->netns_isolated ? "true" : "false");
	key_str(out, "  \"check\": ", r->check);
	sbuf_puts(out, ",\n");
	key_str(out, "  \"accel\": ", r->accel[0] ? r->accel : "tcg");
	key_str(out, ", \"machine\": ", r->machine);
	key_str(out, ", \"target\": ", r->target);
	key_str(out, ", \"service\": ", r->service_name);
	sbuf_printf(out,
		    ", \"port\": %d, \"memory_mb\": %d, \"vcpus\": %d, \"disk\": %s, "
		    "\"boot_disk\": %s, \"firmware\": ",
		    r->port, r->memory_mb, r->vcpus, r->disk_root ? "true" : "false",
		    r->disk_root == 2 ? "true" : "false");
	if (r->disk_root == 2)
		key_str(out, "", r->firmware);
	else
		sbuf_puts(out, "null");
	sbuf_puts(out, ",\n");
	for (int i = 0; i < 4; i++) {
		sbuf_puts(out, i ? ",\n    " : "  \"boot_ms\": {\n    ");
		json_stat(out, phase_names[i], phase(r, i));
	}
	key_ll(out, "\n  },\n  \"size_bytes\": {\"kernel\": ", r->size_kernel);
	key_ll(out, ", \"rootfs\": ", r->size_rootfs);
	key_ll(out, ", \"total\": ", total);
	key_ll(out, "},\n  \"memory_kb\": {\"guest_used\": ", r->guest_used_kb);
	key_ll(out, ", \"qemu_rss\": ", r->qemu_rss_kb);
	key_ll(out, ", \"qemu_pss\": ", r->qemu_pss_kb);
	key_ll(out, "},\n  \"memory_mb\": {\"min_boot\": ", r->min_boot_mb);
	key_ms(out, "},\n  \"rtt_us\": {\"median\": ", r->rtt_median_us);
	key_ms(out, ", \"p99\": ", r->rtt_p99_us);
	key_ms(out, "},\n  \"throughput_mbps\": ", r->throughput_mbps);
	if (o->forward) { /* rtt_us and throughput_mbps are through it */
		key_str(out, ",\n  \"forward\": {\"to\": ", r->forward_to);
		sbuf_printf(out, ", \"port\": %d, \"proxy\": %s", FWD_PORT,
			    o->proxy ? "true" : "false");
		key_ms(out, ", \"rtt_own_us\": ", r->rtt_own_us);
		key_ms(out, ", \"rtt_added_us\": ",
		       r->rtt_median_us >= 0 && r->rtt_own_us >= 0
			   ? r->rtt_median_us - r->rtt_own_us
			   : -1);
		sbuf_puts(out, "}");
	}
	if (o->breakdown)
		breakdown_json(r, out);
	json_per_run(r, out);
	if (r->xen_mode)
		json_xen(r, out);
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

/* "  memory: A, B" with the parts that are known (>= 0). */
static void text_mem(struct sbuf *out, const char *fa, long long a, const char *fb, long long b)
{
	if (a < 0 && b < 0)
		return;
	sbuf_puts(out, "  memory:");
	if (a >= 0)
		sbuf_printf(out, fa, a);
	if (b >= 0)
		sbuf_printf(out, "%s", a >= 0 ? "," : "");
	if (b >= 0)
		sbuf_printf(out, fb, b);
	sbuf_puts(out, "\n");
}

/* --forward: what crossed the function (fwd.h) */
static void text_forward(const struct probe_result *r, const struct probe_opts *o, struct sbuf *out)
{
	sbuf_printf(out, "  forwarding: the client to %s tcp/%d through the VM%s", r->forward_to,
		    FWD_PORT, o->proxy ? " (its own eth0: a proxy)" : "");
	if (r->service.n)
		sbuf_printf(out, ", first answer %.0f ms after QEMU's start (median)",
			    r->service.median);
	sbuf_puts(out, "\n");
	if (r->rtt_median_us >= 0 && r->rtt_own_us >= 0)
		sbuf_printf(out,
			    "  rtt: through it %.0f us (p99 %.0f), to its own side %.0f us: "
			    "forwarding adds %.0f us (ICMP echo flood, medians)\n",
			    r->rtt_median_us, r->rtt_p99_us, r->rtt_own_us,
			    r->rtt_median_us - r->rtt_own_us);
	else if (r->rtt_own_us >= 0)
		sbuf_printf(out, "  rtt: to its own side %.0f us; none through it (%s)\n",
			    r->rtt_own_us, o->proxy ? "no echo crosses a proxy" : "no echo reply");
	if (r->throughput_mbps >= 0)
		sbuf_printf(out, "  throughput: %.1f Mbit/s (iperf3, client to %s through it)\n",
			    r->throughput_mbps, r->forward_to);
	else
		sbuf_puts(out, "  throughput: not measured (no iperf3 result through it)\n");
}

void probe_report_text(const struct probe_result *r, const struct probe_opts *o, struct sbuf *out)
{
	sbuf_printf(out, "probe %s: %s, %d/%d run%s served (%s %s, %s, %d MB, %d vcpu%s, %s",
		    o->dir ? o->dir : "", r->ok ? "ok" : "FAILED", r->runs_ok, r->runs,
		    r->runs == 1 ? "" : "s", r->target, r->machine, r->accel[0] ? r->accel : "tcg",
		    r->memory_mb, r->vcpus, r->vcpus == 1 ? "" : "s", r->service_name);
	if (r->port)
		sbuf_printf(out, "/%d", r->port);
	if (r->disk_root == 2)
		sbuf_printf(out, ", bootable disk from %s, no -kernel)\n",
			    strcmp(r->firmware, "uefi") ? "BIOS" : "UEFI");
	else
		sbuf_printf(out, "%s)\n", r->disk_root ? ", disk root" : ", initrd root");
	sbuf_printf(out, "  %-9s %9s %9s %9s\n", "ms", "median", "min", "max");
	for (int i = 0; i < 4; i++)
		text_row(out, phase_names[i], phase(r, i));
	if (o->breakdown)
		breakdown_text(r, out);
	if (r->check[0])
		sbuf_printf(out, "  check: %s\n", r->check);
	sbuf_puts(out, "  size: ");
	text_size(out, "kernel", r->size_kernel);
	sbuf_puts(out, ", ");
	text_size(out, "rootfs", r->size_rootfs);
	sbuf_puts(out, ", ");
	text_size(out, "total",
		  r->size_kernel >= 0 && r->size_rootfs >= 0 ? r->size_kernel + r->size_rootfs
							     : -1);
	sbuf_puts(out, "\n");
	text_mem(out, " guest used %lld KB", r->guest_used_kb, " QEMU RSS %lld KB", r->qemu_rss_kb);
	text_mem(out, " QEMU PSS %lld KB", r->qemu_pss_kb, " smallest RAM that serves %lld MB",
		 r->min_boot_mb);
	if (o->forward)
		text_forward(r, o, out);
	else if (r->rtt_median_us >= 0)
		sbuf_printf(out, "  rtt: median %.0f us, p99 %.0f us (ICMP echo flood)\n",
			    r->rtt_median_us, r->rtt_p99_us);
	if (r->throughput_mbps >= 0 && !o->forward)
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
