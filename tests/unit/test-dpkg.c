/* dpkg database: status parsing, lookups, closures, file lists. */
#include "formats/dpkg.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>

#define FIX "tests/fixtures/dpkg"
#define NGINX_ROOT "/tmp/roots/nginx"

static char *join(const struct strv *s)
{
	struct sbuf b = {0};

	for (size_t i = 0; i < s->n; i++) {
		if (i)
			sbuf_add(&b, " ", 1);
		sbuf_puts(&b, s->v[i]);
	}
	return b.s ? b.s : xstrdup("");
}

#define CHECK_STRV(s, want)                                                                        \
	do {                                                                                       \
		char *j_ = join(s);                                                                \
		CHECK_STR(j_, want);                                                               \
		free(j_);                                                                          \
	} while (0)

static void t_parse(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct dpkg_db db = {0};
	struct dpkg_pkg *p;

	CHECK(dpkg_load(&ctx, FIX "/root", &db) == 0);
	CHECK(db.n == 13);
	p = dpkg_find(&db, "webapp");
	CHECK(p && p->installed);
	if (!p)
		goto out;
	CHECK_STR(p->arch, "amd64");
	CHECK_STR(p->version, "1.2-3");
	CHECK_STR(p->source, "webapp");
	CHECK_STR(p->priority, "optional");
	CHECK_STR(p->status, "install ok installed");
	CHECK(!p->essential);
	CHECK_STRV(&p->depends, "libc6 libfoo1 webapp-common missing-thing|httpd-tools "
				"mail-transport-agent|exim4");
	CHECK_STRV(&p->predepends, "init-helper");
	CHECK_STRV(&p->provides, "httpd webapp-abi-1");

	p = dpkg_find(&db, "webapp-common");
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->source, "webapp");
		CHECK_STRV(&p->conffiles,
			   "/etc/webapp/webapp.conf /etc/webapp/old.conf /etc/init.d/webapp");
		CHECK_STRV(&p->depends, "debconf|debconf-2.0");
	}
	p = dpkg_find(&db, "libgcc-s1");
	CHECK(p && !strcmp(p->source, "gcc-12"));
	p = dpkg_find(&db, "init-helper");
	CHECK(p && p->essential && !strcmp(p->source, "init-helper"));

	/* not installed: deinstall/config-files and half-installed */
	CHECK(dpkg_find(&db, "webapp-doc") == NULL);
	CHECK(dpkg_find(&db, "httpd-tools") == NULL);
	CHECK(!db.p[2].installed && !strcmp(db.p[2].name, "webapp-doc"));
	CHECK_STRV(&db.p[2].conffiles, "/etc/webapp/doc.conf");

	/* virtual packages: the first installed provider */
	p = dpkg_find(&db, "mail-transport-agent");
	CHECK(p && !strcmp(p->name, "exim4"));
	p = dpkg_find(&db, "debconf-2.0");
	CHECK(p && !strcmp(p->name, "debconf"));
	p = dpkg_find(&db, "libc6:amd64");
	CHECK(p && !strcmp(p->name, "libc6"));
	CHECK(dpkg_find(&db, "libc6:i386") == NULL);
	CHECK(dpkg_find(&db, "libc6:any") != NULL);
	CHECK(dpkg_find(&db, "nope") == NULL);
out:
	dpkg_free(&db);
	CHECK(db.n == 0 && db.p == NULL);
}

static void t_closure(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct dpkg_db db = {0};
	struct strv s = {0};

	CHECK(dpkg_load(&ctx, FIX "/root", &db) == 0);
	CHECK(dpkg_depends_closure(&db, "webapp", &s) == 0);
	CHECK_STRV(&s, "debconf exim4 exim4-base gcc-12-base init-helper libc6 libfoo1 "
		       "libgcc-s1 webapp webapp-common");
	strv_free(&s);
	CHECK(dpkg_same_source_closure(&db, "webapp", &s) == 0);
	CHECK_STRV(&s, "webapp webapp-common");
	strv_free(&s);
	/* cycles terminate */
	CHECK(dpkg_depends_closure(&db, "libc6", &s) == 0);
	CHECK_STRV(&s, "gcc-12-base libc6 libgcc-s1");
	strv_free(&s);
	CHECK(dpkg_same_source_closure(&db, "exim4-base", &s) == 0);
	CHECK_STRV(&s, "exim4-base");
	strv_free(&s);
	/* a virtual name resolves to its provider */
	CHECK(dpkg_depends_closure(&db, "mail-transport-agent", &s) == 0);
	CHECK_STRV(&s, "exim4 exim4-base");
	strv_free(&s);
	CHECK(dpkg_depends_closure(&db, "webapp-doc", &s) == -ENOENT);
	CHECK(dpkg_same_source_closure(&db, "nope", &s) == -ENOENT);
	CHECK(s.n == 0);
	dpkg_free(&db);
}

static void t_files(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct dpkg_db db = {0};
	struct strv f = {0};
	struct dpkg_pkg *p;

	CHECK(dpkg_load(&ctx, FIX "/root", &db) == 0);
	p = dpkg_find(&db, "webapp");
	CHECK(p && dpkg_pkg_files(&ctx, FIX "/root", p, &f) == 0);
	CHECK_STRV(&f, "/usr /usr/sbin /usr/sbin/webapp /usr/share/doc/webapp");
	strv_free(&f);
	p = dpkg_find(&db, "libc6");
	CHECK(p && dpkg_pkg_files(&ctx, FIX "/root", p, &f) == 0);
	CHECK_STRV(&f, "/lib/x86_64-linux-gnu/libc.so.6");
	strv_free(&f);
	p = dpkg_find(&db, "exim4");
	CHECK(p && dpkg_pkg_files(&ctx, FIX "/root", p, &f) == -ENOENT);
	CHECK(strstr(ctx.err, "closure: cannot read file list '") == ctx.err);
	CHECK(f.n == 0);
	dpkg_free(&db);
}

static void t_errors(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct dpkg_db db = {0};
	const char *bad1 = "Package: a\nStatus: install ok installed\n continued\nno colon here\n";
	const char *bad2 = " leading continuation\n";
	const char *bad3 = "Package: a\n\nVersion: 1\n";
	const char *ok = "\n\n# comment\nPackage: a\r\nStatus: install ok installed\r\n\n\n";
	struct dpkg_pkg evil = {.name = "../../etc", .arch = "amd64"};
	struct strv f = {0};

	CHECK(dpkg_parse_status(&ctx, "var/lib/dpkg/status", bad1, strlen(bad1), &db) == -EINVAL);
	CHECK_STR(ctx.err, "closure: corrupt dpkg status at line 4 'var/lib/dpkg/status'");
	dpkg_free(&db);
	CHECK(dpkg_parse_status(&ctx, "s", bad2, strlen(bad2), &db) == -EINVAL);
	CHECK_STR(ctx.err, "closure: corrupt dpkg status at line 1 's'");
	dpkg_free(&db);
	CHECK(dpkg_parse_status(&ctx, "s", bad3, strlen(bad3), &db) == -EINVAL);
	CHECK_STR(ctx.err, "closure: missing Package field in stanza ending at line 3 's'");
	dpkg_free(&db);
	CHECK(dpkg_parse_status(&ctx, "s", ok, strlen(ok), &db) == 0);
	CHECK(db.n == 1 && db.p[0].installed && !strcmp(db.p[0].name, "a"));
	CHECK(db.n == 1 && !strcmp(db.p[0].arch, "") && !strcmp(db.p[0].source, "a"));
	dpkg_free(&db);
	CHECK(dpkg_parse_status(&ctx, "s", "", 0, &db) == 0 && db.n == 0);
	CHECK(dpkg_pkg_files(&ctx, FIX "/root", &evil, &f) == -EINVAL);
	CHECK_STR(ctx.err, "closure: invalid package name '../../etc'");
	/* a parser names the caller's stage, not its own */
	tx_stage(&ctx, "xen");
	CHECK(dpkg_pkg_files(&ctx, FIX "/root", &evil, &f) == -EINVAL);
	CHECK_STR(ctx.err, "xen: invalid package name '../../etc'");
	tx_stage(&ctx, "closure");
	CHECK(dpkg_load(&ctx, FIX "/nonexistent", &db) == -ENOENT);
	CHECK(strstr(ctx.err, "closure: cannot read dpkg status '") == ctx.err);
}

static void t_nginx_root(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct dpkg_db db = {0};
	struct strv s = {0};
	struct dpkg_pkg *p;

	if (!is_dir(NGINX_ROOT "/var/lib/dpkg")) {
		printf("test-dpkg: skip: no root at %s\n", NGINX_ROOT);
		return;
	}
	CHECK(dpkg_load(&ctx, NGINX_ROOT, &db) == 0);
	p = dpkg_find(&db, "nginx");
	CHECK(p && p->installed);
	CHECK(dpkg_same_source_closure(&db, "nginx", &s) == 0);
	CHECK_STRV(&s, "nginx nginx-common");
	strv_free(&s);
	CHECK(dpkg_depends_closure(&db, "nginx", &s) == 0);
	CHECK(strv_contains(&s, "libc6") && strv_contains(&s, "libssl3"));
	strv_free(&s);
	p = dpkg_find(&db, "nginx-common");
	CHECK(p && dpkg_pkg_files(&ctx, NGINX_ROOT, p, &s) == 0);
	CHECK(strv_contains(&s, "/lib/systemd/system/nginx.service"));
	CHECK(p && strv_contains(&p->conffiles, "/etc/nginx/nginx.conf"));
	strv_free(&s);
	p = dpkg_find(&db, "libc6");
	CHECK(p && dpkg_pkg_files(&ctx, NGINX_ROOT, p, &s) == 0 && s.n > 10);
	strv_free(&s);
	dpkg_free(&db);
}

int main(void)
{
	RUN(t_parse);
	RUN(t_closure);
	RUN(t_files);
	RUN(t_errors);
	RUN(t_nginx_root);
	return t_done("test-dpkg");
}
