/* libFuzzer target: the minimizer's trial record (CACHE/kmin/APP-TARGET/trials).
 * Every parsed entry must be well formed: a known kind, 64 hex digits of key,
 * a value that is a hash or "-" (a time judgement's: a hash), and sane numbers. */
#include "kernel/kmin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmin_recs rs;

	kmin_recs_parse((const char *)data, size, &rs);
	for (size_t i = 0; i < rs.n; i++) {
		const struct kmin_rec *r = &rs.r[i];

		if (!hex64(r->key))
			abort();
		if (r->kind == 'i') {
			if (strcmp(r->val, "-") && !hex64(r->val))
				abort();
		} else if (r->kind == 'c') {
			if (r->bytes < 0 || r->service_ms < 0 || (r->pass != 0 && r->pass != 1))
				abort();
		} else if (r->kind == 't') {
			if (!hex64(r->val) || r->service_ms < 0 || r->ref_ms < 0 ||
			    (r->pass != 0 && r->pass != 1))
				abort();
		} else {
			abort();
		}
		if (kmin_recs_find(&rs, r->kind, r->key) == NULL ||
		    (r->kind == 't' && !kmin_recs_find_time(&rs, r->key, r->val)))
			abort();
	}
	kmin_recs_free(&rs);
	return 0;
}
