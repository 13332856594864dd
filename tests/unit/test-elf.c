/* The ELF reader: fixtures built at test time, sstrip'd copies made here,
 * and corrupt input (truncated at every length, bytes flipped). */
#include "formats/elfread.h"
#include "t.h"

#include <elf.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/tinyx-elf-XXXXXX";

static char *fx(const char *rel)
{
	return xasprintf("%s/%s", dir, rel);
}

static int same_list(const struct strv *a, const struct strv *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return 0;
	return 1;
}

static void test_app(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct elf_info e;
	char *p = fx("root/bin/app");

	CHECK(elf_read(&ctx, p, &e) == 0);
	CHECK(e.elfclass == ELFCLASS64);
	CHECK(e.machine == EM_X86_64);
	CHECK(e.is_dynamic);
	CHECK_STR(e.interp, "/lib64/ld-linux-x86-64.so.2");
	CHECK(e.needed.n == 3);
	if (e.needed.n == 3) {
		CHECK_STR(e.needed.v[0], "libfoo.so.1");
		CHECK_STR(e.needed.v[1], "libfeat.so");
		CHECK_STR(e.needed.v[2], "libconf.so");
	}
	CHECK_STR(e.rpath, "$ORIGIN/../lib/app");
	CHECK(e.runpath == NULL);
	CHECK(e.soname == NULL);
	CHECK(strv_contains(&e.imports, "foo"));
	CHECK(strv_contains(&e.imports, "feat"));
	CHECK(!strv_contains(&e.imports, "_start"));
	elf_info_free(&e);
	free(p);

	p = fx("root/bin/app-runpath");
	CHECK(elf_read(&ctx, p, &e) == 0);
	CHECK(e.rpath == NULL);
	CHECK_STR(e.runpath, "$ORIGIN/../lib/app");
	elf_info_free(&e);
	free(p);
}

static void test_lib(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct elf_info e, s;
	char *p = fx("root/lib/app/libfoo.so.1"), *q;

	CHECK(elf_read(&ctx, p, &e) == 0);
	CHECK_STR(e.soname, "libfoo.so.1");
	CHECK(e.interp == NULL);
	CHECK(e.needed.n == 1 && !strcmp(e.needed.v[0], "libbar.so"));
	CHECK(e.imports.n == 1 && !strcmp(e.imports.v[0], "bar"));
	elf_info_free(&e);
	free(p);

	/* GNU hash and SysV hash give the same imports, sorted */
	p = fx("root/usr/lib/x86_64-linux-gnu/libfeat.so");
	q = fx("build/libfeat-sysv.so");
	CHECK(elf_read(&ctx, p, &e) == 0);
	CHECK(elf_read(&ctx, q, &s) == 0);
	CHECK(e.imports.n == 3);
	if (e.imports.n == 3) {
		CHECK_STR(e.imports.v[0], "epoll_create1");
		CHECK_STR(e.imports.v[1], "eventfd");
		CHECK_STR(e.imports.v[2], "pthread_cancel");
	}
	CHECK(same_list(&e.imports, &s.imports));
	elf_info_free(&e);
	elf_info_free(&s);
	free(p);
	free(q);
}

/* Drop the section headers and what follows the last segment, as sstrip
 * does; optionally turn DT_GNU_HASH into DT_DEBUG so the symbol count must
 * come from elsewhere. */
static size_t sstrip(char *img, size_t len, int kill_hash)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + eh->e_phoff);
	size_t end = eh->e_phoff + (size_t)eh->e_phnum * sizeof(*ph);

	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_offset + ph[i].p_filesz > end)
			end = ph[i].p_offset + ph[i].p_filesz;
		if (kill_hash && ph[i].p_type == PT_DYNAMIC) {
			Elf64_Dyn *d = (Elf64_Dyn *)(img + ph[i].p_offset);

			for (size_t k = 0; k < ph[i].p_filesz / sizeof(*d); k++)
				if (d[k].d_tag == DT_GNU_HASH)
					d[k].d_tag = DT_DEBUG;
		}
	}
	eh->e_shoff = 0;
	eh->e_shnum = 0;
	eh->e_shstrndx = 0;
	return end < len ? end : len;
}

static void test_stripped(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct elf_info e, s;
	char *p = fx("root/bin/app"), *q = fx("build/app-stripped"), *img;
	size_t len;

	CHECK(elf_read(&ctx, p, &e) == 0);
	CHECK(elf_read(&ctx, q, &s) == 0);
	CHECK(same_list(&e.needed, &s.needed));
	CHECK(same_list(&e.imports, &s.imports));
	CHECK_STR(s.rpath, e.rpath);
	elf_info_free(&s);

	CHECK(read_file(q, &img, &len, 1 << 24) == 0);
	for (int kill = 0; kill < 2; kill++) {
		char *copy = xmalloc(len);
		size_t n;

		memcpy(copy, img, len);
		n = sstrip(copy, len, kill);
		CHECK(n < len);
		CHECK(elf_read_mem(&ctx, "sstripped", copy, n, &s) == 0);
		CHECK(same_list(&e.needed, &s.needed));
		CHECK(same_list(&e.imports, &s.imports));
		CHECK_STR(s.interp, e.interp);
		CHECK_STR(s.rpath, e.rpath);
		elf_info_free(&s);
		/* with section headers but no hash: .dynsym's size is used */
		if (kill) {
			memcpy(copy, img, len);
			sstrip(copy, len, kill);
			memcpy(copy, img, sizeof(Elf64_Ehdr));
			CHECK(elf_read_mem(&ctx, "nohash", copy, len, &s) == 0);
			CHECK(same_list(&e.imports, &s.imports));
			elf_info_free(&s);
		}
		free(copy);
	}
	free(img);
	elf_info_free(&e);
	free(p);
	free(q);
}

static void test_not_elf_and_corrupt(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct elf_info e;
	char *p;

	/* not an ELF file: 1, no error */
	p = fx("root/etc/ld.so.conf");
	CHECK(elf_read(&ctx, p, &e) == 1);
	free(p);
	p = fx("root/opt/bad/libempty.so");
	CHECK(elf_read(&ctx, p, &e) == 1);
	free(p);
	CHECK(elf_read_mem(&ctx, "empty", "", 0, &e) == 1);
	CHECK(elf_read_mem(&ctx, "short", "\177EL", 3, &e) == 1);
	/* corrupt: an error naming the file */
	p = fx("root/opt/bad/libtrunc.so");
	CHECK(elf_read(&ctx, p, &e) < 0);
	CHECK(strstr(ctx.err, p) != NULL);
	free(p);
	CHECK(elf_read_mem(&ctx, "garbage.so", "\177ELFxxxxxxxxxxxxxxxxxxxxxx", 26, &e) < 0);
	CHECK(strstr(ctx.err, "'garbage.so'") != NULL);
	CHECK(elf_read(&ctx, "/nonexistent/libx.so", &e) < 0);
	CHECK_STR(ctx.err,
		  "closure: cannot read ELF '/nonexistent/libx.so': No such file or directory");
	p = fx("root");
	CHECK(elf_read(&ctx, p, &e) < 0);
	CHECK(strstr(ctx.err, "not a regular file") != NULL);
	free(p);
	/* the hand-made 32-bit header */
	p = fx("root/opt/l32/libw.so");
	CHECK(elf_read(&ctx, p, &e) == 0);
	CHECK(e.elfclass == ELFCLASS32 && e.machine == EM_386 && !e.is_dynamic);
	elf_info_free(&e);
	free(p);
}

/* Every truncation and many random byte flips: never a crash; an error
 * always names the file. */
static void test_mutations(void)
{
	const char *files[] = {"root/bin/app", "root/lib/app/libfoo.so.1.2.3",
			       "build/libfeat-sysv.so"};
	struct tx_ctx ctx = {.stage = "closure"};
	unsigned seed = 12345;
	int bad_err = 0, ok = 0;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char *p = fx(files[f]), *img;
		size_t len;
		struct elf_info e;

		if (read_file(p, &img, &len, 1 << 24)) {
			CHECK(0);
			free(p);
			continue;
		}
		for (size_t n = 0; n <= len; n += n < 512 ? 1 : 61) {
			int r = elf_read_mem(&ctx, "cut.so", img, n, &e);

			if (r == 0) {
				elf_info_free(&e);
				ok++;
			} else if (r < 0 && !strstr(ctx.err, "'cut.so'")) {
				bad_err++;
			}
		}
		for (int i = 0; i < 3000; i++) {
			char *c = xmalloc(len);
			int r;

			memcpy(c, img, len);
			for (int k = 0; k < 4; k++) {
				seed = seed * 1103515245 + 12345;
				c[(seed >> 8) % len] = (char)(seed >> 20);
			}
			r = elf_read_mem(&ctx, "flip.so", c, len, &e);
			if (r == 0)
				elf_info_free(&e);
			else if (r < 0 && !strstr(ctx.err, "'flip.so'"))
				bad_err++;
			free(c);
		}
		free(img);
		free(p);
	}
	CHECK(bad_err == 0);
	CHECK(ok > 0);
}

int main(void)
{
	char cmd[512];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "tests/fixtures/elf/make.sh %s", dir);
	CHECK(system(cmd) == 0);
	RUN(test_app);
	RUN(test_lib);
	RUN(test_stripped);
	RUN(test_not_elf_and_corrupt);
	RUN(test_mutations);
	rm_rf(dir);
	return t_done("test-elf");
}
