/* The closure's paths: what is never taken, and adding a path, its
 * interpreter, or a whole tree to the manifest. */
#include "closure/cl.h"

#include <glob.h>
#include <stdio.h>

#define DIR_BUDGET (64LL * 1024 * 1024) /* bytes a named dir may bring in */

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

int cl_excluded(const struct cl *c, const char *path)
{
	for (int i = 0; excluded[i]; i++)
		if (cl_has_prefix_dir(path, excluded[i]))
			return 1;
	for (size_t i = 0; i < c->exclude.n; i++)
		if (cl_has_prefix_dir(path, c->exclude.v[i]))
			return 1;
	return 0;
}

int cl_system_dir(const char *path)
{
	for (int i = 0; system_dirs[i]; i++)
		if (!strcmp(path, system_dirs[i]))
			return 1;
	return 0;
}

int cl_lstat(const struct cl *c, const char *path, struct stat *st)
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

int cl_is_elf(const struct cl *c, const char *path)
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

void cl_add_interpreter(struct cl *c, const char *path)
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
		else if ((st.st_mode & 0111) && r == 1 && strncmp(reason, "pkg=", 4) &&
			 strncmp(reason, "conffile=", 9))
			/* a script the app runs (its unit's command, one its config
			 * names): its interpreter too. The package's other scripts
			 * are admin tools, not run by the app. Once: no loop. */
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
