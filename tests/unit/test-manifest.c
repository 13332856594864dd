/* The manifest: symlink chains, parents, sorting, text round trip, JSON. */
#include "formats/manifest.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char tmp[] = "/tmp/tinyx-manifest-XXXXXX";
	char cmd[1024];
	struct manifest m, m2;
	struct tx_ctx ctx = {0};
	struct sbuf a = {0}, b = {0}, j = {0};

	if (!mkdtemp(tmp))
		return 1;
	TCASE("add paths");
	/* merged /usr: /lib -> usr/lib, a soname chain, an absolute link */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p usr/lib/x86_64-linux-gnu usr/lib64 && ln -s usr/lib lib && "
		 "ln -s usr/lib64 lib64 && echo x > usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3 && "
		 "ln -s libfoo.so.1.2.3 usr/lib/x86_64-linux-gnu/libfoo.so.1.2 && "
		 "ln -s libfoo.so.1.2 usr/lib/x86_64-linux-gnu/libfoo.so.1 && "
		 "echo ld > usr/lib/x86_64-linux-gnu/ld.so && "
		 "ln -s /lib/x86_64-linux-gnu/ld.so usr/lib64/ld.so && ln -s loop1 loop2 && "
		 "ln -s loop2 loop1",
		 tmp);
	CHECK(system(cmd) == 0);
	manifest_init(&m, "t", tmp);
	CHECK(manifest_add_path(&m, "/lib/x86_64-linux-gnu/libfoo.so.1", "needed-by=/x") == 1);
	CHECK(manifest_add_path(&m, "/lib64/ld.so", "interp-of=/x") == 1);
	CHECK(manifest_add_path(&m, "/lib64/ld.so", "again") == 0);
	CHECK(manifest_add_path(&m, "/loop1", "x") < 0);
	CHECK(manifest_add_path(&m, "/nonexistent", "x") < 0);
	struct ment u = {.type = ME_USER,
			 .path = "www",
			 .uid = 33,
			 .gid = 33,
			 .target = "/var/www",
			 .shell = "/bin/false",
			 .reason = "unit=x"};
	struct ment g = {.type = ME_GROUP, .path = "www", .gid = 33, .reason = "unit=x"};
	struct ment n = {.type = ME_NOD,
			 .path = "/dev/null",
			 .mode = 0666,
			 .devtype = 'c',
			 .major = 1,
			 .minor = 3,
			 .reason = "base"};
	CHECK(manifest_add(&m, &u) == 1);
	CHECK(manifest_add(&m, &g) == 1); /* groups and users are separate names */
	CHECK(manifest_add(&m, &n) == 1);
	manifest_sort(&m);
	TCASE("text");
	manifest_text(&m, &a);
	CHECK(strstr(a.s, "slink /lib usr/lib 0777 0 0") != NULL);
	CHECK(strstr(a.s, "slink /usr/lib/x86_64-linux-gnu/libfoo.so.1 libfoo.so.1.2 ") != NULL);
	CHECK(strstr(a.s, "slink /usr/lib/x86_64-linux-gnu/libfoo.so.1.2 libfoo.so.1.2.3 ") !=
	      NULL);
	CHECK(strstr(a.s, "file  /usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3 ") != NULL);
	CHECK(strstr(a.s, "slink /usr/lib64/ld.so /lib/x86_64-linux-gnu/ld.so") != NULL);
	CHECK(strstr(a.s, "dir   /usr/lib/x86_64-linux-gnu ") != NULL);
	CHECK(strstr(a.s, "nod   /dev/null 0666 0 0 c 1 3  base") != NULL);
	TCASE("text round trip");
	/* the text form parses back to the same text */
	manifest_init(&m2, "t", tmp);
	CHECK(manifest_parse(&ctx, a.s, a.len, &m2) == 0);
	manifest_sort(&m2);
	manifest_text(&m2, &b);
	CHECK_STR(b.s, a.s);
	CHECK(manifest_total_size(&m) == manifest_total_size(&m2));
	TCASE("json");
	/* JSON has what scripts rely on */
	manifest_json(&m, &j);
	CHECK_GOLDEN(j.s, "manifest.json");
	CHECK(strstr(j.s, "\"type\": \"slink\"") && strstr(j.s, "\"reason\": \"interp-of=/x\""));
	CHECK(strstr(j.s, "\"kernel_features\": [") != NULL);
	TCASE("bad text");
	/* bad text: one clear error with the line */
	struct manifest m3;
	manifest_init(&m3, "t", tmp);
	tx_stage(&ctx, "rootfs");
	CHECK(manifest_parse(&ctx, "file /a 0644 0 0\nbogus /b\n", 26, &m3) < 0);
	CHECK(strstr(ctx.err, "rootfs: malformed entry at line 2") == ctx.err);
	CHECK(manifest_parse(&ctx, "file relative 0644 0 0\n", 23, &m3) < 0);
	CHECK(manifest_parse(&ctx, "file /a 0999 0 0\n", 17, &m3) < 0);
	CHECK(manifest_parse(&ctx, "nod /d 0600 0 0 x 1 1\n", 22, &m3) < 0);
	/* a group's members: "-" or names, nothing else */
	CHECK(manifest_parse(&ctx, "group g 7 a/b  x\n", 17, &m3) < 0);
	CHECK(manifest_parse(&ctx, "group g 7\n", 10, &m3) < 0);
	CHECK(manifest_parse(&ctx, "group g 7 frr,bird  member=frr\n", 31, &m3) == 0);
	CHECK(m3.n && m3.e[m3.n - 1].target && !strcmp(m3.e[m3.n - 1].target, "frr,bird"));
	manifest_free(&m3);
	manifest_free(&m);
	manifest_free(&m2);
	sbuf_free(&a);
	sbuf_free(&b);
	sbuf_free(&j);
	rm_rf(tmp);
	return t_done("test-manifest");
}
