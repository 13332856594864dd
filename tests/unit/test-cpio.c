/* The cpio writer: newc headers read back by hand and by `cpio -itv`, every
 * compressor round trip, same bytes twice, and the rejections. */
#include "image/cpio.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/tinyx-cpio-XXXXXX";

static void add(struct manifest *m, enum ment_type t, const char *path, unsigned mode, unsigned uid,
		unsigned gid, const char *target_or_src)
{
	struct ment e = {.type = t, .path = (char *)path, .mode = mode, .uid = uid, .gid = gid};

	if (t == ME_SLINK)
		e.target = (char *)target_or_src;
	else if (t == ME_FILE && target_or_src)
		e.src = (char *)target_or_src;
	manifest_add(m, &e);
}

static void make_manifest(struct manifest *m)
{
	char *f1 = xasprintf("%s/hello", dir), *f2 = xasprintf("%s/odd", dir);
	struct ment nod = {.type = ME_NOD,
			   .path = "/dev/console",
			   .mode = 0600,
			   .devtype = 'c',
			   .major = 5,
			   .minor = 1};
	struct ment user = {.type = ME_USER, .path = "www-data", .uid = 33, .gid = 33};

	write_file_atomic(f1, "hello\n", 6, 0644);
	write_file_atomic(f2, "abcde", 5, 0600);
	manifest_init(m, "t", dir);
	/* not in order: the writer sorts */
	add(m, ME_FILE, "/usr/bin/hello", 04755, 0, 0, f1);
	add(m, ME_DIR, "/usr", 0755, 0, 0, NULL);
	add(m, ME_DIR, "/usr/bin", 0755, 0, 0, NULL);
	add(m, ME_SLINK, "/bin", 0777, 0, 0, "usr/bin");
	add(m, ME_DIR, "/dev", 0755, 0, 0, NULL);
	add(m, ME_DIR, "/var", 0755, 0, 0, NULL);
	add(m, ME_DIR, "/var/www", 02750, 33, 33, NULL);
	add(m, ME_FILE, "/var/www/odd", 0640, 33, 33, f2);
	add(m, ME_FILE, "/odd", 0644, 0, 0, NULL); /* from the root: dir + /odd */
	manifest_add(m, &nod);
	manifest_add(m, &user);
	free(f1);
	free(f2);
}

static unsigned hex8(const char *p)
{
	char b[9];

	memcpy(b, p, 8);
	b[8] = 0;
	return (unsigned)strtoul(b, NULL, 16);
}

/* Walk a newc archive; check order, fields and padding. */
static void check_raw(const char *path)
{
	static const struct {
		const char *name;
		unsigned mode, uid, size, rmaj, rmin;
	} want[] = {
	    {"bin", 0120777, 0, 7, 0, 0},
	    {"dev", 040755, 0, 0, 0, 0},
	    {"dev/console", 020600, 0, 0, 5, 1},
	    {"odd", 0100644, 0, 5, 0, 0},
	    {"usr", 040755, 0, 0, 0, 0},
	    {"usr/bin", 040755, 0, 0, 0, 0},
	    {"usr/bin/hello", 0104755, 0, 6, 0, 0},
	    {"var", 040755, 0, 0, 0, 0},
	    {"var/www", 042750, 33, 0, 0, 0},
	    {"var/www/odd", 0100640, 33, 5, 0, 0},
	    {"TRAILER!!!", 0, 0, 0, 0, 0},
	};
	char *buf = NULL;
	size_t len = 0, off = 0;

	CHECK(read_file(path, &buf, &len, 1 << 20) == 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *h = buf + off;
		unsigned ns, fs;

		CHECK(off + 110 <= len);
		if (off + 110 > len)
			break;
		CHECK(!memcmp(h, "070701", 6));
		ns = hex8(h + 94);
		fs = hex8(h + 54);
		CHECK_STR(h + 110, want[i].name);
		CHECK(hex8(h + 14) == want[i].mode);
		CHECK(hex8(h + 22) == want[i].uid);
		CHECK(fs == want[i].size);
		CHECK(hex8(h + 78) == want[i].rmaj && hex8(h + 86) == want[i].rmin);
		CHECK(hex8(h + 6) ==
		      (i + 1 < sizeof(want) / sizeof(want[0]) ? i + 1 : 0)); /* ino */
		CHECK(hex8(h + 46) == (want[i].mode ? 1700000000u : 0));     /* mtime */
		off += (110 + ns + 3) & ~3u;
		if (i == 0)
			CHECK(!memcmp(buf + off, "usr/bin", 7));
		off += (fs + 3) & ~3u;
	}
	CHECK(off == len);
	free(buf);
}

static void test_write(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;
	char *raw = xasprintf("%s/a.cpio", dir), *raw2 = xasprintf("%s/b.cpio", dir);
	char *odd = xasprintf("%s/odd", dir);

	write_file_atomic(odd, "12345", 5, 0644);
	make_manifest(&m);
	CHECK(cpio_write(&ctx, &m, raw, "none", 1700000000) == 0);
	CHECK(cpio_write(&ctx, &m, raw2, "none", 1700000000) == 0);
	check_raw(raw);
	{
		char *a = NULL, *b = NULL;
		size_t la = 0, lb = 0;

		read_file(raw, &a, &la, 1 << 20);
		read_file(raw2, &b, &lb, 1 << 20);
		CHECK(la == lb && a && b && !memcmp(a, b, la));
		free(a);
		free(b);
	}
	/* the listing of the real cpio tool */
	if (access("/usr/bin/cpio", X_OK) == 0) {
		char *argv[] = {"cpio", "-itvn", "--quiet", "-F", raw, NULL}, *out = NULL;

		CHECK(run_capture(&ctx, argv, &out, 1 << 20) == 0);
		CHECK(strstr(out, "lrwxrwxrwx   1 0        0               7 Nov 14  2023 bin -> "
				  "usr/bin") != NULL);
		CHECK(strstr(out, "crw-------   1 0        0          5,   1 Nov 14  2023 "
				  "dev/console") != NULL);
		CHECK(strstr(out, "-rwsr-xr-x   1 0        0               6 Nov 14  2023 "
				  "usr/bin/hello") != NULL);
		CHECK(strstr(out, "drwxr-s---   2 33       33              0 Nov 14  2023 "
				  "var/www\n") != NULL);
		if (!strstr(out, "usr/bin/hello"))
			fprintf(stderr, "%s", out);
		free(out);
	} else {
		fprintf(stderr, "test-cpio: no cpio tool, skipping the listing check\n");
	}
	/* each compressor gives back the same archive */
	static const char *const comps[][2] = {
	    {"gzip", "gzip"}, {"zstd", "zstd"}, {"xz", "xz"}, {"lz4", "lz4"}};
	for (size_t i = 0; i < 4; i++) {
		char *z = xasprintf("%s/a.%s", dir, comps[i][0]), *z2 = xasprintf("%s.2", z);
		char *d = xasprintf("%s.out", z), *a = NULL, *b = NULL;
		char *argv[] = {(char *)comps[i][1], "-d", "-c", z, NULL};
		size_t la = 0, lb = 0;
		char h1[65], h2[65];

		if (cpio_write(&ctx, &m, z, comps[i][0], 1700000000)) {
			fprintf(stderr, "test-cpio: %s: %s (skipped)\n", comps[i][0], ctx.err);
			goto next;
		}
		CHECK(cpio_write(&ctx, &m, z2, comps[i][0], 1700000000) == 0);
		CHECK(sha256_file(z, h1) == 0 && sha256_file(z2, h2) == 0);
		CHECK_STR(h1, h2);
		CHECK(run_cmd(&ctx, argv, d, 1) == 0);
		read_file(raw, &a, &la, 1 << 20);
		read_file(d, &b, &lb, 1 << 20);
		CHECK(la == lb && a && b && !memcmp(a, b, la));
		{
			char *t = xasprintf("%s.tmp", z), *t2 = xasprintf("%s.tmp-cpio", z);

			CHECK(!path_exists(t) && !path_exists(t2));
			free(t);
			free(t2);
		}
		free(a);
		free(b);
	next:
		free(z);
		free(z2);
		free(d);
	}
	manifest_free(&m);
	free(raw);
	free(raw2);
	free(odd);
}

static void test_reject(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;
	char *out = xasprintf("%s/bad.cpio", dir);
	struct ment e = {.type = ME_FILE, .path = "/missing", .mode = 0644};

	manifest_init(&m, "t", dir);
	manifest_add(&m, &e);
	CHECK(cpio_write(&ctx, &m, out, "none", 0) < 0);
	CHECK(strstr(ctx.err, "cannot read file") != NULL);
	CHECK(!path_exists(out));
	manifest_free(&m);

	manifest_init(&m, "t", dir);
	e.type = ME_DIR;
	e.path = "/TRAILER!!!";
	manifest_add(&m, &e);
	CHECK(cpio_write(&ctx, &m, out, "none", 0) == -EINVAL);
	manifest_free(&m);

	static const char *const badp[] = {"rel", "/a//b", "/a/./b", "/a/../b", "/a/", "/a\nb"};
	for (size_t i = 0; i < sizeof(badp) / sizeof(badp[0]); i++)
		CHECK(cpio_check_path(badp[i]) == -EINVAL);
	CHECK(cpio_check_path("/") == 0);
	CHECK(cpio_check_path("/a b/c.d/..e") == 0);

	manifest_init(&m, "t", dir);
	e.path = "/x";
	manifest_add(&m, &e);
	CHECK(cpio_write(&ctx, &m, out, "bzip3", 0) == -EINVAL);
	CHECK(strstr(ctx.err, "unknown compressor 'bzip3'") != NULL);
	/* a directory where a file is named */
	e.type = ME_FILE;
	e.path = "/y";
	e.src = dir;
	manifest_add(&m, &e);
	CHECK(cpio_write(&ctx, &m, out, "none", 0) < 0);
	CHECK(!path_exists(out));
	manifest_free(&m);
	free(out);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	RUN(test_write);
	RUN(test_reject);
	rm_rf(dir);
	return t_done("test-cpio");
}
