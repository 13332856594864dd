/* The stage stage: a Debian root for the app, kept in the cache by its key
 * (suite, arch, package set, mirror). debootstrap makes a minbase root once
 * per suite, arch and mirror; each app's root is a copy of it with the app's
 * packages added by apt-get in a chroot. Measured here (nginx, 2 cores):
 * debootstrap --include=nginx 52 s against 2 s of copy and 18 s of apt-get,
 * so every app after the first stages in a third of the time. */
#include "stage/stage.h"
#include "formats/aptsrc.h"

#include <errno.h>
#include <dirent.h>
#include <sys/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *host_arch(struct tx_ctx *ctx)
{
	char *argv[] = {"dpkg", "--print-architecture", NULL}, *out = NULL;

	if (run_capture(ctx, argv, &out, 4096) == 0 && *out) {
		out[strcspn(out, "\n")] = 0;
		return out;
	}
	free(out);
	return xstrdup("amd64");
}

/* "Extracting dpkg...", "Retrieving adduser 3.134" (debootstrap) or
 * "Unpacking nginx (1.22.1-9) ..." (apt-get): a package step; "Unpacking the
 * base system...": a phase */
static int is_perpkg(const char *l)
{
	static const char *const verbs[] = {"I: Retrieving ", "I: Validating ",	 "I: Extracting ",
					    "I: Unpacking ",  "I: Configuring ", "Unpacking ",
					    "Setting up "};
	int spaces = 0;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++) {
		if (strncmp(l, verbs[i], strlen(verbs[i])))
			continue;
		for (const char *p = l + strlen(verbs[i]); *p; p++)
			spaces += *p == ' ';
		return spaces <= 1 || *l != 'I';
	}
	return 0;
}

struct dbs_progress {
	struct tx_ctx *ctx;
	const char *tmp; /* the root being made */
	long count, total;
	double t0;
};

/* Words in FILE (debootstrap's package lists), 0 when it is not there. */
static long words_in(const char *tmp, const char *name)
{
	char *f = xasprintf("%s/debootstrap/%s", tmp, name), *text = NULL;
	size_t len;
	long n = 0;

	if (read_file(f, &text, &len, 1 << 20) == 0)
		for (char *w = strtok(text, " \t\n"); w; w = strtok(NULL, " \t\n"))
			n++;
	free(text);
	free(f);
	return n;
}

/* The steps to expect, once the output says: apt-get's "N newly installed"
 * (an Unpacking and a Setting up each), debootstrap's package lists once it
 * has written them (Retrieving, Validating, Extracting, Unpacking and
 * Configuring each). */
static void dbs_total(struct dbs_progress *p, const char *line)
{
	const char *n = strstr(line, " newly installed");

	if (n && strstr(line, " upgraded, ")) {
		while (n > line && n[-1] >= '0' && n[-1] <= '9')
			n--;
		p->total = 2 * strtol(n, NULL, 10);
	} else if (!p->total && !strncmp(line, "I: ", 3)) {
		p->total = 5 * (words_in(p->tmp, "required") + words_in(p->tmp, "base"));
	}
}

/* One line of debootstrap's or apt-get's output: a summary of it on the
 * terminal, with the steps done of about how many and the time left. */
static void dbs_line(void *arg, const char *line)
{
	struct dbs_progress *p = arg;
	struct tx_ctx *ctx = p->ctx;
	char of[64];

	if (!ctx->verbose)
		return;
	dbs_total(p, line);
	if (is_perpkg(line)) {
		p->count++;
		line += *line == 'I' ? 3 : 0;
		progress_tail(of, sizeof(of), p->count, p->total, p->t0);
		if (ctx->tty)
			fprintf(stderr, "\r\033[Ktinyx: stage: %ld steps%s: %.50s", p->count, of,
				line);
		else if (p->count % 50 == 0)
			fprintf(stderr, "tinyx: stage: %ld steps%s (%s)\n", p->count, of, line);
		return;
	}
	if (!strncmp(line, "I: ", 3) || !strncmp(line, "E: ", 3) || !strncmp(line, "W: ", 3))
		fprintf(stderr, "%stinyx: stage: %s\n", ctx->tty ? "\r\033[K" : "", line + 3);
}

static int check_names(struct tx_ctx *ctx, const char *app, const char *extra, struct strv *pkgs)
{
	char *dup = xstrdup(extra ? extra : "");

	strv_push(pkgs, app);
	for (char *t = strtok(dup, ","); t; t = strtok(NULL, ","))
		strv_push(pkgs, t);
	free(dup);
	for (size_t i = 0; i < pkgs->n; i++)
		if (!valid_pkg_name(pkgs->v[i]))
			return tx_fail(ctx, -EINVAL, "stage", "invalid package name '%s'",
				       pkgs->v[i]);
	strv_sort_uniq(pkgs);
	return 0;
}

/* The packages that provide a purely virtual one ("Reverse Provides:" of
 * apt-cache showpkg), at most 6, or NULL. */
static char *providers(struct tx_ctx *ctx, char *pkg)
{
	char *argv[] = {"apt-cache", "showpkg", pkg, NULL}, *out = NULL, *l = NULL;
	struct sbuf b = {0};
	int n = 0;

	if (run_capture_q(ctx, argv, &out, 1 << 20, 1) == 0)
		l = strstr(out, "Reverse Provides:");
	for (l = l ? strchr(l, '\n') : NULL; l && *++l && n < 6; l = strchr(l, '\n')) {
		char *e = strchr(l, ' '), *nl = strchr(l, '\n'), *name;

		if (!e || (nl && nl < e))
			break;
		name = xstrndup(l, (size_t)(e - l));
		if (!b.s || !strstr(b.s, name))
			sbuf_printf(&b, "%s%s", n++ ? ", " : "", name);
		free(name);
	}
	free(out);
	return b.s;
}

/* Every package must be in the apt index: fail in seconds, not after a
 * debootstrap run. An empty answer with success: a purely virtual package. */
static int check_known(struct tx_ctx *ctx, const struct strv *pkgs)
{
	for (size_t i = 0; i < pkgs->n; i++) {
		char *argv[] = {"apt-cache", "show", "--no-all-versions", pkgs->v[i], NULL};
		char *out = NULL, *prov;
		int st = run_capture_q(ctx, argv, &out, 1 << 20, 1), r = 0;

		if (st < 0)
			r = tx_fail(ctx, st, "stage",
				    "cannot query the apt index for '%s' (is apt-cache installed?)",
				    pkgs->v[i]);
		else if (st > 0)
			r = tx_fail(ctx, -ENOENT, "stage",
				    "unknown package '%s' (not in the apt index; maybe run "
				    "'apt-get update')",
				    pkgs->v[i]);
		else if (!strstr(out, "Package: ")) {
			prov = providers(ctx, pkgs->v[i]);
			r = tx_fail(ctx, -ENOENT, "stage",
				    "'%s' is a virtual package; name one that provides it%s%s",
				    pkgs->v[i], prov ? ", e.g. " : "", prov ? prov : "");
			free(prov);
		}
		free(out);
		if (r < 0)
			return r;
	}
	return 0;
}

/* What one staged root is made of. */
struct stage_job {
	const char *app, *suite;
	char *arch, *mirror, *roots;
	char *base, *minbase; /* APP-KEY; _minbase-KEY, the root it is a copy of */
	const struct strv *pkgs;
};

/* Downloaded .debs are not part of the root. */
static void drop_debs(const char *root)
{
	char *debs = xasprintf("%s/var/cache/apt/archives", root);
	DIR *d = opendir(debs);

	for (struct dirent *de; d && (de = readdir(d));) {
		size_t n = strlen(de->d_name);

		if (n > 4 && !strcmp(de->d_name + n - 4, ".deb"))
			unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	free(debs);
}

/* Run s (debootstrap, or apt-get in a chroot) for the root being made in
 * tmp, its output to ROOTS/NAME.log and a summary to the terminal; then undo
 * the mounts it made below tmp and drop the downloaded .debs. */
static int run_staging(struct tx_ctx *ctx, const struct stage_job *j, const char *name,
		       const char *tmp, const struct tx_spawn *s, const char *what)
{
	char *log = xasprintf("%s/%s.log", j->roots, name), *prefix = xasprintf("%s.tmp.", name);
	struct dbs_progress p = {ctx, tmp, 0, 0, now_ms()};
	/* a group of its own: on Ctrl-C or SIGTERM every process of it (apt-get,
	 * dpkg and the maintainer scripts in the chroot) is gone before the
	 * half-made root is removed */
	struct tx_spawn c = *s;
	int r;

	/* the cache removed what it could of dead runs' roots (NAME.tmp.PID):
	 * their mounts need unmounting first */
	stale_pid_entries(j->roots, prefix, NULL);
	tx_info(ctx, "stage: %s (%s) from the host's apt mirror; log in %s", what, j->arch, log);
	c.flags |= TX_SPAWN_PGRP;
	r = tx_run_lines(ctx, &c, log, dbs_line, &p);
	if (ctx->verbose && ctx->tty)
		fputs("\r\033[K", stderr);
	umount_below(tmp);
	if (r < 0)
		r = tx_fail(ctx, r, "stage", "cannot run '%s' (maybe apt-get install debootstrap)",
			    s->argv[0]);
	else if (r > 0)
		r = tx_fail(ctx, -EIO, "stage", "%s failed for '%s' (see '%s')", what, j->app, log);
	if (r == 0)
		drop_debs(tmp);
	free(prefix);
	free(log);
	return r;
}

/* The marker that makes a staged root whole: what it was made of. */
static int mark_root(struct tx_ctx *ctx, const struct stage_job *j, const char *tmp,
		     const char *packages)
{
	char *m = xasprintf("%s/.tinyx-stage", tmp);
	char *info = xasprintf("suite=%s\narch=%s\nmirror=%s\npackages=%s\n", j->suite, j->arch,
			       j->mirror, packages);
	int r = write_file_atomic(m, info, strlen(info), 0644);

	if (r < 0)
		r = tx_fail(ctx, r, "stage", "cannot finish root '%s'", tmp);
	free(m);
	free(info);
	return r;
}

/* debootstrap minbase into tmp: what every app's root starts from. */
static int fill_minbase(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	const struct stage_job *j = arg;
	char *arch = xasprintf("--arch=%s", j->arch);
	char *argv[] = {"debootstrap", "--variant=minbase", arch, (char *)j->suite,
			(char *)tmp,   j->mirror,	    NULL};
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	char *what = xasprintf("debootstrap %s minbase", j->suite);
	int r = run_staging(ctx, j, j->minbase, tmp, &s, what);

	free(what);
	free(arch);
	return r ? r : mark_root(ctx, j, tmp, "");
}

/* tmp ready for apt-get in a chroot: policy-rc.d (no daemon starts while
 * staging), /proc and /sys (as debootstrap mounts them), and a file: mirror
 * bound at its own path. */
static int prepare_chroot(struct tx_ctx *ctx, const struct stage_job *j, const char *tmp)
{
	static const char policy[] =
	    "#!/bin/sh\n# tinyx: no daemon starts while staging\nexit 101\n";
	char *rc = xasprintf("%s/usr/sbin/policy-rc.d", tmp);
	char *proc = xasprintf("%s/proc", tmp), *sys = xasprintf("%s/sys", tmp);
	const char *local = strncmp(j->mirror, "file:", 5) ? NULL : j->mirror + 5;
	char *in = local ? xasprintf("%s/%s", tmp, local) : NULL;
	int r = 0;

	if (write_file_atomic(rc, policy, sizeof(policy) - 1, 0755) < 0 ||
	    mount("proc", proc, "proc", 0, NULL) || mount("sysfs", sys, "sysfs", 0, NULL) ||
	    (in && (mkdir_p(in, 0755) || mount(local, in, NULL, MS_BIND, NULL))))
		r = tx_fail(ctx, errno ? -errno : -EIO, "stage", "cannot prepare the chroot '%s'",
			    tmp);
	free(rc);
	free(proc);
	free(sys);
	free(in);
	return r;
}

/* The app's packages into a copy of the minbase root, by apt-get in a
 * chroot; the index is fetched anew, so an old minbase root still finds
 * today's packages on the mirror. Then what the named packages themselves
 * recommend (the first of each "a | b"), as `apt install` would take it
 * (unbound's dns-root-data: its trust anchor), but not their dependencies'
 * recommendations, which would fill every root with tools no service runs;
 * one that cannot be installed is passed over, as apt does, and a name
 * that is not a package name (the metadata is not trusted) is never
 * passed to apt-get. */
static int fill_root(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	static char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
				    "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C", NULL};
	static const char cmd[] =
	    "apt-get -q -o Dpkg::Use-Pty=0 update && "
	    "apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends install \"$@\" && "
	    "rec=$(dpkg-query -W -f='${Recommends},' \"$@\" | tr ',' '\\n' | "
	    "sed 's/|.*//; s/(.*//; s/:any//; s/[[:space:]]//g' | "
	    "grep -E '^[a-z0-9][a-z0-9.+-]*$' | sort -u) && "
	    "for r in $rec; do apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends "
	    "install \"$r\" || echo \"tinyx: stage: recommended package not installed '$r'\"; "
	    "done";
	const struct stage_job *j = arg;
	struct strv argv = {0};
	struct sbuf list = {0};
	char *from = xasprintf("%s/%s/.", j->roots, j->minbase), *what = NULL;
	char *cp[] = {"cp", "-a", "--reflink=auto", from, (char *)tmp, NULL};
	char *rc = xasprintf("%s/usr/sbin/policy-rc.d", tmp);
	struct tx_spawn s = TX_SPAWN_INIT(NULL);
	int r = 0;

	if (run_cmd(ctx, cp, NULL, 2) != 0)
		r = tx_fail(ctx, -EIO, "stage", "cannot copy the minbase root '%s'", from);
	if (r == 0)
		r = prepare_chroot(ctx, j, tmp);
	for (const char *const *a =
		 (const char *const[]){"chroot", tmp, "sh", "-c", cmd, "sh", NULL};
	     *a; a++)
		strv_push(&argv, *a);
	for (size_t i = 0; i < j->pkgs->n; i++) {
		strv_push(&argv, j->pkgs->v[i]);
		sbuf_printf(&list, "%s%s", i ? "," : "", j->pkgs->v[i]);
	}
	s.argv = argv.v;
	s.envp = (char **)env;
	what = xasprintf("apt-get install %s", list.s);
	if (r == 0)
		r = run_staging(ctx, j, j->base, tmp, &s, what);
	umount_below(tmp);
	unlink(rc);
	if (r == 0)
		r = mark_root(ctx, j, tmp, list.s);
	strv_free(&argv);
	sbuf_free(&list);
	free(what);
	free(from);
	free(rc);
	return r;
}

/* The cache key: 64 bits of sha256 are plenty to tell package sets apart.
 * No package set: the minbase root's key. */
static void stage_key(const struct stage_job *j, const struct strv *pkgs, char key[17])
{
	struct sha256 h;
	char hex[65];

	sha256_init(&h);
	sha256_update(&h, "tinyx-stage-2\n", 14);
	sha256_update(&h, j->suite, strlen(j->suite) + 1);
	sha256_update(&h, j->arch, strlen(j->arch) + 1);
	sha256_update(&h, j->mirror, strlen(j->mirror) + 1);
	if (pkgs) /* the app's root: its packages and their Recommends */
		sha256_update(&h, "recommends-1\n", 13);
	for (size_t i = 0; pkgs && i < pkgs->n; i++)
		sha256_update(&h, pkgs->v[i], strlen(pkgs->v[i]) + 1);
	sha256_hex(&h, hex);
	memcpy(key, hex, 16);
	key[16] = 0;
}

/* The minbase root, then the app's (the caller's e) from it. */
static int stage_both(struct tx_ctx *ctx, struct stage_job *j, struct tx_cache_entry *e)
{
	char key[17];
	struct tx_cache_entry b = *e;
	int r;

	/* every package must be in the apt index: fail in seconds, not after debootstrap */
	if ((r = check_known(ctx, j->pkgs)) < 0)
		return r;
	if (geteuid() != 0)
		return tx_fail(ctx, -EPERM, "stage",
			       "debootstrap needs root to stage '%s' (run tinyx as root)", j->app);
	stage_key(j, NULL, key);
	j->minbase = xasprintf("_minbase-%s", key);
	b.dir = xasprintf("%s/%s", j->roots, j->minbase);
	b.what = "minbase root (once for every app)";
	b.fill = fill_minbase;
	r = tx_cache_get(ctx, &b);
	free((char *)b.dir);
	return r < 0 ? r : tx_cache_get(ctx, e);
}

int stage_root(struct tx_ctx *ctx, const char *app, const struct stage_opts *o, char **root_out)
{
	struct strv pkgs = {0};
	struct stage_job j = {
	    .app = app, .suite = o && o->suite ? o->suite : "bookworm", .pkgs = &pkgs};
	struct tx_cache_entry e = {
	    .marker = ".tinyx-stage", .stage = "stage", .fill = fill_root, .arg = &j};
	char *root = NULL, key[17];
	char *what = xasprintf("%s root", app); /* "stage: APP root ready in S s" */
	int r = check_names(ctx, app, o ? o->extra : NULL, &pkgs);

	if (r == 0 && o && o->mirror)
		j.mirror = xstrdup(o->mirror);
	else if (r == 0) {
		const char *was = tx_stage(ctx, "stage");

		r = aptsrc_mirror(ctx, "/etc/apt", j.suite, &j.mirror);
		tx_stage(ctx, was);
	}
	if (r == 0 && strncmp(j.mirror, "http://", 7) && strncmp(j.mirror, "https://", 8) &&
	    strncmp(j.mirror, "file:/", 6))
		r = tx_fail(ctx, -EINVAL, "stage", "unsupported mirror URL '%s'", j.mirror);
	if (r == 0) {
		j.arch = o && o->arch ? xstrdup(o->arch) : host_arch(ctx);
		stage_key(&j, &pkgs, key);
		j.roots = xasprintf("%s/roots", ctx->cache);
		j.base = xasprintf("%s-%s", app, key);
		e.dir = root = xasprintf("%s/%s", j.roots, j.base);
		e.what = what;
		r = tx_cache_has(&e) ? tx_cache_get(ctx, &e) : stage_both(ctx, &j, &e);
	}
	if (r == 1)
		tx_info(ctx, "stage: reusing %s root %s", app, root);
	if (r >= 0) {
		*root_out = root;
		root = NULL;
		r = 0;
	}
	strv_free(&pkgs);
	free(j.mirror);
	free(j.arch);
	free(j.roots);
	free(j.base);
	free(j.minbase);
	free(what);
	free(root);
	return r;
}
