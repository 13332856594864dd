/* The dependency walk on a fixture tree built at test time
 * (tests/fixtures/elf/make.sh), and on the staged nginx root when present. */
#include "formats/ldso.h"
#include "closure/libdeps.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/tinyx-libdeps-XXXXXX";
static char root[256];

static int walk(struct tx_ctx *ctx, struct manifest *m, const char *r, const char *exe)
{
	struct strv dirs = {0}, elves = {0};
	int rc;

	manifest_init(m, "test", r);
	ctx->err[0] = 0;
	rc = ldso_dirs(ctx, r, &dirs);
	if (rc == 0) {
		strv_push(&elves, exe);
		rc = libdeps_walk(ctx, m, &dirs, &elves);
	}
	strv_free(&dirs);
	strv_free(&elves);
	return rc;
}

static const char *reason(struct manifest *m, enum ment_type t, const char *path)
{
	struct ment *e = manifest_find(m, t, path);

	return e && e->type == t ? e->reason : NULL;
}

static int has_feature(const struct manifest *m, const char *opt, const char *sym, const char *bin)
{
	for (size_t i = 0; i < m->nf; i++)
		if (!strcmp(m->f[i].option, opt) && (!sym || !strcmp(m->f[i].symbol, sym)) &&
		    (!bin || !strcmp(m->f[i].binary, bin)))
			return 1;
	return 0;
}

static void test_rpath_chain_features(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;

	CHECK(walk(&ctx, &m, root, "/bin/app") == 0);
	if (ctx.err[0])
		fprintf(stderr, "%s\n", ctx.err);
	/* interpreter */
	CHECK_STR(reason(&m, ME_FILE, "/lib64/ld-linux-x86-64.so.2"), "interp-of=/bin/app");
	/* soname symlink chain kept, real file present */
	CHECK_STR(reason(&m, ME_SLINK, "/lib/app/libfoo.so.1"), "needed-by=/bin/app");
	CHECK(reason(&m, ME_SLINK, "/lib/app/libfoo.so.1.2") != NULL);
	CHECK(reason(&m, ME_FILE, "/lib/app/libfoo.so.1.2.3") != NULL);
	/* libbar found through the executable's inherited RPATH ($ORIGIN) */
	CHECK_STR(reason(&m, ME_FILE, "/lib/app/libbar.so"), "needed-by=/lib/app/libfoo.so.1");
	/* default multiarch dir, and a dir from an ld.so.conf include */
	CHECK_STR(reason(&m, ME_FILE, "/usr/lib/x86_64-linux-gnu/libfeat.so"),
		  "needed-by=/bin/app");
	CHECK_STR(reason(&m, ME_FILE, "/opt/conf/libconf.so"), "needed-by=/bin/app");
	/* libfeat imports pthread_cancel: glibc dlopens libgcc_s */
	CHECK_STR(reason(&m, ME_FILE, "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1"),
		  "dlopen-by=libc for pthread_cancel");
	CHECK(has_feature(&m, "EPOLL", "epoll_create1", "/usr/lib/x86_64-linux-gnu/libfeat.so"));
	CHECK(has_feature(&m, "EVENTFD", "eventfd", "/usr/lib/x86_64-linux-gnu/libfeat.so"));
	CHECK(!has_feature(&m, "MULTIUSER", NULL, NULL));
	manifest_free(&m);
}

static void test_runpath_not_inherited(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;

	/* RUNPATH covers the executable's direct needs only: libfoo's own need
	 * libbar is not searched in the executable's RUNPATH */
	CHECK(walk(&ctx, &m, root, "/bin/app-runpath") == -ENOENT);
	CHECK_STR(ctx.err, "closure: cannot find 'libbar.so' needed by '/lib/app/libfoo.so.1'");
	manifest_free(&m);
}

static void test_missing(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;

	CHECK(walk(&ctx, &m, root, "/bin/app-missing") == -ENOENT);
	CHECK_STR(ctx.err, "closure: cannot find 'libgone.so' needed by '/bin/app-missing'");
	manifest_free(&m);
	CHECK(walk(&ctx, &m, root, "/bin/no-such-app") < 0);
	CHECK(strstr(ctx.err, "/bin/no-such-app") != NULL);
	manifest_free(&m);
	/* not an ELF file in the list */
	CHECK(walk(&ctx, &m, root, "/etc/ld.so.conf") < 0);
	CHECK(strstr(ctx.err, "ld.so.conf") != NULL && strstr(ctx.err, "not an ELF") != NULL);
	manifest_free(&m);
}

static void test_wrong_class_skipped(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;

	CHECK(walk(&ctx, &m, root, "/bin/app-class") == 0);
	CHECK(reason(&m, ME_FILE, "/opt/l64/libw.so") != NULL);
	CHECK(manifest_find(&m, ME_FILE, "/opt/l32/libw.so") == NULL);
	manifest_free(&m);
}

static void test_loop(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;

	CHECK(walk(&ctx, &m, root, "/bin/app-loop") == 0);
	CHECK_STR(reason(&m, ME_FILE, "/opt/loop/libloopa.so"), "needed-by=/bin/app-loop");
	CHECK_STR(reason(&m, ME_FILE, "/opt/loop/libloopb.so"), "needed-by=/opt/loop/libloopa.so");
	manifest_free(&m);
}

static void test_dst(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;

	CHECK(walk(&ctx, &m, root, "/bin/app-dst") == 0);
	CHECK(reason(&m, ME_FILE, "/opt/lib/x86_64-linux-gnu/libdst1.so") != NULL);
	CHECK(reason(&m, ME_FILE, "/opt/x86_64x/libdst2.so") != NULL);
	manifest_free(&m);
}

static void test_corrupt(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;

	CHECK(walk(&ctx, &m, root, "/bin/app-trunc") < 0);
	CHECK(strstr(ctx.err, "/opt/bad/libtrunc.so") != NULL);
	manifest_free(&m);
	CHECK(walk(&ctx, &m, root, "/bin/app-empty") < 0);
	CHECK(strstr(ctx.err, "/opt/bad/libempty.so") != NULL);
	manifest_free(&m);
}

static void test_nginx(void)
{
	static const char *const libs[] = {
	    "/usr/lib/x86_64-linux-gnu/libc.so.6",
	    "/usr/lib/x86_64-linux-gnu/libcrypt.so.1",
	    "/usr/lib/x86_64-linux-gnu/libpcre2-8.so.0",
	    "/usr/lib/x86_64-linux-gnu/libssl.so.3",
	    "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
	    "/usr/lib/x86_64-linux-gnu/libz.so.1",
	    "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	};
	const char *r = "/tmp/roots/nginx";
	struct tx_ctx ctx = {0};
	struct manifest m;

	if (access("/tmp/roots/nginx/usr/sbin/nginx", F_OK) != 0) {
		printf("test-libdeps: no /tmp/roots/nginx, skipping the nginx closure\n");
		return;
	}
	CHECK(walk(&ctx, &m, r, "/usr/sbin/nginx") == 0);
	if (ctx.err[0])
		fprintf(stderr, "%s\n", ctx.err);
	CHECK(manifest_find(&m, ME_SLINK, "/lib64") != NULL);
	CHECK(manifest_find(&m, ME_SLINK, "/lib") != NULL);
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		char *real = NULL;
		struct ment *e;

		/* the soname path (or a symlink) and the real file */
		CHECK(manifest_find(&m, ME_FILE, libs[i]) || manifest_find(&m, ME_SLINK, libs[i]));
		CHECK(root_realpath(r, libs[i], &real, NULL) == 0);
		e = real ? manifest_find(&m, ME_FILE, real) : NULL;
		CHECK(e && e->type == ME_FILE);
		if (!e)
			fprintf(stderr, "missing real file of %s\n", libs[i]);
		free(real);
	}
	CHECK(has_feature(&m, "EPOLL", NULL, "/usr/sbin/nginx"));
	CHECK(has_feature(&m, "EVENTFD", NULL, "/usr/sbin/nginx"));
	CHECK(has_feature(&m, "MULTIUSER", NULL, "/usr/sbin/nginx"));
	manifest_free(&m);
}

int main(void)
{
	char cmd[512];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(cmd, sizeof(cmd), "tests/fixtures/elf/make.sh %s", dir);
	CHECK(system(cmd) == 0);
	RUN(test_rpath_chain_features);
	RUN(test_runpath_not_inherited);
	RUN(test_missing);
	RUN(test_wrong_class_skipped);
	RUN(test_loop);
	RUN(test_dst);
	RUN(test_corrupt);
	RUN(test_nginx);
	rm_rf(dir);
	return t_done("test-libdeps");
}
