/* The minimizer's outputs: the fragment and the reports (see kmin.h). */
#include "kernel/kconfig-int.h"
#include "kernel/kmin-int.h"

#include <stdlib.h>
#include <string.h>

int km_count_on(const char *cfg, size_t len)
{
	struct cmap m;
	int n = 0;

	kconfig_lines(cfg, len, 0, &m);
	for (size_t i = 0; i < m.n; i++)
		n += m.e[i].vlen == 1 && (m.e[i].val[0] == 'y' || m.e[i].val[0] == 'm');
	free(m.e);
	return n;
}

static int write_text(struct tx_ctx *ctx, const char *path, const struct sbuf *f)
{
	int err = write_file_atomic(path, f->s, f->len, 0644);

	if (err)
		tx_fail(ctx, err, "kconfig", "cannot write '%s': %s", path, strerror(-err));
	return err;
}

int km_write_fragment(struct km *k, const char *base_cfg, size_t blen, const char *best_cfg,
		      size_t len)
{
	struct sbuf f = {0};
	int err;

	sbuf_printf(&f,
		    "# kconfig-fragments/apps/%s.%s.min.config: written by\n"
		    "# 'tinyx kconfig %s --target %s --minimize'. Each option below was on\n"
		    "# in the app's kernel; without them the kernel was built and booted with\n"
		    "# the app's rootfs (initrd%s) and the app served. Applied after\n"
		    "# apps/%s.config. Delete the file to get the full kernel back.\n",
		    k->o->app, k->o->target, k->o->app, k->o->target,
		    k->has_disk ? " and squashfs disk" : "", k->o->app);
	for (size_t i = 0; i < k->base.n; i++) {
		const struct kconfig_req *q = &k->base.r[i];

		if (kconfig_is_on(base_cfg, blen, q->option) &&
		    !kconfig_is_on(best_cfg, len, q->option)) {
			int cand = strv_contains(&k->r->removed, q->option);

			sbuf_printf(&f, "# CONFIG_%s is not set\n", q->option);
			if (!cand && !(k->comp && !strncmp(q->option, "KERNEL_", 7) &&
				       !strcmp(q->option + 7, k->comp_from)))
				strv_push(&k->r->also_off, q->option);
		}
	}
	if (k->comp)
		sbuf_printf(
		    &f,
		    "# bzImage compression %s instead of %s: %lld bytes instead of %lld;\n"
		    "# boot to service %.0f ms, the full kernel %.0f ms (medians, in turn;\n"
		    "# not slower with 95 %% confidence by a paired sign test)\n"
		    "CONFIG_KERNEL_%s=y\n",
		    k->r->compression, k->r->compression_from, k->r->size_after, k->r->size_options,
		    k->r->service_after, k->r->service_before, k->comp);
	k->r->fragment = xasprintf("%s/%s.%s.min.config", k->work, k->o->app, k->o->target);
	err = write_text(k->ctx, k->r->fragment, &f);
	if (!err && k->o->out)
		err = write_text(k->ctx, k->o->out, &f);
	sbuf_free(&f);
	return err;
}

static void json_list(struct sbuf *b, const char *key, const struct strv *v)
{
	sbuf_printf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			sbuf_puts(b, ",");
		sbuf_json_str(b, v->v[i]);
	}
	sbuf_puts(b, "]");
}

void kmin_report_json(const struct kmin_result *r, const struct kmin_opts *o, struct sbuf *b)
{
	sbuf_puts(b, "{\"app\":");
	sbuf_json_str(b, o->app);
	sbuf_puts(b, ",\"target\":");
	sbuf_json_str(b, o->target);
	json_list(b, "removed", &r->removed);
	json_list(b, "kept", &r->kept);
	json_list(b, "untried", &r->untried);
	json_list(b, "also_off", &r->also_off);
	sbuf_puts(b, ",\"compression\":{\"from\":");
	sbuf_json_str(b, r->compression_from);
	sbuf_puts(b, ",\"to\":");
	sbuf_json_str(b, r->compression[0] ? r->compression : r->compression_from);
	sbuf_printf(b,
		    "},\"options\":{\"before\":%d,\"after\":%d},\"trials\":%d,\"reused\":%d,"
		    "\"builds\":%d,\"boots\":%d,\"kernel_bytes\":{\"before\":%lld,\"options\":%lld,"
		    "\"after\":%lld},"
		    "\"service_ms\":{\"before\":%.0f,\"after\":%.0f,\"pairs\":%d,\"slower\":%d,"
		    "\"faster\":%d,\"p_slower\":%.4f},\"seconds\":%.1f,"
		    "\"budget_hit\":%s,\"fragment\":",
		    r->options_before, r->options_after, r->trials, r->reused, r->builds, r->boots,
		    r->size_before, r->size_options, r->size_after, r->service_before,
		    r->service_after, o->final_runs > 0 ? o->final_runs : KMIN_PAIRS,
		    r->service_test.slower, r->service_test.faster, r->service_test.p, r->seconds,
		    r->budget_hit ? "true" : "false");
	sbuf_json_str(b, r->fragment ? r->fragment : "");
	sbuf_puts(b, "}\n");
}

static void text_list(struct sbuf *b, const char *title, const struct strv *v)
{
	sbuf_printf(b, "%-10s %zu", title, v->n);
	for (size_t i = 0; i < v->n; i++)
		sbuf_printf(b, "%s%s", i ? " " : ": ", v->v[i]);
	sbuf_puts(b, "\n");
}

static double smaller(long long before, long long after)
{
	return before > 0 ? 100.0 * (double)(before - after) / (double)before : 0;
}

void kmin_report_text(const struct kmin_result *r, const struct kmin_opts *o, struct sbuf *b)
{
	sbuf_printf(b, "kconfig --minimize %s (%s)\n", o->app, o->target);
	text_list(b, "removed", &r->removed);
	text_list(b, "also off", &r->also_off);
	text_list(b, "kept", &r->kept);
	if (r->untried.n)
		text_list(b, "untried", &r->untried);
	sbuf_printf(b, "options    %d -> %d enabled in .config\n", r->options_before,
		    r->options_after);
	sbuf_printf(b, "kernel     %lld -> %lld bytes (%.1f%% smaller)\n", r->size_before,
		    r->size_after, smaller(r->size_before, r->size_after));
	sbuf_printf(b, "           %lld bytes (%.1f%% smaller) with the removals alone (%s)\n",
		    r->size_options, smaller(r->size_before, r->size_options),
		    r->compression_from[0] ? r->compression_from : "-");
	sbuf_printf(b, "compress   %s\n",
		    r->compression[0] ? r->compression
				      : (r->compression_from[0] ? "unchanged (no mode was smaller "
								  "and no slower)"
								: "- (an uncompressed vmlinux)"));
	sbuf_printf(b,
		    "service    %.0f -> %.0f ms boot to service (medians of %d pairs booted in "
		    "turn; slower in %d, faster in %d: p = %.3f, not slower)\n",
		    r->service_before, r->service_after,
		    o->final_runs > 0 ? o->final_runs : KMIN_PAIRS, r->service_test.slower,
		    r->service_test.faster, r->service_test.p);
	sbuf_printf(b, "trials     %d (%d from the record), %d kernel builds, %d boots, %.0f s%s\n",
		    r->trials, r->reused, r->builds, r->boots, r->seconds,
		    r->budget_hit ? " (budget reached)" : "");
	sbuf_printf(b, "fragment   %s\n", r->fragment ? r->fragment : "-");
}

void kmin_result_free(struct kmin_result *r)
{
	strv_free(&r->removed);
	strv_free(&r->kept);
	strv_free(&r->untried);
	strv_free(&r->also_off);
	free(r->fragment);
	r->fragment = NULL;
}
