/* The trace boot: what the app opens at run time that the static closure
 * did not see (an interpreter's modules, dlopen()ed plugins, NSS and gconv
 * modules, files named by config includes).
 *
 * The app boots once on its whole staged root (the image's own files, the
 * generated ones and the overlays, then every other file of the root but
 * docs, package state and API mounts), on the image's own kernel, with
 * tinyx.trace=1: its init runs it under a tracer (guest/trace.c) that says
 * every path the app opens or runs, while the probe checks every port it
 * serves. The paths the image lacks go back to the closure with the reason
 * opened-at-runtime. The app runs only inside the VM. The trace is cached
 * under CACHE/traces/KEY by its inputs: the recipe, the kernel, the init,
 * the closure's manifest, the spec and a listing of the root (path, type,
 * mode, owner, size, mtime). */
#include "image/trace.h"
#include "image/rootfs.h"
#include "guest/markers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define RECIPE "tinyx-trace-2" /* 2: the memory the app used */
#define TRACE_MIN_MB 512       /* the trace boot's RAM at least: what the app needs is measured */
#define FROM_ROOT "trace=staged-root"
#define TRACE_TIMEOUT_S 120

/* Not in the trace root: API mounts, package state and docs (what no image
 * may hold: image/rootfs.h's rules). The first five are made again empty
 * (mount points). /var/run stays: the link to /run. */
static const char *const not_walked[] = {
    "/proc",
    "/sys",
    "/dev",
    "/run",
    "/tmp",
    "/boot",
    "/media",
    "/mnt",
    "/var/cache/apt",
    "/var/lib/apt",
    "/var/lib/dpkg",
    "/var/log/apt",
    "/usr/share/doc",
    "/usr/share/man",
    "/usr/share/info",
    "/var/cache/man",
    "/etc/ld.so.cache",
    "/etc/resolv.conf", /* the build host's, copied by debootstrap */
    "/etc/hostname",
    "/usr/sbin/policy-rc.d",
    NULL};

static int is_under(const char *path, const char *const *list)
{
	for (int i = 0; list[i]; i++) {
		size_t n = strlen(list[i]);

		if (!strncmp(path, list[i], n) && (path[n] == '/' || !path[n]))
			return 1;
	}
	return 0;
}

/* A name mksquashfs's pseudo file can hold (image/squashfs.c) */
static int plain_name(const char *p)
{
	for (; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* Add e to t. A BusyBox applet of the image yields to the staged root's
 * own file at that path: Debian's scripts call Debian's tools (cp
 * --remove-destination, setpriv --reuid), and the trace must see them run
 * to bring them in (the image's entries win over the applets). */
static void add_walked(struct manifest *t, const struct ment *e)
{
	struct ment *old = manifest_find(t, e->type, e->path);

	if (!old || !old->reason || strcmp(old->reason, "rootfs=busybox-applet") ||
	    e->type == ME_DIR) {
		manifest_add(t, e);
		return;
	}
	manifest_ment_free(old);
	*old = *e;
	old->path = xstrdup(e->path);
	old->target = e->target ? xstrdup(e->target) : NULL;
	old->reason = xstrdup(e->reason);
}

/* Add rel's entries (rel "" is the root) to t, and their listing to s;
 * not the files the image makes at boot (made: the app spec's). */
static void walk(struct manifest *t, const char *root, const char *rel, struct sbuf *s,
		 const struct strv *made)
{
	char *dir = xasprintf("%s%s", root, rel);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *p, *host, target[4096];
		struct stat st;
		struct ment e = {.reason = FROM_ROOT};
		ssize_t n;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", rel, de->d_name);
		host = xasprintf("%s%s", root, p);
		if (is_under(p, not_walked) || !plain_name(p) || strv_contains(made, p) ||
		    lstat(host, &st) < 0)
			goto next;
		e.path = p;
		e.mode = st.st_mode & 07777;
		e.uid = st.st_uid;
		e.gid = st.st_gid;
		e.size = st.st_size;
		sbuf_printf(s, "%s %o %u %u %lld %lld\n", p, (unsigned)st.st_mode, e.uid, e.gid,
			    (long long)st.st_size, (long long)st.st_mtime);
		if (S_ISDIR(st.st_mode)) {
			e.type = ME_DIR;
			manifest_add(t, &e);
			walk(t, root, p, s, made);
		} else if (S_ISREG(st.st_mode)) {
			e.type = ME_FILE;
			add_walked(t, &e);
		} else if (S_ISLNK(st.st_mode) &&
			   (n = readlink(host, target, sizeof(target) - 1)) > 0) {
			target[n] = 0;
			e.type = ME_SLINK;
			e.target = target;
			if (plain_name(target) && target[0] != ' ')
				add_walked(t, &e);
		}
	next:
		free(p);
		free(host);
	}
	if (d)
		closedir(d);
	free(dir);
}

struct trace_job {
	struct bctx *b;
	struct manifest *t;
	const struct image_target *kvm;
	const char *kernel;
	struct strv *paths;
	int served;
	long long used_kb; /* the guest's memory in use once the app served; -1 unknown */
};

static void write_conf(struct trace_job *j, struct imgconf *c)
{
	char *append;

	image_target_conf(j->kvm, j->b->o->app, j->b->service, j->b->port, c);
	append = xasprintf("%s tinyx.trace=1", c->append);
	free(c->append);
	c->append = append;
	free(c->disk);
	c->disk = xstrdup("rootfs.squashfs");
	c->rng = j->b->spec.rng ? IMG_RNG_VIRTIO : IMG_RNG_NONE; /* as the image's */
	/* read on demand: the page cache, the tracer, the app; room enough
	 * that the app's own need shows (the image's RAM follows from it) */
	c->memory_mb = image_guest_mb(0, manifest_total_size(&j->b->m)) + 64;
	if (c->memory_mb < TRACE_MIN_MB)
		c->memory_mb = TRACE_MIN_MB;
}

/* One of the image's own entries (generated, overlay, init, BusyBox) into
 * the tree: a file replaces the root's (unlinked first: the tree's files
 * are the staged root's, hard-linked); dirs, links and nodes fill gaps. */
/* Does the dir of TREE/path lie inside TREE? (A parent may be a link of
 * the root, absolute or not: never followed out of the tree.) */
static int inside(const char *tree, const char *p)
{
	char *dir = path_dirname(p), *real = realpath(dir, NULL), *top = realpath(tree, NULL);
	size_t n = top ? strlen(top) : 0;
	int yes = real && top && !strncmp(real, top, n) && (real[n] == '/' || !real[n]);

	free(dir);
	free(real);
	free(top);
	return yes;
}

static int place(struct tx_ctx *ctx, const char *tree, const struct ment *e)
{
	char *p = xasprintf("%s%s", tree, e->path);
	struct stat st;
	int r = 0, have = lstat(p, &st) == 0;

	if (!inside(tree, p))
		goto out;
	if (e->type == ME_FILE && e->src) {
		unlink(p);
		r = copy_file(e->src, p, e->mode);
		if (r == 0 && (chown(p, e->uid, e->gid) < 0 || chmod(p, e->mode) < 0))
			r = -errno;
	} else if (have) {
		goto out;
	} else if (e->type == ME_DIR) {
		r = mkdir(p, e->mode) < 0 ? -errno : 0;
	} else if (e->type == ME_SLINK) {
		r = symlink(e->target, p) < 0 ? -errno : 0;
	} else if (e->type == ME_NOD) {
		r = mknod(p, (e->devtype == 'b' ? S_IFBLK : S_IFCHR) | e->mode,
			  makedev(e->major, e->minor)) < 0
			? -errno
			: 0;
	}
	if (r < 0)
		r = tx_fail(ctx, r, "trace", "cannot add '%s' to the trace root", e->path);
out:
	free(p);
	return r;
}

/* One entry the walk took from the root into the tree: a dir or link
 * made, a file hard-linked (copied from another file system: an overlay). */
static int from_root(const char *root, const char *tree, const struct ment *e)
{
	char *src = xasprintf("%s%s", root, e->path), *dst = xasprintf("%s%s", tree, e->path);
	struct stat st;
	int r = 0;

	/* there already (named through a link of the root), or out of the
	 * tree: left alone. Never written through: dst may be a hard link
	 * to the cached root's file */
	if (lstat(dst, &st) == 0 || !inside(tree, dst))
		goto out;
	if (e->type == ME_DIR)
		r = mkdir(dst, e->mode) < 0 ? -errno : 0;
	else if (e->type == ME_SLINK)
		r = symlink(e->target, dst) < 0 ? -errno : 0;
	else if (link(src, dst) < 0 && (r = errno == EXDEV ? 1 : -errno) == 1)
		r = copy_file(src, dst, e->mode) < 0 ? -EIO : 1; /* 1: a copy, root's */
	if (r >= 0 && (e->type != ME_FILE || r == 1) && lchown(dst, e->uid, e->gid) < 0)
		r = -errno;
	if (r == 1)
		r = 0;
	if (r == 0 && e->type == ME_DIR && chmod(dst, e->mode) < 0)
		r = -errno;
out:
	free(src);
	free(dst);
	return r;
}

/* TREE: the image's entries and the walked root's, files hard-linked
 * from the root (or copied) unless they have a source of their own; the
 * manifest is sorted, so dirs come before what they hold. */
static int make_tree(struct tx_ctx *ctx, const struct manifest *t, const char *tree)
{
	int r = mkdir(tree, 0755) < 0 ? -errno : 0;

	for (int i = 0; r == 0 && i < 5; i++) { /* API mounts and tmpfs points */
		char *p = xasprintf("%s%s", tree, not_walked[i]);

		r = mkdir(p, 0755) < 0 ? -errno : 0;
		free(p);
	}
	for (size_t i = 0; r == 0 && i < t->n; i++) {
		const struct ment *e = &t->e[i];

		if (e->type > ME_NOD)
			continue;
		if (e->src || e->type == ME_NOD) /* generated, overlay, init, BusyBox */
			r = place(ctx, tree, e);
		else if ((r = from_root(t->root, tree, e)) < 0)
			r = tx_fail(ctx, r, "trace", "cannot add '%s' to the trace root: %s",
				    e->path, strerror(-r));
	}
	return r;
}

static int mksquashfs_plain(struct tx_ctx *ctx, const char *tree, const char *out)
{
	/* stored (-noI -noD -noF) but named zstd: the kernel has no zlib */
	char *argv[] = {"mksquashfs", (char *)tree,   (char *)out, "-noappend", "-comp",
			"zstd",	      "-noI",	      "-noD",	   "-noF",	"-no-xattrs",
			"-quiet",     "-no-progress", NULL};
	int r = run_cmd(ctx, argv, NULL, 1);

	if (r != 0)
		return tx_fail(ctx, r < 0 ? r : -EIO, "trace", "mksquashfs failed on '%s'", tree);
	return 0;
}

/* Fill a cache entry: the image, the boot, TMP/paths (one per line). */
static int trace_fill(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	struct trace_job *j = arg;
	char *img = xasprintf("%s/img", tmp), *tree = xasprintf("%s/tree", tmp);
	char *sq = xasprintf("%s/rootfs.squashfs", img), *k = xasprintf("%s/kernel", img);
	struct probe_opts po = {.dir = img,
				.app = j->b->o->app,
				.runs = 1,
				.timeout_s = TRACE_TIMEOUT_S,
				.accel = "auto",
				.use_disk = 1,
				.trace = j->paths};
	struct probe_result pr = {0};
	struct imgconf c;
	struct sbuf s = {0};
	double t0 = now_ms();
	int r = mkdir_p(img, 0755);

	imgconf_init(&c);
	if (r == 0)
		r = make_tree(ctx, j->t, tree);
	if (r == 0)
		r = mksquashfs_plain(ctx, tree, sq);
	rm_rf(tree);
	if (r == 0 && (r = copy_file(j->kernel, k, 0644)) < 0)
		r = tx_fail(ctx, r, "trace", "cannot copy the kernel '%s'", j->kernel);
	if (r == 0) {
		imgconf_free(&c);
		write_conf(j, &c);
		r = imgconf_write(ctx, img, &c);
	}
	if (r == 0) {
		tx_info(ctx, "trace: booting %s on its whole staged root (%.0f MB, made in %.1f s)",
			j->b->o->app, file_size(sq) / 1e6, (now_ms() - t0) / 1000);
		r = probe_run(ctx, &po, &pr);
		j->served = r == 0;
		j->used_kb = r == 0 ? pr.guest_used_kb : -1;
	}
	for (size_t i = 0; r == 0 && i < j->paths->n; i++)
		sbuf_printf(&s, "%s\n", j->paths->v[i]);
	if (r == 0) {
		char *p = xasprintf("%s/paths", tmp);

		r = write_file_atomic(p, s.s ? s.s : "", s.len, 0644);
		free(p);
	}
	if (r == 0 && j->used_kb > 0) {
		char *p = xasprintf("%s/mem", tmp), n[32];

		snprintf(n, sizeof(n), "%lld\n", j->used_kb);
		r = write_file_atomic(p, n, strlen(n), 0644);
		free(p);
	}
	rm_rf(img);
	imgconf_free(&c);
	probe_result_free(&pr);
	sbuf_free(&s);
	free(img);
	free(tree);
	free(sq);
	free(k);
	return r;
}

/* The trace's key: every input that can change what the app opens. */
static void trace_key(struct bctx *b, const struct manifest *t, const char *listing,
		      const char *kernel_hash, char hex[65])
{
	struct sha256 h;
	struct sbuf s = {0};
	char sha[65], *init = xasprintf("%s/build/tinyx-init", b->ctx->srcdir);

	sha256_init(&h);
	sbuf_printf(&s, "%s\n%s\n", RECIPE, kernel_hash);
	sha256_file(init, sha);
	sbuf_printf(&s, "init %s\n", sha);
	for (size_t i = 0; i < t->n; i++) /* generated and overlay files */
		if (t->e[i].src && sha256_file(t->e[i].src, sha) == 0)
			sbuf_printf(&s, "%s %s\n", t->e[i].path, sha);
	manifest_text(&b->m, &s);
	sha256_update(&h, s.s, s.len);
	sha256_update(&h, listing, strlen(listing));
	sha256_hex(&h, hex);
	sbuf_free(&s);
	free(init);
}

static int read_paths(struct tx_ctx *ctx, const char *dir, struct strv *out)
{
	char *p = xasprintf("%s/paths", dir), *text = NULL, *save = NULL;
	int r = read_file(p, &text, NULL, 1 << 24);

	if (r < 0)
		r = tx_fail(ctx, r, "trace", "cannot read the cached trace '%s'", p);
	for (char *l = r < 0 ? NULL : strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		strv_push(out, l);
	free(text);
	free(p);
	return r < 0 ? r : 0;
}

/* What the image lacks of what the app opened: paths its trace root took
 * from the staged root (the image's own and generated files stay). */
static void missing(const struct strv *paths, struct manifest *t, struct strv *add)
{
	static const char *const never[] = {"/proc", "/sys", "/dev", "/run", "/tmp", NULL};

	for (size_t i = 0; i < paths->n; i++) {
		char *p = NULL;
		struct ment *e;

		/* how the image names it ("/lib/x" is "/usr/lib/x") */
		if (manifest_resolve_parents(t, paths->v[i], &p, NULL) < 0)
			continue;
		e = manifest_find(t, ME_FILE, p);

		if (strcmp(p, "/") && !is_under(p, never) && !is_under(p, not_walked) &&
		    (!e || !strcmp(e->reason, FROM_ROOT)))
			strv_push(add, p);
		free(p);
	}
}

/* The "(rng) HOW" entries out of paths, HOW into rng (the first one). */
static void take_rng(struct strv *paths, char *rng, size_t cap)
{
	size_t n = strlen(TINYX_TRACE_RNG), k = 0;

	rng[0] = 0;
	for (size_t i = 0; i < paths->n; i++) {
		if (strncmp(paths->v[i], TINYX_TRACE_RNG, n)) {
			paths->v[k++] = paths->v[i];
			continue;
		}
		if (!rng[0])
			snprintf(rng, cap, "%s", paths->v[i] + n);
		free(paths->v[i]);
	}
	paths->n = k;
	if (paths->v)
		paths->v[k] = NULL;
}

int image_trace(struct bctx *b, const char *kernel, const char *kernel_hash, struct strv *add,
		struct strv *opened, int *cached, long long *used_kb, char *rng, size_t rng_cap)
{
	struct tx_ctx *ctx = b->ctx;
	struct manifest t;
	struct rootfs_opts ro = {.spec = &b->spec,
				 .with_busybox = 1,
				 .hostname = b->o->app,
				 .overlays = b->o->overlays,
				 .noverlays = b->o->noverlays};
	struct trace_job j = {.b = b, .t = &t, .kernel = kernel, .used_kb = -1};
	struct strv paths = {0};
	struct sbuf listing = {0};
	char hex[65], *dir = NULL, *init = xasprintf("%s/build/tinyx-init", ctx->srcdir);
	char *gen = NULL;
	int r = 0;

	for (int i = 0; image_targets[i]; i++)
		if (!strcmp(image_targets[i]->name, "kvm"))
			j.kvm = image_targets[i];
	manifest_init(&t, b->o->app, b->m.root);
	for (size_t i = 0; i < b->m.n; i++)
		manifest_add(&t, &b->m.e[i]);
	ro.init = init;
	dir = xasprintf("%s/traces", ctx->cache);
	stale_pid_entries(dir, ".gen.", NULL);
	gen = xasprintf("%s/.gen.%d", dir, (int)getpid());
	rm_rf(gen);
	tx_tmp_register(gen);
	if ((r = mkdir_p(gen, 0755)) < 0)
		r = tx_fail(ctx, r, "trace", "cannot create '%s'", gen);
	ro.workdir = gen;
	if (r == 0)
		r = rootfs_assemble(ctx, &t, &ro);
	if (r < 0)
		goto out;
	walk(&t, b->m.root, "", &listing, &b->spec.made);
	manifest_sort(&t);
	trace_key(b, &t, listing.s ? listing.s : "", kernel_hash, hex);
	free(dir);
	dir = xasprintf("%s/traces/%s", ctx->cache, hex);
	j.paths = &paths;
	r = tx_cache_get(ctx,
			 &(struct tx_cache_entry){dir, "paths", "trace", NULL, trace_fill, &j});
	*cached = r == 1;
	if (r == 1) {
		char *mp = xasprintf("%s/mem", dir), *mt = NULL;

		if (read_file(mp, &mt, NULL, 64) == 0)
			j.used_kb = strtoll(mt, NULL, 10);
		free(mt);
		free(mp);
		r = read_paths(ctx, dir, &paths);
	} else if (r < 0) {
		/* not served on the whole root either: what it opened until
		 * then still helps; the image's own boot says the rest */
		tx_info(ctx, "%s; going on with the %zu paths it opened", ctx->err, paths.n);
		r = 0;
	}
	*used_kb = j.used_kb > 0 ? j.used_kb : -1;
	take_rng(&paths, rng, rng_cap);
	if (r >= 0) {
		missing(&paths, &t, add);
		for (size_t i = 0; opened && i < paths.n; i++)
			strv_push(opened, paths.v[i]);
		r = 0;
	}
out:
	rm_rf(gen);
	tx_tmp_release(gen);
	free(gen);
	manifest_free(&t);
	strv_free(&paths);
	sbuf_free(&listing);
	free(dir);
	free(init);
	return r;
}
