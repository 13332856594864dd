/* Rootfs assembly: what it adds, the overlay rejections, the content rules,
 * and the squashfs image (owners, modes and times set, same bytes twice). */
#include "image/cpio.h"
#include "image/squashfs.h"
#include "image/qemu.h"
#include "image/rootfs.h"
#include "image/target.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/tinyx-rootfs-XXXXXX";

static char *at(const char *rel)
{
	return xasprintf("%s/%s", dir, rel);
}

static void put_file(const char *rel, const char *text, mode_t mode)
{
	char *p = at(rel), *d = path_dirname(p);

	mkdir_p(d, 0755);
	write_file_atomic(p, text, strlen(text), mode);
	free(p);
	free(d);
}

static void put_link(const char *rel, const char *target)
{
	char *p = at(rel), *d = path_dirname(p);

	mkdir_p(d, 0755);
	unlink(p);
	CHECK(symlink(target, p) == 0);
	free(p);
	free(d);
}

static void spec_init(struct app_spec *s)
{
	memset(s, 0, sizeof(*s));
	strv_push(&s->argv, "/usr/sbin/testd");
	strv_push(&s->argv, "-f");
	s->has_user = 1;
	s->uid = s->gid = 33;
	appspec_add_dir(s, "/run/testd", 0755, 33, 33);
}

static void opts_init(struct rootfs_opts *o, const struct app_spec *s, const char *proj)
{
	memset(o, 0, sizeof(*o));
	o->init = "/bin/true"; /* any readable file stands for the init here */
	o->busybox = "/bin/busybox";
	o->projdir = proj;
	o->spec = s;
	o->with_busybox = 1;
	o->workdir = dir; /* generated files in DIR/rootfs-gen/ */
}

static void base_manifest(struct manifest *m)
{
	struct ment u = {.type = ME_USER,
			 .path = "www-data",
			 .uid = 33,
			 .gid = 33,
			 .target = "/var/www",
			 .shell = "/usr/sbin/nologin"};
	struct ment g = {.type = ME_GROUP, .path = "www-data", .gid = 33};
	struct ment usr = {.type = ME_DIR, .path = "/usr", .mode = 0755};
	struct ment ub = {.type = ME_DIR, .path = "/usr/bin", .mode = 0755};
	struct ment bin = {.type = ME_SLINK, .path = "/bin", .target = "usr/bin", .mode = 0777};
	struct ment hn = {.type = ME_FILE, .path = "/etc/hostname", .mode = 0600};

	manifest_init(m, "testapp", dir);
	manifest_add(m, &u);
	manifest_add(m, &g);
	manifest_add(m, &usr);
	manifest_add(m, &ub);
	manifest_add(m, &bin); /* merged /usr: /bin/busybox must land in /usr/bin */
	manifest_add(m, &hn);  /* a closure's copy is replaced by the generated one */
}

static char *content(const struct manifest *m, const char *path)
{
	struct ment *e = manifest_find((struct manifest *)m, ME_FILE, path);
	char *text = NULL;

	if (e && e->src)
		read_file(e->src, &text, NULL, 1 << 20);
	return text;
}

static void test_assemble(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;
	struct app_spec s;
	struct rootfs_opts o;
	char *proj = at("proj"), *work = at("work"), *t;
	struct ment *e;

	put_file("proj/rootfs-overlays/common/etc/motd", "hi\n", 0644);
	put_file("proj/rootfs-overlays/testapp/hints", "# not in the image\n", 0644);
	put_file("proj/rootfs-overlays/testapp/usr/sbin/testd", "#!/bin/sh\n", 0755);
	put_file("proj/rootfs-overlays/testapp/etc/testd/sub/hints", "kept: not top level\n", 0644);
	put_link("proj/rootfs-overlays/testapp/etc/testd/cur", "../motd");
	base_manifest(&m);
	spec_init(&s);
	opts_init(&o, &s, proj);
	o.workdir = work;
	CHECK(rootfs_assemble(&ctx, &m, &o) == 0);
	if (ctx.err[0])
		fprintf(stderr, "%s\n", ctx.err);
	manifest_sort(&m);
	e = manifest_find(&m, ME_FILE, "/init");
	CHECK(e && e->mode == 0755 && !strcmp(e->src, "/bin/true"));
	CHECK(manifest_find(&m, ME_FILE, "/usr/bin/busybox") != NULL);
	CHECK(manifest_find(&m, ME_FILE, "/bin/busybox") == NULL);
	e = manifest_find(&m, ME_SLINK, "/usr/bin/sh");
	CHECK(e && !strcmp(e->target, "/bin/busybox"));
	CHECK(manifest_find(&m, ME_SLINK, "/usr/bin/mkfs.ext2") == NULL); /* not in the set */
	e = manifest_find(&m, ME_NOD, "/dev/console");
	CHECK(e && e->devtype == 'c' && e->major == 5 && e->minor == 1 && e->mode == 0600);
	e = manifest_find(&m, ME_DIR, "/tmp");
	CHECK(e && e->mode == 01777);
	e = manifest_find(&m, ME_FILE, "/etc/shadow");
	CHECK(e && e->mode == 0600);
	t = content(&m, "/etc/passwd");
	CHECK_STR(t, "root:x:0:0:root:/root:/bin/sh\n"
		     "www-data:x:33:33::/var/www:/usr/sbin/nologin\n");
	free(t);
	t = content(&m, "/etc/group");
	CHECK_STR(t, "root:x:0:\nwww-data:x:33:\n");
	free(t);
	t = content(&m, "/etc/shadow");
	CHECK_STR(t, "root:*::0:99999:7:::\nwww-data:*::0:99999:7:::\n");
	free(t);
	t = content(&m, "/etc/hostname");
	CHECK_STR(t, "tinyx\n");
	free(t);
	e = manifest_find(&m, ME_FILE, "/etc/hostname");
	CHECK(e && e->mode == 0644);
	t = content(&m, "/etc/tinyx/app.conf");
	CHECK(t && strstr(t, "arg /usr/sbin/testd\narg -f\nuser 33\ngroup 33\n"
			     "dir /run/testd 0755 33 33\n"));
	free(t);
	CHECK(manifest_find(&m, ME_FILE, "/etc/tinyx/debug-shell") == NULL);
	CHECK(manifest_find(&m, ME_FILE, "/etc/nsswitch.conf") == NULL); /* proj has none */
	CHECK(manifest_find(&m, ME_FILE, "/etc/motd") != NULL);
	CHECK(manifest_find(&m, ME_FILE, "/hints") == NULL);
	CHECK(manifest_find(&m, ME_FILE, "/etc/testd/sub/hints") != NULL);
	e = manifest_find(&m, ME_FILE, "/usr/sbin/testd");
	CHECK(e && e->mode == 0755 && e->uid == 0 && strstr(e->reason, "overlay=testapp"));
	e = manifest_find(&m, ME_SLINK, "/etc/testd/cur");
	CHECK(e && !strcmp(e->target, "../motd"));
	CHECK(manifest_find(&m, ME_DIR, "/usr/sbin") != NULL);
	CHECK(rootfs_check(&ctx, &m) == 0);
	/* both writers take the result */
	{
		char *img = at("a.img"), *img2 = at("b.img"), *stg = at("stg"), *cp = at("a.cpio");
		char h1[65], h2[65];
		char *argv[] = {"unsquashfs", "-lln", img, NULL}, *out = NULL;

		CHECK(cpio_write(&ctx, &m, cp, "none", 1700000000) == 0);
		CHECK(squashfs_write(&ctx, &m, stg, img, 1700000000) == 0);
		if (ctx.err[0])
			fprintf(stderr, "%s\n", ctx.err);
		CHECK(!path_exists(stg));
		CHECK(squashfs_write(&ctx, &m, stg, img2, 1700000000) == 0);
		{ /* mksquashfs reads the files through sh: no quote in the work dir */
			char *bad = at("st'g");

			CHECK(squashfs_write(&ctx, &m, bad, img2, 1) == -EINVAL);
			CHECK(strstr(ctx.err, "a work dir mksquashfs cannot name") != NULL);
			free(bad);
		}
		CHECK(sha256_file(img, h1) == 0 && sha256_file(img2, h2) == 0);
		CHECK_STR(h1, h2);
		/* owners, modes, device nodes and times from the manifest */
		CHECK(run_capture(&ctx, argv, &out, 1 << 20) == 0);
		CHECK(out && strstr(out, "-rw------- 0/0 ") &&
		      strstr(out, "squashfs-root/etc/shadow\n"));
		CHECK(out && strstr(out, "crw------- 0/0                   5,  1 2023-11-14 22:13 "
					 "squashfs-root/dev/console\n"));
		CHECK(out && strstr(out, "2023-11-14 22:13 squashfs-root/usr/bin/busybox\n"));
		free(out);
		free(img);
		free(img2);
		free(stg);
		free(cp);
	}
	appspec_free(&s);
	manifest_free(&m);
	free(proj);
	free(work);
}

/* Each bad overlay alone: the error names it, nothing is half-added. */
static void expect_reject(const char *what, const char *msg)
{
	struct tx_ctx ctx = {0};
	struct manifest m;
	struct app_spec s;
	struct rootfs_opts o;
	char *proj = at("bad");

	base_manifest(&m);
	spec_init(&s);
	opts_init(&o, &s, proj);
	CHECK(rootfs_assemble(&ctx, &m, &o) < 0);
	if (!strstr(ctx.err, msg))
		fprintf(stderr, "%s: got '%s', want '%s'\n", what, ctx.err, msg);
	CHECK(strstr(ctx.err, msg) != NULL);
	CHECK(!strchr(ctx.err, '\n'));
	appspec_free(&s);
	manifest_free(&m);
	rm_rf(proj);
	free(proj);
}

static void test_overlay_rejects(void)
{
	put_link("bad/rootfs-overlays/common/etc/evil", "../../etc/shadow");
	expect_reject("escaping link", "points outside the root");
	put_link("bad/rootfs-overlays/testapp/etc/evil", "/etc/shadow");
	expect_reject("absolute link", "is absolute");
	put_link("bad/rootfs-overlays/testapp/a/b/c/ok", "../../../x/../../y");
	expect_reject("deep escaping link", "points outside the root");
	{
		char *p = at("bad/rootfs-overlays/testapp/fifo"), *d = path_dirname(p);

		mkdir_p(d, 0755);
		free(d);
		CHECK(mkfifo(p, 0644) == 0);
		expect_reject("fifo", "is a device, fifo or socket");
		free(p);
	}
	if (geteuid() != 0) {
		put_file("bad/rootfs-overlays/common/secret", "x", 0000);
		expect_reject("unreadable", "cannot read overlay file");
	}
	put_file("bad/rootfs-overlays/common/etc/shadow", "root:$6$abc$def:19000:0:99999:7:::\n",
		 0600);
	expect_reject("password", "sets a password");
	put_file("bad/rootfs-overlays/common/etc/passwd", "root::0:0:root:/root:/bin/sh\n", 0644);
	expect_reject("empty password", "sets a password");
	put_file("bad/rootfs-overlays/common/usr/share/doc/x/README", "doc\n", 0644);
	expect_reject("docs", "must not be in an image");
	put_file("bad/rootfs-overlays/common/var/lib/dpkg/status", "\n", 0644);
	expect_reject("dpkg", "'/var/lib/dpkg' must not be in an image");
	put_file("bad/rootfs-overlays/common/bin", "not a dir\n", 0644);
	expect_reject("file over a symlink", "cannot replace '/bin'");
	put_file("bad/rootfs-overlays/common/etc/hostname/x", "\n", 0644);
	expect_reject("dir over a file", "'/etc/hostname' is not a dir");
}

static void test_options(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;
	struct app_spec s;
	struct rootfs_opts o;
	char *proj = at("none");

	/* no BusyBox: no /bin/busybox, no shell for root */
	base_manifest(&m);
	spec_init(&s);
	opts_init(&o, &s, proj);
	o.with_busybox = 0;
	CHECK(rootfs_assemble(&ctx, &m, &o) == 0);
	CHECK(manifest_find(&m, ME_FILE, "/usr/bin/busybox") == NULL);
	CHECK(manifest_find(&m, ME_SLINK, "/usr/bin/sh") == NULL);
	{
		char *t = content(&m, "/etc/passwd");

		CHECK(t && !strncmp(t, "root:x:0:0:root:/root:/sbin/nologin\n", 36));
		free(t);
	}
	manifest_free(&m);
	/* a debug shell needs BusyBox */
	base_manifest(&m);
	o.debug_shell = 1;
	CHECK(rootfs_assemble(&ctx, &m, &o) == -EINVAL);
	manifest_free(&m);
	/* with it, the marker file is there */
	base_manifest(&m);
	o.with_busybox = 1;
	CHECK(rootfs_assemble(&ctx, &m, &o) == 0);
	CHECK(manifest_find(&m, ME_FILE, "/etc/tinyx/debug-shell") != NULL);
	manifest_free(&m);
	/* a dynamic BusyBox would not run in the image */
	base_manifest(&m);
	o.busybox = "/bin/ls";
	CHECK(rootfs_assemble(&ctx, &m, &o) == -EINVAL);
	CHECK(strstr(ctx.err, "not a static executable") != NULL);
	manifest_free(&m);
	/* a spec without a command */
	base_manifest(&m);
	o.busybox = NULL;
	strv_free(&s.argv);
	CHECK(rootfs_assemble(&ctx, &m, &o) == -EINVAL);
	manifest_free(&m);
	appspec_free(&s);
	free(proj);
}

/* A private key the package's postinst made is no image's; the operator's is. */
static void test_keys(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;
	struct ment k = {.type = ME_FILE, .path = "/etc/ssh/ssh_host_ed25519_key", .mode = 0600};
	struct ment c = {.type = ME_FILE, .path = "/etc/ssl/certs/x.pem", .mode = 0644};
	char *root = at("keys");

	put_file("keys/etc/ssh/ssh_host_ed25519_key",
		 "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE "
		 "KEY-----\n",
		 0600);
	put_file("keys/etc/ssl/certs/x.pem",
		 "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", 0644);
	manifest_init(&m, "demo", root);
	k.reason = "package=openssh-server";
	c.reason = "package=demo";
	manifest_add(&m, &c);
	CHECK(rootfs_check(&ctx, &m) == 0); /* a certificate is public */
	manifest_add(&m, &k);
	CHECK(rootfs_check(&ctx, &m) == -EPERM);
	CHECK(strstr(ctx.err, "'/etc/ssh/ssh_host_ed25519_key' is a private key") != NULL);
	manifest_free(&m);
	manifest_init(&m, "demo", root);
	k.reason = "overlay=operator";
	manifest_add(&m, &k);
	CHECK(rootfs_check(&ctx, &m) == 0);
	manifest_free(&m);
	free(root);
}

/* The guest RAM follows the image: nginx's root (4.1 MB initrd, 12.1 MB of
 * files) keeps the default; a root that would not unpack in it gets more. */
static void test_guest_mb(void)
{
	CHECK(image_guest_mb(4119471, 12100000) == GUEST_MB);
	CHECK(image_guest_mb(0, 0) == GUEST_MB);
	CHECK(image_guest_mb(15 << 20, 40 << 20) == 128);  /* 24 + 15 + 80 = 119 */
	CHECK(image_guest_mb(60 << 20, 200 << 20) == 496); /* 24 + 60 + 400 = 484 */
	CHECK(image_guest_mb(1LL << 40, 1LL << 41) == IMGCONF_MEM_MAX);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	RUN(test_assemble);
	RUN(test_overlay_rejects);
	RUN(test_options);
	RUN(test_guest_mb);
	RUN(test_keys);
	rm_rf(dir);
	return t_done("test-rootfs");
}
