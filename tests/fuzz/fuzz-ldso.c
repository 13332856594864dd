/* libFuzzer target: ld.so.conf parsing, includes expanded in a small
 * temporary root (with an include loop and a symlink pointing out). */
#include "formats/ldso.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char root[] = "/tmp/tinyx-fuzz-ldso-XXXXXX";
static int ready;

static void put(const char *rel, const char *text)
{
	char *p = xasprintf("%s%s", root, rel), *d = path_dirname(p);

	mkdir_p(d, 0755);
	write_file_atomic(p, text, strlen(text), 0644);
	free(d);
	free(p);
}

static void cleanup(void)
{
	rm_rf(root);
}

static void setup(void)
{
	char *l;

	if (!mkdtemp(root))
		abort();
	atexit(cleanup); /* libFuzzer ends a timed run with exit() */
	put("/etc/ld.so.conf.d/a.conf", "/opt/a\ninclude b.conf\n");
	put("/etc/ld.so.conf.d/b.conf", "/opt/b # x\nhwcap 1 x\n");
	put("/etc/loop.conf", "include /etc/loop.conf\n");
	l = xasprintf("%s/etc/out", root);
	if (symlink("/etc", l) < 0)
		abort();
	free(l);
	ready = 1;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct strv dirs = {0};
	int r;

	if (!ready)
		setup();
	r = ldso_parse(&ctx, root, "/etc/ld.so.conf", (const char *)data, size, &dirs, 0);
	if (r < 0 && !ctx.err[0])
		abort();
	for (size_t i = 0; i < dirs.n; i++)
		if (dirs.v[i][0] != '/')
			abort();
	strv_free(&dirs);
	return 0;
}
