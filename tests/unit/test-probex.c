/* probex: the iperf3 report parser and the percentile; util's median_of;
 * the probe's JSON report against golden files. */
#include "probe/fwd.h"
#include "probe/probe.h"
#include "probe/probex.h"
#include "t.h"

#include <math.h>
#include <string.h>

/* a probe result made by hand: two runs under KVM (the second without the
 * extras), then the same as a failed run under Xen */
static void test_report_json(void)
{
	struct probe_run_rec runs[2] = {{.ok = 1,
					 .console = 101.5,
					 .init = 480.3,
					 .network = 612,
					 .service = 640.5,
					 .ready = 630,
					 .guest_used_kb = 5120,
					 .qemu_rss_kb = 61440,
					 .dom0 = -1,
					 .qemu_pss_kb = 50000,
					 .rtt_median_us = 120.5,
					 .rtt_p99_us = 300,
					 .throughput_mbps = 810.3,
					 .restarts = 1,
					 .check = "http 200 on tcp/80"},
					{.ok = 1,
					 .console = 99,
					 .init = 470,
					 .network = 600,
					 .service = 650,
					 .ready = -1,
					 .guest_used_kb = -1,
					 .qemu_rss_kb = -1,
					 .dom0 = -1,
					 .qemu_pss_kb = -1,
					 .rtt_median_us = -1,
					 .rtt_p99_us = -1,
					 .throughput_mbps = -1}};
	struct probe_result r = {.ok = 1,
				 .runs_ok = 2,
				 .console = {100.3, 99, 101.5, 2},
				 .init = {475.1, 470, 480.3, 2},
				 .network = {606, 600, 612, 2},
				 .service = {645.3, 640.5, 650, 2},
				 .size_kernel = 1500000,
				 .size_rootfs = 700000,
				 .netns_isolated = 1,
				 .check = "http 200 on tcp/80",
				 .runs = 2,
				 .per_run = runs,
				 .guest_used_kb = 5120,
				 .qemu_rss_kb = 61440,
				 .qemu_pss_kb = 50000,
				 .rtt_median_us = 120.5,
				 .rtt_p99_us = 300,
				 .throughput_mbps = 810.3,
				 .min_boot_mb = 24,
				 .accel = "tcg",
				 .machine = "microvm",
				 .service_name = "http",
				 .target = "kvm",
				 .port = 80,
				 .memory_mb = 64,
				 .vcpus = 1,
				 .note = "built by tinyx build \"nginx\""};
	struct probe_opts o = {.dir = "out/nginx/kvm", .runs = 2, .json = 1};
	struct sbuf j = {0};

	probe_report_json(&r, &o, &j);
	CHECK_GOLDEN(j.s, "probe-report.json");
	sbuf_free(&j);

	/* under Xen, failed: the xen keys, the console tail, no note */
	r.ok = 0;
	r.runs_ok = 0;
	r.runs = 1;
	runs[0].ok = 0;
	runs[0].service = -1;
	r.service.n = 0;
	r.size_rootfs = -1;
	r.xen_mode = 1;
	snprintf(r.target, sizeof(r.target), "xen");
	snprintf(r.machine, sizeof(r.machine), "xen-on-pc");
	snprintf(r.xen_cfg, sizeof(r.xen_cfg), "nginx.cfg");
	snprintf(r.xen_guest_type, sizeof(r.xen_guest_type), "pvh");
	snprintf(r.xen_kit, sizeof(r.xen_kit), "xen 4.17");
	r.dom0 = (struct probe_stat){900, 900, 900, 1};
	snprintf(r.console_tail, sizeof(r.console_tail), "tinyx: init\nKernel panic\n");
	o.dir = "out/nginx/xen";
	r.disk_root = 1;
	probe_report_json(&r, &o, &j);
	CHECK_GOLDEN(j.s, "probe-report-xen.json");
	sbuf_free(&j);

	/* --forward: what crossed it (rtt_us through it, its own side, added);
	 * a proxy has no echo through it */
	{
		struct probe_opts fo = {.dir = "out/nftables/kvm", .forward = "10.251.0.9/24"};
		struct sbuf t = {0};

		r.xen_mode = 0;
		r.ok = 1;
		r.rtt_median_us = 900;
		r.rtt_p99_us = 2000;
		r.rtt_own_us = 400;
		r.throughput_mbps = 2650;
		r.service = (struct probe_stat){1422, 1400, 1500, 3};
		snprintf(r.forward_to, sizeof(r.forward_to), "10.251.0.1");
		probe_report_json(&r, &fo, &j);
		CHECK(strstr(j.s,
			     "\"forward\": {\"to\": \"10.251.0.1\", \"port\": 8080, "
			     "\"proxy\": false, \"rtt_own_us\": 400.0, \"rtt_added_us\": 500.0}") !=
		      NULL);
		probe_report_text(&r, &fo, &t);
		CHECK(strstr(t.s, "forwarding: the client to 10.251.0.1 tcp/8080 through the VM, "
				  "first answer 1422 ms after QEMU's start") != NULL);
		CHECK(strstr(t.s, "to its own side 400 us: forwarding adds 500 us") != NULL);
		CHECK(strstr(t.s, "throughput: 2650.0 Mbit/s (iperf3, client to 10.251.0.1") !=
		      NULL);
		sbuf_free(&t);
		sbuf_free(&j);
		fo.proxy = 1;
		r.rtt_median_us = -1;
		probe_report_text(&r, &fo, &t);
		CHECK(strstr(t.s, "none through it (no echo crosses a proxy)") != NULL);
		sbuf_free(&t);
	}
}

/* --forward ADDR/P: the servers are the first two other host addresses */
static void test_fwd_parse(void)
{
	struct tx_ctx ctx = {0};
	struct fwd_net n;
	static const char *const bad[] = {"10.251.0.9",	     "10.251.0.9/",   "/24",
					  "10.251.0.9/7",    "10.251.0.9/30", "10.251.0.0/24",
					  "10.251.0.255/24", "10.201.0.5/24", "10.0.0.1/8",
					  "x.y.z.w/24",	     "10.251.0.9/2x", "10.251.0.9/024"};

	CHECK(fwd_parse(&ctx, "10.251.0.9/24", &n) == 0);
	CHECK_STR(n.vm, "10.251.0.9");
	CHECK_STR(n.srv[0], "10.251.0.1");
	CHECK_STR(n.srv[1], "10.251.0.2");
	CHECK(n.prefix == 24 && n.net == 0x0afb0000u && n.mask == 0xffffff00u);
	/* the VM's own address is skipped */
	CHECK(fwd_parse(&ctx, "192.168.7.1/29", &n) == 0);
	CHECK_STR(n.srv[0], "192.168.7.2");
	CHECK_STR(n.srv[1], "192.168.7.3");
	CHECK(fwd_parse(&ctx, "192.168.7.2/29", &n) == 0);
	CHECK_STR(n.srv[0], "192.168.7.1");
	CHECK_STR(n.srv[1], "192.168.7.3");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ctx.err[0] = 0;
		CHECK(fwd_parse(&ctx, bad[i], &n) == -EINVAL);
		CHECK(strstr(ctx.err, "bad --forward address") != NULL);
	}
	CHECK(fwd_parse(&ctx, NULL, &n) == -EINVAL);
}

int main(void)
{
	double v = -1;
	const char *ok = "{\"end\":{\"sum_sent\":{\"bits_per_second\":9e9},"
			 "\"sum_received\":{\"bytes\":1,\"bits_per_second\" : 630000000.0}}}";
	const double sorted[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

	TCASE("iperf3 parse");
	CHECK(probex_iperf3_parse(ok, strlen(ok), &v) == 0);
	CHECK(v > 629.99 && v < 630.01);
	/* sum_sent alone is not what the server received */
	CHECK(probex_iperf3_parse("{\"sum_sent\":{\"bits_per_second\":5}}", 34, &v) < 0);
	CHECK(probex_iperf3_parse("{\"sum_received\":{\"bits_per_second\":0}}", 38, &v) < 0);
	CHECK(probex_iperf3_parse("{\"sum_received\":{\"bits_per_second\":-1}}", 39, &v) < 0);
	CHECK(probex_iperf3_parse("{\"sum_received\":{\"bits_per_second\":}", 36, &v) < 0);
	CHECK(probex_iperf3_parse("", 0, &v) < 0);
	/* not NUL-terminated: only len bytes count */
	CHECK(probex_iperf3_parse("{\"sum_received\":{\"bits_per_second\":12345678}}", 40, &v) ==
	      0);
	CHECK(v > 0.0123 && v < 0.0124); /* "12345" */
	TCASE("forward");
	test_fwd_parse();
	TCASE("percentile");
	CHECK(probex_percentile(sorted, 10, 0.5) == 5);
	CHECK(probex_percentile(sorted, 10, 0.99) == 10);
	CHECK(probex_percentile(sorted, 1, 0.99) == 1);
	CHECK(probex_percentile(sorted, 0, 0.5) == -1);
	TCASE("median_of");
	/* median_of: the unmeasured (negative) ones dropped, the rest sorted in front */
	{
		double a[] = {30, -1, 10, 20}, b[] = {4, 1, -1, 3, 2}, c[] = {-1, -5};
		size_t k = 99;

		CHECK(median_of(a, 4, &k) == 20 && k == 3 && a[0] == 10 && a[2] == 30);
		CHECK(median_of(b, 5, &k) == 2.5 && k == 4 && b[0] == 1 && b[3] == 4);
		CHECK(median_of(c, 2, &k) == -1 && k == 0);
		CHECK(median_of(c, 0, NULL) == -1);
	}
	TCASE("sign test");
	/* 9 of 10 pairs slower: P(X >= 9) = 11/1024 < 0.05; 8 of 10: 56/1024 is not */
	{
		double a[10] = {100, 100, 100, 100, 100, 100, 100, 100, 100, 100};
		double b[10] = {101, 102, 103, 104, 105, 106, 107, 108, 109, 90};
		struct sign_test st;

		CHECK(slower_by_sign_test(a, b, 10, &st) == 1);
		CHECK(st.slower == 9 && st.faster == 1 && st.ties == 0);
		CHECK(fabs(st.p - 11.0 / 1024) < 1e-12);
		b[8] = 99;
		CHECK(slower_by_sign_test(a, b, 10, &st) == 0);
		CHECK(fabs(st.p - 56.0 / 1024) < 1e-12);
		/* ties dropped: 5 of 5 slower is 1/32 */
		for (int i = 0; i < 5; i++)
			b[i] = 100;
		b[8] = 109;
		b[9] = 101;
		CHECK(slower_by_sign_test(a, b, 10, &st) == 1 && st.ties == 5 && st.slower == 5);
		CHECK(fabs(st.p - 1.0 / 32) < 1e-12);
		/* 4 pairs, all slower: 1/16, never shown; unmeasured pairs dropped */
		b[5] = -1;
		CHECK(slower_by_sign_test(a, b, 10, &st) == 0 && st.slower == 4);
		/* all faster, or none at all: p = 1 */
		CHECK(slower_by_sign_test(b, a, 10, &st) == 0 && st.p == 1);
		CHECK(slower_by_sign_test(a, b, 0, NULL) == 0);
	}
	/* 200 pairs: no underflow, and 120 of 200 slower is shown (p ~ 0.0029) */
	{
		static double a[200], b[200];
		struct sign_test st;

		for (int i = 0; i < 200; i++)
			a[i] = 10, b[i] = i < 120 ? 11 : 9;
		CHECK(slower_by_sign_test(a, b, 200, &st) == 1 && st.p > 0.001 && st.p < 0.005);
		for (int i = 0; i < 200; i++)
			b[i] = i < 105 ? 11 : 9;
		CHECK(slower_by_sign_test(a, b, 200, &st) == 0);
	}
	TCASE("min-mem split");
	/* equal or unknown costs: the midpoint */
	CHECK(probe_min_mem_split(0, 100, 5000, 5000) == 50);
	CHECK(probe_min_mem_split(64, 512, 0, 300) == 288);
	CHECK(probe_min_mem_split(64, 512, 26000, 0) == 288);
	/* a Debian VM: serving dear, failing cheap: near the bottom (the bound) */
	CHECK(probe_min_mem_split(64, 288, 26000, 300) == 109);
	/* a Tinyx image: failing by timeout dear, serving cheap: near the top */
	{
		int m = probe_min_mem_split(15, 64, 2000, 9000);

		CHECK(m > 45 && m < 64);
	}
	/* always strictly inside the bracket */
	CHECK(probe_min_mem_split(10, 12, 26000, 300) == 11);
	CHECK(probe_min_mem_split(10, 12, 300, 26000) == 11);
	RUN(test_report_json);
	return t_done("probex");
}
