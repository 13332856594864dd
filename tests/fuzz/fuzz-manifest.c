/* libFuzzer target: the manifest parser (untrusted text), the round trip
 * parse -> text -> parse -> text, and the image writers' path checks. */
#include "image/cpio.h"
#include "formats/manifest.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct manifest m, m2;
	struct sbuf t1 = {0}, t2 = {0};
	const struct ment **v = NULL;
	size_t n = 0;

	manifest_init(&m, "fuzz", "/nonexistent");
	if (manifest_parse(&ctx, (const char *)data, size, &m)) {
		manifest_free(&m);
		return 0;
	}
	manifest_text(&m, &t1);
	manifest_init(&m2, "fuzz", "/nonexistent");
	if (manifest_parse(&ctx, t1.s ? t1.s : "", t1.len, &m2))
		abort(); /* what we print we must read */
	manifest_text(&m2, &t2);
	if (t1.len != t2.len || (t1.len && memcmp(t1.s, t2.s, t1.len)))
		abort();
	if (cpio_sorted_entries(&ctx, &m, &v, &n) == 0)
		for (size_t i = 1; i < n; i++)
			if (strcmp(v[i - 1]->path, v[i]->path) >= 0)
				abort();
	free(v);
	manifest_free(&m);
	manifest_free(&m2);
	sbuf_free(&t1);
	sbuf_free(&t2);
	return 0;
}
