#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every allocation failure ends here. */
static void *oom_check(void *p)
{
	if (!p) {
		fputs("tinyx: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xmalloc(size_t n)
{
	return oom_check(malloc(n ? n : 1));
}

void *xcalloc(size_t n, size_t m)
{
	return oom_check(calloc(n ? n : 1, m ? m : 1));
}

void *xrealloc(void *p, size_t n)
{
	return oom_check(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* vasprintf that cannot fail; the length in *n when not NULL. */
static char *xvasprintf(const char *fmt, va_list ap, int *n)
{
	char *s;
	int k = vasprintf(&s, fmt, ap);

	if (n)
		*n = k;
	return oom_check(k < 0 ? NULL : s);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap, NULL);
	va_end(ap);
	return s;
}

int strv_push_own(struct strv *s, char *str)
{
	if (s->n + 1 >= s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
	return 0;
}

int strv_push(struct strv *s, const char *str)
{
	return strv_push_own(s, xstrdup(str));
}

int strv_pushn(struct strv *s, const char *str, size_t len)
{
	return strv_push_own(s, xstrndup(str, len));
}

int strv_contains(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort_uniq(struct strv *s)
{
	size_t j = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_str);
	for (size_t i = 1; i < s->n; i++) {
		if (!strcmp(s->v[i], s->v[j]))
			free(s->v[i]);
		else
			s->v[++j] = s->v[i];
	}
	s->n = j + 1;
	s->v[s->n] = NULL;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

int sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
	return 0;
}

int sbuf_puts(struct sbuf *b, const char *s)
{
	return sbuf_add(b, s, strlen(s));
}

int sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap, &n);
	va_end(ap);
	sbuf_add(b, s, (size_t)n);
	free(s);
	return 0;
}

int sbuf_json_str(struct sbuf *b, const char *s)
{
	sbuf_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			sbuf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			sbuf_printf(b, "\\u%04x", *p);
		else
			sbuf_add(b, (const char *)p, 1);
	}
	sbuf_add(b, "\"", 1);
	return 0;
}

void sbuf_sh_word(struct sbuf *s, const char *w, size_t n)
{
	size_t i = 0;

	while (i < n && (isalnum((unsigned char)w[i]) || strchr("_./,=:+-@%", w[i])))
		i++;
	if (i == n && n) {
		sbuf_add(s, w, n);
		return;
	}
	sbuf_puts(s, "'");
	for (i = 0; i < n; i++)
		if (w[i] == '\'')
			sbuf_puts(s, "'\\''");
		else
			sbuf_add(s, w + i, 1);
	sbuf_puts(s, "'");
}

void sbuf_free(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

#define PKG_ALNUM "abcdefghijklmnopqrstuvwxyz0123456789"

int valid_pkg_name(const char *name)
{
	size_t n = strlen(name);

	return n >= 2 && n <= 100 && strspn(name, PKG_ALNUM) > 0 &&
	       strspn(name, PKG_ALNUM "+-.") == n;
}
