/* /etc/passwd and /etc/group of a root tree. */
#ifndef TINYX_PASSWD_H
#define TINYX_PASSWD_H

#include "lib/util.h"

struct pw_ent {
	char *name;
	unsigned uid, gid;
	char *home, *shell;
};

struct gr_ent {
	char *name;
	unsigned gid;
	struct strv members;
};

struct pw_db {
	struct pw_ent *u;
	size_t nu;
	struct gr_ent *g;
	size_t ng;
};

/* "name:pw:uid:gid:gecos:home:shell" lines; empty, "#" and NIS "+"/"-" lines
 * skipped. Appends to db. */
int passwd_parse(struct tx_ctx *ctx, const char *text, size_t len, struct pw_db *db);
/* "name:pw:gid:member,member" lines. Appends to db. */
int group_parse(struct tx_ctx *ctx, const char *text, size_t len, struct pw_db *db);
/* ROOT/etc/passwd and ROOT/etc/group. */
int passwd_load(struct tx_ctx *ctx, const char *root, struct pw_db *db);
void passwd_free(struct pw_db *db);

/* Lookups: the first entry that matches (as getpwnam does), else NULL. */
const struct pw_ent *pw_by_name(const struct pw_db *db, const char *n);
const struct pw_ent *pw_by_uid(const struct pw_db *db, unsigned uid);
const struct gr_ent *gr_by_name(const struct pw_db *db, const char *n);
const struct gr_ent *gr_by_gid(const struct pw_db *db, unsigned gid);

#endif
