/* The closure's files: what is never taken; adding a path, its interpreter
 * or a whole tree to the manifest; the files of the app's own packages, and
 * the paths and accounts their config files name. */
#include "closure/cl.h"

#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <unistd.h>

#define DIR_BUDGET (64LL * 1024 * 1024) /* bytes a named dir may bring in */
#define SCAN_MAX_BYTES (1 << 20)	/* config files larger than this are data */

/* Never part of an image. */
static const char *const excluded[] = {
    /* documentation, desktop, editors' and shells' add-ons */
    "/usr/share/doc", "/usr/share/man", "/usr/share/info", "/usr/share/lintian",
    "/usr/share/locale", "/usr/share/bug", "/usr/share/apport", "/usr/share/vim",
    "/usr/share/bash-completion", "/usr/share/zsh", "/usr/share/fish", "/usr/share/menu",
    "/usr/share/pixmaps", "/usr/share/icons", "/usr/share/applications", "/usr/share/doc-base",
    "/usr/share/debconf", "/usr/share/polkit-1", "/usr/share/gdb", "/etc/bash_completion.d",
    "/etc/X11",
    /* a full init system and its periodic jobs */
    "/etc/init.d", "/etc/init", "/etc/rc0.d", "/etc/rc1.d", "/etc/rc2.d", "/etc/rc3.d",
    "/etc/rc4.d", "/etc/rc5.d", "/etc/rc6.d", "/etc/rcS.d", "/etc/logrotate.d", "/etc/cron.d",
    "/etc/cron.daily", "/etc/cron.hourly", "/etc/cron.weekly", "/etc/cron.monthly", "/etc/systemd",
    "/lib/systemd", "/usr/lib/systemd", "/usr/lib/tmpfiles.d", "/usr/lib/sysusers.d",
    "/etc/default", "/etc/update-motd.d",
    /* the host's integration (network, firewall, logins, modules, devices) */
    "/etc/ufw", "/etc/apparmor.d", "/etc/network", "/etc/ppp", "/etc/sysctl.d", "/usr/lib/sysctl.d",
    "/etc/security", "/etc/pam.d", "/usr/lib/modules-load.d", "/etc/modprobe.d", "/lib/modprobe.d",
    "/lib/udev", "/usr/lib/udev",
    /* package management */
    "/var/lib/dpkg", "/var/lib/apt", "/var/cache/apt", "/var/cache/debconf", "/var/log/apt",
    "/usr/lib/python3/dist-packages",
    /* the kernel's */
    "/proc", "/sys", "/dev", NULL};

/* Dirs too general to take whole when a config names them. */
static const char *const system_dirs[] = {
    "/", "/bin", "/sbin", "/lib", "/lib64", "/usr", "/usr/bin", "/usr/sbin", "/usr/lib",
    "/usr/lib64", "/usr/libexec", "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
    "/usr/share", "/usr/local", "/etc", "/var", "/var/lib", "/var/log", "/var/cache", "/var/run",
    "/run", "/tmp", "/var/tmp", "/dev", "/proc", "/sys", "/home", "/root", "/srv", "/opt", "/mnt",
    "/media", "/boot", "/var/spool", "/var/mail", "/etc/ssl", "/usr/include", "/usr/src",
    /* tinyx stage's marker (suite, mirror URL): the build
     * host's, not the app's; a config glob such as
     * nginx's "(/.*)$" would otherwise match it */
    "/.tinyx-stage", NULL};

int cl_has_prefix_dir(const char *path, const char *pre)
{
	size_t n = strlen(pre);

	return !strncmp(path, pre, n) && (path[n] == 0 || path[n] == '/');
}

static int cl_excluded(const struct cl *c, const char *path)
{
	for (int i = 0; excluded[i]; i++)
		if (cl_has_prefix_dir(path, excluded[i]))
			return 1;
	for (size_t i = 0; i < c->exclude.n; i++)
		if (cl_has_prefix_dir(path, c->exclude.v[i]))
			return 1;
	return 0;
}

/* Too general to take whole ("/usr", "/var/lib") */
static int cl_system_dir(const char *path)
{
	for (int i = 0; system_dirs[i]; i++)
		if (!strcmp(path, system_dirs[i]))
			return 1;
	return 0;
}

static int cl_lstat(const struct cl *c, const char *path, struct stat *st)
{
	char *host = root_join(c->root, path);
	int r = lstat(host, st) < 0 ? -errno : 0;

	free(host);
	return r;
}

int cl_stat(const struct cl *c, const char *path, struct stat *st)
{
	char *real = NULL;
	int r = root_realpath(c->root, path, &real, NULL);

	if (r == 0)
		r = cl_lstat(c, real, st);
	free(real);
	return r;
}

size_t cl_head(const struct cl *c, const char *path, char *buf, size_t size)
{
	char *host = root_join(c->root, path);
	FILE *f = fopen(host, "rb");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	free(host);
	return n;
}

/* Is the in-root file an ELF object? (1 yes, 0 no) */
static int cl_is_elf(const struct cl *c, const char *path)
{
	char mag[5];

	return cl_head(c, path, mag, sizeof(mag)) == 4 && !memcmp(mag, "\177ELF", 4);
}

static void note_elf(struct cl *c, const char *path)
{
	char *real = NULL;

	if (root_realpath(c->root, path, &real, NULL) < 0)
		return;
	if (!strv_contains(&c->elves, real))
		strv_push(&c->elves, real);
	free(real);
}

/* An executable script needs its interpreter ("#!/usr/bin/perl -w"). */
static void cl_add_interpreter(struct cl *c, const char *path)
{
	char line[256], *p = line + 2, *reason;

	if (cl_head(c, path, line, sizeof(line)) < 2 || strncmp(line, "#!", 2))
		return;
	p += strspn(p, " \t");
	p[strcspn(p, " \t\r\n")] = 0;
	if (*p != '/')
		return;
	reason = xasprintf("interpreter-of=%s", path);
	cl_add_path(c, p, reason);
	free(reason);
}

int cl_add_path(struct cl *c, const char *path, const char *reason)
{
	int r = manifest_add_path(c->m, path, reason);
	struct stat st;

	if (r < 0)
		return r;
	if (cl_stat(c, path, &st) == 0 && S_ISREG(st.st_mode)) {
		if (cl_is_elf(c, path))
			note_elf(c, path);
		else if ((st.st_mode & 0111) && strncmp(reason, "pkg=", 4) &&
			 strncmp(reason, "conffile=", 9) &&
			 (r == 1 || strncmp(reason, "interpreter-of=", 15)))
			/* a script the app runs (its unit's command, one its config
			 * names): its interpreter too, even when the script came in
			 * already as a file of the app's package (else BusyBox's sh
			 * would run it, and its applets would shadow the tools the
			 * script calls). The package's other scripts are admin
			 * tools, not run by the app. An interpreter's own
			 * interpreter once: no loop. */
			cl_add_interpreter(c, path);
	}
	return r;
}

/* One entry of a tree: a dir to walk, a file or link to take (files while
 * the budget lasts). */
static void tree_entry(struct cl *c, struct strv *todo, const char *p, const char *host,
		       const char *reason)
{
	struct stat st;

	if (cl_excluded(c, p) || lstat(host, &st) < 0)
		return;
	if (S_ISREG(st.st_mode))
		c->dir_bytes += st.st_size;
	if (S_ISDIR(st.st_mode))
		strv_push(todo, p);
	else if (S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && c->dir_bytes <= DIR_BUDGET))
		cl_add_path(c, p, reason);
}

void cl_add_tree(struct cl *c, const char *dir, const char *reason)
{
	struct strv todo = {0};

	strv_push(&todo, dir);
	for (size_t i = 0; i < todo.n && i < 4096; i++) {
		char *hd = root_join(c->root, todo.v[i]), *pat = xasprintf("%s/*", hd);
		const char *base = strcmp(todo.v[i], "/") ? todo.v[i] : "";
		glob_t g;
		size_t n = glob(pat, GLOB_NOSORT | GLOB_PERIOD, NULL, &g) ? 0 : g.gl_pathc;

		manifest_add_path(c->m, todo.v[i], reason);
		for (size_t k = 0; k < n; k++) {
			const char *bn = path_basename(g.gl_pathv[k]);
			char *p;

			if (!strcmp(bn, ".") || !strcmp(bn, ".."))
				continue;
			p = xasprintf("%s/%s", base, bn);
			tree_entry(c, &todo, p, g.gl_pathv[k], reason);
			free(p);
		}
		globfree(&g);
		free(pat);
		free(hd);
	}
	strv_free(&todo);
}

/* The chars of a path in a config file, and of a word (an account name). */
static int path_char(int ch)
{
	return isalnum((unsigned char)ch) || (ch && strchr("/._-+*?@", ch));
}

static int word_char(int ch)
{
	return isalnum((unsigned char)ch) || (ch && strchr("_-.", ch));
}

static void cl_scan_config(struct cl *c, const char *path, int depth);

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

/* Scan an in-root config file for the paths and accounts it names. */
static void cl_scan_config(struct cl *c, const char *path, int depth)
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

/* A sysctl.d file (*.conf of /etc/sysctl.d, /usr/lib/sysctl.d): the guest
 * init applies them (formats/sysctl.h), the rest of those dirs stays out. */
static int sysctl_conf(const char *f)
{
	const char *base = strrchr(f, '/');
	size_t n = strlen(base);

	return (!strncmp(f, "/etc/sysctl.d/", 14) || !strncmp(f, "/usr/lib/sysctl.d/", 18)) &&
	       !strchr(f + (f[1] == 'e' ? 14 : 18), '/') && n > 6 && !strcmp(base + n - 5, ".conf");
}

/* --trim: f (a file or a link to one) is an ELF program or module that the
 * trace boot never ran or loaded; noted in c->trimmed ("path\tbytes"). */
static int trimmed(struct cl *c, const char *f)
{
	char *real = NULL;
	struct stat st;
	int out = 0;

	if (!c->trim || root_realpath(c->root, f, &real, NULL) < 0) {
		free(real);
		return 0;
	}
	if (!strv_contains(&c->kept, real) && cl_lstat(c, real, &st) == 0 && S_ISREG(st.st_mode) &&
	    cl_is_elf(c, real)) {
		char *e = xasprintf("%s\t%lld", real, (long long)st.st_size);

		out = 1;
		if (strv_contains(&c->trimmed, e)) /* a link and its file */
			free(e);
		else
			strv_push_own(&c->trimmed, e);
	}
	free(real);
	return out;
}

/* One file p ships: its dirs (of its own), files and links. */
static void add_pkg_file(struct cl *c, const struct dpkg_pkg *p, const char *f, const char *pr)
{
	struct stat st;

	if ((cl_excluded(c, f) && !sysctl_conf(f)) || cl_lstat(c, f, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode) && trimmed(c, f))
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
