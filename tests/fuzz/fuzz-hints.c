/* libFuzzer target: the per-app hint file parser (src/hints.c). */
#include "formats/hints.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct hints h;

	if (hints_parse(&ctx, "fuzz-hints", (const char *)data, size, &h) == 0) {
		/* what a parse promises */
		if (strcmp(h.service, "none") && (h.port < 1 || h.port > 65535))
			__builtin_trap();
		for (size_t i = 0; i < h.n; i++)
			if ((h.h[i].kind == HINT_INCLUDE || h.h[i].kind == HINT_EXCLUDE) &&
			    h.h[i].arg[0] != '/')
				__builtin_trap();
		hints_free(&h);
	}
	return 0;
}
