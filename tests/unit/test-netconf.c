/* The network configuration the guest init applies: /etc/network/interfaces
 * (formats/ifaces.c), sysctl.d files and their order (formats/sysctl.c), the
 * build's check of both against the NICs and the kernel (image/netcheck.c),
 * and the NICs in QEMU's argv (image/qemu.c) and image.conf. */
#include <arpa/inet.h>

#include "formats/ifaces.h"
#include "formats/imgconf.h"
#include "formats/manifest.h"
#include "formats/sysctl.h"
#include "image/netcheck.h"
#include "image/qemu.h"
#include "t.h"

static struct ifaces f;
static struct ifaces_error e;

static int parse(const char *s)
{
	return ifaces_parse(s, strlen(s), &f, &e);
}

static const char *addr(const struct ifaces_if *c, int i)
{
	static char buf[64];

	return ifaces_addr_text(&c->addr[i], buf, sizeof(buf));
}

static void test_ifaces_good(void)
{
	const char *text = "# managed by hand\n"
			   "auto lo eth0 eth1\n"
			   "iface lo inet loopback\n\n"
			   "iface eth0 inet dhcp\n"
			   "allow-hotplug eth2\n"
			   "iface eth1 inet static\n"
			   "    address 10.0.1.1\n"
			   "    netmask 255.255.255.0\n"
			   "\taddress 10.0.2.1/16\r\n"
			   "    gateway 10.0.1.254\n"
			   "    mtu 1400\n"
			   "    up ip route add 10.9.0.0/16 via 10.0.1.253 dev eth1 metric 5\n"
			   "    post-up ip route add 192.0.2.7 via 10.0.1.252\n"
			   "    down ip route del 10.9.0.0/16\n"
			   "iface eth1 inet6 static\n"
			   "    address 2001:db8:0:0:1::1/64\n"
			   "    gateway fe80::1\n"
			   "    up ip -6 route add 2001:db8:9::/48 via fe80::2\n"
			   "iface eth2 inet manual\n";
	const struct ifaces_if *c;

	CHECK(parse(text) == 0);
	CHECK(f.n == 4);
	c = ifaces_find(&f, "eth0");
	CHECK(c && c->autoup && c->inet == IFM_DHCP && c->inet6 == IFM_NONE && c->line4 == 5);
	c = ifaces_find(&f, "eth1");
	CHECK(c && c->autoup && c->inet == IFM_STATIC && c->inet6 == IFM_STATIC);
	CHECK(c && c->naddr == 3 && c->mtu == 1400 && c->has_gw4 && c->has_gw6);
	CHECK_STR(addr(c, 0), "10.0.1.1/24");
	CHECK_STR(addr(c, 1), "10.0.2.1/16");
	CHECK_STR(addr(c, 2), "2001:db8::1:0:0:1/64");
	CHECK(c && c->nroute == 3 && c->route[0].prefix == 16 && c->route[0].metric == 5);
	CHECK(c && c->route[1].prefix == 32 && c->route[1].has_gw && !c->route[1].v6);
	CHECK(c && c->route[2].v6 && c->route[2].prefix == 48 && c->route[2].line == 19);
	c = ifaces_find(&f, "eth2");
	CHECK(c && c->autoup && c->inet == IFM_MANUAL && c->naddr == 0);
	CHECK(ifaces_has_inet6(&f));
	/* no auto: a stanza, not brought up */
	CHECK(parse("iface eth3 inet static\n address 1.2.3.4/8\n") == 0);
	CHECK(f.n == 1 && !f.ifs[0].autoup && !ifaces_has_inet6(&f));
	CHECK(parse("") == 0 && f.n == 0);
	CHECK(parse("auto eth0\niface eth0 inet6 auto\n") == 0 && f.ifs[0].inet6 == IFM_AUTO);
}

static void bad(const char *text, int line, const char *problem_part)
{
	int r = parse(text);

	CHECK(r == -1);
	CHECK(e.line == line);
	if (!e.problem || !strstr(e.problem, problem_part))
		fprintf(stderr, "  got '%s' at %d for: %s\n", e.problem ? e.problem : "", e.line,
			text);
	CHECK(e.problem && strstr(e.problem, problem_part));
}

static void test_ifaces_bad(void)
{
	char big[IFACES_MAX_BYTES + 2];

	static const struct {
		const char *text;
		int line;
		const char *problem;
	} bads[] = {
	    {"iface eth0 inet static\n address 10.0.0.300/24\n", 2, "bad IPv4 address"},
	    {"iface eth0 inet static\n address 10.0.0.1/33\n", 2, "bad IPv4 address"},
	    {"iface eth0 inet6 static\n address 10.0.0.1\n", 2, "bad IPv6 address"},
	    {"iface eth0 inet static\n netmask 255.0.255.0\n address 1.2.3.4\n", 2, "netmask"},
	    {"iface eth0 inet static\n mtu 1500\n", 1, "without an address"},
	    {"iface eth0 inet static\n address 1.2.3.4\n mtu 67\n", 3, "mtu"},
	    {"address 1.2.3.4\n", 1, "outside an iface"},
	    {"iface eth0 inet bogus\n", 1, "unknown inet method"},
	    {"iface eth0 inet6 dhcp\n", 1, "unknown inet6 method"},
	    {"iface eth0 ipx static\n", 1, "address family"},
	    {"iface eth0/x inet dhcp\n", 1, "interface name"},
	    {"iface eth0 inet dhcp\niface eth0 inet static\n", 2, "second stanza"},
	    {"iface eth0 inet dhcp\n address 1.2.3.4\n", 2, "only for a static"},
	    {"iface eth0 inet static\n address 1.1.1.1\n up /bin/sh -c 'rm -rf /'\n", 3,
	     "commands are not run"},
	    {"iface eth0 inet static\n address 1.1.1.1\n pre-up true\n", 3, "commands are not run"},
	    {"iface eth0 inet static\n address 1.1.1.1\n up ip route add x via 1.1.1.2\n", 3,
	     "route destination"},
	    {"iface eth0 inet static\n address 1.1.1.1\n up ip route add 1.0.0.0/8 dev eth1\n", 3,
	     "route option"},
	    {"iface eth0 inet static\n address 1.1.1.1\n gateway 1.1.1.2\n gateway 1.1.1.3\n", 4,
	     "second gateway"},
	    {"iface eth0 inet static\n address 1.1.1.1\n dns-nameservers 1.1.1.1\n", 3,
	     "not supported"},
	    {"source /etc/network/interfaces.d/*\n", 1, "not supported"},
	    {"auto eth0\n", 1, "without an iface stanza"},
	    {"iface eth0 inet dhcp\n\x01\n", 2, "control"},
	};

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		bad(bads[i].text, bads[i].line, bads[i].problem);
	CHECK(ifaces_parse("iface eth0 inet dhcp\0\n", 22, &f, &e) == -1 && e.line == 0);
	memset(big, '#', sizeof(big));
	CHECK(ifaces_parse(big, sizeof(big), &f, &e) == -1 && e.line == 0);
	/* the word at fault is cut and printable */
	CHECK(parse("iface eth0 inet static\n address \x7f\xff"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n") == -1);
	CHECK(strlen(e.word) < sizeof(e.word) && e.word[0] == '?' && e.word[1] == '?');
}

struct got {
	char out[1024];
};

static int collect(void *arg, const struct sysctl_item *it)
{
	struct got *g = arg;
	size_t n = strlen(g->out);

	snprintf(g->out + n, sizeof(g->out) - n, "%s%s|%s|%.*s|%d;", it->ignore_fail ? "-" : "",
		 it->path, it->key, (int)it->vlen, it->val, it->line);
	return 0;
}

static void test_sysctl(void)
{
	const char *text = "# comment\n; also\n\n"
			   "net.ipv4.ip_forward = 1\n"
			   "  net/ipv4/conf/eth0.10/rp_filter=2  \n"
			   "-net.ipv6.conf.all.forwarding =1\r\n"
			   "kernel.domainname = example.com\n"
			   "net.ipv4.conf.eth0/10.rp_filter = \n";
	struct got g = {""};
	struct sysctl_error e2;

	CHECK(sysctl_parse(text, strlen(text), collect, &g, &e2) == 0);
	CHECK_STR(g.out, "net/ipv4/ip_forward|net.ipv4.ip_forward|1|4;"
			 "net/ipv4/conf/eth0.10/rp_filter|net.ipv4.conf.eth0/10.rp_filter|2|5;"
			 "-net/ipv6/conf/all/forwarding|net.ipv6.conf.all.forwarding|1|6;"
			 "kernel/domainname|kernel.domainname|example.com|7;"
			 "net/ipv4/conf/eth0.10/rp_filter|net.ipv4.conf.eth0/10.rp_filter||8;");
	static const struct {
		const char *text;
		int line;
	} bads[] = {{"net.ipv4.ip_forward\n", 1}, {"a=1\n = 2\n", 2},
		    {"net.ipv4.*.x = 1\n", 1},	  {"net...x = 1\n", 1},
		    {"net.ipv4..x = 1\n", 1},	  {"a/../../etc = 1\n", 1},
		    {"/net/x = 1\n", 1},	  {"net.x = 1\x02\n", 1},
		    {"net x = 1\n", 1},		  {"x\0 = 1", 0}};
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		size_t len = strlen(bads[i].text) + (bads[i].line == 0 ? 6 : 0);

		g.out[0] = 0;
		CHECK(sysctl_parse(bads[i].text, len, collect, &g, &e2) == -1);
		CHECK(e2.line == bads[i].line && e2.problem);
	}
}

static void test_sysctl_order(void)
{
	const char *names[] = {"99-z.conf", "10-a.conf", "README",    "50-x.conf",
			       "10-a.conf", "50-x.conf", "x.conf.bak"};
	int dir[] = {1, 1, 0, 1, 0, 0, 0};
	int n = sysctl_order(names, dir, 7);

	CHECK(n == 3);
	CHECK_STR(names[0], "10-a.conf");
	CHECK(dir[0] == 0); /* /etc hides /usr/lib */
	CHECK_STR(names[1], "50-x.conf");
	CHECK(dir[1] == 0);
	CHECK_STR(names[2], "99-z.conf");
	CHECK(dir[2] == 1);
}

static void test_netcheck_tables(void)
{
	CHECK_STR(netcheck_sysctl_option("net.ipv6.conf.all.forwarding"), "IPV6");
	CHECK_STR(netcheck_sysctl_option("net.ipv4.ip_forward"), "INET");
	CHECK_STR(netcheck_sysctl_option("kernel.shmmax"), "SYSVIPC");
	CHECK_STR(netcheck_sysctl_option("sunrpc.tcp_slot_table_entries"), "-");
	CHECK(netcheck_sysctl_option("vm.swappiness") == NULL);
	CHECK(netcheck_ifname_ok("lo", 1) && netcheck_ifname_ok("eth0", 1));
	CHECK(!netcheck_ifname_ok("eth1", 1) && netcheck_ifname_ok("eth1", 2));
	CHECK(!netcheck_ifname_ok("eth01", 8) && !netcheck_ifname_ok("eth", 8));
	CHECK(!netcheck_ifname_ok("br0", 8) && !netcheck_ifname_ok("eth1x", 8));
}

/* A manifest of one file with the text, checked for nics NICs on a kernel
 * with config: 0 or the error line. */
static int check_image(const char *path, const char *text, int nics, const char *config, char *err,
		       size_t errsz)
{
	char dir[] = "/tmp/tinyx-netconf.XXXXXX", file[64];
	struct tx_ctx ctx = {0};
	struct manifest m;
	struct netcheck_kernel k = {"kvm", config, strlen(config)};
	FILE *fp;
	int r;

	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof(file), "%s/f", dir);
	fp = fopen(file, "w");
	fputs(text, fp);
	fclose(fp);
	manifest_init(&m, "app", "/nonexistent");
	manifest_add(&m, &(struct ment){.type = ME_FILE, .path = (char *)path, .src = file});
	r = netcheck_image(&ctx, &m, nics, &k, 1);
	snprintf(err, errsz, "%.500s", ctx.err);
	manifest_free(&m);
	unlink(file);
	rmdir(dir);
	return r;
}

static void test_netcheck_image(void)
{
	const char *v4 = "CONFIG_PROC_SYSCTL=y\nCONFIG_NET=y\nCONFIG_INET=y\n";
	const char *v6 = "CONFIG_PROC_SYSCTL=y\nCONFIG_NET=y\nCONFIG_INET=y\nCONFIG_IPV6=y\n";
	const char *ifs6 = "auto eth1\niface eth1 inet static\n address 10.0.0.1/24\n"
			   "iface eth1 inet6 static\n address 2001:db8::1/64\n";
	char err[512];

	CHECK(check_image(IFACES_PATH, ifs6, 2, v6, err, sizeof(err)) == 0);
	CHECK(check_image(IFACES_PATH, ifs6, 2, v4, err, sizeof(err)) < 0);
	CHECK(strstr(err, "CONFIG_IPV6") && strstr(err, ":4 'eth1'"));
	CHECK(check_image(IFACES_PATH, ifs6, 1, v6, err, sizeof(err)) < 0);
	CHECK(strstr(err, "does not have") && strstr(err, ":2 'eth1'"));
	CHECK(check_image(IFACES_PATH, "iface eth0 inet static\n address 1.2.3/8\n", 1, v4, err,
			  sizeof(err)) < 0);
	CHECK(strstr(err, "bad IPv4 address at ") && strstr(err, ":2 '1.2.3/8'"));
	CHECK(check_image("/etc/sysctl.d/50-fw.conf", "net.ipv4.ip_forward=1\n", 1, v4, err,
			  sizeof(err)) == 0);
	CHECK(check_image("/etc/sysctl.d/50-fw.conf", "net.ipv6.conf.all.forwarding=1\n", 1, v4,
			  err, sizeof(err)) < 0);
	CHECK(strstr(err, "CONFIG_IPV6") && strstr(err, "'net.ipv6.conf.all.forwarding'"));
	CHECK(check_image("/etc/sysctl.d/50-fw.conf", "-net.ipv6.conf.all.forwarding=1\n", 1, v4,
			  err, sizeof(err)) == 0);
	CHECK(check_image("/usr/lib/sysctl.d/50-fw.conf", "net.ipv4.ip_forward=1\n", 1,
			  "CONFIG_PROC_SYSCTL=y\n", err, sizeof(err)) < 0);
	CHECK(strstr(err, "CONFIG_INET"));
	CHECK(check_image("/etc/sysctl.d/50-fw.conf", "vm.swappiness=1\n", 1, "CONFIG_INET=y\n",
			  err, sizeof(err)) < 0);
	CHECK(strstr(err, "CONFIG_PROC_SYSCTL") && strstr(err, ":1 'vm.swappiness'"));
	CHECK(check_image("/etc/sysctl.d/a.conf", "net.ipv4.conf.eth2.rp_filter=1\n", 2, v4, err,
			  sizeof(err)) < 0);
	CHECK(strstr(err, "does not have"));
	CHECK(check_image("/etc/sysctl.d/a.conf", "x\n", 2, v4, err, sizeof(err)) < 0);
	CHECK(strstr(err, "want key = value at") && strstr(err, ":1"));
	/* not a sysctl.d file: not read */
	CHECK(check_image("/etc/sysctl.d/README", "x\n", 2, v4, err, sizeof(err)) == 0);
}

static void test_nics(void)
{
	struct tx_ctx ctx = {0};
	struct imgconf c;
	struct sbuf s = {0};
	struct strv a = {0};
	const char *text = "nics=3\n";
	const char *const nds[] = {"tap,id=n1,ifname=t1", NULL};
	struct qemu_boot b = {.dir = ".", .accel = "tcg", .netdev = "user,id=n0", .netdevs = nds};
	struct sbuf j = {0};

	CHECK(imgconf_parse(&ctx, NULL, text, strlen(text), &c) == 0 && c.nics == 3);
	imgconf_text(&c, &s);
	CHECK(strstr(s.s, "\nnics=3\n") != NULL);
	b.c = &c;
	qemu_argv(&b, &a);
	for (size_t i = 0; i < a.n; i++)
		sbuf_printf(&j, "%s ", a.v[i]);
	CHECK(strstr(j.s,
		     "-netdev user,id=n0 -device virtio-net-device,netdev=n0 "
		     "-netdev tap,id=n1,ifname=t1 -device virtio-net-device,netdev=n1 "
		     "-netdev hubport,id=n2,hubid=2 -device virtio-net-device,netdev=n2") != NULL);
	sbuf_free(&j);
	strv_free(&a);
	sbuf_free(&s);
	imgconf_free(&c);
	imgconf_init(&c);
	imgconf_text(&c, &s);
	CHECK(strstr(s.s, "nics=") == NULL); /* one NIC: the text as before */
	sbuf_free(&s);
	imgconf_free(&c);
	CHECK(imgconf_parse(&ctx, NULL, "nics=0\n", 7, &c) < 0);
	CHECK(imgconf_parse(&ctx, NULL, "nics=9\n", 7, &c) < 0);
}

/* an overlay whose sysctl turns forwarding on asks for a kernel compiled
 * for speed (-O2, SLUB); off ("0"), or another key, does not */
static int asks_speed(const char *sysctl)
{
	struct tx_ctx ctx = {0};
	char dir[] = "/tmp/tinyx-fwdspeed-XXXXXX", path[64], cmd[1024];
	const char *ovl[1] = {dir};
	struct manifest m;
	int o2 = 0, slub = 0;

	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/etc/sysctl.d", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && printf '%s' > %s/50-fw.conf", path, sysctl,
		 path);
	if (system(cmd) != 0)
		return -1;
	manifest_init(&m, "app", "/nonexistent");
	if (netcheck_features(&ctx, &m, 2, ovl, 1) < 0)
		o2 = -100;
	for (size_t i = 0; i < m.nf; i++) {
		o2 += !strcmp(m.f[i].option, "CC_OPTIMIZE_FOR_PERFORMANCE");
		slub += !strcmp(m.f[i].option, "SLUB");
	}
	manifest_free(&m);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	return o2 == 1 && slub == 1 ? 1 : o2 == 0 && slub == 0 ? 0 : -1;
}

static void test_forward_speed(void)
{
	CHECK(asks_speed("net.ipv4.ip_forward = 1\\n") == 1);
	CHECK(asks_speed("net.ipv6.conf.all.forwarding=1\\n") == 1);
	CHECK(asks_speed("net.ipv4.conf.eth1.forwarding = 1 \\n") == 1);
	CHECK(asks_speed("net.ipv4.ip_forward = 0\\n") == 0);
	CHECK(asks_speed("net.ipv4.conf.all.rp_filter = 1\\n") == 0);
}

/* rng=virtio: a virtio RNG on the image's bus (MMIO on microvm, PCI on
 * pc), none without it */
static void test_rng(void)
{
	static const char *const texts[] = {"rng=virtio\n", "rng=virtio\nmachine=pc\n", ""};
	static const char *const want[] = {" -device virtio-rng-device ",
					   " -device virtio-rng-pci ", NULL};

	for (int k = 0; k < 3; k++) {
		struct tx_ctx ctx = {0};
		struct imgconf c;
		struct strv a = {0};
		struct sbuf j = {0};
		struct qemu_boot b = {.dir = ".", .accel = "tcg", .netdev = "user,id=n0"};

		CHECK(imgconf_parse(&ctx, NULL, texts[k], strlen(texts[k]), &c) == 0);
		b.c = &c;
		qemu_argv(&b, &a);
		sbuf_puts(&j, " ");
		for (size_t i = 0; i < a.n; i++)
			sbuf_printf(&j, "%s ", a.v[i]);
		CHECK(want[k] ? strstr(j.s, want[k]) != NULL : strstr(j.s, "rng") == NULL);
		sbuf_free(&j);
		strv_free(&a);
		imgconf_free(&c);
	}
}

/* The command line per dialect: Linux's root and network words after the
 * image's; OSv's options before its command, and no root= */
static void test_append(void)
{
	struct tx_ctx ctx = {0};
	struct imgconf c;
	const char *osv = "machine=pc\ndisk=disk.img\ncmdline=osv\nappend=--rootfs=rofs /app -x\n";
	const char *lin = "disk=rootfs.squashfs\nappend=console=ttyS0\n";
	struct qemu_boot b = {.dir = ".", .accel = "tcg", .use_disk = 1, .extra = "NET"};
	char *s;

	CHECK(imgconf_parse(&ctx, NULL, osv, strlen(osv), &c) == 0);
	b.c = &c;
	s = qemu_append(&b);
	CHECK_STR(s, "NET --rootfs=rofs /app -x");
	free(s);
	imgconf_free(&c);
	CHECK(imgconf_parse(&ctx, NULL, lin, strlen(lin), &c) == 0);
	s = qemu_append(&b);
	CHECK_STR(s,
		  "console=ttyS0 root=/dev/vda ro rootfstype=squashfs init=/init NET noapictimer");
	free(s);
	imgconf_free(&c);
}

int main(void)
{
	RUN(test_ifaces_good);
	RUN(test_ifaces_bad);
	RUN(test_sysctl);
	RUN(test_sysctl_order);
	RUN(test_netcheck_tables);
	RUN(test_netcheck_image);
	RUN(test_nics);
	RUN(test_rng);
	RUN(test_forward_speed);
	RUN(test_append);
	return t_done("test-netconf");
}
