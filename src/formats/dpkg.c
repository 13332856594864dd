/* The dpkg database of a root tree. var/lib/dpkg/status (deb822 stanzas)
 * comes from the staged root, so it is untrusted: sizes are bounded and
 * nothing recurses. */
#include "formats/dpkg.h"
#include "formats/text.h"

#define DPKG_STATUS_MAX (256u << 20)
#define DPKG_LIST_MAX (64u << 20)

static void set_str(char **dst, const char *s, size_t n)
{
	free(*dst);
	*dst = xstrndup(s, n);
}

/* The first word of s (up to whitespace or '('). */
static void set_first_word(char **dst, const char *s)
{
	size_t n = 0;

	while (fmt_is_ws(*s))
		s++;
	while (s[n] && !fmt_is_ws(s[n]) && s[n] != '(')
		n++;
	set_str(dst, s, n);
}

static int is_name_end(char c)
{
	return !c || fmt_is_ws(c) || c == '(' || c == '[' || c == '<' || c == ':' || c == '|' ||
	       c == ',';
}

/* "a (>= 1) | b:any [amd64]" -> "a|b" (with single, only "a"); appends to
 * out, empty when no name. */
static void dep_group(const char *s, size_t n, struct sbuf *out, int single)
{
	const char *end = s + n;

	while (s < end && !(single && out->len)) {
		const char *alt = s, *aend = memchr(s, '|', (size_t)(end - s));
		size_t k = 0;

		if (!aend)
			aend = end;
		while (alt < aend && fmt_is_ws(*alt))
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
		size_t n = strcspn(v, ",");
		struct sbuf b = {0};

		dep_group(v, n, &b, single);
		if (b.len)
			strv_push_own(out, b.s);
		else
			sbuf_free(&b);
		v += n + (v[n] == ',');
	}
}

static void parse_conffiles(const char *v, struct strv *out)
{
	strv_free(out);
	for (const char *end = v + strlen(v), *l; v < end;) {
		size_t n, k = 0;

		l = fmt_line(&v, end, &n);
		l = fmt_trim(l, &n);
		while (k < n && !fmt_is_ws(l[k]))
			k++;
		if (k && l[0] == '/')
			strv_pushn(out, l, k);
	}
}

static int last_word_is(const char *s, const char *word)
{
	size_t n = strlen(s), wl = strlen(word);

	s = fmt_trim(s, &n);
	return n >= wl && !memcmp(s + n - wl, word, wl) && (n == wl || fmt_is_ws(s[n - wl - 1]));
}

/* arg: the stanza being read, first in struct pstate */
static void apply_field(void *arg, const char *f, size_t fl, const char *v)
{
	struct dpkg_pkg *p = arg;

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
	fmt_free_strs(&p->name, &p->arch, &p->version, &p->source, &p->status, &p->priority, NULL);
	fmt_free_lists(&p->depends, &p->predepends, &p->provides, &p->conffiles, NULL);
	memset(p, 0, sizeof(*p));
}

void dpkg_free(struct dpkg_db *db)
{
	for (size_t i = 0; i < db->n; i++)
		pkg_free(&db->p[i]);
	free(db->p);
	memset(db, 0, sizeof(*db));
}

/* The parser's state: the stanza being read, the db it goes to. */
struct pstate {
	struct dpkg_pkg cur;
	struct dpkg_db *db;
};

static int end_stanza(struct tx_ctx *ctx, const char *name, void *arg, size_t first, size_t line)
{
	struct pstate *s = arg;
	struct dpkg_pkg *p = &s->cur;
	char **unset[] = {&p->arch, &p->version, &p->status, &p->priority};

	if (!p->name || !*p->name) {
		pkg_free(p);
		return tx_fail(ctx, -EINVAL, NULL,
			       "missing Package field in stanza ending at line %zu '%s'", line,
			       name);
	}
	if (!p->source || !*p->source)
		set_str(&p->source, p->name, strlen(p->name));
	for (size_t i = 0; i < 4; i++)
		if (!*unset[i])
			*unset[i] = xstrdup("");
	s->db->p = fmt_grow(s->db->p, s->db->n, sizeof(*p));
	s->db->p[s->db->n++] = *p;
	memset(p, 0, sizeof(*p));
	return 0;
}

int dpkg_parse_status(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		      struct dpkg_db *db)
{
	struct pstate s = {.db = db};
	struct fmt_822 how = {"dpkg status", '\n', 1, apply_field, end_stanza, &s};
	int r = fmt_parse822(ctx, name, text, len, &how);

	pkg_free(&s.cur);
	return r;
}

int dpkg_load(struct tx_ctx *ctx, const char *root, struct dpkg_db *db)
{
	char *path = root_join(root, "/var/lib/dpkg/status"), *text;
	size_t len;
	int r = fmt_read(ctx, "dpkg status ", path, DPKG_STATUS_MAX, &text, &len, 0);

	if (r == 0) {
		r = dpkg_parse_status(ctx, path, text, len, db);
		free(text);
	}
	free(path);
	return r;
}

static int is_name(const char *s, const char *name, size_t nl)
{
	return strlen(s) == nl && !memcmp(s, name, nl);
}

/* The installed package name (nl bytes), of arch unless NULL; else the first
 * installed package that Provides it. */
static struct dpkg_pkg *find(struct dpkg_db *db, const char *name, size_t nl, const char *arch)
{
	for (size_t i = 0; i < db->n; i++) {
		struct dpkg_pkg *p = &db->p[i];

		if (p->installed && is_name(p->name, name, nl) && (!arch || !strcmp(p->arch, arch)))
			return p;
	}
	for (size_t i = 0; i < db->n; i++) {
		struct dpkg_pkg *p = &db->p[i];

		for (size_t j = 0; p->installed && j < p->provides.n; j++)
			if (is_name(p->provides.v[j], name, nl))
				return p;
	}
	return NULL;
}

struct dpkg_pkg *dpkg_find(struct dpkg_db *db, const char *name)
{
	const char *colon = strchr(name, ':');
	const char *arch = colon && strcmp(colon + 1, "any") ? colon + 1 : NULL;

	return find(db, name, colon ? (size_t)(colon - name) : strlen(name), arch);
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
	char *text = NULL;
	const char *s, *end;
	size_t len, n;
	int r = -ENOENT;

	/* the name becomes a path: never let a status file point elsewhere */
	if (!valid_pkg_name(p->name))
		return tx_fail(ctx, -EINVAL, NULL, "invalid package name '%s'", p->name);
	/* NAME:ARCH.list first (multiarch), else NAME.list */
	for (int qual = valid_arch(p->arch); qual >= 0 && r == -ENOENT; qual--) {
		char *rel = qual ? xasprintf("/var/lib/dpkg/info/%s:%s.list", p->name, p->arch)
				 : xasprintf("/var/lib/dpkg/info/%s.list", p->name);
		char *path = root_join(root, rel);

		r = fmt_read(ctx, "file list ", path, DPKG_LIST_MAX, &text, &len, qual);
		free(path);
		free(rel);
	}
	if (r < 0)
		return r;
	for (s = text, end = text + len; s < end;) {
		const char *t = fmt_line(&s, end, &n);

		t = fmt_trim(t, &n);
		if (n && t[0] == '/' && !(n == 2 && t[1] == '.') && !memchr(t, 0, n))
			strv_pushn(files, t, n);
	}
	free(text);
	return 0;
}

static void visit_deps(struct dpkg_db *db, const struct strv *deps, char *mark, size_t *queue,
		       size_t *qn)
{
	for (size_t i = 0; i < deps->n; i++) {
		const char *alt = deps->v[i];

		while (*alt) {
			size_t n = strcspn(alt, "|");
			struct dpkg_pkg *p = find(db, alt, n, NULL);

			if (p) {
				if (!mark[p - db->p]) {
					mark[p - db->p] = 1;
					queue[(*qn)++] = (size_t)(p - db->p);
				}
				break;
			}
			alt += n + (alt[n] == '|');
		}
	}
}

/* Mark the dependency closure of start (breadth-first, no recursion). */
static char *closure_marks(struct dpkg_db *db, size_t start)
{
	char *mark = xcalloc(db->n, 1);
	size_t *queue = xcalloc(db->n, sizeof(*queue));
	size_t qh = 0, qn = 0;

	mark[start] = 1;
	queue[qn++] = start;
	while (qh < qn) {
		const struct dpkg_pkg *p = &db->p[queue[qh++]];

		visit_deps(db, &p->predepends, mark, queue, &qn);
		visit_deps(db, &p->depends, mark, queue, &qn);
	}
	free(queue);
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
