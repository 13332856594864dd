/* /etc/passwd and /etc/group of a root tree (untrusted: bounded, no crash). */
#include "formats/passwd.h"
#include "formats/text.h"

#define PASSWD_MAX (16u << 20)
#define PW_FIELDS_MAX 8

/* Split line l (NUL-terminated, modified) on ':' into at most max fields;
 * returns the count (max + 1 when there are more). */
static size_t split_colon(char *l, char **f, size_t max)
{
	size_t n = 0;

	for (;;) {
		char *c = strchr(l, ':');

		if (n == max)
			return max + 1;
		f[n++] = l;
		if (!c)
			return n;
		*c = 0;
		l = c + 1;
	}
}

/* A uid or gid: below (unsigned)-1, which means "none". */
#define PW_ID_MAX 0xfffffffeu

typedef int (*line_fn)(struct pw_db *db, char *line);

static int pw_line(struct pw_db *db, char *l)
{
	char *f[PW_FIELDS_MAX];
	struct pw_ent e;

	if (split_colon(l, f, 7) != 7 || !*f[0])
		return -EINVAL;
	if (fmt_uint(f[2], 10, PW_ID_MAX, &e.uid) < 0 || fmt_uint(f[3], 10, PW_ID_MAX, &e.gid) < 0)
		return -EINVAL;
	e.name = xstrdup(f[0]);
	e.home = xstrdup(f[5]);
	e.shell = xstrdup(f[6]);
	db->u = fmt_grow(db->u, db->nu, sizeof(e));
	db->u[db->nu++] = e;
	return 0;
}

static int gr_line(struct pw_db *db, char *l)
{
	char *f[PW_FIELDS_MAX];
	struct gr_ent e = {0};

	if (split_colon(l, f, 4) != 4 || !*f[0])
		return -EINVAL;
	if (fmt_uint(f[2], 10, PW_ID_MAX, &e.gid) < 0)
		return -EINVAL;
	e.name = xstrdup(f[0]);
	for (char *m = f[3]; *m;) {
		size_t n = strcspn(m, ",");

		if (n)
			strv_pushn(&e.members, m, n);
		m += n;
		if (*m == ',')
			m++;
	}
	db->g = fmt_grow(db->g, db->ng, sizeof(e));
	db->g[db->ng++] = e;
	return 0;
}

static int parse_lines(struct tx_ctx *ctx, const char *what, const char *text, size_t len,
		       struct pw_db *db, line_fn fn)
{
	struct fmt_lines it = {.p = text, .end = text + len};
	int r = 0;

	while (r == 0 && fmt_next(&it)) {
		char *l = it.line;

		if (it.n && l[it.n - 1] == '\r')
			l[it.n - 1] = 0;
		/* blank, comments, and NIS compat entries (+name, -name) */
		if (!*l || *l == '#' || *l == '+' || *l == '-')
			continue;
		r = fn(db, l);
		if (r < 0)
			r = tx_fail(ctx, r, NULL, "corrupt entry at line %zu '%s'", it.lineno,
				    what);
	}
	free(it.line);
	return r;
}

int passwd_parse(struct tx_ctx *ctx, const char *text, size_t len, struct pw_db *db)
{
	return parse_lines(ctx, "/etc/passwd", text, len, db, pw_line);
}

int group_parse(struct tx_ctx *ctx, const char *text, size_t len, struct pw_db *db)
{
	return parse_lines(ctx, "/etc/group", text, len, db, gr_line);
}

static int load_one(struct tx_ctx *ctx, const char *root, const char *abs, struct pw_db *db,
		    int (*parse)(struct tx_ctx *, const char *, size_t, struct pw_db *))
{
	char *path = root_join(root, abs), *text;
	size_t len;
	int r = fmt_read(ctx, "", path, PASSWD_MAX, &text, &len, 0);

	if (r == 0) {
		r = parse(ctx, text, len, db);
		free(text);
	}
	free(path);
	return r;
}

int passwd_load(struct tx_ctx *ctx, const char *root, struct pw_db *db)
{
	int r = load_one(ctx, root, "/etc/passwd", db, passwd_parse);

	return r < 0 ? r : load_one(ctx, root, "/etc/group", db, group_parse);
}

void passwd_free(struct pw_db *db)
{
	for (size_t i = 0; i < db->nu; i++)
		fmt_free_strs(&db->u[i].name, &db->u[i].home, &db->u[i].shell, NULL);
	for (size_t i = 0; i < db->ng; i++) {
		free(db->g[i].name);
		strv_free(&db->g[i].members);
	}
	free(db->u);
	free(db->g);
	memset(db, 0, sizeof(*db));
}

/* The lookups: the first entry e of db->arr that matches. */
#define LOOKUP(type, fn, key_type, arr, n, match)                                                  \
	const struct type *fn(const struct pw_db *db, key_type key)                                \
	{                                                                                          \
		for (size_t i = 0; i < db->n; i++) {                                               \
			const struct type *e = &db->arr[i];                                        \
			if (match)                                                                 \
				return e;                                                          \
		}                                                                                  \
		return NULL;                                                                       \
	}
LOOKUP(pw_ent, pw_by_name, const char *, u, nu, !strcmp(e->name, key))
LOOKUP(pw_ent, pw_by_uid, unsigned, u, nu, e->uid == key)
LOOKUP(gr_ent, gr_by_name, const char *, g, ng, !strcmp(e->name, key))
LOOKUP(gr_ent, gr_by_gid, unsigned, g, ng, e->gid == key)
