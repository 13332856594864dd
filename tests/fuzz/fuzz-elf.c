/* libFuzzer target: the ELF reader on arbitrary bytes. */
#include "formats/elfread.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct elf_info e;
	int r = elf_read_mem(&ctx, "fuzz.so", data, size, &e);

	if (r == 0) {
		for (size_t i = 0; i < e.needed.n; i++)
			if (!e.needed.v[i][0])
				abort();
		elf_info_free(&e);
	} else if (r < 0 && !strstr(ctx.err, "'fuzz.so'")) {
		abort(); /* an error must name the file */
	}
	return 0;
}
