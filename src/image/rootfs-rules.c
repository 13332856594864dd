/* The rootfs content rules (rootfs_check) and the overlay symlink rule
 * (rootfs_link_inside); see rootfs.h. */
#include "image/rootfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int rootfs_link_inside(const char *path, const char *target)
{
	int depth = 0;
	const char *p = path + 1;

	if (target[0] == '/' || !target[0])
		return 0;
	for (; *p; p++) /* depth of the link's dir */
		depth += *p == '/';
	for (p = target; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (n && !(n == 1 && p[0] == '.')) {
			depth++;
		}
		p += n;
		p += *p == '/';
	}
	return 1;
}

/* Paths that must never be in an image, with everything under them. */
static const char *const banned[] = {"/var/lib/dpkg",	   "/var/lib/apt",     "/var/cache/apt",
				     "/var/cache/debconf", "/etc/apt",	       "/usr/lib/apt",
				     "/usr/bin/apt",	   "/usr/bin/apt-get", "/usr/bin/dpkg",
				     "/usr/share/doc",	   "/usr/share/man",   "/usr/share/info"};

static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

/* Second field of every line: 'x' in passwd, '*' or '!...' in shadow files. */
static int check_pw_file(struct tx_ctx *ctx, const struct manifest *m, const struct ment *e,
			 int shadow)
{
	char *host = e->src ? xstrdup(e->src) : root_join(m->root ? m->root : "/", e->path);
	char *text = NULL;
	int err = read_file(host, &text, NULL, 1 << 20), lineno = 0;

	if (err) {
		err = tx_fail(ctx, err, "rootfs", "cannot read '%s' for '%s'", host, e->path);
		free(host);
		return err;
	}
	for (char *l = text, *nl; l && *l && !err; l = nl) {
		char *f = strchr(l, ':'), *end;

		nl = strchr(l, '\n');
		if (nl)
			*nl++ = 0;
		lineno++;
		if (!*l || *l == '#' || !f || !(end = strchr(f + 1, ':')))
			continue;
		*end = 0;
		f++;
		if (shadow ? !(f[0] == '*' || f[0] == '!')
			   : strcmp(f, "x") && strcmp(f, "*") && strcmp(f, "!"))
			err = tx_fail(ctx, -EINVAL, "rootfs",
				      "'%s' line %d sets a password (want '%s')", e->path, lineno,
				      shadow ? "*" : "x");
	}
	free(text);
	free(host);
	return err;
}

int rootfs_check(struct tx_ctx *ctx, const struct manifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct ment *e = &m->e[i];
		int err = 0;

		if (e->type == ME_USER || e->type == ME_GROUP)
			continue;
		for (size_t b = 0; b < sizeof(banned) / sizeof(*banned); b++)
			if (under(e->path, banned[b]))
				return tx_fail(ctx, -EINVAL, "rootfs",
					       "'%s' must not be in an image (%s)", e->path,
					       e->reason ? e->reason : "no reason");
		if (e->type != ME_FILE)
			continue;
		if (!strcmp(e->path, "/etc/passwd"))
			err = check_pw_file(ctx, m, e, 0);
		else if (!strcmp(e->path, "/etc/shadow") || !strcmp(e->path, "/etc/gshadow"))
			err = check_pw_file(ctx, m, e, 1);
		if (err)
			return err;
	}
	return 0;
}
