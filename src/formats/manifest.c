#include "formats/manifest.h"
#include "formats/text.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *type_name[] = {"dir", "file", "slink", "nod", "user", "group"};

void manifest_init(struct manifest *m, const char *app, const char *root)
{
	memset(m, 0, sizeof(*m));
	m->app = xstrdup(app);
	m->root = xstrdup(root ? root : "/");
}

void manifest_ment_free(struct ment *e)
{
	fmt_free_strs(&e->path, &e->target, &e->shell, &e->src, &e->reason, NULL);
}

void manifest_free(struct manifest *m)
{
	for (size_t i = 0; i < m->n; i++)
		manifest_ment_free(&m->e[i]);
	for (size_t i = 0; i < m->nf; i++)
		fmt_free_strs(&m->f[i].option, &m->f[i].symbol, &m->f[i].binary, NULL);
	free(m->e);
	free(m->f);
	fmt_free_strs(&m->app, &m->root, NULL);
	memset(m, 0, sizeof(*m));
}

static int is_account(enum ment_type t)
{
	return t == ME_USER || t == ME_GROUP;
}

struct ment *manifest_find(struct manifest *m, enum ment_type t, const char *path)
{
	/* Paths share one namespace whatever their type; users and groups each
	 * have their own. */
	for (size_t i = 0; i < m->n; i++) {
		struct ment *e = &m->e[i];

		if (is_account(t) ? e->type != t : is_account(e->type))
			continue;
		if (!strcmp(e->path, path))
			return e;
	}
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int manifest_add(struct manifest *m, const struct ment *e)
{
	struct ment *n;

	if (manifest_find(m, e->type, e->path))
		return 0;
	m->e = fmt_grow(m->e, m->n, sizeof(*m->e));
	n = &m->e[m->n++];
	*n = *e;
	n->path = xstrdup(e->path);
	n->target = dup_or_null(e->target);
	n->shell = dup_or_null(e->shell);
	n->src = dup_or_null(e->src);
	n->reason = xstrdup(e->reason ? e->reason : "");
	return 1;
}

/* Add one in-root path exactly as it is (no following), from lstat. */
static int add_lstat(struct manifest *m, const char *path, const char *reason)
{
	char *host = root_join(m->root, path), lnk[4096];
	struct ment e = {.path = (char *)path, .reason = (char *)reason};
	struct stat st;
	ssize_t n = 0;
	int r = lstat(host, &st) < 0 ? -errno : 0;

	if (r == 0 && S_ISLNK(st.st_mode) && (n = readlink(host, lnk, sizeof(lnk) - 1)) < 0)
		r = -errno;
	free(host);
	if (r < 0)
		return r;
	e.mode = st.st_mode & 07777;
	e.uid = st.st_uid;
	e.gid = st.st_gid;
	if (S_ISDIR(st.st_mode)) {
		e.type = ME_DIR;
	} else if (S_ISREG(st.st_mode)) {
		e.type = ME_FILE;
		e.size = st.st_size;
	} else if (S_ISLNK(st.st_mode)) {
		lnk[n] = 0;
		e.type = ME_SLINK;
		e.target = lnk;
		e.mode = 0777;
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		e.type = ME_NOD;
		e.devtype = S_ISCHR(st.st_mode) ? 'c' : 'b';
		e.major = major(st.st_rdev);
		e.minor = minor(st.st_rdev);
	} else {
		return -EINVAL; /* fifos and sockets are made at run time */
	}
	return manifest_add(m, &e);
}

/* add_lstat, after the parents not known yet (as plain dirs: a parent that
 * is itself a symlink, /lib -> usr/lib, is resolved by the caller). */
static int add_tree(struct manifest *m, const char *path, const char *reason)
{
	char *dir = path_dirname(path);
	int r = 0;

	if (strcmp(dir, "/") && !manifest_find(m, ME_DIR, dir))
		r = add_tree(m, dir, "parent");
	free(dir);
	return r < 0 ? r : add_lstat(m, path, reason);
}

int manifest_add_path(struct manifest *m, const char *path, const char *reason)
{
	struct strv chain = {0};
	char *real = NULL;
	int r = root_realpath(m->root, path, &real, &chain);

	/* every symlink met on the way (including symlinked parent dirs such
	 * as /lib -> usr/lib) is kept, so the same path resolves in the image */
	for (size_t i = 0; i < chain.n && r >= 0; i++) {
		char *d = path_dirname(chain.v[i]), *rd = NULL;
		/* the link's own parent may pass through a symlink too: then
		 * the chain also holds that parent link */
		int covered = root_realpath(m->root, d, &rd, NULL) == 0 && strcmp(rd, d);

		free(d);
		free(rd);
		if (!covered)
			r = add_tree(m, chain.v[i], reason);
	}
	if (r >= 0)
		r = add_tree(m, real, reason);
	strv_free(&chain);
	free(real);
	return r;
}

int manifest_add_feature(struct manifest *m, const char *option, const char *symbol,
			 const char *binary)
{
	for (size_t i = 0; i < m->nf; i++)
		if (!strcmp(m->f[i].option, option) && !strcmp(m->f[i].symbol, symbol) &&
		    !strcmp(m->f[i].binary, binary))
			return 0;
	m->f = fmt_grow(m->f, m->nf, sizeof(*m->f));
	m->f[m->nf++] = (struct feature){xstrdup(option), xstrdup(symbol), xstrdup(binary)};
	return 1;
}

static int cmp_ment(const void *a, const void *b)
{
	const struct ment *x = a, *y = b;
	int ax = is_account(x->type), ay = is_account(y->type);

	if (ax != ay)
		return ax - ay;
	if (ax && x->type != y->type)
		return (int)y->type - (int)x->type; /* groups before users */
	return strcmp(x->path, y->path);
}

static int cmp_feat(const void *a, const void *b)
{
	const struct feature *x = a, *y = b;
	int r = strcmp(x->option, y->option);

	if (!r)
		r = strcmp(x->binary, y->binary);
	if (!r)
		r = strcmp(x->symbol, y->symbol);
	return r;
}

void manifest_sort(struct manifest *m)
{
	if (m->n)
		qsort(m->e, m->n, sizeof(*m->e), cmp_ment);
	if (m->nf)
		qsort(m->f, m->nf, sizeof(*m->f), cmp_feat);
}

long long manifest_total_size(const struct manifest *m)
{
	long long t = 0;

	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].type == ME_FILE)
			t += m->e[i].size;
	return t;
}

static void reason_text(struct sbuf *b, const struct ment *e)
{
	if (e->src)
		sbuf_printf(b, " src=%s", e->src);
	if (e->reason && *e->reason)
		sbuf_printf(b, "  %s", e->reason);
	sbuf_puts(b, "\n");
}

void manifest_text(const struct manifest *m, struct sbuf *b)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct ment *e = &m->e[i];

		switch (e->type) {
		case ME_DIR:
		case ME_FILE:
			sbuf_printf(b, "%-5s %s %04o %u %u", type_name[e->type], e->path, e->mode,
				    e->uid, e->gid);
			break;
		case ME_SLINK:
			sbuf_printf(b, "slink %s %s %04o %u %u", e->path, e->target, e->mode,
				    e->uid, e->gid);
			break;
		case ME_NOD:
			sbuf_printf(b, "nod   %s %04o %u %u %c %u %u", e->path, e->mode, e->uid,
				    e->gid, e->devtype, e->major, e->minor);
			break;
		case ME_USER:
			sbuf_printf(b, "user  %s %u %u %s %s", e->path, e->uid, e->gid,
				    e->target ? e->target : "/",
				    e->shell ? e->shell : "/bin/false");
			break;
		case ME_GROUP:
			sbuf_printf(b, "group %s %u %s", e->path, e->gid,
				    e->target && *e->target ? e->target : "-");
			break;
		}
		reason_text(b, e);
	}
}

/* text (a separator and a key) and v as a JSON string */
static void json_kv(struct sbuf *b, const char *text, const char *v)
{
	sbuf_puts(b, text);
	sbuf_json_str(b, v);
}

void manifest_json(const struct manifest *m, struct sbuf *b)
{
	json_kv(b, "{\n  \"app\": ", m->app);
	sbuf_printf(b, ",\n  \"total_file_bytes\": %lld,\n  \"entries\": [",
		    manifest_total_size(m));
	for (size_t i = 0; i < m->n; i++) {
		const struct ment *e = &m->e[i];

		sbuf_printf(b, "%s\n    {\"type\": \"%s\"", i ? "," : "", type_name[e->type]);
		json_kv(b, ", \"path\": ", e->path);
		sbuf_printf(b, ", \"mode\": \"%04o\", \"uid\": %u, \"gid\": %u", e->mode, e->uid,
			    e->gid);
		if (e->type == ME_FILE)
			sbuf_printf(b, ", \"size\": %lld", e->size);
		if (e->type == ME_SLINK)
			json_kv(b, ", \"target\": ", e->target);
		if (e->type == ME_NOD)
			sbuf_printf(b, ", \"dev\": \"%c %u %u\"", e->devtype, e->major, e->minor);
		if (e->type == ME_USER) {
			json_kv(b, ", \"home\": ", e->target ? e->target : "/");
			json_kv(b, ", \"shell\": ", e->shell ? e->shell : "/bin/false");
		}
		if (e->type == ME_GROUP)
			json_kv(b, ", \"members\": ", e->target ? e->target : "");
		if (e->src)
			json_kv(b, ", \"src\": ", e->src);
		json_kv(b, ", \"reason\": ", e->reason ? e->reason : "");
		sbuf_puts(b, "}");
	}
	sbuf_puts(b, "\n  ],\n  \"kernel_features\": [");
	for (size_t i = 0; i < m->nf; i++) {
		json_kv(b, i ? ",\n    {\"option\": " : "\n    {\"option\": ", m->f[i].option);
		json_kv(b, ", \"symbol\": ", m->f[i].symbol);
		json_kv(b, ", \"binary\": ", m->f[i].binary);
		sbuf_puts(b, "}");
	}
	sbuf_puts(b, "\n  ]\n}\n");
}

/* ---- parsing the text form ---- */

/* A field's number: at most 12 digits of base, at most max. */
static int parse_uint(const char *s, unsigned base, unsigned max, unsigned *out)
{
	return strlen(s) > 12 ? -EINVAL : fmt_uint(s, base, max, out);
}

#define ID_MAX 0xfffffffeU

/* "MODE UID GID" from f[0..2] */
static int parse_owner(char **f, struct ment *e)
{
	if (parse_uint(f[0], 8, 07777, &e->mode) || parse_uint(f[1], 10, ID_MAX, &e->uid) ||
	    parse_uint(f[2], 10, ID_MAX, &e->gid))
		return -EINVAL;
	return 0;
}

/* The fields after the path (f[0]) of an entry of type e->type; the strings
 * it keeps move from f to e. 0 or -EINVAL. */
static int parse_fields(char **f, struct ment *e)
{
	switch (e->type) {
	case ME_DIR:
	case ME_FILE:
		return parse_owner(f + 1, e);
	case ME_SLINK:
		e->target = f[1];
		f[1] = NULL;
		return parse_owner(f + 2, e);
	case ME_NOD:
		if (parse_owner(f + 1, e) || strlen(f[4]) != 1 ||
		    (f[4][0] != 'c' && f[4][0] != 'b') || parse_uint(f[5], 10, 4095, &e->major) ||
		    parse_uint(f[6], 10, 1048575, &e->minor))
			return -EINVAL;
		e->devtype = f[4][0];
		return 0;
	case ME_USER:
		e->target = f[3];
		e->shell = f[4];
		f[3] = f[4] = NULL;
		if (parse_uint(f[1], 10, ID_MAX, &e->uid) || parse_uint(f[2], 10, ID_MAX, &e->gid))
			return -EINVAL;
		return 0;
	case ME_GROUP:
		/* members: "-" or "name,name" */
		if (strcmp(f[2], "-")) {
			if (f[2][strspn(f[2], "abcdefghijklmnopqrstuvwxyz"
					      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-,$")])
				return -EINVAL;
			e->target = f[2];
			f[2] = NULL;
		}
		return parse_uint(f[1], 10, ID_MAX, &e->gid);
	}
	return -EINVAL;
}

/* nf fields and the reason from s (a line without control characters but
 * tabs: whitespace is ' ' and '\t'). */
static int parse_line(const char *s, struct ment *e, char **fields, int nf)
{
	const char *tok;
	size_t len;
	int i = 0;

	while (i < nf && (tok = fmt_word(&s, &len)))
		fields[i++] = xstrndup(tok, len);
	if (i < nf)
		return -EINVAL;
	/* the rest (after two spaces) is the reason, optionally after src= */
	while (fmt_is_ws(*s))
		s++;
	if (!strncmp(s, "src=", 4)) {
		tok = fmt_word(&s, &len);
		e->src = xstrndup(tok + 4, len - 4);
		while (fmt_is_ws(*s))
			s++;
	}
	e->reason = xstrdup(s);
	return 0;
}

/* One entry line (after its type word tok): 0 or -EINVAL. */
static int parse_entry(const char *tok, size_t tl, const char *s, struct ment *e)
{
	static const int nfields[] = {4, 4, 5, 7, 5, 3};
	char *f[8] = {0};
	int t, r;

	for (t = 0; t < 6; t++)
		if (strlen(type_name[t]) == tl && !strncmp(tok, type_name[t], tl))
			break;
	if (t == 6)
		return -EINVAL;
	r = parse_line(s, e, f, nfields[t]);
	if (r == 0) {
		e->type = (enum ment_type)t;
		e->path = f[0];
		f[0] = NULL;
		if (!is_account(e->type) && e->path[0] != '/')
			r = -EINVAL;
	}
	if (r == 0)
		r = parse_fields(f, e);
	for (int i = 0; i < 8; i++)
		free(f[i]);
	return r;
}

int manifest_parse(struct tx_ctx *ctx, const char *text, size_t len, struct manifest *m)
{
	const char *p = text, *end = text + len;
	int lineno = 0;

	while (p < end) {
		size_t n, tl;
		const char *l = fmt_line(&p, end, &n), *s, *tok;
		struct ment e = {0};
		char *line;
		int r;

		lineno++;
		for (const char *q = l; q < l + n; q++)
			if ((unsigned char)*q < 0x20 && *q != '\t')
				return tx_fail(ctx, -EINVAL, NULL,
					       "control character in entry at line %d", lineno);
		s = line = xstrndup(l, n);
		tok = fmt_word(&s, &tl);
		r = tok && *tok != '#' ? parse_entry(tok, tl, s, &e) : 1;
		free(line);
		if (r == 0 && e.type == ME_FILE) {
			/* the size of the contents, for manifest_total_size */
			char *host = e.src ? xstrdup(e.src) : root_join(m->root, e.path);
			struct stat st;

			if (stat(host, &st) == 0)
				e.size = st.st_size;
			free(host);
		}
		if (r == 0)
			manifest_add(m, &e);
		manifest_ment_free(&e);
		if (r < 0)
			return tx_fail(ctx, -EINVAL, NULL, "malformed entry at line %d", lineno);
	}
	return 0;
}

int manifest_resolve_parents(struct manifest *m, const char *path, char **out, char **bad)
{
	char *cur = path_normalize(path), *slash = cur;
	int hops = 0, err = 0;

	while (!err && (slash = strchr(slash + 1, '/'))) {
		char *prefix = xstrndup(cur, (size_t)(slash - cur)), *dir, *j;
		struct ment *e = manifest_find(m, ME_DIR, prefix);

		if (e && e->type == ME_SLINK && ++hops > 40) {
			err = -ELOOP;
		} else if (e && e->type == ME_SLINK) {
			dir = path_dirname(prefix);
			j = e->target[0] == '/' ? xasprintf("%s%s", e->target, slash)
						: xasprintf("%s/%s%s", dir, e->target, slash);
			free(cur);
			cur = slash = path_normalize(j);
			free(j);
			free(dir);
		} else if (e && e->type != ME_DIR) {
			err = -ENOTDIR;
			if (bad)
				*bad = xstrdup(prefix);
		}
		free(prefix);
	}
	if (err)
		free(cur);
	else
		*out = cur;
	return err;
}
