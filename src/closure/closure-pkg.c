/* The closure's packages: the files of the app's own packages, and the
 * paths and accounts their config files name. */
#include "closure/cl.h"

#include <ctype.h>
#include <glob.h>
#include <unistd.h>

#define SCAN_MAX_BYTES (1 << 20) /* config files larger than this are data */

/* The chars of a path in a config file, and of a word (an account name). */
static int path_char(int ch)
{
	return isalnum((unsigned char)ch) || (ch && strchr("/._-+*?@", ch));
}

static int word_char(int ch)
{
	return isalnum((unsigned char)ch) || (ch && strchr("_-.", ch));
}

/* A path a config file names: take what exists; for a file that does not
 * exist yet (a log, a pid file) keep its dir when the dir is the app's. */
static void take_named(struct cl *c, const char *raw, const char *cfg, int depth)
{
	char *p = path_normalize(raw);
	char *reason = xasprintf("named-in=%s", cfg);
	struct stat st;

	if (cl_excluded(c, p) || cl_system_dir(p))
		goto out;
	if (strpbrk(p, "*?")) {
		/* a glob ("include conf.d/ *.conf"): its files */
		char *hp = root_join(c->root, p);
		size_t off = strlen(hp) - strlen(p); /* ROOT/a/b -> /a/b */
		glob_t g;
		size_t n = glob(hp, 0, NULL, &g) ? 0 : g.gl_pathc;

		for (size_t i = 0; i < n && i < 1024; i++)
			take_named(c, g.gl_pathv[i] + off, cfg, depth);
		globfree(&g);
		free(hp);
		goto out;
	}
	if (cl_stat(c, p, &st) < 0) {
		char *d = path_dirname(p);
		/* /var/log/nginx/access.log: the app writes it; it needs the dir */
		if (!cl_system_dir(d) &&
		    (cl_has_prefix_dir(d, "/var") || cl_has_prefix_dir(d, "/run")) &&
		    cl_stat(c, d, &st) == 0 && S_ISDIR(st.st_mode))
			manifest_add_path(c->m, d, reason);
		free(d);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		cl_add_tree(c, p, reason);
	} else if (S_ISREG(st.st_mode)) {
		cl_add_path(c, p, reason);
		if (!cl_is_elf(c, p)) {
			/* a script the config runs (lighttpd's include_shell) */
			if (st.st_mode & 0111)
				cl_add_interpreter(c, p);
			cl_scan_config(c, p, depth + 1);
		}
	}
out:
	free(reason);
	free(p);
}

/* "user www-data;" / "User=redis" / "group nogroup": an account named after a
 * key that says user or group. */
static void scan_users(struct cl *c, const char *line, size_t n, const char *cfg)
{
	char key[64];
	size_t i = 0, k = 0;

	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	while (i < n && word_char(line[i]) && k + 1 < sizeof(key))
		key[k++] = (char)((line[i] >= 'A' && line[i] <= 'Z') ? line[i] + 32 : line[i]), i++;
	key[k] = 0;
	if (!strstr(key, "user") && !strstr(key, "group") && strcmp(key, "owner"))
		return;
	while (i < n) {
		size_t s;

		while (i < n && !word_char(line[i]))
			i++;
		s = i;
		while (i < n && word_char(line[i]))
			i++;
		if (i == s)
			break;
		char *w = xstrndup(line + s, i - s);
		const struct pw_ent *u = pw_by_name(&c->pw, w);
		const struct gr_ent *g = gr_by_name(&c->pw, w);

		if (u && u->uid != 0)
			strv_push_own(&c->users, xasprintf("u:%s\tnamed-in=%s", w, cfg));
		else if (g && g->gid != 0)
			strv_push_own(&c->users, xasprintf("g:%s\tnamed-in=%s", w, cfg));
		free(w);
	}
}

void cl_scan_config(struct cl *c, const char *path, int depth)
{
	char *host, *text = NULL, *real = NULL;
	size_t len;
	int r;

	if (depth > 4 || root_realpath(c->root, path, &real, NULL) < 0)
		return;
	if (strv_contains(&c->scanned, real)) {
		free(real);
		return;
	}
	strv_push(&c->scanned, real);
	host = root_join(c->root, real);
	r = read_file(host, &text, &len, SCAN_MAX_BYTES);
	free(host);
	/* not when unreadable, too big, or binary */
	for (char *l = r < 0 || memchr(text, 0, len) ? NULL : text; l && *l;) {
		char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		size_t i = 0;

		while (i < n && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i < n && l[i] != '#' && l[i] != ';') {
			scan_users(c, l, n, real);
			for (; i < n; i++) {
				size_t s = i;

				if (l[i] != '/' || (i > 0 && path_char((unsigned char)l[i - 1])))
					continue;
				while (i < n && path_char((unsigned char)l[i]))
					i++;
				size_t e = i;
				while (e > s && (l[e - 1] == '.' || l[e - 1] == '-'))
					e--;
				if (e - s > 1 && e - s < 1024) {
					char *p = xstrndup(l + s, e - s);
					take_named(c, p, real, depth);
					free(p);
				}
			}
		}
		l = nl ? nl + 1 : NULL;
	}
	free(text);
	free(real);
}

/* A dangling link of a package: keep the link itself. */
static void add_dangling_link(struct cl *c, const char *f, const char *reason)
{
	struct ment e = {
	    .type = ME_SLINK, .path = (char *)f, .mode = 0777, .reason = (char *)reason};
	char lnk[4096];
	char *hf = root_join(c->root, f);
	ssize_t ln = readlink(hf, lnk, sizeof(lnk) - 1);

	free(hf);
	if (ln > 0) {
		lnk[ln] = 0;
		e.target = lnk;
		manifest_add(c->m, &e);
	}
}

/* One file p ships: its dirs (of its own), files and links. */
static void add_pkg_file(struct cl *c, const struct dpkg_pkg *p, const char *f, const char *pr)
{
	struct stat st;

	if (cl_excluded(c, f) || cl_lstat(c, f, &st) < 0)
		return;
	char *reason =
	    strv_contains(&p->conffiles, f) ? xasprintf("conffile=%s", p->name) : xstrdup(pr);
	if (S_ISDIR(st.st_mode)) {
		/* shipped dirs of the app's own (e.g. /var/lib/nginx):
		 * it expects them to exist */
		if (!cl_system_dir(f))
			manifest_add_path(c->m, f, reason);
	} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
		if (cl_add_path(c, f, reason) < 0 && S_ISLNK(st.st_mode))
			add_dangling_link(c, f, reason);
	}
	free(reason);
}

int cl_add_packages(struct cl *c)
{
	for (size_t i = 0; i < c->own.n; i++) {
		struct dpkg_pkg *p = dpkg_find(&c->db, c->own.v[i]);
		struct strv files = {0};
		int r;

		if (!p)
			continue;
		r = dpkg_pkg_files(c->ctx, c->root, p, &files);
		if (r < 0) {
			strv_free(&files);
			return r;
		}
		char *pr = xasprintf("pkg=%s", p->name);
		for (size_t k = 0; k < files.n; k++)
			add_pkg_file(c, p, files.v[k], pr);
		free(pr);
		/* config files of the app name what else it reads */
		for (size_t k = 0; k < files.n; k++) {
			struct stat st;

			if (cl_has_prefix_dir(files.v[k], "/etc") && !cl_excluded(c, files.v[k]) &&
			    cl_stat(c, files.v[k], &st) == 0 && S_ISREG(st.st_mode))
				cl_scan_config(c, files.v[k], 0);
		}
		for (size_t k = 0; k < files.n; k++)
			strv_push(&c->own_files, files.v[k]);
		strv_free(&files);
	}
	return 0;
}
