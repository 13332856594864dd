/* The minimizer's trial record: parse, find (the last word wins), and
 * malformed lines skipped. */
#include "kernel/kmin.h"
#include "t.h"

#include <string.h>

static char *h(char c)
{
	static char buf[4][65];
	static int i;
	char *b = buf[i++ % 4];

	memset(b, c, 64);
	b[64] = 0;
	return b;
}

/* the minimizer's JSON report from a result made by hand */
static void test_report_json(void)
{
	struct kmin_result r = {.options_before = 412,
				.options_after = 377,
				.trials = 9,
				.reused = 3,
				.builds = 6,
				.boots = 12,
				.size_before = 2167808,
				.size_after = 1790464,
				.size_options = 2012160,
				.service_before = 1107.4,
				.service_after = 1030.6,
				.service_test = {.slower = 3, .faster = 7, .p = 0.9453},
				.compression = "zstd",
				.compression_from = "lz4",
				.seconds = 1234.56,
				.budget_hit = 1,
				.fragment = "kconfig-fragments/apps/nginx.kvm.min.config"};
	struct kmin_opts o = {.app = "nginx", .target = "kvm", .final_runs = 10};
	struct sbuf j = {0};

	strv_push(&r.removed, "SWAP");
	strv_push(&r.removed, "MULTIUSER \"q\"");
	strv_push(&r.kept, "EPOLL");
	strv_push(&r.also_off, "SHMEM");
	kmin_report_json(&r, &o, &j);
	CHECK_GOLDEN(j.s, "kmin-report.json");
	sbuf_free(&j);
	/* nothing removed, no compression chosen: "to" is the app's own */
	r.compression[0] = 0;
	r.budget_hit = 0;
	r.fragment = NULL;
	strv_free(&r.removed);
	strv_free(&r.kept);
	strv_free(&r.also_off);
	strv_push(&r.untried, "NET");
	kmin_report_json(&r, &o, &j);
	CHECK_GOLDEN(j.s, "kmin-report-untried.json");
	sbuf_free(&j);
	strv_free(&r.untried);
}

int main(void)
{
	struct kmin_recs rs;
	struct sbuf t = {0};
	const struct kmin_rec *r;

	TCASE("trial record");
	sbuf_printf(&t, "in %s %s\n", h('a'), h('b'));
	sbuf_printf(&t, "cfg %s fail 2012160 0\n", h('b'));
	sbuf_printf(&t, "in %s -\n", h('c'));
	sbuf_printf(&t, "cfg %s pass 2167808 2944\n", h('b')); /* judged again: wins */
	sbuf_printf(&t, "cfg %s maybe 1 2\n", h('d'));	       /* bad verdict */
	sbuf_printf(&t, "cfg %s pass -1 2\n", h('e'));	       /* bad number */
	sbuf_printf(&t, "in %s %s extra\n", h('f'), h('a'));   /* too many words */
	sbuf_printf(&t, "in ABC %s\n", h('a'));		       /* not a hash */
	sbuf_printf(&t, "sign %s %s pass 1030 1107\n", h('1'), h('2'));
	sbuf_printf(&t, "sign %s %s fail 1460\n", h('3'), h('2')); /* a word short */
	sbuf_printf(&t, "sign %s %s slow 1 2\n", h('4'), h('2'));  /* bad verdict */
	sbuf_printf(&t, "sign %s - pass 1 2\n", h('5'));	   /* no reference */
	/* an older version's verdict by medians: not the sign test's, skipped */
	sbuf_printf(&t, "time %s %s pass 1 2\n", h('6'), h('2'));
	sbuf_printf(&t, "in %s %s", h('9'), h('8')); /* cut short: no newline */
	kmin_recs_parse(t.s, t.len, &rs);
	CHECK(rs.n == 5);
	r = kmin_recs_find(&rs, 't', h('1'));
	CHECK(r && r->pass == 1 && !strcmp(r->val, h('2')) && r->service_ms == 1030 &&
	      r->ref_ms == 1107);
	CHECK(kmin_recs_find(&rs, 't', h('3')) == NULL);
	CHECK(kmin_recs_find(&rs, 't', h('4')) == NULL);
	CHECK(kmin_recs_find(&rs, 't', h('5')) == NULL);
	CHECK(kmin_recs_find(&rs, 't', h('6')) == NULL);
	CHECK(kmin_recs_find_time(&rs, h('1'), h('2')) == r);
	CHECK(kmin_recs_find_time(&rs, h('1'), h('3')) == NULL); /* timed against another */
	r = kmin_recs_find(&rs, 'i', h('a'));
	CHECK(r && !strcmp(r->val, h('b')));
	r = kmin_recs_find(&rs, 'c', h('b'));
	CHECK(r && r->pass == 1 && r->bytes == 2167808 && r->service_ms == 2944);
	r = kmin_recs_find(&rs, 'i', h('c'));
	CHECK(r && !strcmp(r->val, "-"));
	CHECK(kmin_recs_find(&rs, 'c', h('d')) == NULL);
	CHECK(kmin_recs_find(&rs, 'c', h('e')) == NULL);
	CHECK(kmin_recs_find(&rs, 'i', h('f')) == NULL);
	CHECK(kmin_recs_find(&rs, 'i', h('9')) == NULL);
	CHECK(kmin_recs_find(&rs, 'c', h('a')) == NULL);
	kmin_recs_free(&rs);
	TCASE("NUL bytes");
	/* NUL bytes inside a line: that line is skipped */
	{
		char buf[200];
		int n = snprintf(buf, sizeof(buf), "in %s -\n", h('7'));

		buf[1] = 0;
		kmin_recs_parse(buf, (size_t)n, &rs);
		CHECK(rs.n == 0);
		kmin_recs_free(&rs);
	}
	sbuf_free(&t);
	RUN(test_report_json);
	TCASE("json report lists");
	{
		struct kmin_opts o = {.app = "nginx", .target = "kvm", .final_runs = 10};
		struct kmin_result res = {0};
		struct sbuf j = {0};

		strv_push(&res.removed, "PRINTK");
		kmin_report_json(&res, &o, &j);
		CHECK(strstr(j.s,
			     "{\"app\":\"nginx\",\"target\":\"kvm\",\"removed\":[\"PRINTK\"],"
			     "\"kept\":[],\"untried\":[],\"also_off\":[],\"compression\":") == j.s);
		sbuf_free(&j);
		kmin_result_free(&res);
	}
	return t_done("test-kmin");
}
