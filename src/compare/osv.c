/* The osv row of tinyx compare: OSv, the study's unikernel on KVM, running
 * the app from the same files as its Tinyx image (the app's closure in the
 * staged Debian root, as OSv's scripts/manifest_from_host.sh takes them from
 * a host), on a read-only root (OSv's rofs), booted on the same QEMU: its
 * kernel by its PVH entry (-kernel), the root on virtio-blk, the NIC on
 * virtio-net-pci (machine pc, as the debian-vm and unikraft rows).
 *
 * The sources are one tree, osv*.tar.xz or an osv* dir in
 * $TINYX_THIRD_PARTY. Its kernel build (OSv's own Makefile, C++ with
 * Debian's g++ and boost; about 4 minutes on 2 cores) is cached in
 * CACHE/unikernels/osv-KEY, KEY the hashes of the sources, of the files we
 * add to them (src/unikernel/osv/musl_0.9.12: the 7 files OSv takes from a
 * musl submodule that the pinned tree lacks) and the compiler. The disk is
 * made per run from the app's closure by OSv's own gen-rofs-img.py (kept
 * in the cache entry, with the kernel). */
#include "closure/closure.h"
#include "compare/osv.h"
#include "compare/system.h"
#include "formats/imgconf.h"
#include "formats/text.h"
#include "lib/cache.h"
#include "lib/sha256.h"
#include "probe/probex.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE "compare"
#define RECIPE "tinyx-osv-1"
#define OSV_MB 128		 /* QEMU's memory: the bisection's upper end */
#define MARKER "Cmdline: "	 /* OSv says it as it starts the app */
#define BUILD "build/release"	 /* in the tree: mode=release */
#define IPERF3 "/usr/bin/iperf3" /* the throughput test's, as the Tinyx init runs it */
#define MBR_LBA 1		 /* the root's partition: right after the MBR */

/* The sonames OSv's kernel supplies (core/elf.cc, program::program): the
 * app's libraries by these names stay off its disk. */
static const char *const supplied[] = {
    "ld-linux-x86-64.so.2", "libresolv.so.2", "libc.so.6",  "libm.so.6",
    "libpthread.so.0",	    "libdl.so.2",     "librt.so.1", "libaio.so.1",
    "libxenstore.so.3.0",   "libcrypt.so.1",  "libutil.so",
};

/* The dirs whose libraries OSv's loader finds only under /usr/lib (its
 * search path is / and /usr/lib): each gets a link there. */
static const char *const libdirs[] = {"/lib", "/lib64", "/usr/lib/x86_64-linux-gnu",
				      "/lib/x86_64-linux-gnu"};

/* Writable dirs of a Debian service: on OSv's read-only root each one the
 * image has empty becomes a link to /tmp (a ramfs), as OSv's nginx app
 * does for /var/log/nginx and /var/lib/nginx. */
static const char *const writable[] = {"/run/",	      "/var/run/", "/var/log/",	 "/var/lib/",
				       "/var/cache/", "/var/tmp/", "/var/spool/"};

struct osv_src {
	char *dir;  /* the third-party dir */
	char *src;  /* osv*.tar.xz or a tree */
	char *musl; /* our files for the missing musl submodule */
	char key[65];
	char *cc;  /* `gcc --version`, first line */
	char *log; /* the build's output: beside the cache entry, kept */
};

static int run(struct tx_ctx *ctx, char **argv, const char *what)
{
	int r = run_cmd(ctx, argv, NULL, 1);

	return r == 0 ? 0 : tx_fail(ctx, -EIO, STAGE, "cannot %s (%s failed)", what, argv[0]);
}

/* The cache entry: kernel (OSv's loader-stripped.elf, with its PVH entry),
 * tools/ (gen-rofs-img.py and what it imports) and fstab (OSv's for rofs). */
static int fill(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	struct osv_src *s = arg;
	char *src = xasprintf("%s/src", tmp), *tools = xasprintf("%s/tools", tmp);
	char *top = NULL, *log = xstrdup(s->log);
	int r = mkdir_p(src, 0755);

	if (r == 0)
		r = mkdir_p(tools, 0755);
	if (r == 0)
		r = third_party_unpack(ctx, s->src, src);
	if (r == 0 && !(top = third_party_find(src, "osv")))
		r = tx_fail(ctx, -ENOENT, STAGE, "no osv* dir in '%s'", s->src);
	if (r == 0) { /* the submodule's files, where a full clone has none */
		char *to = xasprintf("%s/musl_0.9.12/", top), *from = xasprintf("%s/.", s->musl);
		char *argv[] = {"cp", "-R", "-n", from, to, NULL};

		r = mkdir_p(to, 0755);
		if (r == 0)
			r = run(ctx, argv, "add the musl 0.9.12 files to OSv's tree");
		free(to);
		free(from);
	}
	if (r == 0) {
		char *argv[] = {"make",
				"-C",
				top,
				"-j2",
				"mode=release",
				"fs=rofs",
				"bootfs_manifest=bootfs_empty.manifest.skel",
				NULL};
		struct tx_spawn sp = TX_SPAWN_INIT(argv);
		struct third_party_progress pg = {ctx, "osv", 0, 0, 0};

		tx_info(ctx, "compare: osv: building the OSv kernel (minutes; log in %s)", log);
		r = tx_run_lines(ctx, &sp, log, third_party_build_line, &pg);
		if (r != 0)
			r = tx_fail(ctx, r < 0 ? r : -EIO, STAGE,
				    "the OSv build failed (status %d); see '%s'", r, log);
	}
	{
		const char *from[] = {BUILD "/loader-stripped.elf", "scripts/gen-rofs-img.py",
				      "scripts/manifest_common.py", "static/etc/fstab_rofs"};
		const char *to[] = {"kernel", "tools/gen-rofs-img.py", "tools/manifest_common.py",
				    "fstab"};

		for (size_t i = 0; r == 0 && i < NELEM(from); i++) {
			char *f = xasprintf("%s/%s", top, from[i]),
			     *t = xasprintf("%s/%s", tmp, to[i]);

			if ((r = copy_file(f, t, 0644)) < 0)
				r = tx_fail(ctx, r, STAGE, "no '%s' after OSv's build", f);
			free(f);
			free(t);
		}
	}
	if (r == 0)
		rm_rf(src);
	fmt_free_strs(&src, &tools, &top, &log, NULL);
	return r;
}

static void src_free(struct osv_src *s)
{
	fmt_free_strs(&s->dir, &s->src, &s->musl, &s->cc, &s->log, NULL);
}

/* What OSv's build needs beyond gcc: g++, boost's headers and
 * libboost_system.a, python3 (its scripts). 0 or -ENOENT naming them. */
static int tools(struct tx_ctx *ctx)
{
	char *gxx[] = {"g++", "--version", NULL}, *py[] = {"python3", "--version", NULL};
	char *lib[] = {"g++", "-print-file-name=libboost_system.a", NULL};
	char *out = NULL;
	int ok = run_cmd(ctx, gxx, NULL, 1) == 0 && run_cmd(ctx, py, NULL, 1) == 0 &&
		 run_capture_q(ctx, lib, &out, 4096, 1) == 0 && out && out[0] == '/' &&
		 is_dir("/usr/include/boost");

	free(out);
	return ok ? 0
		  : tx_fail(ctx, -ENOENT, STAGE,
			    "no g++, boost or python3 to build OSv (apt-get install g++ "
			    "libboost-system-dev python3)");
}

/* The sources and their key; 1 when they are missing (row->note says where
 * to put them), 0, or -errno. */
static int sources(struct tx_ctx *ctx, struct osv_src *s, const char *tmpdir,
		   struct compare_row *row)
{
	char h[2][65], *t;

	s->dir = third_party_dir(ctx);
	s->src = third_party_find(s->dir, "osv");
	s->musl = xasprintf("%s/src/unikernel/osv/musl_0.9.12", ctx->srcdir);
	if (!s->src) {
		snprintf(row->note, sizeof(row->note),
			 "not measured: no source tree at %s (osv*.tar.xz or an osv* dir, OSv's "
			 "tree with its submodules; TINYX_THIRD_PARTY names another)",
			 s->dir);
		tx_info(ctx, "compare: osv: %s", row->note);
		return 1;
	}
	if (third_party_cc(ctx, "OSv", &s->cc) < 0 || tools(ctx) < 0)
		return -ENOENT;
	if (third_party_hash(ctx, s->src, tmpdir, h[0]) < 0 ||
	    third_party_hash(ctx, s->musl, tmpdir, h[1]) < 0)
		return tx_fail(ctx, -EIO, STAGE, "cannot read the OSv sources '%s'", s->src);
	t = xasprintf("%s\n%s\n%s\n%s\n", RECIPE, s->cc, h[0], h[1]);
	third_party_key(t, s->key);
	free(t);
	return 0;
}

/* A path gen-rofs-img.py's manifest can hold as it is: no ": " (its
 * separator), no '%' (its variables), no "->" or '!' first, no '&' or
 * '*' (its patterns), no space or control character. */
static int manifest_safe(const char *p)
{
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x21 || *c == 0x7f || *c == '%' || *c == '&' || *c == '*' ||
		    *c == ':')
			return 0;
	return *p && *p != '!' && strncmp(p, "->", 2);
}

/* 1: path is a library OSv supplies: its name there, or the file a
 * versioned soname links to (libcrypt.so.1 -> libcrypt.so.1.1.0); an
 * unversioned name (libutil.so) only as it is */
static int is_supplied(const char *path)
{
	const char *b = path_basename(path);

	for (size_t i = 0; i < NELEM(supplied); i++) {
		size_t l = strlen(supplied[i]);

		if (!strncmp(b, supplied[i], l) &&
		    (!b[l] || (b[l] == '.' && strstr(supplied[i], ".so."))))
			return 1;
	}
	return 0;
}

/* 1: path is a writable dir (one of writable[] or below one) that holds
 * nothing of m but empty files (a log the package made, the app writes):
 * the app's to make, on OSv in /tmp. */
static int empty_writable(const struct manifest *m, const char *path)
{
	size_t n = strlen(path);
	int under = 0;

	for (size_t k = 0; k < NELEM(writable); k++) {
		size_t l = strlen(writable[k]);

		under |= !strncmp(path, writable[k], l - 1) &&
			 (path[l - 1] == 0 || (path[l - 1] == '/' && path[l]));
	}
	for (size_t i = 0; under && i < m->n; i++) {
		const struct ment *e = &m->e[i];

		if (strncmp(e->path, path, n) || e->path[n] != '/')
			continue;
		if (e->type != ME_FILE || strchr(e->path + n + 1, '/'))
			return 0;
		{
			char *h = e->src ? xstrdup(e->src) : root_join(m->root, e->path);
			long long sz = file_size(h);

			free(h);
			if (sz != 0)
				return 0;
		}
	}
	return under;
}

static int in_libdir(const char *path)
{
	char *d = path_dirname(path);
	int yes = 0;

	for (size_t i = 0; i < NELEM(libdirs); i++)
		yes |= !strcmp(d, libdirs[i]);
	free(d);
	return yes && strstr(path_basename(path), ".so");
}

/* The regular files under top + rel, as in-image paths ("/etc/x"), into
 * out; a symlink or anything else in the tree is an error. */
static int overlay_files(struct tx_ctx *ctx, const char *top, const char *rel, int depth,
			 struct strv *out)
{
	char *d = xasprintf("%s%s", top, rel);
	struct dirent **v = NULL;
	int n = depth > 16 ? -ELOOP : scandir(d, &v, NULL, alphasort), r = 0;

	if (n < 0 && depth == 0 && errno == ENOENT)
		n = 0, r = 0; /* no files for this app */
	else if (n < 0)
		r = tx_fail(ctx, n == -ELOOP ? n : -errno, STAGE, "cannot read '%s'", d);
	for (int i = 0; i < n; i++) {
		const char *nm = v[i]->d_name;
		char *p = xasprintf("%s/%s", rel, nm), *h = xasprintf("%s%s", top, p);
		struct stat st;

		if (r == 0 && strcmp(nm, ".") && strcmp(nm, "..")) {
			if (lstat(h, &st) < 0)
				r = tx_fail(ctx, -errno, STAGE, "cannot read '%s'", h);
			else if (S_ISDIR(st.st_mode))
				r = overlay_files(ctx, top, p, depth + 1, out);
			else if (S_ISREG(st.st_mode))
				strv_push(out, p);
			else
				r = tx_fail(ctx, -EINVAL, STAGE, "not a regular file '%s'", h);
		}
		free(p);
		free(h);
		free(v[i]);
	}
	free(v);
	free(d);
	return r;
}

static int strv_has(const struct strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return 1;
	return 0;
}

/* OSv's manifest of the app's closure m: "GUEST: HOST" for a file,
 * "GUEST: ->TARGET" for a link, "GUEST: HOSTDIR" for a dir; then each dir of
 * made (sorted) that m lacks as a link to /tmp, and ov (files' files) over
 * m's. */
int osv_manifest(struct tx_ctx *ctx, const struct manifest *m, const char *fstab, const char *files,
		 const struct strv *ov, const struct strv *made, struct sbuf *out)
{
	struct sbuf s = {0};
	struct strv links = {0}; /* the /usr/lib links made */
	const char *mounts[] = {"/dev", "/proc", "/sys", "/tmp"};
	const char *skip = NULL; /* the last dir made a link: m is sorted */
	int r = 0;

	sbuf_printf(&s, "[manifest]\n/etc/fstab: %s\n", fstab);
	for (size_t i = 0; i < NELEM(mounts); i++) /* fstab's mount points */
		if (!manifest_find((struct manifest *)m, ME_DIR, mounts[i]))
			sbuf_printf(&s, "%s: %s\n", mounts[i], m->root);
	for (size_t i = 0; r == 0 && i < m->n; i++) {
		const struct ment *e = &m->e[i];
		char *host = e->src ? xstrdup(e->src) : root_join(m->root, e->path);

		if (e->type != ME_DIR && e->type != ME_FILE && e->type != ME_SLINK)
			; /* users, groups, device nodes: OSv has none */
		else if (e->type != ME_DIR && strv_has(ov, e->path))
			; /* ours, below */
		else if (!strcmp(e->path, "/") || !strcmp(e->path, "/etc/fstab") ||
			 is_supplied(e->path))
			;
		else if (!manifest_safe(e->path) || !manifest_safe(host) ||
			 (e->type == ME_SLINK && !manifest_safe(e->target)))
			r = tx_fail(ctx, -EINVAL, STAGE, "a path OSv's image tool cannot hold '%s'",
				    e->path);
		else if (e->type == ME_DIR && empty_writable(m, e->path)) {
			sbuf_printf(&s, "%s: ->/tmp\n", e->path);
			skip = e->path; /* and its empty files */
		} else if (skip && !strncmp(e->path, skip, strlen(skip)) &&
			   e->path[strlen(skip)] == '/')
			;
		else if (e->type == ME_DIR)
			sbuf_printf(&s, "%s: %s\n", e->path, m->root);
		else if (e->type == ME_SLINK)
			sbuf_printf(&s, "%s: ->%s\n", e->path, e->target);
		else
			sbuf_printf(&s, "%s: %s\n", e->path, host);
		if (r == 0 && e->type != ME_DIR && in_libdir(e->path) && !is_supplied(e->path)) {
			char *lib = xasprintf("/usr/lib/%s", path_basename(e->path));
			struct manifest *mm = (struct manifest *)m;

			if (!manifest_find(mm, ME_FILE, lib) && !manifest_find(mm, ME_SLINK, lib) &&
			    !manifest_find(mm, ME_DIR, lib) && !strv_has(&links, lib)) {
				sbuf_printf(&s, "%s: ->%s\n", lib, e->path);
				strv_push(&links, lib);
			}
			free(lib);
		}
		free(host);
	}
	for (size_t i = 0; r == 0 && i < made->n; i++) {
		const char *d = made->v[i];
		int linked = 0;

		for (size_t j = 0; j < i; j++) /* below a link already made */
			linked |= !strncmp(d, made->v[j], strlen(made->v[j])) &&
				  d[strlen(made->v[j])] == '/';
		if (linked || manifest_find((struct manifest *)m, ME_DIR, d) ||
		    manifest_find((struct manifest *)m, ME_SLINK, d))
			continue;
		if (!manifest_safe(d))
			r = tx_fail(ctx, -EINVAL, STAGE, "a path OSv's image tool cannot hold '%s'",
				    d);
		else
			sbuf_printf(&s, "%s: ->/tmp\n", d);
	}
	for (size_t i = 0; r == 0 && i < ov->n; i++) {
		char *h = xasprintf("%s%s", files, ov->v[i]);

		if (!manifest_safe(h))
			r = tx_fail(ctx, -EINVAL, STAGE, "a path OSv's image tool cannot hold '%s'",
				    h);
		else
			sbuf_printf(&s, "%s: %s\n", ov->v[i], h);
		free(h);
	}
	strv_free(&links);
	if (r == 0)
		*out = s;
	else
		sbuf_free(&s);
	return r;
}

/* OSv's command for app: its line in src/unikernel/osv/commands, else the
 * Tinyx image's command when it does not fork. 1 when there is none
 * (row->note says why), 0 with *cmd (owned), or -errno. */
int osv_command(const char *table, const char *app, const struct app_spec *spec, char *note,
		size_t note_len, char **cmd)
{
	size_t an = strlen(app);
	int r = 0;
	struct sbuf s = {0};

	*cmd = NULL;
	for (const char *l = table; l && *l && !*cmd;
	     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t n = strcspn(l, "\n");

		if (n > an && !strncmp(l, app, an) && l[an] == '\t')
			*cmd = xasprintf("%.*s", (int)(n - an - 1), l + an + 1);
	}
	if (!*cmd && spec->forking) {
		snprintf(note, note_len,
			 "not measured: %s's service forks and OSv runs one process; "
			 "src/unikernel/osv/commands has no foreground command for it",
			 app);
		r = 1;
	}
	for (size_t i = 0; r == 0 && !*cmd && i < spec->argv.n; i++) {
		const char *a = spec->argv.v[i];

		if (strchr(a, '"') || strchr(a, '\\')) {
			snprintf(note, note_len,
				 "not measured: an argument of %s's command OSv cannot quote", app);
			r = 1;
		} else
			sbuf_printf(&s,
				    i ? (strpbrk(a, " ;&!") ? " \"%s\"" : " %s")
				      : (strpbrk(a, " ;&!") ? "\"%s\"" : "%s"),
				    a);
	}
	for (size_t i = 0; r == 0 && i < spec->env.n; i++)
		if (strpbrk(spec->env.v[i], " \"")) {
			snprintf(note, note_len,
				 "not measured: %s's environment has a space OSv's --env cannot "
				 "hold",
				 app);
			r = 1;
		}
	if (r == 0 && !*cmd) {
		*cmd = s.s ? s.s : xstrdup("");
		s.s = NULL;
	}
	sbuf_free(&s);
	return r;
}

/* osv_command with src/unikernel/osv/commands; says why when it is 1. */
static int command(struct tx_ctx *ctx, const char *app, const struct app_spec *spec,
		   struct compare_row *row, char **cmd)
{
	char *path = xasprintf("%s/src/unikernel/osv/commands", ctx->srcdir), *text = NULL;
	size_t len = 0;
	int r = read_file(path, &text, &len, 65536);

	*cmd = NULL;
	if (r < 0)
		r = tx_fail(ctx, r, STAGE, "cannot read '%s'", path);
	else if ((r = osv_command(text, app, spec, row->note, sizeof(row->note), cmd)) == 1)
		tx_info(ctx, "compare: osv: %s", row->note);
	free(text);
	free(path);
	return r;
}

/* disk: an MBR whose second entry is the rofs image at MBR_LBA: OSv names
 * the entries from 0 and mounts its root from /dev/vblk0.1, and it passes
 * over an entry whose CHS start sector is 0. */
static int write_disk(struct tx_ctx *ctx, const char *rofs, const char *disk)
{
	char *data = NULL;
	size_t len = 0, sectors;
	unsigned char *img;
	int r = read_file(rofs, &data, &len, (size_t)1 << 31);

	if (r < 0)
		return tx_fail(ctx, r, STAGE, "cannot read '%s'", rofs);
	sectors = (len + 511) / 512;
	img = calloc(MBR_LBA + sectors, 512);
	if (!img) {
		free(data);
		return tx_fail(ctx, -ENOMEM, STAGE, "no memory for '%s'", disk);
	}
	memcpy(img + 512 * MBR_LBA, data, len);
	{
		unsigned char *p = img + 446 + 16;
		unsigned lba = MBR_LBA, n = (unsigned)sectors;

		p[2] = MBR_LBA + 1;		       /* CHS 0/0/2: sectors count from 1 */
		p[4] = 0x83;			       /* its type, which OSv does not read */
		p[5] = 0xfe, p[6] = 0xff, p[7] = 0xff; /* the end: past CHS */
		for (int i = 0; i < 4; i++) {
			p[8 + i] = (unsigned char)(lba >> (8 * i));
			p[12 + i] = (unsigned char)(n >> (8 * i));
		}
		img[510] = 0x55, img[511] = 0xaa;
	}
	r = write_file_atomic(disk, img, 512 * (MBR_LBA + sectors), 0644);
	if (r < 0)
		r = tx_fail(ctx, r, STAGE, "cannot write '%s'", disk);
	free(img);
	free(data);
	return r;
}

/* OUT/compare/APP/osv: kernel, disk.img, image.conf. 1: the app cannot run
 * on OSv (row->note says why). */
static int image_dir(struct tx_ctx *ctx, struct compare_state *st, const char *dir,
		     const char *cache, struct compare_row *row)
{
	const char *app = st->o->app;
	struct manifest m;
	struct app_spec spec = {0};
	char *kin = xasprintf("%s/kernel", cache), *kout = xasprintf("%s/kernel", dir);
	char *fstab = xasprintf("%s/fstab", cache), *mf = xasprintf("%s/usr.manifest", dir);
	char *rofs = xasprintf("%s/rofs.img", dir), *disk = xasprintf("%s/disk.img", dir);
	char *tool = xasprintf("%s/tools/gen-rofs-img.py", cache), *cmd = NULL;
	/* our files for app on OSv, over its own */
	char *files = xasprintf("%s/src/unikernel/osv/files/%s", ctx->srcdir, app);
	struct strv ov = {0}, made = {0};
	struct imgconf c;
	int r = mkdir_p(dir, 0755);

	manifest_init(&m, app, st->root);
	if (r < 0)
		r = tx_fail(ctx, r, STAGE, "cannot create '%s'", dir);
	if (r == 0)
		r = closure_build(ctx, app, st->root, ctx->srcdir, &m, &spec);
	if (r == 0) { /* and the throughput test's iperf3, as in the Tinyx images */
		struct manifest cl;

		manifest_init(&cl, CMPIMG_CLIENT, st->root);
		r = closure_build(ctx, CMPIMG_CLIENT, st->root, ctx->srcdir, &cl, NULL);
		for (size_t i = 0; r == 0 && i < cl.n; i++)
			manifest_add(&m, &cl.e[i]);
		manifest_free(&cl);
	}
	if (r == 0)
		r = command(ctx, app, &spec, row, &cmd);
	if (r == 0)
		r = overlay_files(ctx, files, "", 0, &ov);
	if (r == 0) { /* what the Tinyx init makes at boot: /run, the app's dirs */
		strv_push(&made, "/run");
		if (spec.pidfile)
			strv_push_own(&made, path_dirname(spec.pidfile));
		for (size_t i = 0; i < spec.dirs.n; i++)
			strv_push_own(&made, xasprintf("%.*s", (int)strcspn(spec.dirs.v[i], " "),
						       spec.dirs.v[i]));
		strv_sort_uniq(&made);
		manifest_sort(&m);
		struct sbuf text = {0};

		r = osv_manifest(ctx, &m, fstab, files, &ov, &made, &text);
		if (r == 0 && (r = write_file_atomic(mf, text.s, text.len, 0644)) < 0)
			r = tx_fail(ctx, r, STAGE, "cannot write '%s'", mf);
		sbuf_free(&text);
	}
	if (r == 0) {
		char *argv[] = {"python3", tool, "-o", rofs, "-m", mf, NULL};

		tx_info(ctx, "compare: osv: the app's read-only root (OSv's gen-rofs-img.py)");
		r = run(ctx, argv, "write OSv's read-only root");
	}
	if (r == 0)
		r = write_disk(ctx, rofs, disk);
	if (r == 0)
		unlink(rofs);
	if (r == 0 && (r = copy_file(kin, kout, 0644)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot copy '%s' to '%s'", kin, kout);
	imgconf_init(&c);
	c.machine = IMG_PC;
	c.net = IMG_NET_PCI;
	c.cmdline = IMG_CMDLINE_OSV;
	free(c.disk);
	c.disk = xstrdup("disk.img");
	free(c.append);
	{
		struct sbuf a = {0};

		sbuf_puts(&a, "--rootfs=rofs");
		for (size_t i = 0; i < spec.env.n; i++)
			sbuf_printf(&a, " --env=%s", spec.env.v[i]);
		/* iperf3's server beside the app ("&": in the background) */
		sbuf_printf(&a, " " IPERF3 " -s -p %d & %s", PROBEX_IPERF3_PORT, cmd ? cmd : "");
		c.append = a.s;
	}
	c.memory_mb = OSV_MB;
	c.iperf3 = IMG_IPERF3_SERVER;
	c.port = st->port;
	c.service = st->svc;
	c.note = xstrdup("OSv (rofs root from the app's closure): PVH kernel + virtio-blk disk");
	if (r == 0)
		r = imgconf_write(ctx, dir, &c);
	imgconf_free(&c);
	manifest_free(&m);
	appspec_free(&spec);
	strv_free(&ov);
	strv_free(&made);
	fmt_free_strs(&kin, &kout, &fstab, &mf, &rofs, &disk, &tool, &cmd, &files, NULL);
	return r;
}

int osv_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row)
{
	struct osv_src s = {0};
	char *dir = xasprintf("%s/osv", st->dir), *base = xasprintf("%s/unikernels", ctx->cache);
	char *cache = NULL;
	int r = mkdir_p(base, 0755);

	if (r < 0)
		r = tx_fail(ctx, r, STAGE, "cannot create '%s'", base);
	if (r == 0)
		r = sources(ctx, &s, base, row);
	if (r == 0)
		r = third_party_cache(ctx, base, "osv", s.key, "kernel", "the OSv kernel", fill, &s,
				      &cache, &s.log);
	if (r == 0)
		r = cmpimg_peer_service(ctx, st);
	if (r == 0)
		r = image_dir(ctx, st, dir, cache, row);
	if (r == 0) {
		struct compare_vm vm = {.dir = dir,
					.timeout_s = 120,
					.init_marker = MARKER,
					.peer = 1,
					.unikernel = 1,
					.min_lo = IMGCONF_MEM_MIN};

		r = compare_vm_row(ctx, st, row, &vm);
	} else if (r < 0) {
		snprintf(row->note, sizeof(row->note), "%s", ctx->err);
	}
	src_free(&s);
	free(cache), free(dir), free(base);
	return r == 1 ? 0 : r; /* 1: no sources, or an app OSv cannot run */
}
