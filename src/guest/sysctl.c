/* The image's sysctl.d files applied before the network and the app, in
 * systemd-sysctl's order (formats/sysctl.h: names sorted, /etc hiding the
 * same name in /usr/lib, a later assignment winning). Console lines:
 *   tinyx: sysctl KEY=VALUE                         set
 *   tinyx: sysctl KEY: cannot set (FILE:LINE): ERR   not set (not for "-KEY")
 * The build checked each file with the same parser. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/sysctl.h"
#include "guest/init.h"
#include "guest/util.h"

struct one {
	const char *file;
};

static int set_one(void *arg, const struct sysctl_item *it)
{
	const struct one *o = arg;
	char path[SYSCTL_MAX_KEY + 16];
	int fd, ok;

	fmt(path, sizeof(path), "/proc/sys/%s", it->path);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ok = fd >= 0 && write(fd, it->val, it->vlen) == (ssize_t)it->vlen;
	if (!ok && !it->ignore_fail)
		say("sysctl %s: cannot set (%s:%d): %s", it->key, o->file, it->line,
		    strerror(errno));
	else if (ok)
		say("sysctl %s=%.*s", it->key, (int)it->vlen, it->val);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* The .conf names of dir i into names/dir (n so far); the new count. */
static int list_dir(const char *path, int i, const char **names, int *dir, int n)
{
	DIR *d = opendir(path);
	struct dirent *de;

	while (d && (de = readdir(d)) && n < SYSCTL_MAX_FILES) {
		if (de->d_name[0] == '.')
			continue;
		names[n] = strdup(de->d_name);
		if (names[n])
			dir[n++] = i;
	}
	if (d)
		closedir(d);
	return n;
}

void sysctl_apply(void)
{
	static const char *const dirs[] = SYSCTL_DIRS;
	const char *names[SYSCTL_MAX_FILES];
	int dir[SYSCTL_MAX_FILES], n = 0, m;
	char *all[SYSCTL_MAX_FILES];

	for (int i = 0; i < 2; i++)
		n = list_dir(dirs[i], i, names, dir, n);
	memcpy(all, names, sizeof(names[0]) * (size_t)n);
	m = sysctl_order(names, dir, n);
	for (int i = 0; i < m; i++) {
		char file[300];
		size_t len;
		char *text;
		struct sysctl_error e;
		struct one o = {file};

		fmt(file, sizeof(file), "%s/%s", dirs[dir[i]], names[i]);
		text = slurp(file, SYSCTL_MAX_BYTES, &len);
		if (text && sysctl_parse(text, len, set_one, &o, &e) < 0)
			say("%s: line %d: %s (the rest not applied)", file, e.line, e.problem);
		free(text);
	}
	for (int i = 0; i < n; i++)
		free(all[i]);
}
