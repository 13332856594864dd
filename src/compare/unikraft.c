/* The unikraft row of tinyx compare: Unikraft's nginx (app-nginx with musl
 * and lwIP), a multiboot kernel and its root as a CPIO initrd, booted on
 * the same QEMU as the Tinyx KVM rows (machine pc: no Linux boot protocol
 * for microvm to load). The sources are one tree, unikraft*.tar.xz or a
 * unikraft* dir in $TINYX_THIRD_PARTY, holding unikraft/ (the core),
 * lib-musl/, lib-lwip/, lib-nginx/, app-nginx/ and archives/ (the trees of
 * the archives Unikraft's build would download). The build packs those
 * archives where its fetch step looks, so that it downloads nothing, and is
 * cached in CACHE/unikernels/unikraft-KEY, KEY the hashes of the sources,
 * our config and our patch to the core (src/unikernel/unikraft: the pinned
 * lib-musl and lib-lwip predate the core's rename of ukswrand to ukrandom;
 * QEMU's TCG has no RDSEED) and the compiler. */
#include "compare/system.h"
#include "formats/imgconf.h"
#include "formats/text.h"
#include "image/cpio.h"
#include "lib/cache.h"
#include "lib/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE "compare"
#define RECIPE "tinyx-unikraft-1"
#define UNIKRAFT_MB 64	    /* QEMU's memory: the bisection's upper end */
#define BANNER "Powered by" /* Unikraft's banner, printed before main() */
#define DEFCONFIG "defconfigs/qemu-x86_64-initrd"
#define KERNEL "nginx_qemu-x86_64" /* in the build dir: N=nginx, plat, arch */

/* The archives Unikraft's fetch step would download: archives/DIR packed
 * as LIB/NAME in the build dir (the names its libraries' Makefile.uk give
 * from their pinned versions). prefix: DIR starts with it; the name is DIR
 * with ext, or what follows the prefix (the lwIP zip is the branch's). */
static const struct archive {
	const char *prefix, *lib, *ext;
	int tail; /* the name is DIR without prefix */
} archives[] = {
    {"musl-", "libmusl", ".tar.gz", 0},
    {"nginx-", "libnginx", ".tar.gz", 0},
    {"fork-lwip-", "liblwip", ".zip", 1},
};

struct unikraft_src {
	char *dir;    /* the third-party dir */
	char *src;    /* unikraft*.tar.xz or a tree */
	char *config; /* our config fragment */
	char *patch;  /* our patch to the core */
	char key[65]; /* the cache key */
	char *cc;     /* `gcc --version`, first line */
	char *log;    /* the build's output: beside the cache entry, kept */
};

static int run(struct tx_ctx *ctx, char **argv, const char *what)
{
	int r = run_cmd(ctx, argv, NULL, 1);

	return r == 0 ? 0 : tx_fail(ctx, -EIO, STAGE, "cannot %s (%s failed)", what, argv[0]);
}

/* Each archives/DIR of top (unpacked from src) into build/LIB/NAME, as its
 * fetch step would leave it. */
static int pack_archives(struct tx_ctx *ctx, const char *src, const char *top, const char *build)
{
	char *adir = xasprintf("%s/archives", top);
	struct dirent **v = NULL;
	int n = scandir(adir, &v, NULL, alphasort), r = n < 0 ? -errno : 0, packed = 0;

	if (r < 0)
		r = tx_fail(ctx, r, STAGE, "no archives/ dir in the Unikraft tree '%s'", src);
	for (int i = 0; i < n; i++) {
		const char *nm = v[i]->d_name;

		for (size_t a = 0; r == 0 && a < NELEM(archives); a++) {
			const struct archive *x = &archives[a];
			char *lib, *out;

			if (strncmp(nm, x->prefix, strlen(x->prefix)))
				continue;
			lib = xasprintf("%s/%s", build, x->lib);
			out = xasprintf("%s/%s%s", lib, x->tail ? nm + strlen(x->prefix) : nm,
					x->ext);
			r = mkdir_p(lib, 0755);
			if (r == 0 && !strcmp(x->ext, ".zip")) {
				char *argv[] = {
				    "sh",	"-c", "cd \"$1\" && zip -q -X -r \"$2\" \"$3\"",
				    "zip",	adir, out,
				    (char *)nm, NULL};
				r = run(ctx, argv, "pack an archive for Unikraft's build");
			} else if (r == 0) {
				char *argv[] = {"tar",
						"--sort=name",
						"--owner=0",
						"--group=0",
						"--numeric-owner",
						"--mtime=@0",
						"-I",
						"gzip -n",
						"-C",
						adir,
						"-cf",
						out,
						(char *)nm,
						NULL};
				r = run(ctx, argv, "pack an archive for Unikraft's build");
			}
			packed += r == 0;
			free(lib);
			free(out);
		}
		free(v[i]);
	}
	free(v);
	if (r == 0 && packed != (int)NELEM(archives))
		r = tx_fail(ctx, -ENOENT, STAGE,
			    "the archives/ dir of '%s' holds %d of the %d trees Unikraft's build "
			    "needs (musl-*, nginx-*, fork-lwip-*)",
			    src, packed, (int)NELEM(archives));
	free(adir);
	return r;
}

/* Add every path under m->root + path to m (the initrd's tree); a symlink
 * stays a symlink (manifest_add_path), never followed. */
static int add_tree(struct tx_ctx *ctx, struct manifest *m, const char *path, int depth)
{
	char *host = xasprintf("%s%s", m->root, path);
	struct dirent **v = NULL;
	int n = depth > 32 ? -ELOOP : scandir(host, &v, NULL, alphasort), r = 0;

	if (n < 0)
		r = tx_fail(ctx, n == -ELOOP ? n : -errno, STAGE, "cannot read '%s'", host);
	for (int i = 0; i < n; i++) {
		const char *nm = v[i]->d_name;

		if (r == 0 && strcmp(nm, ".") && strcmp(nm, "..")) {
			char *p = xasprintf("%s/%s", strcmp(path, "/") ? path : "", nm);
			char *h = xasprintf("%s%s", m->root, p);

			struct stat st;

			r = manifest_add_path(m, p, "app-nginx rootfs");
			/* a real dir, never a link to one: the tree is untrusted */
			if (r >= 0 && lstat(h, &st) == 0 && S_ISDIR(st.st_mode))
				r = add_tree(ctx, m, p, depth + 1);
			if (r < 0 && !ctx->err[0])
				r = tx_fail(ctx, r, STAGE, "cannot add '%s' to the initrd", h);
			r = r < 0 ? r : 0;
			free(p);
			free(h);
		}
		free(v[i]);
	}
	free(v);
	free(host);
	return r;
}

/* app-nginx/rootfs (nginx's conf and html) as the CPIO initrd at out. */
static int initrd(struct tx_ctx *ctx, const char *app, const char *out)
{
	char *root = xasprintf("%s/rootfs", app);
	struct manifest m;
	int r;

	manifest_init(&m, "unikraft-nginx", root);
	r = add_tree(ctx, &m, "/", 0);
	if (r == 0)
		r = cpio_write(ctx, &m, out, "none", 0);
	manifest_free(&m);
	free(root);
	return r;
}

static int fill(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	struct unikraft_src *s = arg;
	char *src = xasprintf("%s/src", tmp), *log = xstrdup(s->log);
	char *top = NULL, *app = NULL, *build = NULL, *libs = NULL, *uk = NULL;
	char *kernel = NULL, *out = NULL;
	int r = mkdir_p(src, 0755);

	if (r == 0)
		r = third_party_unpack(ctx, s->src, src);
	if (r == 0 && !(top = third_party_find(src, "unikraft")))
		r = tx_fail(ctx, -ENOENT, STAGE, "no unikraft* dir in '%s'", s->src);
	if (r == 0) {
		app = xasprintf("%s/app-nginx", top);
		build = xasprintf("%s/build", top);
		uk = xasprintf("%s/unikraft", top);
		libs = xasprintf("L=%s/lib-musl:%s/lib-lwip:%s/lib-nginx", top, top, top);
		r = pack_archives(ctx, s->src, top, build);
	}
	if (r == 0) { /* the pinned libraries' name for lib/ukrandom, and TCG */
		char *argv[] = {"patch", "-s", "-p1", "-d", uk, "-i", s->patch, NULL};
		r = run(ctx, argv, "patch the Unikraft core");
	}
	if (r == 0) { /* the defconfig, then ours: a later line wins */
		char *argv[] = {"sh",  "-c", "cat \"$1/" DEFCONFIG "\" \"$2\" > \"$1/.config\"",
				"cat", app,  s->config,
				NULL};
		r = run(ctx, argv, "write Unikraft's config");
	}
	if (r == 0) {
		char *a = xasprintf("A=%s", app), *o = xasprintf("O=%s", build);
		/* N: the image's name, build/nginx_qemu-x86_64 */
		char *cf[] = {"make", "-C", uk, a, libs, o, "N=nginx", "olddefconfig", NULL};
		char *mk[] = {"make", "-C", uk, a, libs, o, "N=nginx", "-j2", NULL};
		struct tx_spawn sp = TX_SPAWN_INIT(mk);
		struct third_party_progress pg = {ctx, "unikraft", 0, 0, 0};

		r = run(ctx, cf, "configure Unikraft (make olddefconfig)");
		if (r == 0) {
			tx_info(
			    ctx,
			    "compare: unikraft: building nginx on Unikraft (minutes; log in %s)",
			    log);
			r = tx_run_lines(ctx, &sp, log, third_party_build_line, &pg);
			if (r != 0)
				r = tx_fail(ctx, r < 0 ? r : -EIO, STAGE,
					    "the Unikraft build failed (status %d); see '%s'", r,
					    log);
		}
		free(a);
		free(o);
	}
	if (r == 0) {
		kernel = xasprintf("%s/" KERNEL, build);
		out = xasprintf("%s/kernel", tmp);
		if ((r = copy_file(kernel, out, 0644)) < 0)
			r = tx_fail(ctx, r, STAGE, "no Unikraft image '%s'", kernel);
		free(out);
		out = xasprintf("%s/initrd", tmp);
	}
	if (r == 0)
		r = initrd(ctx, app, out);
	if (r == 0)
		rm_rf(src);
	fmt_free_strs(&src, &log, &top, &app, &build, &libs, &uk, &kernel, &out, NULL);
	return r;
}

static void src_free(struct unikraft_src *s)
{
	fmt_free_strs(&s->dir, &s->src, &s->config, &s->patch, &s->cc, &s->log, NULL);
}

/* The sources, their key; 1 when they are missing (row->note says where
 * to put them), 0, or -errno. */
static int sources(struct tx_ctx *ctx, struct unikraft_src *s, const char *tmpdir,
		   struct compare_row *row)
{
	char h[3][65], *t;

	s->dir = third_party_dir(ctx);
	s->src = third_party_find(s->dir, "unikraft");
	s->config = xasprintf("%s/src/unikernel/unikraft/nginx.config", ctx->srcdir);
	s->patch = xasprintf("%s/src/unikernel/unikraft/core.patch", ctx->srcdir);
	if (!s->src) {
		snprintf(row->note, sizeof(row->note),
			 "not measured: no source tree at %s (unikraft*.tar.xz or a unikraft* "
			 "dir with unikraft/, lib-musl/, lib-lwip/, lib-nginx/, app-nginx/, "
			 "archives/; TINYX_THIRD_PARTY names another)",
			 s->dir);
		tx_info(ctx, "compare: unikraft: %s", row->note);
		return 1;
	}
	if (third_party_cc(ctx, "Unikraft", &s->cc) < 0)
		return -ENOENT;
	if (third_party_hash(ctx, s->src, tmpdir, h[0]) < 0 || sha256_file(s->config, h[1]) < 0 ||
	    sha256_file(s->patch, h[2]) < 0)
		return tx_fail(ctx, -EIO, STAGE, "cannot read the Unikraft sources '%s'", s->src);
	t = xasprintf("%s\n%s\n%s\n%s\n%s\n", RECIPE, s->cc, h[0], h[1], h[2]);
	third_party_key(t, s->key);
	free(t);
	return 0;
}

/* OUT/compare/APP/unikraft: the kernel, the initrd and image.conf. */
static int image_dir(struct tx_ctx *ctx, const char *dir, const char *cache)
{
	const char *files[] = {"kernel", "initrd"};
	struct imgconf c;
	int r = mkdir_p(dir, 0755);

	for (size_t i = 0; r == 0 && i < NELEM(files); i++) {
		char *from = xasprintf("%s/%s", cache, files[i]);
		char *to = xasprintf("%s/%s", dir, files[i]);

		if ((r = copy_file(from, to, 0644)) < 0)
			r = tx_fail(ctx, r, STAGE, "cannot copy '%s' to '%s'", from, to);
		free(from);
		free(to);
	}
	imgconf_init(&c);
	c.machine = IMG_PC;
	c.net = IMG_NET_PCI;
	c.cmdline = IMG_CMDLINE_UNIKRAFT;
	free(c.append);
	c.append = xstrdup(""); /* the probe's netdev.ip= and "--" */
	c.memory_mb = UNIKRAFT_MB;
	c.port = 80;
	c.service = IMG_SVC_HTTP;
	c.note = xstrdup("Unikraft nginx (musl, lwIP): multiboot kernel + CPIO initrd");
	if (r == 0)
		r = imgconf_write(ctx, dir, &c);
	imgconf_free(&c);
	return r;
}

int unikraft_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row)
{
	struct unikraft_src s = {0};
	char *dir = xasprintf("%s/unikraft", st->dir),
	     *base = xasprintf("%s/unikernels", ctx->cache);
	char *cache = NULL;
	int r = mkdir_p(base, 0755);

	if (r < 0)
		r = tx_fail(ctx, r, STAGE, "cannot create '%s'", base);
	if (r == 0)
		r = sources(ctx, &s, base, row);
	if (r == 0)
		r = third_party_cache(ctx, base, "unikraft", s.key, "initrd", "Unikraft nginx",
				      fill, &s, &cache, &s.log);
	if (r == 0 && cache)
		r = image_dir(ctx, dir, cache);
	if (r == 0 && cache) {
		struct compare_vm vm = {.dir = dir,
					.timeout_s = 120,
					.init_marker = BANNER,
					.unikernel = 1,
					.min_lo = IMGCONF_MEM_MIN};

		r = compare_vm_row(ctx, st, row, &vm);
	} else if (r < 0) {
		snprintf(row->note, sizeof(row->note), "%s", ctx->err);
	}
	src_free(&s);
	free(cache), free(dir), free(base);
	return r == 1 ? 0 : r; /* 1: no sources, the row says where to put them */
}
