/* The hint file parser and the overlay symlink check. */
#include "formats/hints.h"
#include "image/rootfs.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *text, struct hints *h, struct tx_ctx *ctx)
{
	return hints_parse(ctx, "h", text, strlen(text), h);
}

static void t_hints(void)
{
	struct tx_ctx ctx = {0};
	struct hints h;

	CHECK(parse("# why\n  include /etc/x   # a comment\nexclude /usr/share/doc\n"
		    "exec /usr/sbin/nginx -g \"daemon off;\"  # foreground\n"
		    "user www-data\nservice http 80\n\n",
		    &h, &ctx) == 0);
	CHECK(h.n == 5);
	CHECK(h.n == 5 && h.h[0].kind == HINT_INCLUDE && h.h[0].line == 2);
	CHECK_STR(h.n ? h.h[0].arg : NULL, "/etc/x");
	CHECK_STR(h.n > 2 ? h.h[2].arg : NULL, "/usr/sbin/nginx -g \"daemon off;\"");
	CHECK_STR(h.service, "http");
	CHECK(h.port == 80);
	hints_free(&h);
	CHECK(parse("", &h, &ctx) == 0 && h.n == 0 && !strcmp(h.service, "none") && !h.port);
	hints_free(&h);
	CHECK(parse("frobnicate x\n", &h, &ctx) == -EINVAL);
	CHECK(strstr(ctx.err, "unknown hint 'frobnicate' at h:1") != NULL);
	CHECK(parse("\ninclude\n", &h, &ctx) == -EINVAL);
	CHECK(strstr(ctx.err, "hint without argument at h:2") != NULL);
	CHECK(parse("include etc/x\n", &h, &ctx) == -EINVAL);
	CHECK(strstr(ctx.err, "hinted path is not absolute 'etc/x'") != NULL);
	CHECK(parse("service http 0\n", &h, &ctx) == -EINVAL);
	CHECK(parse("service http 65536\n", &h, &ctx) == -EINVAL);
	CHECK(parse("service gopher 70\n", &h, &ctx) == -EINVAL);
	CHECK(parse("service http 80x\n", &h, &ctx) == -EINVAL);
	CHECK(strstr(ctx.err, "bad service hint 'http 80x'") != NULL);
	CHECK(hints_parse(&ctx, "h", "user a\0b\n", 9, &h) == -EINVAL);
}

/* The service line alone, as the build and the comparison read it. */
static void t_service(void)
{
	struct tx_ctx ctx = {.stage = "compare"};
	char dir[] = "/tmp/tinyx-hints-XXXXXX", svc[8];
	int port = -1;

	CHECK(mkdtemp(dir) != NULL);
	char *d = xasprintf("%s/rootfs-overlays/bad", dir), *f = xasprintf("%s/hints", d);
	char *g = xasprintf("%s/rootfs-overlays/good", dir), *gf = xasprintf("%s/hints", g);
	CHECK(mkdir_p(g, 0755) == 0);
	CHECK(write_file_atomic(gf, "# why\nservice http 80\n", 22, 0644) == 0);
	CHECK(hints_service(&ctx, dir, "good", svc, &port) == 0);
	CHECK(!strcmp(svc, "http") && port == 80);
	CHECK(hints_service(&ctx, dir, "no-such-app", svc, &port) == 0);
	CHECK(!strcmp(svc, "none") && port == 0);
	CHECK(mkdir_p(d, 0755) == 0);
	CHECK(write_file_atomic(f, "service tcp 6379\nfrob x\n", 24, 0644) == 0);
	CHECK(hints_service(&ctx, dir, "bad", svc, &port) == -EINVAL);
	CHECK(!strcmp(svc, "none") && port == 0);
	CHECK(strstr(ctx.err, "compare: unknown hint 'frob'") == ctx.err);
	rm_rf(dir);
	free(f);
	free(d);
	free(gf);
	free(g);
}

static void t_link_inside(void)
{
	CHECK(rootfs_link_inside("/etc/idx", "../usr/share/x") == 1);
	CHECK(rootfs_link_inside("/etc/idx", "idx2") == 1);
	CHECK(rootfs_link_inside("/etc/evil", "../../etc/shadow") == 0);
	CHECK(rootfs_link_inside("/etc/evil", "/etc/shadow") == 0);
	CHECK(rootfs_link_inside("/etc/evil", "") == 0);
	CHECK(rootfs_link_inside("/a/b/c", "./../../x/../y") == 1);
	CHECK(rootfs_link_inside("/a/b/c", "x/../../../../y") == 0);
}

int main(void)
{
	RUN(t_hints);
	RUN(t_service);
	RUN(t_link_inside);
	return t_done("test-hints");
}
