/* bench: read every ELF file of a root tree with the analyzer's reader and
 * resolve its needs; prints the count and the time. Never fails on time. */
#include "formats/elfread.h"
#include "lib/util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct strv files;

static int visit(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if (flag == FTW_F && S_ISREG(st->st_mode) && st->st_size >= 64)
		strv_push(&files, path);
	return 0;
}

int main(int argc, char **argv)
{
	struct tx_ctx ctx = {0};
	size_t elves = 0, bad = 0, needed = 0, imports = 0;
	double t0, t1;

	if (argc != 2) {
		fprintf(stderr, "usage: elfscan ROOT\n");
		return 2;
	}
	t0 = now_ms();
	nftw(argv[1], visit, 64, FTW_PHYS | FTW_MOUNT);
	t1 = now_ms();
	for (size_t i = 0; i < files.n; i++) {
		struct elf_info e = {0};
		int r = elf_read(&ctx, files.v[i], &e);

		if (r == 0) {
			elves++;
			needed += e.needed.n;
			imports += e.imports.n;
		} else if (r < 0) {
			bad++;
		}
		elf_info_free(&e);
	}
	printf("elfscan: %zu files walked in %.0f ms; %zu ELF files read (%zu DT_NEEDED, %zu "
	       "imported symbols, %zu unreadable) in %.0f ms\n",
	       files.n, t1 - t0, elves, needed, imports, bad, now_ms() - t1);
	strv_free(&files);
	return 0;
}
