/* apt sources: one-line and deb822 formats, mirror selection. */
#include "formats/aptsrc.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>

#define APT "tests/fixtures/dpkg/root/etc/apt"

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

static int parse_path(struct tx_ctx *ctx, const char *path, int deb822, struct strv *uris)
{
	char *text;
	size_t len;
	int r = read_file(path, &text, &len, 1 << 20);

	if (r < 0)
		return r;
	r = deb822 ? aptsrc_parse_deb822(ctx, path, text, len, uris)
		   : aptsrc_parse_list(ctx, path, text, len, uris);
	free(text);
	return r;
}

static void t_formats(void)
{
	struct tx_ctx ctx = {.stage = "stage"}; /* the caller names its stage */
	struct strv u = {0};

	CHECK(parse_path(&ctx, APT "/sources.list", 0, &u) == 0);
	CHECK_STRV(&u, "http://updates.mirror.example/debian "
		       "http://security.mirror.example/debian-security");
	strv_free(&u);
	CHECK(parse_path(&ctx, APT "/sources.list.d/10-debian.sources", 1, &u) == 0);
	CHECK_STRV(&u, "http://mirror.example/debian http://mirror2.example/debian");
	strv_free(&u);
	CHECK(parse_path(&ctx, APT "/sources.list.d/20-other.list", 0, &u) == 0);
	CHECK(u.n == 2);
	strv_free(&u);
}

static void t_errors(void)
{
	struct tx_ctx ctx = {.stage = "stage"}; /* the caller names its stage */
	struct strv u = {0};
	const char *t1 = "deb http://mirror.example/debian\n";
	const char *t2 = "\n\ndeb [arch=amd64 http://mirror.example/debian bookworm main\n";
	const char *t3 = "rpm http://mirror.example/debian bookworm main\n";
	const char *d1 = "Types: deb\nURIs: http://mirror.example/debian\nno colon\n";
	const char *d2 = "Types: deb\nSuites: bookworm\n\n";
	const char *d3 = " continuation first\n";
	const char *d4 = "Types: deb\nURIs:\n";
	const char *d5 = "Enabled: no\nSuites: x\n\n\n# only a comment\n";

	CHECK(aptsrc_parse_list(&ctx, "s.list", t1, strlen(t1), &u) == -EINVAL);
	CHECK_STR(ctx.err, "stage: corrupt apt source at line 1 's.list'");
	CHECK(aptsrc_parse_list(&ctx, "s.list", t2, strlen(t2), &u) == -EINVAL);
	CHECK_STR(ctx.err, "stage: unterminated options at line 3 's.list'");
	CHECK(aptsrc_parse_list(&ctx, "s.list", t3, strlen(t3), &u) == -EINVAL);
	CHECK_STR(ctx.err, "stage: unknown type 'rpm' at line 1 's.list'");
	CHECK(aptsrc_parse_deb822(&ctx, "d.sources", d1, strlen(d1), &u) == -EINVAL);
	CHECK_STR(ctx.err, "stage: corrupt apt source at line 3 'd.sources'");
	CHECK(aptsrc_parse_deb822(&ctx, "d.sources", d2, strlen(d2), &u) == -EINVAL);
	CHECK_STR(ctx.err, "stage: missing URIs in stanza at line 1 'd.sources'");
	CHECK(aptsrc_parse_deb822(&ctx, "d.sources", d3, strlen(d3), &u) == -EINVAL);
	CHECK(aptsrc_parse_deb822(&ctx, "d.sources", d4, strlen(d4), &u) == -EINVAL);
	CHECK(aptsrc_parse_deb822(&ctx, "d.sources", d5, strlen(d5), &u) == 0);
	CHECK(aptsrc_parse_list(&ctx, "e", "", 0, &u) == 0);
	CHECK(u.n == 0);
	strv_free(&u);
}

static void t_mirror(void)
{
	struct tx_ctx ctx = {.stage = "stage"}; /* the caller names its stage */
	char *m = NULL;

	/* sources.list has only -updates and -security; the cdrom source and
	 * the disabled stanza are skipped; .disabled/.save/bad names ignored */
	CHECK(aptsrc_mirror(&ctx, APT, "bookworm", &m) == 0);
	CHECK_STR(m, "http://mirror.example/debian");
	free(m);
	CHECK(aptsrc_mirror(&ctx, APT, "bookworm-updates", &m) == 0);
	CHECK_STR(m, "http://updates.mirror.example/debian");
	free(m);
	CHECK(aptsrc_mirror(&ctx, APT, "trixie", &m) == 0);
	CHECK_STR(m, "http://other.mirror.example/debian");
	free(m);
	CHECK(aptsrc_mirror(&ctx, APT, "bullseye", &m) == -ENOENT);
	CHECK(m == NULL);
	CHECK_STR(ctx.err, "stage: no apt source for suite 'bullseye' in '" APT
			   "'; maybe pass --mirror URL");
	CHECK(aptsrc_mirror(&ctx, "tests/fixtures/dpkg/apt-list", "bookworm", &m) == 0);
	CHECK_STR(m, "http://mirror.example/debian/");
	free(m);
	CHECK(aptsrc_mirror(&ctx, "tests/fixtures/nonexistent", "bookworm", &m) == -ENOENT);
	CHECK(strstr(ctx.err, "stage: no apt source for suite 'bookworm' in '") == ctx.err);
}

int main(void)
{
	RUN(t_formats);
	RUN(t_errors);
	RUN(t_mirror);
	return t_done("test-aptsrc");
}
