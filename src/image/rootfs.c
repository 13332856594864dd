/* Rootfs assembly: init, BusyBox, base dirs and nodes, generated /etc files
 * and overlays, all added to the manifest (which stays the only truth). */
#include "image/rootfs.h"
#include "formats/elfread.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A small useful set: a shell and what one needs to look around a running VM,
 * its network and its processes, and to stop it. The rest of BusyBox's ~400
 * applets cost nothing but links, yet every link is a tool in an attacker's
 * hands and noise in the manifest. */
static const char *const applets[] = {
    "[",      "awk",	  "cat",    "chmod",	"chown", "cp",	    "cut",	"date",	 "df",
    "dmesg",  "du",	  "echo",   "env",	"false", "find",    "free",	"grep",	 "halt",
    "head",   "hostname", "id",	    "ifconfig", "ip",	 "kill",    "less",	"ln",	 "ls",
    "mkdir",  "more",	  "mount",  "mv",	"nc",	 "netstat", "nslookup", "ping",	 "poweroff",
    "printf", "ps",	  "reboot", "rm",	"sed",	 "sh",	    "sleep",	"sort",	 "sync",
    "tail",   "test",	  "top",    "touch",	"tr",	 "true",    "umount",	"uname", "uniq",
    "vi",     "wc",	  "wget",   "which",	"xargs", NULL};

struct rctx {
	struct tx_ctx *ctx;
	struct manifest *m;
	char *gendir;
};

/* Follow the manifest's symlinks in the parent components of path, so that
 * "/bin/busybox" lands at "/usr/bin/busybox" when /bin -> usr/bin. */
static int resolve_parents(struct rctx *r, const char *path, char **out)
{
	char *bad = NULL;
	int err = manifest_resolve_parents(r->m, path, out, &bad);

	if (err == -ELOOP)
		err = tx_fail(r->ctx, err, "rootfs", "too many symlinks resolving '%s'", path);
	else if (err)
		err =
		    tx_fail(r->ctx, err, "rootfs", "cannot add '%s': '%s' is not a dir", path, bad);
	free(bad);
	return err;
}

static void add_parent_dirs(struct rctx *r, const char *path)
{
	char *dir = path_dirname(path);
	struct ment d = {.type = ME_DIR, .path = dir, .mode = 0755, .reason = "rootfs=parent"};

	if (strcmp(dir, "/") && !manifest_find(r->m, ME_DIR, dir)) {
		add_parent_dirs(r, dir);
		manifest_add(r->m, &d);
	}
	free(dir);
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

/* Add e (parents first); an existing entry is replaced when replace is set
 * (it must be of the same kind), else kept. */
static int put(struct rctx *r, const struct ment *e, int replace)
{
	struct ment c = *e, *old = NULL;
	char *path = NULL;
	int err = resolve_parents(r, e->path, &path);

	if (!err) {
		add_parent_dirs(r, path);
		old = manifest_find(r->m, e->type, path);
	}
	if (!err && !old) {
		c.path = path;
		manifest_add(r->m, &c);
	} else if (old && replace && old->type != e->type) {
		err = tx_fail(r->ctx, -EEXIST, "rootfs",
			      "cannot replace '%s': it is a %s in the manifest", path,
			      old->type == ME_DIR ? "dir" : "different kind of entry");
	} else if (old && replace) {
		set_str(&old->src, e->src);
		set_str(&old->target, e->target);
		set_str(&old->reason, e->reason);
		old->mode = e->mode;
		old->uid = e->uid;
		old->gid = e->gid;
		old->size = e->size;
	}
	free(path);
	return err;
}

static int put_host_file(struct rctx *r, const char *path, const char *host, unsigned mode,
			 const char *reason, int replace)
{
	struct ment e = {.type = ME_FILE,
			 .path = (char *)path,
			 .mode = mode,
			 .src = (char *)host,
			 .reason = (char *)reason};
	struct stat st;

	if (stat(host, &st) < 0 || !S_ISREG(st.st_mode) || access(host, R_OK) < 0)
		return tx_fail(r->ctx, -ENOENT, "rootfs", "cannot read file '%s' for '%s'", host,
			       path);
	e.size = st.st_size;
	return put(r, &e, replace);
}

/* Write generated content to GENDIR/BASENAME and add it at path. */
static int put_generated(struct rctx *r, const char *path, const char *text, unsigned mode)
{
	char *host = xasprintf("%s/%s", r->gendir, path_basename(path));
	int err = write_file_atomic(host, text, strlen(text), 0644);

	if (err)
		err = tx_fail(r->ctx, err, "rootfs", "cannot write '%s': %s", host, strerror(-err));
	else
		err = put_host_file(r, path, host, mode, "rootfs=generated", 1);
	free(host);
	return err;
}

static int cmp_account(const void *a, const void *b)
{
	const struct ment *x = *(const struct ment *const *)a, *y = *(const struct ment *const *)b;
	unsigned ix = x->type == ME_USER ? x->uid : x->gid,
		 iy = y->type == ME_USER ? y->uid : y->gid;

	return ix != iy ? (ix < iy ? -1 : 1) : strcmp(x->path, y->path);
}

/* An account name, home or shell that would break a colon-separated line. */
static int bad_field(const char *s)
{
	return s && strpbrk(s, ":\n\r") != NULL;
}

static int gen_accounts(struct rctx *r, int with_sh)
{
	static const char *const files[] = {"/etc/passwd", "/etc/group", "/etc/shadow"};
	struct sbuf f[3] = {0}, *pw = &f[0], *gr = &f[1], *sh = &f[2];
	const struct ment **v = xcalloc(r->m->n ? r->m->n : 1, sizeof(*v));
	size_t k = 0;
	int err = 0;

	sbuf_printf(pw, "root:x:0:0:root:/root:%s\n", with_sh ? "/bin/sh" : "/sbin/nologin");
	sbuf_puts(gr, "root:x:0:\n");
	sbuf_puts(sh, "root:*::0:99999:7:::\n");
	for (size_t i = 0; i < r->m->n; i++)
		if ((r->m->e[i].type == ME_USER || r->m->e[i].type == ME_GROUP) &&
		    strcmp(r->m->e[i].path, "root"))
			v[k++] = &r->m->e[i];
	qsort(v, k, sizeof(*v), cmp_account);
	for (size_t i = 0; i < k && !err; i++) {
		const struct ment *e = v[i];

		if (!e->path || bad_field(e->path) || bad_field(e->target) ||
		    (e->type == ME_USER && bad_field(e->shell))) {
			err = tx_fail(r->ctx, -EINVAL, "rootfs", "bad account '%s' in the manifest",
				      e->path);
		} else if (e->type == ME_USER) {
			sbuf_printf(pw, "%s:x:%u:%u::%s:%s\n", e->path, e->uid, e->gid,
				    e->target ? e->target : "/nonexistent",
				    e->shell ? e->shell : "/usr/sbin/nologin");
			sbuf_printf(sh, "%s:*::0:99999:7:::\n", e->path);
		} else {
			/* its members: the closure kept those that are users here */
			sbuf_printf(gr, "%s:x:%u:%s\n", e->path, e->gid,
				    e->target ? e->target : "");
		}
	}
	for (int i = 0; i < 3; i++) {
		if (!err)
			err = put_generated(r, files[i], f[i].s, i == 2 ? 0600 : 0644);
		sbuf_free(&f[i]);
	}
	free(v);
	return err;
}

/* A static executable has no PT_INTERP: a dynamic BusyBox would not run in an
 * image that lacks its libc. */
static int is_static_elf(struct tx_ctx *ctx, const char *path)
{
	struct elf_info ei = {0};
	int ok = elf_read(ctx, path, &ei) == 0 && ei.elfclass == ELFCLASS64 && !ei.interp;

	elf_info_free(&ei);
	return ok;
}

static int add_busybox(struct rctx *r, const char *bb)
{
	char *argv[] = {(char *)bb, "--list-full", NULL}, *list = NULL;
	struct ment e = {.type = ME_SLINK,
			 .mode = 0777,
			 .target = "/bin/busybox",
			 .reason = "rootfs=busybox-applet"};
	int err;

	if (!is_static_elf(r->ctx, bb))
		return tx_fail(r->ctx, -EINVAL, "rootfs",
			       "'%s' is not a static executable (maybe install busybox-static)",
			       bb);
	err = put_host_file(r, "/bin/busybox", bb, 0755, "rootfs=busybox", 1);
	if (err)
		return err;
	err = run_capture(r->ctx, argv, &list, 1 << 20);
	if (err) {
		free(list);
		return tx_fail(r->ctx, err < 0 ? err : -EIO, "rootfs",
			       "cannot list the applets of '%s'", bb);
	}
	for (char *l = list, *nl; l && *l && !err; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = 0;
		for (size_t i = 0; applets[i] && !err; i++) {
			if (strcmp(applets[i], path_basename(l)) || strstr(l, ".."))
				continue;
			e.path = xasprintf("/%s", l);
			err = put(r, &e, 0);
			free(e.path);
		}
	}
	free(list);
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int overlay_dir(struct rctx *r, const char *host, const char *path, const char *reason,
		       int top);

/* One overlay entry: host file h at in-image path p. */
static int overlay_entry(struct rctx *r, const char *h, char *p, const char *reason)
{
	struct ment e = {.type = ME_DIR, .path = p, .reason = (char *)reason};
	struct stat st;
	char lnk[4096];
	ssize_t ln;
	int fd = -1, err;

	if (lstat(h, &st) < 0 ||
	    (S_ISREG(st.st_mode) && (fd = open(h, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0))
		return tx_fail(r->ctx, -errno, "rootfs", "cannot read overlay file '%s'", h);
	e.mode = st.st_mode & 07777;
	if (fd >= 0) {
		close(fd);
		return put_host_file(r, p, h, e.mode, reason, 1);
	}
	if (S_ISDIR(st.st_mode)) {
		err = put(r, &e, 0);
		return err ? err : overlay_dir(r, h, p, reason, 0);
	}
	if (!S_ISLNK(st.st_mode))
		return tx_fail(r->ctx, -EPERM, "rootfs",
			       "overlay entry '%s' is a device, fifo or socket (only files, "
			       "dirs and symlinks are taken)",
			       h);
	ln = readlink(h, lnk, sizeof(lnk) - 1);
	if (ln >= 0)
		lnk[ln] = 0;
	if (ln < 0 || !rootfs_link_inside(p, lnk))
		return tx_fail(r->ctx, -EPERM, "rootfs", "overlay symlink '%s' -> '%s' %s", h,
			       ln < 0 ? "" : lnk,
			       ln >= 0 && lnk[0] == '/' ? "is absolute (use a relative target)"
							: "points outside the root");
	e.type = ME_SLINK;
	e.target = lnk;
	e.mode = 0777;
	return put(r, &e, 1);
}

static int overlay_dir(struct rctx *r, const char *host, const char *path, const char *reason,
		       int top)
{
	DIR *d = opendir(host);
	struct strv names = {0};
	struct dirent *de;
	int err = 0;

	if (!d)
		return tx_fail(r->ctx, -errno, "rootfs", "cannot read overlay dir '%s'", host);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&names, de->d_name);
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n && !err; i++) {
		char *h = xasprintf("%s/%s", host, names.v[i]);
		char *p = xasprintf("%s/%s", strcmp(path, "/") ? path : "", names.v[i]);

		/* a top-level 'hints' is the closure's input, not a file of the image */
		if (!top || strcmp(names.v[i], "hints"))
			err = overlay_entry(r, h, p, reason);
		free(h);
		free(p);
	}
	strv_free(&names);
	return err;
}

static int add_overlay(struct rctx *r, const char *projdir, const char *name)
{
	char *dir = xasprintf("%s/rootfs-overlays/%s", projdir, name);
	char *reason = xasprintf("overlay=%s", name);
	int err = 0;

	if (is_dir(dir))
		err = overlay_dir(r, dir, "/", reason, 1);
	free(dir);
	free(reason);
	return err;
}

/* The base dirs, then /dev/console and /dev/null (char nodes: major set). */
static const struct {
	const char *path;
	unsigned mode, major, minor;
} base[] = {{"/dev", 0755, 0, 0},     {"/etc", 0755, 0, 0},	 {"/etc/tinyx", 0755, 0, 0},
	    {"/proc", 0555, 0, 0},    {"/root", 0700, 0, 0},	 {"/run", 0755, 0, 0},
	    {"/sys", 0555, 0, 0},     {"/tmp", 01777, 0, 0},	 {"/var", 0755, 0, 0},
	    {"/var/log", 0755, 0, 0}, {"/var/tmp", 01777, 0, 0}, {"/dev/console", 0600, 5, 1},
	    {"/dev/null", 0666, 1, 3}};

static int add_base(struct rctx *r)
{
	int err = 0;

	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]) && !err; i++) {
		struct ment e = {.type = base[i].major ? ME_NOD : ME_DIR,
				 .path = (char *)base[i].path,
				 .mode = base[i].mode,
				 .devtype = base[i].major ? 'c' : 0,
				 .major = base[i].major,
				 .minor = base[i].minor,
				 .reason = "rootfs=base"};

		err = put(r, &e, 0);
	}
	return err;
}

static int make_gendir(struct rctx *r, const struct rootfs_opts *o)
{
	const char *t = getenv("TMPDIR");

	if (!o->workdir) {
		r->gendir = xasprintf("%s/tinyx-rootfs-XXXXXX", t && *t ? t : "/tmp");
		return mkdtemp(r->gendir) ? 0
					  : tx_fail(r->ctx, -errno, "rootfs",
						    "cannot create a temp dir '%s'", r->gendir);
	}
	r->gendir = xasprintf("%s/rootfs-gen", o->workdir);
	rm_rf(r->gendir);
	return mkdir_p(r->gendir, 0755) < 0
		   ? tx_fail(r->ctx, -errno, "rootfs", "cannot create '%s'", r->gendir)
		   : 0;
}

static int add_generated(struct rctx *r, const struct rootfs_opts *o)
{
	struct sbuf conf = {0};
	const char *was = tx_stage(r->ctx, "rootfs");
	char *host;
	int err = appspec_check(r->ctx, o->spec);

	tx_stage(r->ctx, was);
	if (err)
		return err;
	appspec_text(o->spec, &conf);
	err = put_generated(r, "/etc/tinyx/app.conf", conf.s, 0644);
	sbuf_free(&conf);
	if (!err) {
		host = xasprintf("%s\n", o->hostname ? o->hostname : "tinyx");
		err = put_generated(r, "/etc/hostname", host, 0644);
		free(host);
	}
	if (!err && o->debug_shell)
		err = put_generated(r, "/etc/tinyx/debug-shell",
				    "# tinyx.debug_shell=1 on the kernel command line starts "
				    "/bin/sh on the console\n",
				    0644);
	if (!err)
		err = gen_accounts(r, o->with_busybox);
	return err;
}

int rootfs_assemble(struct tx_ctx *ctx, struct manifest *m, const struct rootfs_opts *o)
{
	struct rctx r = {.ctx = ctx, .m = m};
	const char *projdir = o->projdir ? o->projdir : ctx->srcdir;
	int err;

	if (!o->spec)
		return tx_fail(ctx, -EINVAL, "rootfs", "no app spec for '%s'", m->app);
	if (!o->init)
		return tx_fail(ctx, -EINVAL, "rootfs", "no guest init (maybe run make)");
	if (o->debug_shell && !o->with_busybox)
		return tx_fail(ctx, -EINVAL, "rootfs", "a debug shell needs BusyBox");
	if (!valid_pkg_name(m->app))
		return tx_fail(ctx, -EINVAL, "rootfs", "bad app name '%s'", m->app);
	err = make_gendir(&r, o);
	if (!err)
		err = put_host_file(&r, "/init", o->init, 0755, "rootfs=init", 1);
	if (!err)
		err = add_base(&r);
	if (!err && o->with_busybox)
		err = add_busybox(&r, o->busybox ? o->busybox : "/bin/busybox");
	if (!err)
		err = add_generated(&r, o);
	if (!err && projdir)
		err = add_overlay(&r, projdir, "common");
	if (!err && projdir)
		err = add_overlay(&r, projdir, m->app);
	for (int i = 0; !err && i < o->noverlays; i++)
		err = overlay_dir(&r, o->overlays[i], "/", "overlay=operator", 0);
	if (!err)
		err = rootfs_check(ctx, m);
	free(r.gendir);
	return err;
}
