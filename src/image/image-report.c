/* What a build reports: build.json and the table on stdout. */
#include "image/bctx.h"

#include <stdio.h>
#include <time.h>

/* The root a target's image boots by default: the squashfs (its disk or its
 * ramdisk) when it has one. */
static int squashfs_root(const struct target_res *t)
{
	return t->t->has_disk || t->t->ramdisk_root;
}

static long long root_bytes(const struct bctx *b, const struct target_res *t)
{
	return squashfs_root(t) ? b->disk_bytes : b->initrd_bytes;
}

static void json_target(const struct bctx *b, const struct target_res *t, const char *when,
			struct sbuf *s)
{
	sbuf_printf(s,
		    "\n    \"%s\": {\"kernel_bytes\": %lld, \"kernel_sha256\": \"%s\", "
		    "\"kernel_config_hash\": \"%s\", \"kernel_cached\": %s, "
		    "\"root\": \"%s\", \"total_bytes\": %lld, \"verified\": %s",
		    t->t->name, t->kernel_bytes, t->kernel_sha, t->k.hash,
		    t->k.cached ? "true" : "false", squashfs_root(t) ? "squashfs" : "initrd",
		    t->kernel_bytes + root_bytes(b, t), t->verified ? "true" : "false");
	if (t->verified)
		sbuf_printf(s,
			    ", \"verified_at\": \"%s\", \"boot_ms\": {\"console\": %.1f, "
			    "\"init\": %.1f, \"network\": %.1f, \"service\": %.1f}",
			    when, t->pr.console.median, t->pr.init.median, t->pr.network.median,
			    t->pr.service.median);
	for (int i = 0; i < 2; i++)
		if (t->disk.name[i][0])
			sbuf_printf(s,
				    ", \"boot_disk_%s\": {\"file\": \"%s\", \"bytes\": %lld, "
				    "\"sha256\": \"%s\", \"fat_bytes\": %lld, \"uefi\": %s}",
				    i ? "raw" : "qcow2", t->disk.name[i], t->disk.bytes[i],
				    t->disk.sha[i], t->disk.fat_bytes,
				    t->disk.uefi ? "true" : "false");
	if (t->verified) {
		sbuf_puts(s, ", \"check\": ");
		sbuf_json_str(s, t->pr.check);
	}
	sbuf_puts(s, "}");
}

void image_report_json(const struct bctx *b, struct sbuf *s)
{
	time_t now = time(NULL);
	char when[64];

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	sbuf_puts(s, "{\n  \"app\": ");
	sbuf_json_str(s, b->o->app);
	sbuf_printf(s,
		    ",\n  \"manifest_entries\": %zu,\n  \"manifest_file_bytes\": %lld,\n"
		    "  \"rootfs\": {\"initrd_bytes\": %lld, \"initrd_sha256\": \"%s\", "
		    "\"squashfs_bytes\": %lld, \"squashfs_sha256\": \"%s\"},\n  \"targets\": {",
		    b->m.n, manifest_total_size(&b->m), b->initrd_bytes, b->initrd_sha,
		    b->disk_bytes, b->disk_sha);
	for (int i = 0; i < b->ntr; i++) {
		if (i)
			sbuf_puts(s, ",");
		json_target(b, &b->tr[i], when, s);
	}
	sbuf_puts(s, "\n  },\n  \"trace\": ");
	if (b->o->no_trace) {
		sbuf_puts(s, "null");
	} else {
		sbuf_printf(s, "{\"cached\": %s, \"added\": [", b->trace_cached ? "true" : "false");
		for (size_t i = 0; i < b->traced.n; i++) {
			sbuf_puts(s, i ? ", " : "");
			sbuf_json_str(s, b->traced.v[i]);
		}
		sbuf_puts(s, "]}");
	}
	sbuf_puts(s, ",\n  \"timings_ms\": {");
	for (int i = 0; i < b->nt; i++)
		sbuf_printf(s, "%s\"%s\": %.0f", i ? ", " : "", b->t[i].name, b->t[i].ms);
	sbuf_puts(s, "}\n}\n");
}

void image_report_summary(const struct bctx *b)
{
	printf("\n%-6s %12s %12s %9s %12s %9s %9s %9s %9s\n", "target", "kernel", "root", "(kind)",
	       "total", "verified", "init ms", "net ms", "serve ms");
	for (int i = 0; i < b->ntr; i++) {
		const struct target_res *t = &b->tr[i];

		printf("%-6s %12lld %12lld %9s %12lld %9s", t->t->name, t->kernel_bytes,
		       root_bytes(b, t), squashfs_root(t) ? "squashfs" : "initrd",
		       t->kernel_bytes + root_bytes(b, t), t->verified ? "yes" : "no");
		if (t->verified)
			printf(" %9.0f %9.0f %9.0f\n", t->pr.init.median, t->pr.network.median,
			       t->pr.service.median);
		else
			printf(" %9s %9s %9s\n", "-", "-", "-");
	}
	for (int i = 0; i < b->ntr; i++)
		if (b->tr[i].verified)
			printf("%s: the app runs and answers: %s\n", b->tr[i].t->name,
			       b->tr[i].pr.check);
	printf("images in %s\n", b->final);
}
