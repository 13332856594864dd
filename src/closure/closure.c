/* The closure stage: what the app needs from its staged root.
 *
 * 1. the app's own packages: the package and every dependency built from the
 *    same Debian source (nginx -> nginx, nginx-common), minus what no VM
 *    needs (docs, man pages, init scripts, logrotate, ...);
 * 2. the files their configuration names (a web root, a log dir), found by
 *    scanning the non-comment lines of their config files for absolute paths;
 * 3. the systemd unit: how to start it, as whom, which dirs it wants;
 * 4. the ELF closure of every executable (libdeps.c), with kernel features;
 * 5. the users and groups it runs as or that own its files, plus root;
 * 6. the per-app hints (rootfs-overlays/APP/hints) for what cannot be seen. */
#include "closure/closure.h"
#include "formats/dpkg.h"
#include "formats/elfread.h"
#include "formats/hints.h"
#include "formats/ldso.h"
#include "closure/libdeps.h"
#include "formats/passwd.h"
#include "formats/sdunit.h"

#include <elf.h>
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCAN_MAX_BYTES (1 << 20)	/* config files larger than this are data */
#define DIR_BUDGET (64LL * 1024 * 1024) /* bytes a named dir may bring in */

struct cl {
	struct tx_ctx *ctx;
	const char *app, *root, *projdir;
	struct manifest *m;
	struct dpkg_db db;
	struct pw_db pw;
	struct strv own;       /* own package names */
	struct strv own_files; /* every file they ship, read once */
	struct strv elves;     /* ELF files to walk */
	struct strv scanned;   /* config files scanned already */
	struct strv users;     /* user names wanted ("name\treason") */
	struct strv exclude;   /* extra prefixes from hints */
	struct strv hint_exec;
	long long dir_bytes;
};

/* Never part of an image: documentation, integration with a full init
 * system, package management, editors' and shells' add-ons. */
static const char *const excluded[] = {"/usr/share/doc",
				       "/usr/share/man",
				       "/usr/share/info",
				       "/usr/share/lintian",
				       "/usr/share/locale",
				       "/usr/share/bug",
				       "/usr/share/apport",
				       "/usr/share/vim",
				       "/usr/share/bash-completion",
				       "/usr/share/zsh",
				       "/usr/share/fish",
				       "/usr/share/menu",
				       "/usr/share/pixmaps",
				       "/usr/share/icons",
				       "/usr/share/applications",
				       "/usr/share/doc-base",
				       "/usr/share/debconf",
				       "/usr/share/polkit-1",
				       "/usr/share/gdb",
				       "/etc/init.d",
				       "/etc/init",
				       "/etc/rc0.d",
				       "/etc/rc1.d",
				       "/etc/rc2.d",
				       "/etc/rc3.d",
				       "/etc/rc4.d",
				       "/etc/rc5.d",
				       "/etc/rc6.d",
				       "/etc/rcS.d",
				       "/etc/logrotate.d",
				       "/etc/ufw",
				       "/etc/cron.d",
				       "/etc/cron.daily",
				       "/etc/cron.hourly",
				       "/etc/cron.weekly",
				       "/etc/cron.monthly",
				       "/etc/apparmor.d",
				       "/etc/systemd",
				       "/lib/systemd",
				       "/usr/lib/systemd",
				       "/usr/lib/tmpfiles.d",
				       "/usr/lib/sysusers.d",
				       "/etc/default",
				       "/etc/network",
				       "/etc/ppp",
				       "/etc/bash_completion.d",
				       "/var/lib/dpkg",
				       "/var/lib/apt",
				       "/var/cache/apt",
				       "/var/cache/debconf",
				       "/var/log/apt",
				       "/usr/lib/python3/dist-packages",
				       "/etc/X11",
				       "/usr/share/lintian",
				       "/usr/lib/tmpfiles.d",
				       "/etc/sysctl.d",
				       "/usr/lib/sysctl.d",
				       "/etc/security",
				       "/etc/pam.d",
				       "/usr/lib/modules-load.d",
				       "/etc/modprobe.d",
				       "/lib/modprobe.d",
				       "/lib/udev",
				       "/usr/lib/udev",
				       "/etc/update-motd.d",
				       NULL};

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

static int has_prefix_dir(const char *path, const char *pre)
{
	size_t n = strlen(pre);

	return !strncmp(path, pre, n) && (path[n] == 0 || path[n] == '/');
}

static int is_excluded(const struct cl *c, const char *path)
{
	for (int i = 0; excluded[i]; i++)
		if (has_prefix_dir(path, excluded[i]))
			return 1;
	for (size_t i = 0; i < c->exclude.n; i++)
		if (has_prefix_dir(path, c->exclude.v[i]))
			return 1;
	if (has_prefix_dir(path, "/proc") || has_prefix_dir(path, "/sys") ||
	    has_prefix_dir(path, "/dev"))
		return 1;
	return 0;
}

static int is_system_dir(const char *path)
{
	for (int i = 0; system_dirs[i]; i++)
		if (!strcmp(path, system_dirs[i]))
			return 1;
	return 0;
}

/* lstat an in-root path. */
static int root_lstat(const struct cl *c, const char *path, struct stat *st)
{
	char *host = root_join(c->root, path);
	int r = lstat(host, st) < 0 ? -errno : 0;

	free(host);
	return r;
}

static int root_stat(const struct cl *c, const char *path, struct stat *st)
{
	char *real = NULL;
	int r = root_realpath(c->root, path, &real, NULL);

	if (r == 0)
		r = root_lstat(c, real, st);
	free(real);
	return r;
}

/* Is the in-root file an ELF object? */
static int is_elf_file(const struct cl *c, const char *path)
{
	char *host = root_join(c->root, path);
	unsigned char mag[4] = {0};
	FILE *f = fopen(host, "rb");
	int r = 0;

	if (f) {
		r = fread(mag, 1, 4, f) == 4 && mag[0] == 0x7f && mag[1] == 'E' && mag[2] == 'L' &&
		    mag[3] == 'F';
		fclose(f);
	}
	free(host);
	return r;
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

static int add_path(struct cl *c, const char *path, const char *reason);

/* An executable script needs its interpreter ("#!/usr/bin/perl -w"). */
static void add_interpreter(struct cl *c, const char *path, int depth)
{
	char *host = root_join(c->root, path);
	char line[256] = {0};
	FILE *f = fopen(host, "rb");

	free(host);
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f) || strncmp(line, "#!", 2)) {
		fclose(f);
		return;
	}
	fclose(f);
	char *p = line + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	p[strcspn(p, " \t\r\n")] = 0;
	if (*p != '/' || depth)
		return;
	char *reason = xasprintf("interpreter-of=%s", path);
	add_path(c, p, reason);
	free(reason);
}

/* Add a path (following symlinks); ELF files are queued for the walk. */
static int add_path(struct cl *c, const char *path, const char *reason)
{
	int r = manifest_add_path(c->m, path, reason);
	struct stat st;

	if (r < 0)
		return r;
	if (root_stat(c, path, &st) == 0 && S_ISREG(st.st_mode)) {
		if (is_elf_file(c, path))
			note_elf(c, path);
		else if ((st.st_mode & 0111) && r == 1 && strncmp(reason, "pkg=", 4) &&
			 strncmp(reason, "conffile=", 9))
			/* a script the app runs (its unit's command, one its config
			 * names): its interpreter too. The package's other scripts
			 * are admin tools, not run by the app. Once: no loop. */
			add_interpreter(c, path, 0);
	}
	return r;
}

static int scan_config(struct cl *c, const char *path, int depth);

/* Take a whole dir the config named (a web root, a data dir), bounded. */
static int add_tree(struct cl *c, const char *dir, const char *reason)
{
	struct strv todo = {0};
	glob_t g;
	int r = 0;

	strv_push(&todo, dir);
	for (size_t i = 0; i < todo.n && i < 4096; i++) {
		char *hd = root_join(c->root, todo.v[i]);
		char *pat = xasprintf("%s/*", hd);

		manifest_add_path(c->m, todo.v[i], reason);

		if (!glob(pat, GLOB_NOSORT | GLOB_PERIOD, NULL, &g)) {
			for (size_t k = 0; k < g.gl_pathc; k++) {
				const char *bn = path_basename(g.gl_pathv[k]);
				struct stat st;

				if (!strcmp(bn, ".") || !strcmp(bn, ".."))
					continue;
				char *p =
				    xasprintf("%s/%s", strcmp(todo.v[i], "/") ? todo.v[i] : "", bn);
				if (is_excluded(c, p) || lstat(g.gl_pathv[k], &st) < 0) {
					free(p);
					continue;
				}
				if (S_ISDIR(st.st_mode)) {
					strv_push(&todo, p);
				} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
					if (S_ISREG(st.st_mode)) {
						c->dir_bytes += st.st_size;
						if (c->dir_bytes > DIR_BUDGET) {
							free(p);
							continue;
						}
					}
					add_path(c, p, reason);
				}
				free(p);
			}
		}
		globfree(&g);
		free(pat);
		free(hd);
	}
	strv_free(&todo);
	return r;
}

static int path_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '/' || ch == '.' || ch == '_' || ch == '-' || ch == '+' || ch == '*' ||
	       ch == '?' || ch == '@';
}

/* A path a config file names: take what exists; for a file that does not
 * exist yet (a log, a pid file) keep its dir when the dir is the app's. */
static void take_named(struct cl *c, const char *raw, const char *cfg, int depth)
{
	char *p = path_normalize(raw);
	char *reason = xasprintf("named-in=%s", cfg);
	struct stat st;

	if (is_excluded(c, p) || is_system_dir(p))
		goto out;
	if (strpbrk(p, "*?")) {
		/* a glob ("include conf.d/ *.conf"): its files */
		char *hp = root_join(c->root, p);
		glob_t g;
		size_t rl = strlen(c->root);

		while (rl > 1 && c->root[rl - 1] == '/')
			rl--;
		if (!glob(hp, 0, NULL, &g)) {
			for (size_t i = 0; i < g.gl_pathc && i < 1024; i++)
				take_named(c, g.gl_pathv[i] + (rl == 1 ? 0 : rl), cfg, depth);
		}
		globfree(&g);
		free(hp);
		goto out;
	}
	if (root_stat(c, p, &st) < 0) {
		char *d = path_dirname(p);
		/* /var/log/nginx/access.log: the app writes it; it needs the dir */
		if (!is_system_dir(d) && (has_prefix_dir(d, "/var") || has_prefix_dir(d, "/run")) &&
		    root_stat(c, d, &st) == 0 && S_ISDIR(st.st_mode))
			manifest_add_path(c->m, d, reason);
		free(d);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		add_tree(c, p, reason);
	} else if (S_ISREG(st.st_mode)) {
		add_path(c, p, reason);
		if (!is_elf_file(c, p)) {
			/* a script the config runs (lighttpd's include_shell) */
			if (st.st_mode & 0111)
				add_interpreter(c, p, 0);
			scan_config(c, p, depth + 1);
		}
	}
out:
	free(reason);
	free(p);
}

static int word_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '-' || ch == '.';
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

static int scan_config(struct cl *c, const char *path, int depth)
{
	char *host, *text = NULL, *real = NULL;
	size_t len;
	int r;

	if (depth > 4 || root_realpath(c->root, path, &real, NULL) < 0)
		return 0;
	if (strv_contains(&c->scanned, real)) {
		free(real);
		return 0;
	}
	strv_push(&c->scanned, real);
	host = root_join(c->root, real);
	r = read_file(host, &text, &len, SCAN_MAX_BYTES);
	free(host);
	if (r < 0 || memchr(text, 0, len)) { /* unreadable, too big, or binary */
		free(text);
		free(real);
		return 0;
	}
	for (char *l = text; l && *l;) {
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
	return 0;
}

/* rootfs-overlays/APP/hints (src/hints.h): what the analysis cannot see. */
static int load_hints(struct cl *c)
{
	struct hints h;
	int r = hints_load(c->ctx, c->projdir, c->app, &h);

	for (size_t i = 0; i < h.n && r == 0; i++) {
		const char *arg = h.h[i].arg;
		int lineno = h.h[i].line;

		switch (h.h[i].kind) {
		case HINT_INCLUDE: {
			char *reason = xasprintf("hint=%s:%d", c->app, lineno);
			struct stat st;

			if (root_stat(c, arg, &st) < 0)
				r = tx_fail(c->ctx, -ENOENT, "closure",
					    "hinted path not in the root '%s' (%s hints:%d)", arg,
					    c->app, lineno);
			else if (S_ISDIR(st.st_mode))
				add_tree(c, arg, reason);
			else
				add_path(c, arg, reason);
			free(reason);
			break;
		}
		case HINT_EXCLUDE:
			strv_push(&c->exclude, arg);
			break;
		case HINT_EXEC:
			strv_free(&c->hint_exec);
			r = sd_split_cmdline(c->ctx, arg, &c->hint_exec);
			break;
		case HINT_USER:
			strv_push_own(&c->users,
				      xasprintf("u:%s\thint=%s:%d", arg, c->app, lineno));
			break;
		case HINT_SERVICE: /* the build's verification reads it */
			break;
		}
	}
	hints_free(&h);
	return r < 0 ? r : 0;
}

static int add_own_packages(struct cl *c)
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
		for (size_t k = 0; k < files.n; k++) {
			const char *f = files.v[k];
			struct stat st;

			if (is_excluded(c, f) || root_lstat(c, f, &st) < 0)
				continue;
			char *reason = strv_contains(&p->conffiles, f)
					   ? xasprintf("conffile=%s", p->name)
					   : xstrdup(pr);
			if (S_ISDIR(st.st_mode)) {
				/* shipped dirs of the app's own (e.g. /var/lib/nginx):
				 * it expects them to exist */
				if (!is_system_dir(f))
					manifest_add_path(c->m, f, reason);
			} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
				if (add_path(c, f, reason) < 0 && S_ISLNK(st.st_mode)) {
					/* a dangling link: keep the link itself */
					struct ment e = {.type = ME_SLINK,
							 .path = (char *)f,
							 .mode = 0777,
							 .reason = reason};
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
			}
			free(reason);
		}
		/* config files of the app name what else it reads */
		for (size_t k = 0; k < files.n; k++) {
			struct stat st;

			if (has_prefix_dir(files.v[k], "/etc") && !is_excluded(c, files.v[k]) &&
			    root_stat(c, files.v[k], &st) == 0 && S_ISREG(st.st_mode))
				scan_config(c, files.v[k], 0);
		}
		free(pr);
		for (size_t k = 0; k < files.n; k++)
			strv_push(&c->own_files, files.v[k]);
		strv_free(&files);
	}
	return 0;
}

static int lookup_ids(struct cl *c, const char *user, const char *group, unsigned *uid,
		      unsigned *gid)
{
	const struct pw_ent *u = user ? pw_by_name(&c->pw, user) : NULL;
	const struct gr_ent *g = group ? gr_by_name(&c->pw, group) : NULL;

	if (user && !u)
		return tx_fail(c->ctx, -ENOENT, "closure", "unknown user '%s' in the unit of '%s'",
			       user, c->app);
	if (group && !g)
		return tx_fail(c->ctx, -ENOENT, "closure", "unknown group '%s' in the unit of '%s'",
			       group, c->app);
	*uid = u ? u->uid : 0;
	*gid = g ? g->gid : u ? u->gid : 0;
	return 0;
}

/* The main binary of a package without a unit: /usr/sbin/APP, /usr/bin/APP,
 * else the first executable in a bin dir. */
static char *guess_main(struct cl *c)
{
	static const char *const dirs[] = {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"};
	char *first = NULL;

	for (size_t d = 0; d < 4; d++) {
		char *p = xasprintf("%s%s", dirs[d], c->app);
		struct ment *e = manifest_find(c->m, ME_FILE, p);

		if (e || manifest_find(c->m, ME_SLINK, p))
			return p;
		free(p);
	}
	for (size_t i = 0; i < c->elves.n && !first; i++)
		for (size_t d = 0; d < 4; d++)
			if (!strncmp(c->elves.v[i], dirs[d], strlen(dirs[d])) ||
			    (!strncmp(c->elves.v[i], "/usr", 4) &&
			     !strncmp(c->elves.v[i] + 4, dirs[d], strlen(dirs[d]))))
				first = xstrdup(c->elves.v[i]);
	return first;
}

static int tmpfiles_dirs(struct cl *c, const struct strv *files, struct app_spec *spec)
{
	for (size_t i = 0; i < files->n; i++) {
		const char *f = files->v[i];
		struct tmpfiles t = {0};
		char *host, *text = NULL;
		size_t len;

		if (!has_prefix_dir(f, "/usr/lib/tmpfiles.d") || !strstr(f, ".conf"))
			continue;
		host = root_join(c->root, f);
		if (read_file(host, &text, &len, 1 << 20) == 0 &&
		    tmpfiles_parse(c->ctx, f, text, len, &t) == 0) {
			for (size_t k = 0; k < t.n; k++) {
				unsigned uid = 0, gid = 0;

				if (t.e[k].type != 'd' && t.e[k].type != 'D')
					continue;
				if (lookup_ids(c, t.e[k].user, t.e[k].group, &uid, &gid) < 0)
					continue;
				if (t.e[k].user)
					strv_push_own(&c->users, xasprintf("u:%s\ttmpfiles=%s",
									   t.e[k].user, f));
				if (spec)
					appspec_add_dir(spec, t.e[k].path,
							t.e[k].has_mode ? t.e[k].mode : 0755, uid,
							gid);
			}
		}
		tmpfiles_free(&t);
		free(text);
		free(host);
	}
	return 0;
}

static void unit_dirs(struct app_spec *spec, const struct strv *names, const char *base,
		      unsigned uid, unsigned gid)
{
	for (size_t i = 0; i < names->n; i++) {
		char *p = xasprintf("%s/%s", base, names->v[i]);
		char *n = path_normalize(p);

		appspec_add_dir(spec, n, 0755, uid, gid);
		free(n);
		free(p);
	}
}

/* The command must be something this image can run: an x86_64 ELF file or
 * a script ("#!"). A zero-length file, a 32-bit or foreign ELF would only
 * fail at boot, far from the cause. */
static int check_command(struct cl *c, const char *path)
{
	char *real = NULL, *host;
	char head[2] = {0};
	struct elf_info info;
	FILE *f;
	int r;

	if (root_realpath(c->root, path, &real, NULL) < 0) {
		free(real);
		return 0; /* add_path has already said what is missing */
	}
	host = root_join(c->root, real);
	free(real);
	f = fopen(host, "rb");
	if (f) {
		if (fread(head, 1, 2, f) != 2)
			head[0] = 0;
		fclose(f);
	}
	if (head[0] == '#' && head[1] == '!') {
		free(host);
		return 0;
	}
	r = elf_read(c->ctx, host, &info);
	free(host);
	if (r == 1)
		return tx_fail(c->ctx, -ENOEXEC, "closure",
			       "the command is not an ELF file or a script '%s'", path);
	if (r < 0)
		return r;
	if (info.elfclass != ELFCLASS64 || info.machine != EM_X86_64)
		r = tx_fail(c->ctx, -ENOEXEC, "closure",
			    "the command is a %s ELF file, not x86_64 '%s'",
			    info.elfclass == ELFCLASS32 ? "32-bit" : "foreign", path);
	elf_info_free(&info);
	return r;
}

/* The unit says how the app starts; hints may override the command. */
static int read_unit(struct cl *c, struct app_spec *spec)
{
	const struct strv *files = &c->own_files;
	struct strv units = {0};
	struct sd_unit u = {0};
	char *unit_path = NULL;
	int r = 0;

	sd_find_units(c->ctx, c->root, files, &units);
	for (size_t i = 0; i < units.n && !unit_path; i++) {
		const char *bn = path_basename(units.v[i]);

		if (!strncmp(bn, c->app, strlen(c->app)) &&
		    !strcmp(bn + strlen(c->app), ".service"))
			unit_path = units.v[i];
	}
	if (!unit_path && units.n)
		unit_path = units.v[0];
	if (unit_path) {
		char *host = root_join(c->root, unit_path), *text = NULL;
		size_t len;

		r = read_file(host, &text, &len, 1 << 20);
		free(host);
		if (r == 0)
			r = sd_unit_parse(c->ctx, unit_path, text, len, &u);
		free(text);
		if (r < 0)
			goto out;
		if (!u.exec_start.n && !c->hint_exec.n) {
			r = tx_fail(c->ctx, -EINVAL, "closure", "unit has no ExecStart '%s'",
				    unit_path);
			goto out;
		}
	}
	unsigned uid = 0, gid = 0;
	r = lookup_ids(c, u.user, u.group, &uid, &gid);
	if (r < 0)
		goto out;
	if (u.user)
		strv_push_own(&c->users, xasprintf("u:%s\tunit=%s", u.user, unit_path));
	if (u.group)
		strv_push_own(&c->users, xasprintf("g:%s\tunit=%s", u.group, unit_path));

	struct strv argv = {0};
	if (c->hint_exec.n) {
		for (size_t i = 0; i < c->hint_exec.n; i++)
			strv_push(&argv, c->hint_exec.v[i]);
	} else if (u.exec_start.n) {
		r = sd_split_cmdline(c->ctx, u.exec_start.v[0], &argv);
		if (r < 0)
			goto out_argv;
	} else {
		char *main_bin = guess_main(c);

		if (main_bin)
			strv_push_own(&argv, main_bin);
	}
	if (!argv.n || argv.v[0][0] != '/') {
		r = tx_fail(c->ctx, -EINVAL, "closure", "cannot tell how to start '%s'%s", c->app,
			    argv.n ? " (ExecStart is not an absolute path)"
				   : " (no unit, no executable; maybe add an 'exec' hint)");
		goto out_argv;
	}
	/* the command itself must be in the image */
	{
		char *reason = unit_path ? xasprintf("unit=%s", unit_path) : xstrdup("main-binary");
		r = add_path(c, argv.v[0], reason);
		free(reason);
		if (r < 0) {
			r = tx_fail(c->ctx, r, "closure",
				    "cannot find the command '%s' in the root", argv.v[0]);
			goto out_argv;
		}
		r = check_command(c, argv.v[0]);
		if (r < 0)
			goto out_argv;
	}
	if (spec) {
		for (size_t i = 0; i < argv.n; i++)
			strv_push(&spec->argv, argv.v[i]);
		for (size_t i = 0; i < u.environment.n; i++)
			strv_push(&spec->env, u.environment.v[i]);
		if (u.user || u.group) {
			spec->has_user = 1;
			spec->uid = uid;
			spec->gid = gid;
		}
		unit_dirs(spec, &u.runtime_dirs, "/run", uid, gid);
		unit_dirs(spec, &u.state_dirs, "/var/lib", uid, gid);
		unit_dirs(spec, &u.logs_dirs, "/var/log", uid, gid);
		unit_dirs(spec, &u.cache_dirs, "/var/cache", uid, gid);
		if (!c->hint_exec.n && u.type && !strcmp(u.type, "forking")) {
			spec->forking = 1;
			if (u.pidfile)
				spec->pidfile = xstrdup(u.pidfile);
		}
		if (u.working_dir && u.working_dir[0] == '/')
			spec->workdir = xstrdup(u.working_dir);
		spec->restart = 1;
		tmpfiles_dirs(c, files, spec);
	}
out_argv:
	strv_free(&argv);
out:
	sd_unit_free(&u);
	strv_free(&units);
	return r;
}

static void add_user(struct cl *c, const struct pw_ent *u, const char *reason)
{
	struct ment e = {.type = ME_USER,
			 .path = u->name,
			 .uid = u->uid,
			 .gid = u->gid,
			 .target = u->home,
			 .shell = u->shell,
			 .reason = (char *)reason};
	const struct gr_ent *g = gr_by_gid(&c->pw, u->gid);

	manifest_add(c->m, &e);
	if (g) {
		struct ment ge = {
		    .type = ME_GROUP, .path = g->name, .gid = g->gid, .reason = (char *)reason};
		manifest_add(c->m, &ge);
	}
}

static void add_accounts(struct cl *c)
{
	const struct pw_ent *root = pw_by_uid(&c->pw, 0);

	if (root)
		add_user(c, root, "root");
	for (size_t i = 0; i < c->users.n; i++) {
		char *tab = strchr(c->users.v[i], '\t');
		char *name = xstrndup(c->users.v[i] + 2, (size_t)(tab - c->users.v[i] - 2));

		if (c->users.v[i][0] == 'u') {
			const struct pw_ent *u = pw_by_name(&c->pw, name);
			if (u)
				add_user(c, u, tab + 1);
		} else {
			const struct gr_ent *g = gr_by_name(&c->pw, name);
			if (g) {
				struct ment ge = {.type = ME_GROUP,
						  .path = g->name,
						  .gid = g->gid,
						  .reason = tab + 1};
				manifest_add(c->m, &ge);
			}
		}
		free(name);
	}
	/* whoever owns a file in the image must exist in it */
	for (size_t i = 0; i < c->m->n; i++) {
		struct ment *e = &c->m->e[i];

		if (e->type == ME_USER || e->type == ME_GROUP)
			continue;
		const struct pw_ent *u = e->uid ? pw_by_uid(&c->pw, e->uid) : NULL;
		const struct gr_ent *g = e->gid ? gr_by_gid(&c->pw, e->gid) : NULL;
		char *reason = xasprintf("owns=%s", e->path);

		if (u && !manifest_find(c->m, ME_USER, u->name))
			add_user(c, u, reason);
		if (g && !manifest_find(c->m, ME_GROUP, g->name)) {
			struct ment ge = {
			    .type = ME_GROUP, .path = g->name, .gid = g->gid, .reason = reason};
			manifest_add(c->m, &ge);
		}
		free(reason);
	}
}

int closure_build(struct tx_ctx *ctx, const char *app, const char *root, const char *projdir,
		  struct manifest *m, struct app_spec *spec)
{
	struct cl c = {.ctx = ctx, .app = app, .root = root, .projdir = projdir, .m = m};
	struct strv dirs = {0};
	struct dpkg_pkg *p;
	int r;

	if (!valid_pkg_name(app))
		return tx_fail(ctx, -EINVAL, "closure", "invalid package name '%s'", app);
	if (!is_dir(root))
		return tx_fail(ctx, -ENOENT, "closure", "no root tree at '%s'", root);
	r = dpkg_load(ctx, root, &c.db);
	if (r < 0)
		goto out;
	r = passwd_load(ctx, root, &c.pw);
	if (r < 0)
		goto out;
	p = dpkg_find(&c.db, app);
	if (!p) {
		r = tx_fail(ctx, -ENOENT, "closure", "package '%s' is not installed in '%s'", app,
			    root);
		goto out;
	}
	r = dpkg_same_source_closure(&c.db, p->name, &c.own);
	if (r < 0) {
		r = tx_fail(ctx, r, "closure", "cannot resolve the packages of '%s'", app);
		goto out;
	}
	r = load_hints(&c);
	if (r < 0)
		goto out;
	r = add_own_packages(&c);
	if (r < 0)
		goto out;
	r = read_unit(&c, spec);
	if (r < 0)
		goto out;
	if (!c.elves.n) {
		r = tx_fail(ctx, -ENOENT, "closure", "no ELF executable in package '%s'", app);
		goto out;
	}
	r = ldso_dirs(ctx, root, &dirs);
	if (r < 0)
		goto out;
	r = libdeps_walk(ctx, m, &dirs, &c.elves);
	if (r < 0)
		goto out;
	add_accounts(&c);
	manifest_sort(m);
out:
	strv_free(&dirs);
	strv_free(&c.own);
	strv_free(&c.own_files);
	strv_free(&c.elves);
	strv_free(&c.scanned);
	strv_free(&c.users);
	strv_free(&c.exclude);
	strv_free(&c.hint_exec);
	dpkg_free(&c.db);
	passwd_free(&c.pw);
	return r;
}
