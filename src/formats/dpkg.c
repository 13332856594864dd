/* The dpkg database of a root tree.
 *
 * var/lib/dpkg/status is a list of RFC822-style stanzas (deb822(5)): "Field:
 * value" lines, continuation lines starting with a space or tab, stanzas
 * separated by blank lines. The file comes from the staged root, so it is
 * untrusted: sizes are bounded and nothing recurses. */
#include "formats/dpkg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DPKG_STATUS_MAX (256u << 20)
#define DPKG_LIST_MAX (64u << 20)

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static void set_str(char **dst, const char *s, size_t n)
{
	free(*dst);
	*dst = xstrndup(s, n);
}

/* s with surrounding whitespace trimmed, as a range. */
static const char *trim(const char *s, size_t *n)
{
	while (*n && is_ws(*s)) {
		s++;
		(*n)--;
	}
	while (*n && is_ws(s[*n - 1]))
		(*n)--;
	return s;
}

/* The first word of s (up to whitespace or '('). */
static void set_first_word(char **dst, const char *s)
{
	size_t n = 0;

	while (*s && is_ws(*s))
		s++;
	while (s[n] && !is_ws(s[n]) && s[n] != '(')
		n++;
	set_str(dst, s, n);
}

static int is_name_end(char c)
{
	return !c || is_ws(c) || c == '(' || c == '[' || c == '<' || c == ':' || c == '|' ||
	       c == ',';
}

/* "a (>= 1) | b:any [amd64]" -> "a|b"; appends to out, empty when no name. */
static void dep_group(const char *s, size_t n, struct sbuf *out)
{
	const char *end = s + n;

	while (s < end) {
		const char *alt = s, *aend = memchr(s, '|', (size_t)(end - s));
		size_t k = 0;

		if (!aend)
			aend = end;
		while (alt < aend && is_ws(*alt))
			alt++;
		while (alt + k < aend && !is_name_end(alt[k]))
			k++;
		if (k) {
			if (out->len)
				sbuf_add(out, "|", 1);
			sbuf_add(out, alt, k);
		}
		s = aend < end ? aend + 1 : end;
	}
}

/* Depends-style field: one entry per comma group. With single, keep only the
 * first alternative's name (Provides). */
static void parse_deps(const char *v, struct strv *out, int single)
{
	strv_free(out);
	while (*v) {
		const char *c = strchr(v, ',');
		size_t n = c ? (size_t)(c - v) : strlen(v);
		struct sbuf b = {0};

		dep_group(v, n, &b);
		if (b.len) {
			if (single) {
				char *bar = strchr(b.s, '|');

				if (bar)
					*bar = 0;
			}
			strv_push_own(out, b.s);
		} else {
			sbuf_free(&b);
		}
		v += n;
		if (*v == ',')
			v++;
	}
}

static void parse_conffiles(const char *v, struct strv *out)
{
	strv_free(out);
	while (*v) {
		const char *nl = strchr(v, '\n');
		size_t n = nl ? (size_t)(nl - v) : strlen(v), k = 0;
		const char *s = v;

		while (n && is_ws(*s)) {
			s++;
			n--;
		}
		while (k < n && !is_ws(s[k]))
			k++;
		if (k && s[0] == '/')
			strv_pushn(out, s, k);
		v = nl ? nl + 1 : v + strlen(v);
	}
}

static int last_word_is(const char *s, const char *word)
{
	size_t n = strlen(s), wl = strlen(word);

	while (n && is_ws(s[n - 1]))
		n--;
	if (n < wl || memcmp(s + n - wl, word, wl))
		return 0;
	return n == wl || is_ws(s[n - wl - 1]);
}

static void apply_field(struct dpkg_pkg *p, const char *f, size_t fl, const char *v)
{
#define IS(lit) (fl == sizeof(lit) - 1 && !strncasecmp(f, lit, fl))
	if (IS("Package")) {
		set_first_word(&p->name, v);
	} else if (IS("Architecture")) {
		set_first_word(&p->arch, v);
	} else if (IS("Version")) {
		set_first_word(&p->version, v);
	} else if (IS("Source")) {
		set_first_word(&p->source, v);
	} else if (IS("Status")) {
		set_str(&p->status, v, strlen(v));
		p->installed = last_word_is(v, "installed");
	} else if (IS("Essential")) {
		p->essential = !strcasecmp(v, "yes");
	} else if (IS("Priority")) {
		set_first_word(&p->priority, v);
	} else if (IS("Depends")) {
		parse_deps(v, &p->depends, 0);
	} else if (IS("Pre-Depends")) {
		parse_deps(v, &p->predepends, 0);
	} else if (IS("Provides")) {
		parse_deps(v, &p->provides, 1);
	} else if (IS("Conffiles")) {
		parse_conffiles(v, &p->conffiles);
	}
#undef IS
}

static void pkg_free(struct dpkg_pkg *p)
{
	free(p->name);
	free(p->arch);
	free(p->version);
	free(p->source);
	free(p->status);
	free(p->priority);
	strv_free(&p->depends);
	strv_free(&p->predepends);
	strv_free(&p->provides);
	strv_free(&p->conffiles);
	memset(p, 0, sizeof(*p));
}

void dpkg_free(struct dpkg_db *db)
{
	for (size_t i = 0; i < db->n; i++)
		pkg_free(&db->p[i]);
	free(db->p);
	db->p = NULL;
	db->n = 0;
}

/* The parser's state between lines. */
struct pstate {
	struct dpkg_pkg cur;
	int in_stanza;
	const char *fname; /* current field name (points into text) */
	size_t flen;
	struct sbuf val;
	size_t cap;
};

static void flush_field(struct pstate *s)
{
	if (s->fname)
		apply_field(&s->cur, s->fname, s->flen, s->val.s ? s->val.s : "");
	s->fname = NULL;
	sbuf_free(&s->val);
}

static int end_stanza(struct tx_ctx *ctx, const char *name, size_t line, struct pstate *s,
		      struct dpkg_db *db)
{
	struct dpkg_pkg *p = &s->cur;

	flush_field(s);
	if (!s->in_stanza)
		return 0;
	s->in_stanza = 0;
	if (!p->name || !*p->name) {
		pkg_free(p);
		return tx_fail(ctx, -EINVAL, NULL,
			       "missing Package field in stanza ending at line %zu '%s'", line,
			       name);
	}
	if (!p->source || !*p->source)
		set_str(&p->source, p->name, strlen(p->name));
	if (!p->arch)
		p->arch = xstrdup("");
	if (!p->version)
		p->version = xstrdup("");
	if (!p->status)
		p->status = xstrdup("");
	if (!p->priority)
		p->priority = xstrdup("");
	if (db->n == s->cap || !db->p) {
		s->cap = s->cap > db->n ? s->cap * 2 : db->n * 2 + 16;
		db->p = xrealloc(db->p, s->cap * sizeof(*db->p));
	}
	db->p[db->n++] = *p;
	memset(p, 0, sizeof(*p));
	return 0;
}

static int parse_line(struct tx_ctx *ctx, const char *name, size_t lineno, const char *l, size_t n,
		      struct pstate *s, struct dpkg_db *db)
{
	size_t tn = n;
	const char *colon;

	trim(l, &tn);
	if (!tn)
		return end_stanza(ctx, name, lineno, s, db);
	if (l[0] == '#')
		return 0;
	if (l[0] == ' ' || l[0] == '\t') {
		const char *v;

		if (!s->fname)
			return tx_fail(ctx, -EINVAL, NULL, "corrupt dpkg status at line %zu '%s'",
				       lineno, name);
		v = trim(l, &n);
		sbuf_add(&s->val, "\n", 1);
		sbuf_add(&s->val, v, n);
		return 0;
	}
	colon = memchr(l, ':', n);
	if (!colon || colon == l)
		return tx_fail(ctx, -EINVAL, NULL, "corrupt dpkg status at line %zu '%s'", lineno,
			       name);
	flush_field(s);
	s->in_stanza = 1;
	s->fname = l;
	s->flen = (size_t)(colon - l);
	n -= s->flen + 1;
	l = trim(colon + 1, &n);
	sbuf_add(&s->val, l, n);
	if (!s->val.s)
		sbuf_add(&s->val, "", 0);
	return 0;
}

int dpkg_parse_status(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		      struct dpkg_db *db)
{
	struct pstate s = {0};
	const char *p = text, *end = text + len;
	size_t lineno = 0;
	int r = 0;

	s.cap = db->n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		r = parse_line(ctx, name, lineno, p, n, &s, db);
		if (r < 0)
			break;
		p = nl ? nl + 1 : end;
	}
	if (r >= 0)
		r = end_stanza(ctx, name, lineno, &s, db);
	sbuf_free(&s.val);
	pkg_free(&s.cur);
	return r;
}

int dpkg_load(struct tx_ctx *ctx, const char *root, struct dpkg_db *db)
{
	char *path = root_join(root, "/var/lib/dpkg/status");
	char *text;
	size_t len;
	int r = read_file(path, &text, &len, DPKG_STATUS_MAX);

	if (r < 0) {
		r = tx_fail(ctx, r, NULL, "cannot read dpkg status '%s': %s", path, strerror(-r));
		free(path);
		return r;
	}
	r = dpkg_parse_status(ctx, path, text, len, db);
	free(text);
	free(path);
	return r;
}

struct dpkg_pkg *dpkg_find(struct dpkg_db *db, const char *name)
{
	const char *colon = strchr(name, ':');
	size_t nl = colon ? (size_t)(colon - name) : strlen(name);
	const char *arch = colon ? colon + 1 : NULL;

	if (arch && !strcmp(arch, "any"))
		arch = NULL;
	for (size_t i = 0; i < db->n; i++) {
		struct dpkg_pkg *p = &db->p[i];

		if (p->installed && strlen(p->name) == nl && !memcmp(p->name, name, nl) &&
		    (!arch || !strcmp(p->arch, arch)))
			return p;
	}
	for (size_t i = 0; i < db->n; i++) {
		struct dpkg_pkg *p = &db->p[i];

		if (!p->installed)
			continue;
		for (size_t j = 0; j < p->provides.n; j++)
			if (strlen(p->provides.v[j]) == nl && !memcmp(p->provides.v[j], name, nl))
				return p;
	}
	return NULL;
}

static int valid_arch(const char *a)
{
	if (!*a || strlen(a) > 64)
		return 0;
	for (; *a; a++)
		if (!((*a >= 'a' && *a <= 'z') || (*a >= '0' && *a <= '9') || *a == '-'))
			return 0;
	return 1;
}

int dpkg_pkg_files(struct tx_ctx *ctx, const char *root, const struct dpkg_pkg *p,
		   struct strv *files)
{
	char *path = NULL, *rel, *text = NULL, *s, *end;
	size_t len;
	int r = -ENOENT;

	/* the name becomes a path: never let a status file point elsewhere */
	if (!valid_pkg_name(p->name))
		return tx_fail(ctx, -EINVAL, NULL, "invalid package name '%s'", p->name);
	if (valid_arch(p->arch)) {
		rel = xasprintf("/var/lib/dpkg/info/%s:%s.list", p->name, p->arch);
		path = root_join(root, rel);
		free(rel);
		r = read_file(path, &text, &len, DPKG_LIST_MAX);
	}
	if (r == -ENOENT) {
		free(path);
		rel = xasprintf("/var/lib/dpkg/info/%s.list", p->name);
		path = root_join(root, rel);
		free(rel);
		r = read_file(path, &text, &len, DPKG_LIST_MAX);
	}
	if (r < 0) {
		r = tx_fail(ctx, r, NULL, "cannot read file list '%s': %s", path, strerror(-r));
		free(path);
		return r;
	}
	free(path);
	for (s = text, end = text + len; s < end;) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		const char *t = trim(s, &n);

		if (n && t[0] == '/' && !(n == 2 && t[1] == '.') && !memchr(t, 0, n))
			strv_pushn(files, t, n);
		s = nl ? nl + 1 : end;
	}
	free(text);
	return 0;
}

/* Name -> installed package index, real names before Provides. */
struct idx_ent {
	const char *key;
	size_t pkg;
	int prov;
};

static int cmp_idx(const void *a, const void *b)
{
	const struct idx_ent *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	if (x->prov != y->prov)
		return x->prov - y->prov;
	return x->pkg < y->pkg ? -1 : x->pkg > y->pkg;
}

struct pkg_index {
	struct idx_ent *e;
	size_t n;
};

static void index_build(const struct dpkg_db *db, struct pkg_index *ix)
{
	size_t cap = 0;

	for (size_t i = 0; i < db->n; i++)
		if (db->p[i].installed)
			cap += 1 + db->p[i].provides.n;
	ix->e = xcalloc(cap ? cap : 1, sizeof(*ix->e));
	ix->n = 0;
	for (size_t i = 0; i < db->n; i++) {
		const struct dpkg_pkg *p = &db->p[i];

		if (!p->installed)
			continue;
		ix->e[ix->n++] = (struct idx_ent){p->name, i, 0};
		for (size_t j = 0; j < p->provides.n; j++)
			ix->e[ix->n++] = (struct idx_ent){p->provides.v[j], i, 1};
	}
	qsort(ix->e, ix->n, sizeof(*ix->e), cmp_idx);
}

/* Index of the installed package for name (first real, else first provider),
 * or -1. */
static long index_find(const struct pkg_index *ix, const char *name, size_t nl)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(ix->e[mid].key, name, nl);

		if (!c && ix->e[mid].key[nl])
			c = 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ix->n && !strncmp(ix->e[lo].key, name, nl) && !ix->e[lo].key[nl])
		return (long)ix->e[lo].pkg;
	return -1;
}

static void visit_deps(const struct pkg_index *ix, const struct strv *deps, char *mark,
		       size_t *queue, size_t *qn)
{
	for (size_t i = 0; i < deps->n; i++) {
		const char *alt = deps->v[i];

		while (*alt) {
			size_t n = strcspn(alt, "|");
			long k = index_find(ix, alt, n);

			if (k >= 0) {
				if (!mark[k]) {
					mark[k] = 1;
					queue[(*qn)++] = (size_t)k;
				}
				break;
			}
			alt += n;
			if (*alt == '|')
				alt++;
		}
	}
}

/* Mark the dependency closure of start (breadth-first, no recursion). */
static char *closure_marks(const struct dpkg_db *db, size_t start)
{
	struct pkg_index ix;
	char *mark = xcalloc(db->n, 1);
	size_t *queue = xcalloc(db->n, sizeof(*queue));
	size_t qh = 0, qn = 0;

	index_build(db, &ix);
	mark[start] = 1;
	queue[qn++] = start;
	while (qh < qn) {
		const struct dpkg_pkg *p = &db->p[queue[qh++]];

		visit_deps(&ix, &p->predepends, mark, queue, &qn);
		visit_deps(&ix, &p->depends, mark, queue, &qn);
	}
	free(queue);
	free(ix.e);
	return mark;
}

static int closure(struct dpkg_db *db, const char *name, struct strv *out, int same_source)
{
	struct dpkg_pkg *p = dpkg_find(db, name);
	char *mark;

	if (!p)
		return -ENOENT;
	mark = closure_marks(db, (size_t)(p - db->p));
	for (size_t i = 0; i < db->n; i++)
		if (mark[i] && (!same_source || !strcmp(db->p[i].source, p->source)))
			strv_push(out, db->p[i].name);
	free(mark);
	strv_sort_uniq(out);
	return 0;
}

int dpkg_depends_closure(struct dpkg_db *db, const char *name, struct strv *out)
{
	return closure(db, name, out, 0);
}

int dpkg_same_source_closure(struct dpkg_db *db, const char *name, struct strv *out)
{
	return closure(db, name, out, 1);
}
