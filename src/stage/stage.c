/* The stage stage: a Debian root for the app, made by debootstrap once per
 * key (suite, arch, package set, mirror) and kept in the cache. */
#include "stage/stage.h"
#include "formats/aptsrc.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Is the package known to the host's apt index? 0 yes, -ENOENT unknown,
 * -EISDIR virtual (with the providers listed in *providers). */
static int pkg_known(struct tx_ctx *ctx, const char *pkg, char **providers)
{
	char *argv[] = {"apt-cache", "show", "--no-all-versions", (char *)pkg, NULL};
	char *out = NULL;
	int st = run_capture_q(ctx, argv, &out, 1 << 20, 1);

	*providers = NULL;
	if (st < 0) {
		free(out);
		return st;
	}
	if (st == 0 && strstr(out, "Package: ")) {
		free(out);
		return 0;
	}
	free(out);
	if (st != 0)
		return -ENOENT;
	/* empty answer with success: a purely virtual package */
	char *argv2[] = {"apt-cache", "showpkg", (char *)pkg, NULL};
	if (run_capture_q(ctx, argv2, &out, 1 << 20, 1) == 0) {
		char *rp = strstr(out, "Reverse Provides:");
		struct sbuf b = {0};
		int n = 0;

		for (char *l = rp ? strchr(rp, '\n') : NULL; l && *++l && n < 6;) {
			char *e = strchr(l, ' ');
			char *nl = strchr(l, '\n');

			if (!e || (nl && nl < e))
				break;
			char *name = xstrndup(l, (size_t)(e - l));
			if (!b.s || !strstr(b.s, name)) {
				sbuf_printf(&b, "%s%s", n ? ", " : "", name);
				n++;
			}
			free(name);
			l = nl;
			if (!l)
				break;
		}
		*providers = b.s;
	}
	free(out);
	return -EISDIR;
}

static char *host_arch(struct tx_ctx *ctx)
{
	char *argv[] = {"dpkg", "--print-architecture", NULL};
	char *out = NULL;

	if (run_capture(ctx, argv, &out, 4096) != 0 || !*out) {
		free(out);
		return xstrdup("amd64");
	}
	out[strcspn(out, "\n")] = 0;
	return out;
}

/* Remove temp roots of earlier runs that died (their pid is gone). */
static void clean_stale(const char *roots, const char *key)
{
	char *prefix = xasprintf("%s.tmp.", key);
	struct strv dead = {0};

	stale_pid_entries(roots, prefix, &dead);
	for (size_t i = 0; i < dead.n; i++) {
		umount_below(dead.v[i]);
		rm_rf(dead.v[i]);
	}
	strv_free(&dead);
	free(prefix);
}

static int is_perpkg(const char *l)
{
	static const char *verbs[] = {"I: Retrieving ", "I: Validating ", "I: Extracting ",
				      "I: Unpacking ", "I: Configuring "};
	for (size_t i = 0; i < sizeof(verbs) / sizeof(*verbs); i++) {
		size_t n = strlen(verbs[i]);

		int spaces = 0;

		if (strncmp(l, verbs[i], n))
			continue;
		/* "Extracting dpkg...", "Retrieving adduser 3.134": a package;
		 * "Unpacking the base system...": a phase */
		for (const char *p = l + n; *p; p++)
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

/* Run debootstrap; its output goes to the log, a summary to the terminal. */
static int run_debootstrap(struct tx_ctx *ctx, char *const argv[], const char *log)
{
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	struct dbs_progress p = {ctx, 0};
	int r = tx_run_lines(ctx, &s, log, dbs_line, &p);

	if (ctx->verbose && ctx->tty)
		fputs("\r\033[K", stderr);
	return r;
}

static int check_names(struct tx_ctx *ctx, const char *app, const char *extra, struct strv *pkgs)
{
	if (!valid_pkg_name(app))
		return tx_fail(ctx, -EINVAL, "stage", "invalid package name '%s'", app);
	strv_push(pkgs, app);
	if (extra && *extra) {
		char *dup = xstrdup(extra);

		for (char *t = strtok(dup, ","); t; t = strtok(NULL, ",")) {
			if (!valid_pkg_name(t)) {
				free(dup);
				return tx_fail(ctx, -EINVAL, "stage", "invalid package name '%s'",
					       t);
			}
			strv_push(pkgs, t);
		}
		free(dup);
	}
	strv_sort_uniq(pkgs);
	return 0;
}

/* Every package must be in the apt index: fail in seconds, not after a
 * debootstrap run. */
static int check_known(struct tx_ctx *ctx, const struct strv *pkgs)
{
	for (size_t i = 0; i < pkgs->n; i++) {
		char *prov = NULL;
		int r = pkg_known(ctx, pkgs->v[i], &prov);

		if (r == -EISDIR) {
			tx_fail(ctx, -ENOENT, "stage",
				"'%s' is a virtual package; name one that provides it%s%s",
				pkgs->v[i], prov ? ", e.g. " : "", prov ? prov : "");
			free(prov);
			return -ENOENT;
		}
		free(prov);
		if (r == -ENOENT)
			return tx_fail(ctx, r, "stage",
				       "unknown package '%s' (not in the apt index; maybe run "
				       "'apt-get update')",
				       pkgs->v[i]);
		if (r < 0)
			return tx_fail(
			    ctx, r, "stage",
			    "cannot query the apt index for '%s' (is apt-cache installed?)",
			    pkgs->v[i]);
	}
	return 0;
}

int stage_root(struct tx_ctx *ctx, const char *app, const struct stage_opts *o, char **root_out)
{
	const char *suite = o && o->suite ? o->suite : "bookworm";
	struct strv pkgs = {0};
	char *mirror = NULL, *arch = NULL, *roots = NULL, *root = NULL, *lock = NULL;
	char *tmp = NULL, *log = NULL, *marker = NULL, *include = NULL;
	struct sha256 h;
	char key[65];
	int r, lfd = -1;
	double t0 = now_ms();

	r = check_names(ctx, app, o ? o->extra : NULL, &pkgs);
	if (r < 0)
		goto out;
	if (o && o->mirror) {
		mirror = xstrdup(o->mirror);
	} else {
		r = aptsrc_mirror(ctx, "/etc/apt", suite, &mirror);
		if (r < 0)
			goto out;
	}
	if (strncmp(mirror, "http://", 7) && strncmp(mirror, "https://", 8) &&
	    strncmp(mirror, "file:/", 6)) {
		r = tx_fail(ctx, -EINVAL, "stage", "unsupported mirror URL '%s'", mirror);
		goto out;
	}
	arch = o && o->arch ? xstrdup(o->arch) : host_arch(ctx);

	sha256_init(&h);
	sha256_update(&h, "tinyx-stage-1\n", 14);
	sha256_update(&h, suite, strlen(suite) + 1);
	sha256_update(&h, arch, strlen(arch) + 1);
	sha256_update(&h, mirror, strlen(mirror) + 1);
	for (size_t i = 0; i < pkgs.n; i++)
		sha256_update(&h, pkgs.v[i], strlen(pkgs.v[i]) + 1);
	sha256_hex(&h, key);
	key[16] = 0; /* 64 bits are plenty to tell package sets apart */

	roots = xasprintf("%s/roots", ctx->cache);
	r = mkdir_p(roots, 0755);
	if (r < 0) {
		r = tx_fail(ctx, r, "stage", "cannot create cache dir '%s'", roots);
		goto out;
	}
	root = xasprintf("%s/%s-%s", roots, app, key);
	marker = xasprintf("%s/.tinyx-stage", root);
	if (path_exists(marker)) {
		tx_info(ctx, "stage: reusing %s root %s", app, root);
		goto done;
	}
	lock = xasprintf("%s.lock", root);
	lfd = lock_path(lock);
	if (lfd < 0) {
		r = tx_fail(ctx, lfd, "stage", "cannot lock '%s'", lock);
		goto out;
	}
	if (path_exists(marker)) { /* made by a concurrent run meanwhile */
		tx_info(ctx, "stage: reusing %s root %s", app, root);
		goto done;
	}
	r = check_known(ctx, &pkgs);
	if (r < 0)
		goto out;
	if (geteuid() != 0) {
		r = tx_fail(ctx, -EPERM, "stage",
			    "debootstrap needs root to stage '%s' (run tinyx as root)", app);
		goto out;
	}
	{
		char *base = xasprintf("%s-%s", app, key);
		clean_stale(roots, base);
		free(base);
	}
	rm_rf(root); /* an incomplete root without marker (never renamed, but be safe) */
	tmp = xasprintf("%s.tmp.%d", root, (int)getpid());
	log = xasprintf("%s.log", root);
	{
		struct sbuf inc = {0};

		for (size_t i = 0; i < pkgs.n; i++)
			sbuf_printf(&inc, "%s%s", i ? "," : "", pkgs.v[i]);
		include = xasprintf("--include=%s", inc.s);
		sbuf_free(&inc);
	}
	char *arch_arg = xasprintf("--arch=%s", arch);
	char *argv[] = {
	    "debootstrap", "--variant=minbase", include, arch_arg, (char *)suite, tmp, mirror,
	    NULL};
	tx_info(ctx, "stage: debootstrap %s %s (%s) from the host's apt mirror; log in %s", suite,
		include + 10, arch, log);
	tx_tmp_register(tmp);
	r = run_debootstrap(ctx, argv, log);
	free(arch_arg);
	if (r != 0) {
		umount_below(tmp);
		rm_rf(tmp);
		tx_tmp_release(tmp);
		if (r < 0)
			r = tx_fail(ctx, r, "stage",
				    "cannot run debootstrap (maybe apt-get install debootstrap)");
		else
			r = tx_fail(ctx, -EIO, "stage", "debootstrap failed for '%s' (see '%s')",
				    app, log);
		goto out;
	}
	umount_below(tmp);
	/* downloaded .debs are not part of the root */
	{
		char *debs = xasprintf("%s/var/cache/apt/archives", tmp);
		DIR *d = opendir(debs);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			size_t n = strlen(de->d_name);

			if (n > 4 && !strcmp(de->d_name + n - 4, ".deb")) {
				char *f = xasprintf("%s/%s", debs, de->d_name);
				unlink(f);
				free(f);
			}
		}
		if (d)
			closedir(d);
		free(debs);
	}
	{
		char *m = xasprintf("%s/.tinyx-stage", tmp);
		char *info = xasprintf("suite=%s\narch=%s\nmirror=%s\npackages=%s\n", suite, arch,
				       mirror, include + 10);
		r = write_file_atomic(m, info, strlen(info), 0644);
		free(m);
		free(info);
	}
	if (r < 0 || rename(tmp, root) < 0) {
		r = tx_fail(ctx, r < 0 ? r : -errno, "stage", "cannot finish root '%s'", root);
		rm_rf(tmp);
		tx_tmp_release(tmp);
		goto out;
	}
	tx_tmp_release(tmp);
	tx_info(ctx, "stage: %s root ready in %.1f s", app, (now_ms() - t0) / 1000);
done:
	*root_out = root;
	root = NULL;
	r = 0;
out:
	if (lfd >= 0) {
		close(lfd);
	}
	strv_free(&pkgs);
	free(mirror);
	free(arch);
	free(roots);
	free(root);
	free(lock);
	free(tmp);
	free(log);
	free(marker);
	free(include);
	return r;
}
