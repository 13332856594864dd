/* libFuzzer target: sysctl.d files as the build and the guest init read them
 * (formats/sysctl.c). Each assignment's path stays under /proc/sys (no "..",
 * no leading '/', no empty name), its key and path have the same length,
 * its value lies inside the input; an error names a line (or the file). */
#include "formats/sysctl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct in {
	const char *text;
	size_t len;
	int last;
};

static int check(void *arg, const struct sysctl_item *it)
{
	const struct in *in = arg;
	size_t n = strlen(it->path);

	if (!n || n > SYSCTL_MAX_KEY || strlen(it->key) != n || it->path[0] == '/' ||
	    it->path[n - 1] == '/' || strstr(it->path, "//") || !strncmp(it->path, "../", 3) ||
	    strstr(it->path, "/../") || !strcmp(it->path, "..") ||
	    (n >= 3 && !strcmp(it->path + n - 3, "/..")))
		abort();
	if (it->val < in->text || it->val + it->vlen > in->text + in->len || it->line <= 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {(const char *)data, size, 0};
	struct sysctl_error e;
	const char *names[8] = {"b.conf", "a.conf", "x", "b.conf", "", ".conf", "c.conf", "a.conf"};
	int dir[8] = {1, 0, 0, 0, 1, 1, 0, 1}, n;

	if (sysctl_parse(in.text, size, check, &in, &e) < 0 && (!e.problem || e.line < 0))
		abort();
	/* the order of names taken from the input */
	if (size >= 8)
		for (int i = 0; i < 8; i++)
			dir[i] = data[i] & 1;
	n = sysctl_order(names, dir, 8);
	for (int i = 1; i < n; i++)
		if (strcmp(names[i - 1], names[i]) >= 0)
			abort();
	return 0;
}
