/* libFuzzer target: /etc/passwd and /etc/group parsing and lookups. */
#include "formats/passwd.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct pw_db db = {0};

	passwd_parse(&ctx, (const char *)data, size, &db);
	group_parse(&ctx, (const char *)data, size, &db);
	if (db.nu) {
		pw_by_name(&db, db.u[0].name);
		pw_by_uid(&db, db.u[db.nu - 1].uid);
	}
	if (db.ng) {
		gr_by_name(&db, db.g[0].name);
		gr_by_gid(&db, db.g[db.ng - 1].gid);
	}
	passwd_free(&db);
	return 0;
}
