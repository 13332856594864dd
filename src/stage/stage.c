/* The stage stage: a Debian root for the app, made by debootstrap once per
 * key (suite, arch, package set, mirror) and kept in the cache. */
#include "stage/stage.h"
#include "formats/aptsrc.h"

#include <errno.h>
#include <dirent.h>
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

/* "Extracting dpkg...", "Retrieving adduser 3.134": a package step;
 * "Unpacking the base system...": a phase */
static int is_perpkg(const char *l)
{
	static const char *const verbs[] = {"I: Retrieving ", "I: Validating ", "I: Extracting ",
					    "I: Unpacking ", "I: Configuring "};
	int spaces = 0;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++) {
		if (strncmp(l, verbs[i], strlen(verbs[i])))
			continue;
		for (const char *p = l + strlen(verbs[i]); *p; p++)
			spaces += *p == ' ';
		return spaces <= 1;
	}
	return 0;
}

struct dbs_progress {
	struct tx_ctx *ctx;
	int count;
};

/* One line of debootstrap's output: a summary of it on the terminal. */
static void dbs_line(void *arg, const char *line)
{
	struct dbs_progress *p = arg;
	struct tx_ctx *ctx = p->ctx;

	if (!ctx->verbose)
		return;
	if (is_perpkg(line)) {
		p->count++;
		if (ctx->tty)
			fprintf(stderr, "\r\033[Ktinyx: stage: %d steps: %.60s", p->count,
				line + 3);
		else if (p->count % 50 == 0)
			fprintf(stderr, "tinyx: stage: %d steps (%s)\n", p->count, line + 3);
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
	char *arch, *mirror, *roots, *base; /* base: APP-KEY */
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

/* debootstrap into tmp, then the marker (tx_cache_get's fill). Its output
 * goes to the log, a summary to the terminal. */
static int fill_root(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	const struct stage_job *j = arg;
	struct sbuf inc = {0};
	char *log = xasprintf("%s/%s.log", j->roots, j->base), *m, *info, *prefix;
	char *arch = xasprintf("--arch=%s", j->arch);
	char *argv[] = {"debootstrap",	  "--variant=minbase", NULL,	  arch,
			(char *)j->suite, (char *)tmp,	       j->mirror, NULL};
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	struct dbs_progress p = {ctx, 0};
	int r = check_known(ctx, j->pkgs);

	if (r == 0 && geteuid() != 0)
		r = tx_fail(ctx, -EPERM, "stage",
			    "debootstrap needs root to stage '%s' (run tinyx as root)", j->app);
	if (r < 0)
		goto out;
	/* the cache removed what it could of dead runs' roots (BASE.tmp.PID):
	 * debootstrap's mounts need unmounting first */
	prefix = xasprintf("%s.tmp.", j->base);
	stale_pid_entries(j->roots, prefix, NULL);
	free(prefix);
	sbuf_puts(&inc, "--include=");
	for (size_t i = 0; i < j->pkgs->n; i++)
		sbuf_printf(&inc, "%s%s", i ? "," : "", j->pkgs->v[i]);
	argv[2] = inc.s;
	tx_info(ctx, "stage: debootstrap %s %s (%s) from the host's apt mirror; log in %s",
		j->suite, inc.s + 10, j->arch, log);
	r = tx_run_lines(ctx, &s, log, dbs_line, &p);
	if (ctx->verbose && ctx->tty)
		fputs("\r\033[K", stderr);
	umount_below(tmp);
	if (r < 0)
		r = tx_fail(ctx, r, "stage",
			    "cannot run debootstrap (maybe apt-get install debootstrap)");
	else if (r > 0)
		r = tx_fail(ctx, -EIO, "stage", "debootstrap failed for '%s' (see '%s')", j->app,
			    log);
	if (r < 0)
		goto out;
	drop_debs(tmp);
	m = xasprintf("%s/.tinyx-stage", tmp);
	info = xasprintf("suite=%s\narch=%s\nmirror=%s\npackages=%s\n", j->suite, j->arch,
			 j->mirror, inc.s + 10);
	r = write_file_atomic(m, info, strlen(info), 0644);
	if (r < 0)
		r = tx_fail(ctx, r, "stage", "cannot finish root '%s'", tmp);
	free(m);
	free(info);
out:
	sbuf_free(&inc);
	free(arch);
	free(log);
	return r;
}

/* The cache key: 64 bits of sha256 are plenty to tell package sets apart. */
static void stage_key(const struct stage_job *j, char key[17])
{
	struct sha256 h;
	char hex[65];

	sha256_init(&h);
	sha256_update(&h, "tinyx-stage-1\n", 14);
	sha256_update(&h, j->suite, strlen(j->suite) + 1);
	sha256_update(&h, j->arch, strlen(j->arch) + 1);
	sha256_update(&h, j->mirror, strlen(j->mirror) + 1);
	for (size_t i = 0; i < j->pkgs->n; i++)
		sha256_update(&h, j->pkgs->v[i], strlen(j->pkgs->v[i]) + 1);
	sha256_hex(&h, hex);
	memcpy(key, hex, 16);
	key[16] = 0;
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
		stage_key(&j, key);
		j.roots = xasprintf("%s/roots", ctx->cache);
		j.base = xasprintf("%s-%s", app, key);
		e.dir = root = xasprintf("%s/%s", j.roots, j.base);
		e.what = what;
		r = tx_cache_get(ctx, &e);
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
	free(what);
	free(root);
	return r;
}
