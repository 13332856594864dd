/* ld.so.conf parsing (includes, globs inside the root, loops) and the
 * default dirs. */
#include "formats/ldso.h"
#include "t.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/tinyx-ldso-XXXXXX";

static void put(const char *rel, const char *text)
{
	char *p = xasprintf("%s%s", root, rel), *d = path_dirname(p);

	mkdir_p(d, 0755);
	CHECK(write_file_atomic(p, text, strlen(text), 0644) == 0);
	free(d);
	free(p);
}

static int idx(const struct strv *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], v))
			return (int)i;
	return -1;
}

static void test_parse(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct strv d = {0};
	const char *text = "# comment\n"
			   "/opt/a/ # trailing comment\n"
			   "\n"
			   "  /opt/b//c/../c  \n"
			   "hwcap 0 nosegneg\n"
			   "relative/dir\n"
			   "/opt/a\n"
			   "/opt/libc5=libc5\n"
			   "include conf.d/*.conf\n"
			   "include /nonexistent/*.conf\n"
			   "/opt/last";

	put("/etc/conf.d/2.conf", "/opt/two\n");
	put("/etc/conf.d/1.conf", "/opt/one\ninclude ../more.conf\n");
	put("/etc/more.conf", "/opt/more\n");
	put("/etc/conf.d/skip.txt", "/opt/skip\n");
	CHECK(ldso_parse(&ctx, root, "/etc/ld.so.conf", text, strlen(text), &d, 0) == 0);
	CHECK(d.n == 7);
	CHECK(idx(&d, "/opt/a") == 0);
	CHECK(idx(&d, "/opt/b/c") == 1);
	CHECK(idx(&d, "/opt/libc5") == 2);
	/* sorted glob, nested relative include */
	CHECK(idx(&d, "/opt/one") == 3);
	CHECK(idx(&d, "/opt/more") == 4);
	CHECK(idx(&d, "/opt/two") == 5);
	CHECK(idx(&d, "/opt/last") == 6);
	CHECK(idx(&d, "/opt/skip") < 0);
	CHECK(idx(&d, "relative/dir") < 0);
	strv_free(&d);
}

static void test_loop_and_escape(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct strv d = {0};
	const char *loop = "include /etc/loop.conf\n";
	char *lnk = xasprintf("%s/etc/esc.d", root);

	put("/etc/loop.conf", "/opt/loop\ninclude loop.conf\n");
	CHECK(ldso_parse(&ctx, root, "/etc/ld.so.conf", loop, strlen(loop), &d, 0) == -ELOOP);
	CHECK_STR(ctx.err, "closure: too many nested includes in '/etc/loop.conf'");
	strv_free(&d);

	/* an absolute symlink is resolved inside the root, never on the host */
	put("/x/esc.conf", "/opt/inside\n");
	CHECK(symlink("/x", lnk) == 0);
	const char *esc = "include /etc/esc.d/*.conf\ninclude ../../../../x/*.conf\n";
	CHECK(ldso_parse(&ctx, root, "/etc/ld.so.conf", esc, strlen(esc), &d, 0) == 0);
	CHECK(d.n == 1 && !strcmp(d.v[0], "/opt/inside"));
	strv_free(&d);
	free(lnk);
}

static void test_dirs(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct strv d = {0};

	put("/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
	put("/etc/ld.so.conf.d/x86_64-linux-gnu.conf",
	    "/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n");
	CHECK(ldso_dirs_for(&ctx, root, EM_X86_64, ELFCLASS64, &d) == 0);
	CHECK(d.n == 7);
	CHECK(idx(&d, "/usr/local/lib/x86_64-linux-gnu") == 0);
	CHECK(idx(&d, "/lib/x86_64-linux-gnu") == 1);
	CHECK(idx(&d, "/usr/lib/x86_64-linux-gnu") == 2);
	CHECK(idx(&d, "/lib") == 3);
	CHECK(idx(&d, "/usr/lib") == 4);
	CHECK(idx(&d, "/lib64") == 5);
	CHECK(idx(&d, "/usr/lib64") == 6);
	strv_free(&d);

	CHECK(ldso_dirs_for(&ctx, root, EM_386, ELFCLASS32, &d) == 0);
	CHECK(idx(&d, "/lib/i386-linux-gnu") >= 0);
	CHECK(idx(&d, "/usr/lib/i386-linux-gnu") >= 0);
	CHECK(idx(&d, "/lib64") < 0);
	strv_free(&d);

	CHECK_STR(ldso_multiarch(EM_X86_64, ELFCLASS64), "x86_64-linux-gnu");
	CHECK_STR(ldso_multiarch(EM_386, ELFCLASS32), "i386-linux-gnu");
	CHECK_STR(ldso_multiarch(EM_AARCH64, ELFCLASS64), "aarch64-linux-gnu");
	CHECK(ldso_multiarch(EM_NONE, ELFCLASS64) == NULL);
	CHECK_STR(ldso_platform(EM_X86_64, ELFCLASS64), "x86_64");

	/* no /bin/sh in this root: the host's machine */
	CHECK(ldso_dirs(&ctx, root, &d) == 0);
	CHECK(idx(&d, "/usr/lib") >= 0);
#if defined(__x86_64__) && !defined(__ILP32__)
	CHECK(idx(&d, "/usr/lib/x86_64-linux-gnu") >= 0);
#endif
	strv_free(&d);

	if (access("/tmp/roots/nginx/etc/ld.so.conf", F_OK) == 0) {
		CHECK(ldso_dirs(&ctx, "/tmp/roots/nginx", &d) == 0);
		CHECK(idx(&d, "/usr/lib/x86_64-linux-gnu") >= 0);
		CHECK(idx(&d, "/lib/x86_64-linux-gnu") >= 0);
		strv_free(&d);
	}
}

int main(void)
{
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_parse);
	RUN(test_loop_and_escape);
	RUN(test_dirs);
	rm_rf(root);
	return t_done("test-ldso");
}
