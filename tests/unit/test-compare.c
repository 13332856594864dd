/* compare: the JSON and text reports and the SVG figures, from a result made
 * by hand (the measuring itself is tests/t700-compare.sh). */
#include "compare/compare.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void row(struct compare_result *r, const char *name, double k)
{
	struct compare_row *w = &r->row[r->nrows++];

	memset(w, 0, sizeof(*w));
	w->name = name;
	w->measured = w->ok = 1;
	snprintf(w->what, sizeof(w->what), "test row");
	w->size_bytes = (long long)(1e6 * k);
	w->rss_kb = w->pss_kb = w->guest_used_kb = (long long)(1000 * k);
	w->min_mb = (int)(10 * k);
	w->console_ms = 10 * k, w->init_ms = 20 * k, w->network_ms = 30 * k;
	w->service_ms = 40 * k;
	w->rtt_median_us = 100 * k, w->rtt_p99_us = 200 * k, w->mbps = 1000 / k;
}

int main(void)
{
	struct compare_result r = {0};
	struct tx_ctx ctx = {0};
	struct sbuf j = {0}, t = {0};
	char dir[] = "/tmp/tinyx-test-compare-XXXXXX";
	const char *figs[] = {"size-memory", "boot", "rtt", "throughput"};

	r.app = "nginx";
	r.runs = 3;
	strcpy(r.accel, "tcg");
	row(&r, "debian-vm", 100);
	row(&r, "tinyx-kvm", 1);
	r.row[r.nrows].name = "osv";
	snprintf(r.row[r.nrows].note, sizeof(r.row[0].note),
		 "not measured: not packaged in Debian");
	r.nrows++;
	TCASE("json report");
	compare_report_json(&r, &j);
	CHECK_GOLDEN(j.s, "compare-report.json");
	CHECK(strstr(j.s, "\"memory_mb\": {\"min_boot\": 10}") != NULL);
	CHECK(strstr(j.s, "\"memory_kb\": {\"qemu_rss\": 1000, \"qemu_pss\": 1000, "
			  "\"guest_used\": 1000}") != NULL);
	CHECK(strstr(j.s, "\"rtt_us\": {\"median\": 100.0, \"p99\": 200.0}") != NULL);
	CHECK(strstr(j.s, "\"throughput_mbps\": 1000.0") != NULL);
	/* ratios: debian-vm's figure over the row's (throughput: the row's over debian's) */
	CHECK(strstr(j.s, "\"vs_debian_vm\": {\"image\": 100.00, \"qemu_rss\": 100.00, "
			  "\"min_boot\": 100.00, \"service\": 100.00, \"rtt\": 100.00, "
			  "\"throughput\": 100.00}") != NULL);
	CHECK(strstr(j.s, "{\"name\": \"osv\", \"measured\": false") != NULL);
	TCASE("text report");
	compare_report_text(&r, &t);
	CHECK_GOLDEN(t.s, "compare-report.txt");
	CHECK(strstr(t.s, "osv            not measured: not packaged in Debian") != NULL);
	CHECK(strstr(t.s, "vs debian-vm") != NULL);
	TCASE("figures");
	CHECK(mkdtemp(dir) != NULL);
	CHECK(compare_plot(&ctx, &r, dir) == 0);
	for (int i = 0; i < 4; i++) {
		char *p = xasprintf("%s/%s.svg", dir, figs[i]), *text = NULL;

		CHECK(read_file(p, &text, NULL, 1 << 20) == 0);
		CHECK(text && strstr(text, "<svg") && strstr(text, "</svg>"));
		/* a bar for each measured row, none for the unmeasured one */
		CHECK(text && strstr(text, "<title>tinyx-kvm ") && !strstr(text, "<title>osv"));
		free(text);
		unlink(p);
		p[strlen(p) - 3] = 'p', p[strlen(p) - 2] = 'n', p[strlen(p) - 1] = 'g';
		unlink(p);
		free(p);
	}
	rmdir(dir);
	sbuf_free(&j);
	sbuf_free(&t);
	return t_done("compare");
}
