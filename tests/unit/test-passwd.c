/* /etc/passwd and /etc/group. */
#include "formats/passwd.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>

#define FIX "tests/fixtures/dpkg/root"
#define NGINX_ROOT "/tmp/roots/nginx"

static void t_load(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct pw_db db = {0};
	const struct pw_ent *u;
	const struct gr_ent *g;

	CHECK(passwd_load(&ctx, FIX, &db) == 0);
	CHECK(db.nu == 6 && db.ng == 6);
	u = pw_by_name(&db, "webapp");
	CHECK(u && u->uid == 101 && u->gid == 102);
	CHECK(u && !strcmp(u->home, "/var/lib/webapp"));
	CHECK(u && !strcmp(u->shell, "/usr/sbin/nologin"));
	u = pw_by_uid(&db, 33);
	CHECK(u && !strcmp(u->name, "www-data"));
	u = pw_by_uid(&db, 65534);
	CHECK(u && !strcmp(u->name, "nobody"));
	CHECK(pw_by_name(&db, "+nisuser") == NULL);
	CHECK(pw_by_name(&db, "nope") == NULL);
	CHECK(pw_by_uid(&db, 1000) == NULL);
	g = gr_by_name(&db, "adm");
	CHECK(g && g->gid == 4 && g->members.n == 2);
	CHECK(g && g->members.n == 2 && !strcmp(g->members.v[1], "webapp"));
	g = gr_by_gid(&db, 102);
	CHECK(g && !strcmp(g->name, "webapp") && g->members.n == 2);
	CHECK(g && strv_contains(&g->members, "www-data"));
	g = gr_by_name(&db, "root");
	CHECK(g && g->gid == 0 && g->members.n == 0);
	CHECK(gr_by_gid(&db, 7) == NULL);
	CHECK(gr_by_name(&db, "") == NULL);
	passwd_free(&db);
	CHECK(db.nu == 0 && db.u == NULL && db.ng == 0);
}

static void t_errors(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct pw_db db = {0};
	const char *few = "root:x:0:0:root:/root:/bin/sh\na:x:1:1\n";
	const char *many = "a:x:1:1:g:/h:/s:extra\n";
	const char *neg = "a:x:-1:1:g:/h:/s\n";
	const char *big = "a:x:4294967295:1:g:/h:/s\n";
	const char *noname = ":x:1:1:g:/h:/s\n";
	const char *crlf = "a:x:1:2:g:/h:/bin/sh\r\n";
	const char *gbad = "g:x:abc:\n";

	CHECK(passwd_parse(&ctx, few, strlen(few), &db) == -EINVAL);
	CHECK_STR(ctx.err, "closure: corrupt entry at line 2 '/etc/passwd'");
	CHECK(db.nu == 1);
	passwd_free(&db);
	CHECK(passwd_parse(&ctx, many, strlen(many), &db) == -EINVAL);
	CHECK(passwd_parse(&ctx, neg, strlen(neg), &db) == -EINVAL && db.nu == 0);
	CHECK(passwd_parse(&ctx, big, strlen(big), &db) == -EINVAL);
	CHECK(passwd_parse(&ctx, noname, strlen(noname), &db) == -EINVAL);
	CHECK(passwd_parse(&ctx, crlf, strlen(crlf), &db) == 0 && db.nu == 1);
	CHECK(db.nu == 1 && !strcmp(db.u[0].shell, "/bin/sh") && db.u[0].gid == 2);
	CHECK(group_parse(&ctx, gbad, strlen(gbad), &db) == -EINVAL);
	CHECK_STR(ctx.err, "closure: corrupt entry at line 1 '/etc/group'");
	passwd_free(&db);
	CHECK(passwd_load(&ctx, "tests/fixtures/nonexistent", &db) == -ENOENT);
	CHECK(strstr(ctx.err, "closure: cannot read '") == ctx.err);
	passwd_free(&db);
}

static void t_nginx_root(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct pw_db db = {0};
	const struct pw_ent *u;
	const struct gr_ent *g;

	if (!is_dir(NGINX_ROOT "/etc")) {
		printf("test-passwd: skip: no root at %s\n", NGINX_ROOT);
		return;
	}
	CHECK(passwd_load(&ctx, NGINX_ROOT, &db) == 0);
	u = pw_by_name(&db, "www-data");
	CHECK(u && u->uid == 33 && u->gid == 33);
	g = gr_by_name(&db, "www-data");
	CHECK(g && g->gid == 33);
	u = pw_by_uid(&db, 0);
	CHECK(u && !strcmp(u->name, "root"));
	passwd_free(&db);
}

int main(void)
{
	RUN(t_load);
	RUN(t_errors);
	RUN(t_nginx_root);
	return t_done("test-passwd");
}
