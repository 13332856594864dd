/* The kexplain helper (src/kernel/kexplain/kexplain.c) asks the kernel's own
 * Kconfig parser why an option is off. It is compiled here, at run time, not
 * by the Makefile: it includes the kernel tree's scripts/kconfig headers and
 * links with the objects kbuild built in BUILDDIR/scripts/kconfig to run
 * allnoconfig there, so no parser code is copied or rebuilt (one gcc run,
 * about 0.2 s). The binary sits beside those objects, named by the hash of
 * the helper's source, and is rebuilt when kbuild relinked conf (a new kernel
 * source) or the source changed. */
#include "kernel/kconfig-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEXPLAIN_SRC "src/kernel/kexplain/kexplain.c"
#define KEXPLAIN_OUT_MAX (4u << 20)

/* conf's objects but conf.o (scripts/kconfig/Makefile, common-objs) */
static const char *const kobjs[] = {"confdata.o",   "expr.o",	    "lexer.lex.o", "menu.o",
				    "parser.tab.o", "preprocess.o", "symbol.o",	   "util.o"};
#define NKOBJS (sizeof(kobjs) / sizeof(kobjs[0]))

/* 1 when bin exists and is not older than conf, which kbuild relinks
 * whenever it rebuilds one of the objects. */
static int fresh(const char *bin, const char *kdir)
{
	char *conf = xasprintf("%s/conf", kdir);
	struct stat b, c;
	int ok = stat(bin, &b) == 0 && stat(conf, &c) == 0 && c.st_mtime <= b.st_mtime;

	free(conf);
	return ok;
}

/* Compile src into bin (via a temp file), linked with kdir's objects. */
static int build(struct tx_ctx *ctx, const char *srcdir, const char *kdir, const char *src,
		 const char *bin, const char *builddir)
{
	char *inc = xasprintf("-I%s/scripts/kconfig", srcdir);
	char *tmp = xasprintf("%s.tmp.%d", bin, (int)getpid());
	char *log = xasprintf("%s/kexplain.log", builddir);
	char *argv[8 + NKOBJS] = {"gcc", "-std=gnu11", "-O1", inc, "-o", tmp, (char *)src};
	int st;

	tx_info(ctx, "kconfig: building the kexplain helper in %s", kdir);
	for (size_t i = 0; i < NKOBJS; i++)
		argv[7 + i] = xasprintf("%s/%s", kdir, kobjs[i]);
	unlink(log);
	st = kconfig_run_logged(ctx, argv, log);
	if (st == 0 && rename(tmp, bin) < 0)
		st = -errno;
	if (st) {
		unlink(tmp);
		st = tx_fail(ctx, st < 0 ? st : -EIO, "kconfig",
			     "cannot build the kexplain helper '%s' (see '%s')", bin, log);
	}
	for (size_t i = 0; i < NKOBJS; i++)
		free(argv[7 + i]);
	free(inc);
	free(tmp);
	free(log);
	return st;
}

int kconfig_kexplain(struct tx_ctx *ctx, const char *srcdir_kernel, const char *builddir,
		     const char *option, char **out)
{
	char *src = xasprintf("%s/%s", ctx->srcdir ? ctx->srcdir : ".", KEXPLAIN_SRC);
	char *kdir = xasprintf("%s/scripts/kconfig", builddir);
	char *cfg = xasprintf("%s/.config", builddir), *bin = NULL, *text = NULL, hex[65];
	size_t len = 0;
	struct sha256 h;
	int err = read_file(src, &text, &len, 1u << 20);

	*out = NULL;
	if (err) {
		err = tx_fail(ctx, err, "kconfig", "cannot read '%s': %s", src, strerror(-err));
		goto out;
	}
	/* the binary is named by the hash of its source */
	sha256_init(&h);
	sha256_update(&h, text, len);
	sha256_hex(&h, hex);
	bin = xasprintf("%s/tinyx-kexplain-%.16s", kdir, hex);
	if (!fresh(bin, kdir))
		err = build(ctx, srcdir_kernel, kdir, src, bin, builddir);
	if (!err) {
		char *argv[] = {bin, (char *)srcdir_kernel, cfg, (char *)option, NULL};

		err = run_capture_q(ctx, argv, out, KEXPLAIN_OUT_MAX, 1);
		if (err)
			err = tx_fail(ctx, err < 0 ? err : -EIO, "kconfig",
				      "kexplain helper '%s' failed for '%s' (exit %d)", bin, option,
				      err);
	}
	if (err) {
		free(*out);
		*out = NULL;
	}
out:
	free(text);
	free(src);
	free(kdir);
	free(cfg);
	free(bin);
	return err;
}
