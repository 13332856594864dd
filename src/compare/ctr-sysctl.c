/* The container's sysctls (tinyx compare --forward): what the Tinyx init
 * applies from the image's sysctl.d files (formats/sysctl.h), applied to the
 * container's network namespace, as `docker run --sysctl` would. Only the
 * keys under net/ belong to a network namespace; any other key is the
 * host's, left alone and said. */
#include "compare/system.h"
#include "formats/sysctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STAGE "compare"

struct apply {
	struct tx_ctx *ctx;
	const char *file; /* for messages: /etc/sysctl.d/NAME */
	int rc;
};

static int set_one(void *arg, const struct sysctl_item *it)
{
	struct apply *a = arg;
	char *p;
	int fd, e = 0;

	if (strncmp(it->path, "net/", 4)) {
		tx_info(a->ctx, "compare: container: sysctl %s is the host's, not set (%s:%d)",
			it->key, a->file, it->line);
		return 0;
	}
	p = xasprintf("/proc/sys/%s", it->path);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, it->val, it->vlen) != (ssize_t)it->vlen)
		e = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	free(p);
	if (e && !it->ignore_fail) {
		a->rc =
		    tx_fail(a->ctx, -e, STAGE, "container: cannot set sysctl '%s' at %s:%d (%s)",
			    it->key, a->file, it->line, strerror(e));
		return -1;
	}
	return 0;
}

/* The .conf names of dir under root, appended to names/dirs. */
static int list_dir(const char *root, const char *dir, int di, char **names, int *dirs, int n)
{
	char *path = xasprintf("%s%s", root, dir);
	DIR *d = opendir(path);
	struct dirent *e;

	free(path);
	while (d && n < SYSCTL_MAX_FILES && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			names[n] = xstrdup(e->d_name);
			dirs[n++] = di;
		}
	if (d)
		closedir(d);
	return n;
}

/* Each assignment of root's sysctl.d files, in systemd-sysctl's order, in
 * the calling thread's network namespace. */
static int apply_all(struct tx_ctx *ctx, const char *root)
{
	static const char *const sdirs[] = SYSCTL_DIRS;
	char *names[SYSCTL_MAX_FILES];
	int dirs[SYSCTL_MAX_FILES], n = 0, rc = 0;

	for (int i = 0; i < 2; i++)
		n = list_dir(root, sdirs[i], i, names, dirs, n);
	{
		const char *cn[SYSCTL_MAX_FILES];
		int m;

		for (int i = 0; i < n; i++)
			cn[i] = names[i];
		m = sysctl_order(cn, dirs, n);
		for (int i = 0; i < m && rc == 0; i++) {
			char *file = xasprintf("%s/%s", sdirs[dirs[i]], cn[i]);
			char *path = xasprintf("%s%s", root, file), *text = NULL;
			size_t len = 0;
			struct apply a = {ctx, file, 0};
			struct sysctl_error e;

			if (read_file(path, &text, &len, SYSCTL_MAX_BYTES) < 0)
				rc = tx_fail(ctx, -EIO, STAGE, "container: cannot read '%s'", file);
			else if (sysctl_parse(text, len, set_one, &a, &e) < 0)
				rc = a.rc ? a.rc
					  : tx_fail(ctx, -EINVAL, STAGE, "container: %s:%d: %s",
						    file, e.line, e.problem);
			free(text), free(path), free(file);
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	return rc;
}

int ctr_sysctls(struct tx_ctx *ctx, const char *root, pid_t netns_of)
{
	char *p = xasprintf("/proc/%d/ns/net", (int)netns_of);
	int here = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int there = open(p, O_RDONLY | O_CLOEXEC), rc;

	free(p);
	if (here < 0 || there < 0 || setns(there, CLONE_NEWNET) < 0)
		rc = tx_fail(ctx, -errno, STAGE,
			     "container: cannot enter its network namespace (%s)", strerror(errno));
	else {
		rc = apply_all(ctx, root);
		if (setns(here, CLONE_NEWNET) < 0 && rc == 0)
			rc = tx_fail(ctx, -errno, STAGE,
				     "container: cannot return from its network namespace (%s)",
				     strerror(errno));
	}
	if (here >= 0)
		close(here);
	if (there >= 0)
		close(there);
	return rc;
}
