/* Helpers the parsers share; see text.h. */
#include "formats/text.h"

#include <stdarg.h>

int fmt_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

const char *fmt_line(const char **p, const char *end, size_t *n)
{
	const char *l = *p, *nl = memchr(l, '\n', (size_t)(end - l));

	*n = nl ? (size_t)(nl - l) : (size_t)(end - l);
	*p = nl ? nl + 1 : end;
	return l;
}

char *fmt_next(struct fmt_lines *it)
{
	const char *l;

	free(it->line);
	it->line = NULL;
	if (it->p >= it->end)
		return NULL;
	l = fmt_line(&it->p, it->end, &it->n);
	it->lineno++;
	return it->line = xstrndup(l, it->n);
}

const char *fmt_trim(const char *s, size_t *n)
{
	while (*n && fmt_is_ws(*s)) {
		s++;
		(*n)--;
	}
	while (*n && fmt_is_ws(s[*n - 1]))
		(*n)--;
	return s;
}

int fmt_uint(const char *s, unsigned base, unsigned long max, unsigned *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s - '0' >= (int)base)
			return -EINVAL;
		v = v * base + (unsigned)(*s - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

char *fmt_strip(char *s)
{
	size_t n = strlen(s);

	while (n && fmt_is_ws(s[n - 1]))
		s[--n] = 0;
	while (fmt_is_ws(*s))
		s++;
	return s;
}

const char *fmt_word(const char **s, size_t *n)
{
	const char *w = *s;

	while (fmt_is_ws(*w))
		w++;
	for (*n = 0; w[*n] && !fmt_is_ws(w[*n]);)
		(*n)++;
	*s = w + *n;
	return *n ? w : NULL;
}

int fmt_read(struct tx_ctx *ctx, const char *what, const char *path, size_t max, char **text,
	     size_t *len, int missing_ok)
{
	int r = read_file(path, text, len, max);

	if (r < 0 && !(missing_ok && r == -ENOENT))
		return tx_fail(ctx, r, NULL, "cannot read %s'%s': %s", what, path, strerror(-r));
	return r;
}

static void add_value(const struct fmt_822 *how, struct sbuf *val, const char *s, size_t n)
{
	if (how->trim)
		s = fmt_trim(s, &n);
	sbuf_add(val, s, n);
}

int fmt_parse822(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		 const struct fmt_822 *how)
{
	const char *p = text, *end = text + len, *fname = NULL, *colon;
	struct sbuf val = {0};
	size_t lineno = 0, first = 0, flen = 0;
	int r = 0;

	while (r == 0) {
		int eof = p >= end, cont;
		size_t n = 0, tn;
		const char *l = eof ? "" : fmt_line(&p, end, &n);

		lineno += !eof;
		tn = n;
		fmt_trim(l, &tn);
		if (tn && l[0] == '#')
			continue;
		cont = tn && (l[0] == ' ' || l[0] == '\t');
		if (cont && fname) {
			sbuf_add(&val, &how->sep, 1);
			add_value(how, &val, l, n);
			continue;
		}
		if (fname)
			how->field(how->arg, fname, flen, val.s);
		fname = NULL;
		if (!tn) {
			if (first)
				r = how->end(ctx, name, how->arg, first, lineno);
			first = 0;
			if (eof)
				break;
			continue;
		}
		colon = memchr(l, ':', n);
		if (cont || !colon || colon == l) {
			r = tx_fail(ctx, -EINVAL, NULL, "corrupt %s at line %zu '%s'", how->what,
				    lineno, name);
			break;
		}
		fname = l;
		flen = (size_t)(colon - l);
		first = first ? first : lineno;
		val.len = 0;
		add_value(how, &val, colon + 1, n - flen - 1);
	}
	sbuf_free(&val);
	return r;
}

void *fmt_grow(void *v, size_t n, size_t size)
{
	/* 2, 4, 8, ... when the count is 0, 1, 3, 7, ... */
	return v && (n & (n + 1)) ? v : xrealloc(v, (n * 2 + 2) * size);
}

void fmt_free_strs(char **s, ...)
{
	va_list ap;

	va_start(ap, s);
	for (; s; s = va_arg(ap, char **))
		free(*s);
	va_end(ap);
}

void fmt_free_lists(struct strv *l, ...)
{
	va_list ap;

	va_start(ap, l);
	for (; l; l = va_arg(ap, struct strv *))
		strv_free(l);
	va_end(ap);
}

int fmt_has_private_key(const char *text)
{
	for (const char *p = text; (p = strstr(p, "-----BEGIN ")); p++) {
		const char *eol = strchr(p, '\n'), *key = strstr(p, "PRIVATE KEY-----");

		if ((p == text || p[-1] == '\n') && key && (!eol || key < eol))
			return 1;
	}
	return 0;
}
