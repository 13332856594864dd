/* libFuzzer target: dpkg status parsing, lookups and closures. */
#include "formats/dpkg.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct dpkg_db db = {0};
	struct strv s = {0};

	if (dpkg_parse_status(&ctx, "status", (const char *)data, size, &db) == 0) {
		for (size_t i = 0; i < db.n && i < 4; i++) {
			dpkg_find(&db, db.p[i].name);
			dpkg_depends_closure(&db, db.p[i].name, &s);
			strv_free(&s);
			dpkg_same_source_closure(&db, db.p[i].name, &s);
			strv_free(&s);
			if (db.p[i].provides.n)
				dpkg_find(&db, db.p[i].provides.v[0]);
		}
	}
	dpkg_free(&db);
	return 0;
}
