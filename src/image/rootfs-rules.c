/* The rootfs content rules (rootfs_check) and the overlay symlink rule
 * (rootfs_link_inside); see rootfs.h. */
#include "image/rootfs.h"

#include "formats/text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A private key in PEM or OpenSSH form: a "-----BEGIN ... PRIVATE KEY-----"
 * line in the file's first 64 KB. Only /etc and /var, where a package's
 * postinst leaves what it generated (SSH host keys, snakeoil certificates),
 * and never the operator's own files (--overlay: their key, their call). */
static int check_key(struct tx_ctx *ctx, const struct manifest *m, const struct ment *e)
{
	char *host, buf[65536];
	ssize_t n;
	int fd;

	if ((!under(e->path, "/etc") && !under(e->path, "/var")) ||
	    (e->reason && !strcmp(e->reason, "overlay=operator")))
		return 0;
	host = e->src ? xstrdup(e->src) : root_join(m->root ? m->root : "/", e->path);
	fd = open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(host);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0; /* unreadable files fail where the image is written */
	buf[n] = 0;
	if (fmt_has_private_key(buf))
		return tx_fail(ctx, -EPERM, "rootfs",
			       "'%s' is a private key made when the package was installed "
			       "(%s): every image would share it; put your own in with "
			       "--overlay",
			       e->path, e->reason ? e->reason : "no reason");
	return 0;
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
		else
			err = check_key(ctx, m, e);
		if (err)
			return err;
	}
	return 0;
}
