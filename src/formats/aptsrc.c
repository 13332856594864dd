/* The host's apt sources, both formats (sources.list(5)).
 *
 * Only enough is read to find a mirror for debootstrap: the type, the URIs and
 * the suites of each source. */
#include "formats/aptsrc.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define APTSRC_FILE_MAX (4u << 20)

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* The next whitespace-separated word of *s (its length in *n), or NULL at
 * the end; *s moves past it. */
static const char *next_word(const char **s, size_t *n)
{
	const char *w = *s;

	while (is_ws(*w))
		w++;
	for (*n = 0; w[*n] && !is_ws(w[*n]);)
		(*n)++;
	*s = w + *n;
	return *n ? w : NULL;
}

/* Does the whitespace-separated list s hold word w? */
static int has_word(const char *s, const char *w)
{
	size_t n, wl = strlen(w);

	for (const char *p; (p = next_word(&s, &n));)
		if (n == wl && !strncmp(p, w, n))
			return 1;
	return 0;
}

static void push_words(const char *s, struct strv *out)
{
	size_t n;

	for (const char *p; (p = next_word(&s, &n));)
		strv_pushn(out, p, n);
}

/* One deb822 stanza's fields of interest. */
struct stanza {
	struct sbuf types, uris, suites, enabled;
	int any;     /* the stanza has a field */
	size_t line; /* where it starts */
};

static void stanza_reset(struct stanza *s)
{
	sbuf_free(&s->types);
	sbuf_free(&s->uris);
	sbuf_free(&s->suites);
	sbuf_free(&s->enabled);
	s->any = 0;
}

static int is_false(const char *v)
{
	static const char *const no[] = {"no", "false", "without", "off", "disable", "0"};

	while (is_ws(*v))
		v++;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		size_t n = strlen(no[i]);

		if (!strncasecmp(v, no[i], n) && (!v[n] || is_ws(v[n])))
			return 1;
	}
	return 0;
}

static int stanza_end(struct tx_ctx *ctx, const char *name, struct stanza *s, const char *suite,
		      struct strv *uris)
{
	const char *types = s->types.s ? s->types.s : "";
	const char *u = s->uris.s ? s->uris.s : "";
	int r = 0;

	if (!s->any)
		return 0;
	if (s->enabled.s && is_false(s->enabled.s))
		goto out;
	if (!s->types.s || !s->uris.s || !*u) {
		r = tx_fail(ctx, -EINVAL, NULL, "missing %s in stanza at line %zu '%s'",
			    s->types.s ? "URIs" : "Types", s->line, name);
		goto out;
	}
	if (!has_word(types, "deb"))
		goto out;
	if (suite && !(s->suites.s && has_word(s->suites.s, suite)))
		goto out;
	push_words(u, uris);
out:
	stanza_reset(s);
	return r;
}

static void field_to(struct stanza *s, struct sbuf **cur, const char *f, size_t fl)
{
#define IS(lit) (fl == sizeof(lit) - 1 && !strncasecmp(f, lit, fl))
	*cur = NULL;
	if (IS("Types"))
		*cur = &s->types;
	else if (IS("URIs"))
		*cur = &s->uris;
	else if (IS("Suites"))
		*cur = &s->suites;
	else if (IS("Enabled"))
		*cur = &s->enabled;
#undef IS
	if (*cur) {
		(*cur)->len = 0;
		sbuf_add(*cur, "", 0);
	}
}

static int parse822(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		    const char *suite, struct strv *uris)
{
	const char *p = text, *end = text + len;
	struct stanza s = {0};
	struct sbuf *cur = NULL;
	size_t lineno = 0;
	int r = 0, in_field = 0;

	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p), k = 0;
		const char *l = p, *colon;

		lineno++;
		p = nl ? nl + 1 : end;
		while (k < n && is_ws(l[k]))
			k++;
		if (k == n) {
			r = stanza_end(ctx, name, &s, suite, uris);
			in_field = 0;
			continue;
		}
		if (l[0] == '#')
			continue;
		if (l[0] == ' ' || l[0] == '\t') {
			if (!in_field) {
				r = tx_fail(ctx, -EINVAL, NULL,
					    "corrupt apt source at line %zu '%s'", lineno, name);
				break;
			}
			if (cur) {
				sbuf_add(cur, " ", 1);
				sbuf_add(cur, l, n);
			}
			continue;
		}
		colon = memchr(l, ':', n);
		if (!colon || colon == l) {
			r = tx_fail(ctx, -EINVAL, NULL, "corrupt apt source at line %zu '%s'",
				    lineno, name);
			break;
		}
		if (!s.any)
			s.line = lineno;
		s.any = 1;
		in_field = 1;
		field_to(&s, &cur, l, (size_t)(colon - l));
		if (cur)
			sbuf_add(cur, colon + 1, (size_t)(l + n - colon - 1));
	}
	if (r == 0)
		r = stanza_end(ctx, name, &s, suite, uris);
	stanza_reset(&s);
	return r;
}

int aptsrc_parse_deb822(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
			struct strv *uris)
{
	return parse822(ctx, name, text, len, NULL, uris);
}

/* The next whitespace-separated word of *p as a range; 0 when none. */
static size_t word(const char **p, const char **w)
{
	const char *s = *p;
	size_t n = 0;

	while (is_ws(*s))
		s++;
	while (s[n] && !is_ws(s[n]))
		n++;
	*w = s;
	*p = s + n;
	return n;
}

static int list_line(struct tx_ctx *ctx, const char *name, size_t lineno, const char *l,
		     const char *suite, struct strv *uris)
{
	const char *w, *uri;
	size_t n = word(&l, &w), un;
	int deb;

	if (!n)
		return 0;
	deb = n == 3 && !strncmp(w, "deb", 3);
	if (!deb && !(n == 7 && !strncmp(w, "deb-src", 7)))
		return tx_fail(ctx, -EINVAL, NULL, "unknown type '%.*s' at line %zu '%s'",
			       (int)(n > 64 ? 64 : n), w, lineno, name);
	while (is_ws(*l))
		l++;
	if (*l == '[') {
		const char *e = strchr(l, ']');

		if (!e)
			return tx_fail(ctx, -EINVAL, NULL, "unterminated options at line %zu '%s'",
				       lineno, name);
		l = e + 1;
	}
	un = word(&l, &uri);
	n = word(&l, &w);
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
	const char *p = text, *end = text + len;
	size_t lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *l = xstrndup(p, n), *hash = strchr(l, '#');
		int r;

		lineno++;
		p = nl ? nl + 1 : end;
		if (hash)
			*hash = 0;
		r = list_line(ctx, name, lineno, l, suite, uris);
		free(l);
		if (r < 0)
			return r;
	}
	return 0;
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
	int r = read_file(path, &text, &len, APTSRC_FILE_MAX);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return tx_fail(ctx, r, NULL, "cannot read '%s': %s", path, strerror(-r));
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
