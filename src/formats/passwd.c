/* /etc/passwd and /etc/group of a root tree (untrusted: bounded, no crash). */
#include "formats/passwd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* A uid or gid: decimal, no sign, below (unsigned)-1 (which means "none"). */
static int parse_id(const char *s, unsigned *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
		if (v >= 0xffffffffull)
			return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

typedef int (*line_fn)(struct pw_db *db, char *line);

static int pw_line(struct pw_db *db, char *l)
{
	char *f[PW_FIELDS_MAX];
	struct pw_ent e;

	if (split_colon(l, f, 7) != 7 || !*f[0])
		return -EINVAL;
	if (parse_id(f[2], &e.uid) < 0 || parse_id(f[3], &e.gid) < 0)
		return -EINVAL;
	e.name = xstrdup(f[0]);
	e.home = xstrdup(f[5]);
	e.shell = xstrdup(f[6]);
	/* grow to 2, 4, 8, ... when the count is 0, 1, 3, 7, ... */
	if (!(db->nu & (db->nu + 1)) || !db->u)
		db->u = xrealloc(db->u, (db->nu * 2 + 2) * sizeof(*db->u));
	db->u[db->nu++] = e;
	return 0;
}

static int gr_line(struct pw_db *db, char *l)
{
	char *f[PW_FIELDS_MAX];
	struct gr_ent e = {0};

	if (split_colon(l, f, 4) != 4 || !*f[0])
		return -EINVAL;
	if (parse_id(f[2], &e.gid) < 0)
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
	if (!(db->ng & (db->ng + 1)) || !db->g)
		db->g = xrealloc(db->g, (db->ng * 2 + 2) * sizeof(*db->g));
	db->g[db->ng++] = e;
	return 0;
}

static int parse_lines(struct tx_ctx *ctx, const char *what, const char *text, size_t len,
		       struct pw_db *db, line_fn fn)
{
	const char *p = text, *end = text + len;
	size_t lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *l;
		int r;

		lineno++;
		l = xstrndup(p, n);
		p = nl ? nl + 1 : end;
		if (n && l[n - 1] == '\r')
			l[n - 1] = 0;
		/* blank, comments, and NIS compat entries (+name, -name) */
		if (!*l || *l == '#' || *l == '+' || *l == '-') {
			free(l);
			continue;
		}
		r = fn(db, l);
		free(l);
		if (r < 0)
			return tx_fail(ctx, r, NULL, "corrupt entry at line %zu '%s'", lineno,
				       what);
	}
	return 0;
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
	int r = read_file(path, &text, &len, PASSWD_MAX);

	if (r < 0) {
		r = tx_fail(ctx, r, NULL, "cannot read '%s': %s", path, strerror(-r));
		free(path);
		return r;
	}
	r = parse(ctx, text, len, db);
	free(text);
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
	for (size_t i = 0; i < db->nu; i++) {
		free(db->u[i].name);
		free(db->u[i].home);
		free(db->u[i].shell);
	}
	for (size_t i = 0; i < db->ng; i++) {
		free(db->g[i].name);
		strv_free(&db->g[i].members);
	}
	free(db->u);
	free(db->g);
	memset(db, 0, sizeof(*db));
}

const struct pw_ent *pw_by_name(const struct pw_db *db, const char *n)
{
	for (size_t i = 0; i < db->nu; i++)
		if (!strcmp(db->u[i].name, n))
			return &db->u[i];
	return NULL;
}

const struct pw_ent *pw_by_uid(const struct pw_db *db, unsigned uid)
{
	for (size_t i = 0; i < db->nu; i++)
		if (db->u[i].uid == uid)
			return &db->u[i];
	return NULL;
}

const struct gr_ent *gr_by_name(const struct pw_db *db, const char *n)
{
	for (size_t i = 0; i < db->ng; i++)
		if (!strcmp(db->g[i].name, n))
			return &db->g[i];
	return NULL;
}

const struct gr_ent *gr_by_gid(const struct pw_db *db, unsigned gid)
{
	for (size_t i = 0; i < db->ng; i++)
		if (db->g[i].gid == gid)
			return &db->g[i];
	return NULL;
}
