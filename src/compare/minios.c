/* The minios row of tinyx compare: Mini-OS with lwIP running a small HTTP
 * service (src/unikernel/minios/httpd.c), booted as a PV guest under the
 * real Xen hypervisor that `tinyx probe` runs (nested in QEMU, the Tinyx
 * dom0, xl create). The sources are Mini-OS's and lwIP's, as tarballs or
 * trees in $TINYX_THIRD_PARTY (default: ../shared/third_party beside the
 * project): mini-os*.tar.xz or a mini-os dir, lwip*.tar.xz or an lwip dir.
 * The build (Debian's gcc, Mini-OS's own Makefile, seconds) is cached in
 * CACHE/unikernels/minios-KEY, KEY the hashes of the sources, the app and
 * the compiler. */
#include "compare/system.h"
#include "formats/imgconf.h"
#include "lib/cache.h"
#include "lib/sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STAGE "compare"
#define RECIPE "tinyx-minios-1"
#define MINIOS_MB 32 /* the domain's memory: the bisection's upper end */
/* gcc 12 keeps 16-byte stack alignment for SSE stores, which Mini-OS's
 * event callbacks do not give: without this the first packet is a GPF */
#define ARCH_CFLAGS                                                                                \
	"ARCH_CFLAGS=-m64 -mno-red-zone -fno-reorder-blocks -fno-asynchronous-unwind-tables "      \
	"-mincoming-stack-boundary=3"

struct minios_src {
	char *dir;	  /* the third-party dir */
	char *mos, *lwip; /* each a .tar.xz or a tree */
	char key[65];	  /* the cache key */
	const char *app;  /* our app's source */
	char *cc;	  /* `gcc --version`, first line */
	char *log;	  /* the build's output: beside the cache entry, kept */
};

static int fill(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	struct minios_src *s = arg;
	char *src = xasprintf("%s/src", tmp), *mos = NULL, *lwip = NULL, *app = NULL;
	char *log = xstrdup(s->log), *gz = NULL, *kernel = NULL;
	int r = mkdir_p(src, 0755);

	if (r == 0)
		r = third_party_unpack(ctx, s->mos, src);
	if (r == 0)
		r = third_party_unpack(ctx, s->lwip, src);
	if (r == 0) {
		mos = third_party_find(src, "mini-os");
		lwip = third_party_find(src, "lwip");
		if (!mos || !lwip)
			r = tx_fail(ctx, -ENOENT, STAGE,
				    "no mini-os* and lwip* dirs in '%s' and '%s'", s->mos, s->lwip);
	}
	if (r == 0) { /* the app in place of Mini-OS's daytime.c, its lwIP sample */
		app = xasprintf("%s/daytime.c", mos);
		r = copy_file(s->app, app, 0644);
		if (r < 0)
			r = tx_fail(ctx, r, STAGE, "cannot copy '%s'", s->app);
	}
	if (r == 0) {
		char *lw = xasprintf("LWIPDIR=%s", lwip);
		char *argv[] = {"make", "-C", mos, "-j2", "debug=n", lw, ARCH_CFLAGS, NULL};
		struct tx_spawn sp = TX_SPAWN_INIT(argv);

		tx_info(ctx, "compare: minios: building Mini-OS with lwIP (log in %s)", log);
		r = tx_run_lines(ctx, &sp, log, NULL, NULL);
		if (r != 0)
			r = tx_fail(ctx, r < 0 ? r : -EIO, STAGE,
				    "the Mini-OS build failed (status %d); see '%s'", r, log);
		free(lw);
	}
	gz = xasprintf("%s/mini-os.gz", mos ? mos : src);
	kernel = xasprintf("%s/kernel", tmp);
	if (r == 0 && (r = copy_file(gz, kernel, 0644)) < 0)
		r = tx_fail(ctx, r, STAGE, "no Mini-OS image '%s'", gz);
	if (r == 0)
		rm_rf(src);
	free(src), free(mos), free(lwip), free(app), free(log), free(gz), free(kernel);
	return r;
}

static void src_free(struct minios_src *s)
{
	free(s->dir), free(s->mos), free(s->lwip), free(s->cc), free(s->log);
}

/* The sources, their key; 1 when they are missing (row->note says where
 * to put them), 0, or -errno. */
static int sources(struct tx_ctx *ctx, struct minios_src *s, const char *tmpdir,
		   struct compare_row *row)
{
	char h[3][65], *t;

	s->dir = third_party_dir(ctx);
	s->mos = third_party_find(s->dir, "mini-os");
	s->lwip = third_party_find(s->dir, "lwip");
	if (!s->mos || !s->lwip) {
		snprintf(row->note, sizeof(row->note),
			 "not measured: no source tree at %s (mini-os*.tar.xz or a mini-os* "
			 "dir, lwip*.tar.xz or an lwip* dir; TINYX_THIRD_PARTY names another)",
			 s->dir);
		tx_info(ctx, "compare: minios: %s", row->note);
		return 1;
	}
	if (third_party_cc(ctx, "Mini-OS", &s->cc) < 0)
		return -ENOENT;
	if (third_party_hash(ctx, s->mos, tmpdir, h[0]) < 0 ||
	    third_party_hash(ctx, s->lwip, tmpdir, h[1]) < 0 || sha256_file(s->app, h[2]) < 0)
		return tx_fail(ctx, -EIO, STAGE, "cannot read the Mini-OS sources in '%s'", s->dir);
	t = xasprintf("%s\n%s\n%s\n%s\n%s\n%s\n", RECIPE, ARCH_CFLAGS, s->cc, h[0], h[1], h[2]);
	third_party_key(t, s->key);
	free(t);
	return 0;
}

/* OUT/compare/APP/minios: the kernel, image.conf and the xl config. */
static int image_dir(struct tx_ctx *ctx, const char *dir, const char *kernel)
{
	char *k = xasprintf("%s/kernel", dir), *cfg = xasprintf("%s/minios.cfg", dir);
	char *xl = xasprintf("# Mini-OS with lwIP and an HTTP service (tinyx compare)\n"
			     "name = \"tinyx-minios\"\ntype = \"pv\"\nkernel = \"kernel\"\n"
			     "memory = %d\nvcpus = 1\nvif = [ 'bridge=xenbr0' ]\n"
			     "on_crash = \"destroy\"\n",
			     MINIOS_MB);
	struct imgconf c;
	int r = mkdir_p(dir, 0755);

	imgconf_init(&c);
	free(c.initrd);
	c.initrd = xstrdup("none");
	c.memory_mb = MINIOS_MB;
	c.target = IMG_XEN;
	c.port = 80;
	c.service = IMG_SVC_HTTP;
	free(c.note);
	c.note = xstrdup("Mini-OS + lwIP: boots under Xen only (tinyx probe)");
	if (r == 0 && (r = copy_file(kernel, k, 0644)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot copy '%s' to '%s'", kernel, k);
	if (r == 0 && (r = write_file_atomic(cfg, xl, strlen(xl), 0644)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot write '%s'", cfg);
	if (r == 0)
		r = imgconf_write(ctx, dir, &c);
	imgconf_free(&c);
	free(xl);
	free(k);
	free(cfg);
	return r;
}

int minios_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row)
{
	struct minios_src s = {0};
	char *app = xasprintf("%s/src/unikernel/minios/httpd.c", ctx->srcdir);
	char *dir = xasprintf("%s/minios", st->dir), *base = xasprintf("%s/unikernels", ctx->cache);
	char *cache = NULL, *kernel = NULL;
	int r = mkdir_p(base, 0755);

	s.app = app;
	if (r < 0)
		r = tx_fail(ctx, r, STAGE, "cannot create '%s'", base);
	if (r == 0)
		r = sources(ctx, &s, base, row);
	if (r == 0)
		r = third_party_cache(ctx, base, "minios", s.key, "kernel", "Mini-OS", fill, &s,
				      &cache, &s.log);
	if (r == 0 && cache) {
		kernel = xasprintf("%s/kernel", cache);
		r = image_dir(ctx, dir, kernel);
	}
	if (r == 0 && cache) {
		struct compare_vm vm = {
		    .dir = dir, .timeout_s = 120, .real_xen = 1, .unikernel = 1, .min_lo = 16};

		r = compare_vm_row(ctx, st, row, &vm);
	} else if (r < 0) {
		snprintf(row->note, sizeof(row->note), "%s", ctx->err);
	}
	src_free(&s);
	free(app), free(cache), free(dir), free(kernel), free(base);
	return r == 1 ? 0 : r; /* 1: no sources, the row says where to put them */
}
