/* The host's apt sources, both formats (sources.list(5)).
 *
 * Only enough is read to find a mirror for debootstrap: the type, the URIs and
 * the suites of each source. */
#include "formats/aptsrc.h"
#include "formats/text.h"

#include <dirent.h>

#define APTSRC_FILE_MAX (4u << 20)

/* Does the whitespace-separated list s hold word w? */
static int has_word(const char *s, const char *w)
{
	size_t n, wl = strlen(w);

	for (const char *p; (p = fmt_word(&s, &n));)
		if (n == wl && !strncmp(p, w, n))
			return 1;
	return 0;
}

static void push_words(const char *s, struct strv *out)
{
	size_t n;

	for (const char *p; (p = fmt_word(&s, &n));)
		strv_pushn(out, p, n);
}

/* One deb822 stanza's fields of interest, and where its URIs go. */
enum { TYPES, URIS, SUITES, ENABLED, NFIELDS };
struct stanza {
	struct sbuf f[NFIELDS];
	const char *suite; /* NULL: any */
	struct strv *out;
};

static void stanza_reset(struct stanza *s)
{
	for (int i = 0; i < NFIELDS; i++)
		sbuf_free(&s->f[i]);
}

static int is_false(const char *v)
{
	static const char *const no[] = {"no", "false", "without", "off", "disable", "0"};

	while (fmt_is_ws(*v))
		v++;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		size_t n = strlen(no[i]);

		if (!strncasecmp(v, no[i], n) && (!v[n] || fmt_is_ws(v[n])))
			return 1;
	}
	return 0;
}

static int stanza_end(struct tx_ctx *ctx, const char *name, void *arg, size_t first, size_t last)
{
	struct stanza *s = arg;
	const char *types = s->f[TYPES].s, *u = s->f[URIS].s, *suites = s->f[SUITES].s;
	int r = 0;

	if (s->f[ENABLED].s && is_false(s->f[ENABLED].s))
		goto out;
	if (!types || !u || !*u) {
		r = tx_fail(ctx, -EINVAL, NULL, "missing %s in stanza at line %zu '%s'",
			    types ? "URIs" : "Types", first, name);
		goto out;
	}
	if (!has_word(types, "deb"))
		goto out;
	if (s->suite && !(suites && has_word(suites, s->suite)))
		goto out;
	push_words(u, s->out);
out:
	stanza_reset(s);
	return r;
}

static void stanza_field(void *arg, const char *f, size_t fl, const char *v)
{
	static const char *const names[] = {"Types", "URIs", "Suites", "Enabled"};
	struct stanza *s = arg;

	for (size_t i = 0; i < NFIELDS; i++) {
		if (strlen(names[i]) == fl && !strncasecmp(f, names[i], fl)) {
			s->f[i].len = 0;
			sbuf_puts(&s->f[i], v);
		}
	}
}

static int parse822(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		    const char *suite, struct strv *uris)
{
	struct stanza s = {.suite = suite, .out = uris};
	struct fmt_822 how = {"apt source", ' ', 0, stanza_field, stanza_end, &s};
	int r = fmt_parse822(ctx, name, text, len, &how);

	stanza_reset(&s);
	return r;
}

int aptsrc_parse_deb822(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
			struct strv *uris)
{
	return parse822(ctx, name, text, len, NULL, uris);
}

static int list_line(struct tx_ctx *ctx, const char *name, size_t lineno, const char *l,
		     const char *suite, struct strv *uris)
{
	size_t n, un;
	const char *w = fmt_word(&l, &n), *uri;
	int deb;

	if (!w)
		return 0;
	deb = n == 3 && !strncmp(w, "deb", 3);
	if (!deb && !(n == 7 && !strncmp(w, "deb-src", 7)))
		return tx_fail(ctx, -EINVAL, NULL, "unknown type '%.*s' at line %zu '%s'",
			       (int)(n > 64 ? 64 : n), w, lineno, name);
	while (fmt_is_ws(*l))
		l++;
	if (*l == '[') {
		const char *e = strchr(l, ']');

		if (!e)
			return tx_fail(ctx, -EINVAL, NULL, "unterminated options at line %zu '%s'",
				       lineno, name);
		l = e + 1;
	}
	uri = fmt_word(&l, &un);
	w = fmt_word(&l, &n);
	if (!un || !n)
		return tx_fail(ctx, -EINVAL, NULL, "corrupt apt source at line %zu '%s'", lineno,
			       name);
	if (deb && (!suite || (strlen(suite) == n && !strncmp(w, suite, n))))
		strv_pushn(uris, uri, un);
	return 0;
}

static int parse_list(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		      const char *suite, struct strv *uris)
{
	struct fmt_lines it = {.p = text, .end = text + len};
	int r = 0;

	while (r == 0 && fmt_next(&it)) {
		it.line[strcspn(it.line, "#")] = 0;
		r = list_line(ctx, name, it.lineno, it.line, suite, uris);
	}
	free(it.line);
	return r;
}

int aptsrc_parse_list(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		      struct strv *uris)
{
	return parse_list(ctx, name, text, len, NULL, uris);
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n > k && !strcmp(s + n - k, suf);
}

/* apt reads only names made of [A-Za-z0-9_.-] that end in .list or .sources. */
static int source_file_name(const char *s)
{
	if (!ends_with(s, ".list") && !ends_with(s, ".sources"))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

static void list_sources(const char *etc_apt, struct strv *files)
{
	char *d = xasprintf("%s/sources.list.d", etc_apt);
	DIR *dir;
	struct dirent *de;
	struct strv names = {0};

	strv_push_own(files, xasprintf("%s/sources.list", etc_apt));
	dir = opendir(d);
	if (dir) {
		while ((de = readdir(dir)))
			if (source_file_name(de->d_name))
				strv_push(&names, de->d_name);
		closedir(dir);
	}
	strv_sort_uniq(&names);
	for (size_t i = 0; i < names.n; i++)
		strv_push_own(files, xasprintf("%s/%s", d, names.v[i]));
	strv_free(&names);
	free(d);
}

static int uris_in_file(struct tx_ctx *ctx, const char *path, const char *suite, struct strv *uris)
{
	char *text;
	size_t len;
	int r = fmt_read(ctx, "", path, APTSRC_FILE_MAX, &text, &len, 1);

	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (ends_with(path, ".sources"))
		r = parse822(ctx, path, text, len, suite, uris);
	else
		r = parse_list(ctx, path, text, len, suite, uris);
	free(text);
	return r;
}

int aptsrc_mirror(struct tx_ctx *ctx, const char *etc_apt, const char *suite, char **mirror)
{
	struct strv files = {0}, uris = {0};
	int r = 0;

	*mirror = NULL;
	list_sources(etc_apt, &files);
	for (size_t i = 0; i < files.n && !*mirror && r == 0; i++) {
		r = uris_in_file(ctx, files.v[i], suite, &uris);
		/* a CD is no place to debootstrap from */
		for (size_t j = 0; r == 0 && j < uris.n && !*mirror; j++)
			if (strncmp(uris.v[j], "cdrom:", 6))
				*mirror = xstrdup(uris.v[j]);
		strv_free(&uris);
	}
	strv_free(&files);
	if (r < 0)
		return r;
	if (!*mirror)
		return tx_fail(ctx, -ENOENT, NULL,
			       "no apt source for suite '%s' in '%s'; maybe pass --mirror URL",
			       suite, etc_apt);
	return 0;
}
