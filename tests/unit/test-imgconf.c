/* image.conf: parsing, defaults, rejection of unsafe names and absurd numbers,
 * and the text round trip. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "formats/imgconf.h"
#include "t.h"

static int parse(struct tx_ctx *ctx, const char *text, struct imgconf *c)
{
	return imgconf_parse(ctx, "test.conf", text, strlen(text), c);
}

/* Expect rejection, with a message naming the problem. */
static void reject(const char *text, const char *msg_part)
{
	struct tx_ctx ctx = {0};
	struct imgconf c;
	int rc = parse(&ctx, text, &c);

	CHECK(rc < 0);
	if (rc < 0 && msg_part && !strstr(ctx.err, msg_part)) {
		fprintf(stderr, "message '%s' lacks '%s'\n", ctx.err, msg_part);
		t_fail++;
	}
	CHECK(c.kernel == NULL && c.append == NULL); /* freed on error */
}

static void test_full(void)
{
	struct tx_ctx ctx = {0};
	struct imgconf c;
	const char *text = "# nginx, kvm\n"
			   "machine=microvm\n"
			   "kernel = kernel\n"
			   "initrd=initrd\r\n"
			   "disk=rootfs.ext4\n"
			   "append=console=ttyS0 quiet panic=-1\n"
			   "  memory_mb=48  \n"
			   "\n"
			   "vcpus=2\n"
			   "net=virtio-mmio\n"
			   "port=80\n"
			   "service=http\n"
			   "target=xen\n"
			   "note=Xen front-ends are not exercised # not a comment\n";

	CHECK(parse(&ctx, text, &c) == 0);
	CHECK(c.machine == IMG_MICROVM);
	CHECK_STR(c.kernel, "kernel");
	CHECK_STR(c.initrd, "initrd");
	CHECK_STR(c.disk, "rootfs.ext4");
	CHECK_STR(c.append, "console=ttyS0 quiet panic=-1");
	CHECK(c.memory_mb == 48);
	CHECK(c.vcpus == 2);
	CHECK(c.net == IMG_NET_MMIO);
	CHECK(c.port == 80);
	CHECK(c.service == IMG_SVC_HTTP);
	CHECK(c.target == IMG_XEN);
	CHECK_STR(c.note, "Xen front-ends are not exercised # not a comment");
	imgconf_free(&c);
}

static void test_defaults(void)
{
	struct tx_ctx ctx = {0};
	struct imgconf c;

	CHECK(parse(&ctx, "", &c) == 0);
	CHECK(c.machine == IMG_MICROVM && c.net == IMG_NET_MMIO);
	CHECK_STR(c.kernel, "kernel");
	CHECK_STR(c.initrd, "initrd");
	CHECK(c.disk == NULL && c.note == NULL);
	CHECK_STR(c.append, "console=ttyS0");
	CHECK(c.memory_mb == 64 && c.vcpus == 1 && c.port == 0);
	CHECK(c.service == IMG_SVC_NONE && c.target == IMG_KVM);
	CHECK(c.cmdline == IMG_CMDLINE_LINUX);
	imgconf_free(&c);

	/* pc defaults to virtio-pci; an empty disk means none */
	CHECK(parse(&ctx, "machine=pc\ndisk=\n", &c) == 0);
	CHECK(c.machine == IMG_PC && c.net == IMG_NET_PCI && c.disk == NULL);
	imgconf_free(&c);
	CHECK(parse(&ctx, "machine=pc\nnet=virtio-mmio\n", &c) == 0);
	CHECK(c.net == IMG_NET_MMIO);
	imgconf_free(&c);
	imgconf_free(&c); /* twice is harmless */
}

static void test_reject(void)
{
	/* names must stay inside the image dir */
	reject("kernel=../x\n", "plain file name");
	reject("kernel=..\n", "plain file name");
	reject("initrd=/etc/passwd\n", "plain file name");
	reject("disk=sub/rootfs.ext4\n", "plain file name");
	reject("kernel=.\n", "plain file name");
	reject("kernel=\n", "plain file name");
	reject("kernel=a b\n", "plain file name");
	reject("kernel=-append\n", "plain file name");
	reject("initrd=..\\x\n", "plain file name");
	/* absurd numbers */
	reject("memory_mb=99999999999999999999\n", "memory_mb");
	reject("memory_mb=1000000\n", "memory_mb");
	reject("memory_mb=0\n", "memory_mb");
	reject("memory_mb=-64\n", "memory_mb");
	reject("memory_mb=64MB\n", "memory_mb");
	reject("memory_mb=\n", "memory_mb");
	reject("vcpus=0\n", "vcpus");
	reject("vcpus=4096\n", "vcpus");
	reject("port=65536\n", "port");
	reject("port=0x50\n", "port");
	/* structure */
	reject("machine=q35\n", "machine");
	reject("service=udp\nport=53\n", "service");
	reject("service=http\n", "needs a port");
	reject("net=virtio-pci\n", "machine=pc");
	reject("target=hyperv\n", "target");
	reject("cmdline=osv4\n", "cmdline");
	reject("iperf3=both\n", "iperf3");
	reject("rng=hw\n", "rng");
	reject("kernel=kernel\nkernel=other\n", "repeated key");
	reject("colour=blue\n", "unknown key");
	reject("just words\n", "key=value");
	reject("append=a\tb\n", "control character");
	reject("append=caf\xc3\xa9\n", "non-ASCII");
	{
		static const char nul[] = "kernel=k\0initrd=i\n";
		struct tx_ctx ctx = {0};
		struct imgconf c;
		CHECK(imgconf_parse(&ctx, "n", nul, sizeof(nul) - 1, &c) < 0);
		CHECK(strstr(ctx.err, "NUL") != NULL);
	}
	{
		/* too long values and files */
		size_t n = IMGCONF_MAX_VALUE + 16;
		char *big = malloc(n + 16);
		struct tx_ctx ctx = {0};
		struct imgconf c;
		memcpy(big, "note=", 5);
		memset(big + 5, 'x', n);
		big[5 + n] = '\0';
		CHECK(parse(&ctx, big, &c) == -E2BIG);
		CHECK(imgconf_parse(&ctx, "n", big, IMGCONF_MAX_BYTES + 1, &c) == -EFBIG);
		free(big);
	}
	/* messages say where */
	{
		struct tx_ctx ctx = {0};
		struct imgconf c;
		CHECK(parse(&ctx, "# c\nmachine=pc\nvcpus=999\n", &c) < 0);
		CHECK(strstr(ctx.err, "test.conf:3") != NULL);
		CHECK(!strncmp(ctx.err, "imgconf: ", 9));
	}
}

static void test_valid_name(void)
{
	CHECK(imgconf_valid_name("kernel"));
	CHECK(imgconf_valid_name("rootfs.ext4"));
	CHECK(imgconf_valid_name("..x"));
	CHECK(!imgconf_valid_name(NULL));
	CHECK(!imgconf_valid_name(""));
	CHECK(!imgconf_valid_name("a/b"));
	CHECK(!imgconf_valid_name("../x"));
}

static void test_roundtrip(void)
{
	struct tx_ctx ctx = {0};
	struct imgconf a, b;
	struct sbuf t1 = {0}, t2 = {0};

	CHECK(parse(&ctx,
		    "machine=pc\ndisk=r.ext4\nappend= console=ttyS0  \nport=8080\nservice=tcp\n"
		    "note=  hi  \nmemory_mb=16\nvcpus=64\n",
		    &a) == 0);
	imgconf_text(&a, &t1);
	CHECK(imgconf_parse(&ctx, "t1", t1.s, t1.len, &b) == 0);
	imgconf_text(&b, &t2);
	CHECK_STR(t1.s, t2.s);
	CHECK(b.machine == IMG_PC && b.port == 8080 && b.service == IMG_SVC_TCP);
	CHECK(b.memory_mb == 16 && b.vcpus == 64);
	CHECK_STR(b.note, "hi");
	CHECK_STR(b.append, "console=ttyS0");
	CHECK(strstr(t1.s, "net=virtio-pci\n") != NULL);
	CHECK(strstr(t1.s, "cmdline=") == NULL); /* a Linux image's text as before */
	imgconf_free(&a);
	imgconf_free(&b);
	sbuf_free(&t1);
	sbuf_free(&t2);

	/* a unikernel's dialect is written and read back */
	CHECK(parse(&ctx, "machine=pc\ncmdline=unikraft\nappend=\n", &a) == 0);
	CHECK(a.cmdline == IMG_CMDLINE_UNIKRAFT);
	imgconf_text(&a, &t1);
	CHECK(strstr(t1.s, "cmdline=unikraft\n") != NULL);
	CHECK(imgconf_parse(&ctx, "t1", t1.s, t1.len, &b) == 0);
	CHECK(b.cmdline == IMG_CMDLINE_UNIKRAFT);
	imgconf_free(&a);
	imgconf_free(&b);
	sbuf_free(&t1);

	/* OSv's dialect and an image that serves iperf3 itself */
	CHECK(parse(&ctx, "machine=pc\ncmdline=osv\niperf3=server\nappend=/x\n", &a) == 0);
	CHECK(a.cmdline == IMG_CMDLINE_OSV && a.iperf3 == IMG_IPERF3_SERVER);
	imgconf_text(&a, &t1);
	CHECK(strstr(t1.s, "cmdline=osv\niperf3=server\n") != NULL);
	CHECK(imgconf_parse(&ctx, "t1", t1.s, t1.len, &b) == 0);
	CHECK(b.cmdline == IMG_CMDLINE_OSV && b.iperf3 == IMG_IPERF3_SERVER);
	imgconf_free(&a);
	imgconf_free(&b);
	sbuf_free(&t1);
	CHECK(parse(&ctx, "append=\n", &a) == 0 && a.iperf3 == IMG_IPERF3_CLIENT);
	imgconf_text(&a, &t1);
	CHECK(strstr(t1.s, "iperf3=") == NULL); /* the default: not written */
	CHECK(strstr(t1.s, "rng=") == NULL);
	CHECK(a.rng == IMG_RNG_NONE);
	imgconf_free(&a);
	sbuf_free(&t1);

	/* a distro's VM: its initrd boots the disk */
	CHECK(parse(&ctx, "disk=d.ext4\ndisk_initrd=1\n", &a) == 0 && a.disk_initrd == 1);
	imgconf_text(&a, &t1);
	CHECK(strstr(t1.s, "\ndisk_initrd=1\n") != NULL);
	imgconf_free(&a);
	sbuf_free(&t1);
	CHECK(parse(&ctx, "disk_initrd=2\n", &a) < 0);

	/* a virtio RNG: read, written, read back */
	CHECK(parse(&ctx, "rng=virtio\n", &a) == 0 && a.rng == IMG_RNG_VIRTIO);
	imgconf_text(&a, &t1);
	CHECK(strstr(t1.s, "\nrng=virtio\n") != NULL);
	CHECK(imgconf_parse(&ctx, "t1", t1.s, t1.len, &b) == 0 && b.rng == IMG_RNG_VIRTIO);
	imgconf_free(&a);
	imgconf_free(&b);
	sbuf_free(&t1);
}

static void test_load(void)
{
	struct tx_ctx ctx = {0};
	struct imgconf c;
	char dir[] = "/tmp/tinyx-imgconf-XXXXXX";
	char *path;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	CHECK(imgconf_load(&ctx, dir, &c) == -ENOENT);
	CHECK(strstr(ctx.err, "image.conf") != NULL);
	path = xasprintf("%s/image.conf", dir);
	CHECK(write_file_atomic(path, "port=80\nservice=http\n", 21, 0644) == 0);
	CHECK(imgconf_load(&ctx, dir, &c) == 0);
	CHECK(c.port == 80 && c.service == IMG_SVC_HTTP);
	imgconf_free(&c);
	unlink(path);
	rmdir(dir);
	free(path);
}

int main(void)
{
	RUN(test_full);
	RUN(test_defaults);
	RUN(test_reject);
	RUN(test_valid_name);
	RUN(test_roundtrip);
	RUN(test_load);
	return t_done("test-imgconf");
}
