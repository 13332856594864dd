/* compare: the JSON and text reports and the SVG figures, from a result made
 * by hand (the measuring itself is tests/t700-compare.sh); the table of
 * systems and --only. */
#include "compare/compare.h"
#include "compare/system.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void row(struct compare_result *r, const char *name, double k)
{
	struct compare_row *w = compare_row_add(r, name, "test row");

	w->measured = w->ok = 1;
	w->size_bytes = (long long)(1e6 * k);
	w->rss_kb = w->pss_kb = w->guest_used_kb = (long long)(1000 * k);
	w->min_mb = (int)(10 * k);
	w->console_ms = 10 * k, w->init_ms = 20 * k, w->network_ms = 30 * k;
	w->service_ms = 40 * k;
	w->rtt_median_us = 100 * k, w->rtt_p99_us = 200 * k, w->mbps = 1000 / k;
}

/* Rows are as many as the table has (there were 8 in a fixed array, and a
 * ninth overflowed it): 20 rows through both reports and the figures. */
static void many_rows(const char *dir)
{
	static const char *const names[] = {"s0", "s1", "s2", "s3", "s4", "s5", "s6",
					    "s7", "s8", "s9", "sa", "sb", "sc", "sd",
					    "se", "sf", "sg", "sh", "si", "sj"};
	struct compare_result r = {.app = "nginx", .runs = 1, .accel = "tcg"};
	struct tx_ctx ctx = {0};
	struct sbuf j = {0}, t = {0};

	row(&r, "debian-vm", 100);
	for (int i = 0; i < 20; i++)
		row(&r, names[i], 1 + i);
	CHECK(r.nrows == 21);
	compare_report_json(&r, &j);
	compare_report_text(&r, &t);
	CHECK(j.s && strstr(j.s, "{\"name\": \"sj\"") != NULL);
	CHECK(t.s && strstr(t.s, "\nsj ") != NULL);
	CHECK(compare_plot(&ctx, &r, dir) == 0);
	sbuf_free(&j);
	sbuf_free(&t);
	compare_result_free(&r);
}

/* The table: the README's rows, unique names; --only takes only those. */
static void systems(void)
{
	static const char *const readme[] = {"debian-vm",     "tinyx-kvm", "tinyx-kvm-initrd",
					     "tinyx-xen-pvh", "tinyx-min", "container",
					     "minios",	      "osv",	   "unikraft"};
	struct compare_opts o = {.app = "nginx", .runs = 1, .only = "tinyx-kvm,nosuch"};
	struct compare_result r;
	struct tx_ctx ctx = {0};
	size_t n = 0;

	for (const struct compare_system *s = compare_systems; s->name; s++, n++) {
		CHECK(n < 9 && !strcmp(s->name, readme[n]) && s->measure);
		CHECK(s->is_vm == !!strcmp(s->name, "container"));
	}
	CHECK(n == 9);
	CHECK(compare_check_only(&ctx, NULL, 0) == 0);
	CHECK(compare_check_only(&ctx, "tinyx-kvm,container,osv", 0) == 0);
	CHECK(compare_check_only(&ctx, "tinyx", 0) == -EINVAL);
	CHECK(compare_check_only(&ctx, "tinyx-kvm,", 0) == -EINVAL);
	CHECK(compare_check_only(&ctx, "", 0) == -EINVAL);
	/* a usage error before anything is built or measured */
	CHECK(compare_run(&ctx, &o, &r) == -EINVAL);
	CHECK_STR(ctx.err, "compare: unknown system 'nosuch' (one of: debian-vm, tinyx-kvm, "
			   "tinyx-kvm-initrd, tinyx-xen-pvh, tinyx-min, container, minios, osv, "
			   "unikraft)");
	CHECK(r.nrows == 0);
	compare_result_free(&r);
}

/* --forward: the systems that can forward, a bad ADDR/P before anything is
 * built, the reports' forwarding lines. */
static void forward(void)
{
	struct compare_opts o = {.app = "nftables", .runs = 1, .forward = "10.251.0.0/24"};
	struct compare_result r = {.app = "nftables", .runs = 1, .accel = "tcg"};
	struct tx_ctx ctx = {0};
	struct sbuf j = {0}, t = {0};
	struct compare_row *w;
	int n = 0;

	TCASE("compare --forward");
	for (const struct compare_system *s = compare_systems; s->name; s++)
		n += s->forward != NULL;
	CHECK(n == 3);
	CHECK(compare_check_only(&ctx, "debian-vm,tinyx-kvm,container", 1) == 0);
	CHECK(compare_check_only(&ctx, "tinyx-kvm,osv", 1) == -EINVAL);
	CHECK_STR(ctx.err, "compare: system 'osv' cannot forward (with --forward, one of: "
			   "debian-vm, tinyx-kvm, container)");
	CHECK(compare_check_only(&ctx, "nosuch", 1) == -EINVAL);
	CHECK_STR(ctx.err, "compare: unknown system 'nosuch' (one of: debian-vm, tinyx-kvm, "
			   "container)");
	/* the network's own address: refused before any stage or build */
	CHECK(compare_run(&ctx, &o, &r) == -EINVAL);
	CHECK(strstr(ctx.err, "bad --forward address '10.251.0.0/24'") != NULL);
	CHECK(r.nrows == 0);
	compare_result_free(&r);

	r = (struct compare_result){.app = "nftables", .runs = 1, .accel = "tcg"};
	r.forward = "10.251.0.9/24";
	row(&r, "debian-vm", 10);
	w = compare_row_add(&r, "tinyx-kvm", "test row");
	w->measured = w->ok = 1;
	w->size_bytes = 5000000, w->service_ms = 1300, w->rtt_median_us = 700;
	w->rtt_own_us = 500, w->mbps = -1;
	w->na = COMPARE_NA_MIN_MEM;
	compare_report_text(&r, &t);
	compare_report_json(&r, &j);
	CHECK(t.s && strstr(t.s, "a network function, eth1 10.251.0.9/24: serve ms is boot to "
				 "forwarding (the first answer of 10.251.0.1 on tcp/8080 through "
				 "it)") != NULL);
	CHECK(strstr(t.s, "\ntinyx-kvm: round trip to its own side 500 us, forwarding adds "
			  "200 us; no iperf3 through it\n") != NULL);
	CHECK(j.s && strstr(j.s, "\"forward\": {\"eth1\": \"10.251.0.9/24\", \"proxy\": "
				 "false}") != NULL);
	CHECK(strstr(j.s, "\"rtt_own_us\": 500.0") != NULL);
	CHECK(strstr(j.s, "\"rtt_own_us\": null") != NULL); /* debian-vm's */
	sbuf_free(&j);
	sbuf_free(&t);
	compare_result_free(&r);
}

/* What the Debian VM and the container are checked on, from a Tinyx
 * image's check. */
static void peer_check(void)
{
	enum img_service svc = IMG_SVC_NONE;
	int port = 0;

	TCASE("peer service from the check");
	CHECK(cmpimg_check_service("http 200 on tcp/80", &svc, &port) == 0);
	CHECK(svc == IMG_SVC_HTTP && port == 80);
	CHECK(cmpimg_check_service("dns answer on udp/53, tcp accept on tcp/53", &svc, &port) == 0);
	CHECK(svc == IMG_SVC_TCP && port == 53);
	/* HTTP 200 wins over an earlier port; another status is a connect */
	CHECK(cmpimg_check_service("tls handshake on tcp/443, http 200 on tcp/8080", &svc, &port) ==
	      0);
	CHECK(svc == IMG_SVC_HTTP && port == 8080);
	CHECK(cmpimg_check_service("http 404 on tcp/8000", &svc, &port) == 0);
	CHECK(svc == IMG_SVC_TCP && port == 8000);
	svc = IMG_SVC_NONE, port = 0;
	CHECK(cmpimg_check_service("dns answer on udp/53, udp/123 bound", &svc, &port) == -ENOENT);
	CHECK(cmpimg_check_service("", &svc, &port) == -ENOENT);
	CHECK(cmpimg_check_service("http 200 on tcp/99999", &svc, &port) == -ENOENT);
	CHECK(cmpimg_check_service("http 200 on tcp/80x", &svc, &port) == -ENOENT);
	CHECK(svc == IMG_SVC_NONE && port == 0);
}

/* The one image.conf writer of the comparison: the app's service from its
 * hints, read back by the probe's parser as written. */
static void conf(const char *dir)
{
	char *proj = xasprintf("%s/proj", dir), *hd = xasprintf("%s/rootfs-overlays/hinted", proj);
	char *hints = xasprintf("%s/hints", hd);
	struct tx_ctx ctx = {.srcdir = proj};
	struct imgconf c = {.machine = IMG_PC,
			    .kernel = "kernel",
			    .initrd = "initrd",
			    .disk = "disk.ext4",
			    .append = "console=ttyS0 quiet",
			    .memory_mb = 512,
			    .vcpus = 1,
			    .net = IMG_NET_PCI,
			    .target = IMG_XEN},
		       back;

	CHECK(mkdir_p(hd, 0755) == 0);
	CHECK(write_file_atomic(hints, "service http 80\n", 16, 0644) == 0);
	CHECK(cmpimg_write_conf(&ctx, "hinted", dir, &c) == 0);
	CHECK(imgconf_load(&ctx, dir, &back) == 0);
	CHECK(back.port == 80 && back.service == IMG_SVC_HTTP && back.machine == IMG_PC);
	CHECK(back.target == IMG_XEN && back.memory_mb == 512 && back.net == IMG_NET_PCI);
	CHECK_STR(back.disk, "disk.ext4");
	CHECK_STR(back.append, "console=ttyS0 quiet");
	imgconf_free(&back);
	CHECK(cmpimg_write_conf(&ctx, "no-hints-here", dir, &c) == 0 && c.port == 0);
	CHECK(c.service == IMG_SVC_NONE);
	rm_rf(proj);
	free(hints), free(hd), free(proj);
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
	snprintf(compare_row_add(&r, "osv", "unikernel")->note, sizeof(r.row[0].note),
		 "not measured: not packaged in Debian");
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
	many_rows(dir);
	for (int i = 0; i < 4; i++) {
		char *p = xasprintf("%s/%s.svg", dir, figs[i]);

		CHECK(unlink(p) == 0);
		strcpy(p + strlen(p) - 3, "png");
		unlink(p);
		free(p);
	}
	conf(dir);
	{
		char *p = xasprintf("%s/" IMGCONF_NAME, dir);

		CHECK(unlink(p) == 0);
		free(p);
	}
	CHECK(rmdir(dir) == 0);
	systems();
	forward();
	peer_check();
	sbuf_free(&j);
	sbuf_free(&t);
	compare_result_free(&r);
	return t_done("compare");
}
