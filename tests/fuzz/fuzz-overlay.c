/* libFuzzer target: the overlay symlink check (rootfs_link_inside), against
 * an independent resolution: the link's dir plus the target, component by
 * component; ".." above the root means outside. Input: PATH NUL TARGET. */
#include "image/rootfs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int oracle(const char *path, const char *target)
{
	char *buf = xasprintf("%s/../%s", path, target); /* dir of path, then target */
	int depth = 0, inside = 1;

	for (char *c = strtok(buf, "/"); c; c = strtok(NULL, "/")) {
		if (!strcmp(c, ".."))
			depth--;
		else if (strcmp(c, "."))
			depth++;
		if (depth < 0)
			inside = 0;
	}
	free(buf);
	return inside;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	char *raw, *path, *target;

	if (!nul)
		return 0;
	raw = xstrndup((const char *)data, (size_t)(nul - data));
	target = xstrndup((const char *)nul + 1, size - (size_t)(nul - data) - 1);
	/* the overlay walk gives absolute, normalised paths without dot dirs */
	for (char *p = raw; *p; p++)
		if (*p == '.')
			*p = 'x';
	{
		char *abs = xasprintf("/%s", raw);
		path = path_normalize(abs);
		free(abs);
	}
	if (strcmp(path, "/")) { /* "/" itself is never a link */
		int got = rootfs_link_inside(path, target);
		int want = target[0] && target[0] != '/' && oracle(path, target);

		if (got != want)
			__builtin_trap();
	}
	free(raw);
	free(path);
	free(target);
	return 0;
}
