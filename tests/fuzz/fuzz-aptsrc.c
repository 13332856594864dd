/* libFuzzer target: apt sources in both formats. */
#include "formats/aptsrc.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct strv uris = {0};

	aptsrc_parse_deb822(&ctx, "x.sources", (const char *)data, size, &uris);
	strv_free(&uris);
	aptsrc_parse_list(&ctx, "x.list", (const char *)data, size, &uris);
	strv_free(&uris);
	return 0;
}
