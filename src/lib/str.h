/* Memory, string lists, text buffers and JSON string literals. */
#ifndef TINYX_STR_H
#define TINYX_STR_H

#include <stddef.h>

/* Growable list of owned strings. */
struct strv {
	char **v;
	size_t n, cap;
};
int strv_push(struct strv *s, const char *str); /* copies str */
int strv_pushn(struct strv *s, const char *str, size_t len);
int strv_push_own(struct strv *s, char *str); /* takes ownership */
int strv_contains(const struct strv *s, const char *str);
void strv_sort_uniq(struct strv *s);
void strv_free(struct strv *s);

/* Growable text buffer, always NUL-terminated once non-empty. */
struct sbuf {
	char *s;
	size_t len, cap;
};
int sbuf_add(struct sbuf *b, const char *s, size_t n);
int sbuf_puts(struct sbuf *b, const char *s);
int sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal (with quotes). */
int sbuf_json_str(struct sbuf *b, const char *s);
/* Append the n bytes at w as one sh word: bare when plain, else single-quoted. */
void sbuf_sh_word(struct sbuf *b, const char *w, size_t n);
void sbuf_free(struct sbuf *b);

void *xmalloc(size_t n); /* aborts on OOM */
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Debian package name syntax: [a-z0-9][a-z0-9+.-]+ */
int valid_pkg_name(const char *name);

#endif
