/* libFuzzer target: the app spec parser, and the round trip
 * parse -> text -> parse -> text giving the same text. */
#include "formats/appspec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct app_spec s, s2;
	struct sbuf t1 = {0}, t2 = {0};

	if (appspec_parse(&ctx, (const char *)data, size, &s))
		return 0;
	appspec_text(&s, &t1);
	if (appspec_parse(&ctx, t1.s, t1.len, &s2))
		abort(); /* what we print we must read */
	appspec_text(&s2, &t2);
	if (t1.len != t2.len || memcmp(t1.s, t2.s, t1.len))
		abort();
	appspec_free(&s);
	appspec_free(&s2);
	sbuf_free(&t1);
	sbuf_free(&t2);
	return 0;
}
