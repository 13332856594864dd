/* libFuzzer target: image.conf. Whatever parses must print and parse back
 * to the same text, and every file name must be a plain name. */
#include "formats/imgconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct imgconf a, b;
	struct sbuf t1 = {0}, t2 = {0};

	if (imgconf_parse(&ctx, "fuzz.conf", (const char *)data, size, &a) < 0)
		return 0;
	if (!imgconf_valid_name(a.kernel) || !imgconf_valid_name(a.initrd) ||
	    (a.disk && !imgconf_valid_name(a.disk)))
		abort();
	if (a.memory_mb < IMGCONF_MEM_MIN || a.memory_mb > IMGCONF_MEM_MAX || a.vcpus < 1 ||
	    a.vcpus > IMGCONF_VCPUS_MAX || a.port < 0 || a.port > 65535)
		abort();
	imgconf_text(&a, &t1);
	if (imgconf_parse(&ctx, "t1", t1.s, t1.len, &b) < 0)
		abort();
	imgconf_text(&b, &t2);
	if (t1.len != t2.len || memcmp(t1.s, t2.s, t1.len))
		abort();
	imgconf_free(&a);
	imgconf_free(&b);
	sbuf_free(&t1);
	sbuf_free(&t2);
	return 0;
}
