/* Small helpers the parsers in formats/ share (not the guest's appconf.c,
 * which stays on plain libc). */
#ifndef TINYX_FORMATS_TEXT_H
#define TINYX_FORMATS_TEXT_H

#include "lib/util.h"

/* the libc every parser here uses */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ' ', '\t', '\r', '\n', '\f' or '\v' (not locale-dependent). */
int fmt_is_ws(char c);
/* The line at *p in [*p, end) without its '\n', its length in *n; *p moves
 * past it. */
const char *fmt_line(const char **p, const char *end, size_t *n);
/* The lines of a text, each a NUL-terminated copy (cut at a NUL byte) the
 * caller may change: with struct fmt_lines it = {.p = text, .end = text + len}, each
 * fmt_next(&it) frees the previous line and gives the next (it.line, its
 * number it.lineno from 1, its length in the text it.n), NULL at the end;
 * free(it.line) after leaving the loop early. */
struct fmt_lines {
	const char *p, *end;
	char *line;
	size_t lineno, n;
};
char *fmt_next(struct fmt_lines *it);
/* s (*n bytes) with surrounding whitespace trimmed, as a range. */
const char *fmt_trim(const char *s, size_t *n);
/* Digits of base (8 or 10) only, not empty, at most max: 0 and *out, or
 * -EINVAL. */
int fmt_uint(const char *s, unsigned base, unsigned long max, unsigned *out);
/* s with trailing whitespace cut off (in place) and leading skipped. */
char *fmt_strip(char *s);
/* A PEM or OpenSSH private key: a line "-----BEGIN ... PRIVATE KEY-----"
 * in text (NUL-terminated). 1 or 0. */
int fmt_has_private_key(const char *text);
/* The next whitespace-separated word of *s (its length in *n), or NULL at
 * the end; *s moves past it. */
const char *fmt_word(const char **s, size_t *n);
/* read_file(), with a failure worded in ctx as "cannot read WHAT'PATH':
 * reason"; with missing_ok, -ENOENT is returned without a message. */
int fmt_read(struct tx_ctx *ctx, const char *what, const char *path, size_t max, char **text,
	     size_t *len, int missing_ok);
/* deb822(5) stanzas: "Field: value" lines, continuation lines starting with
 * a space or tab, '#' comment lines, stanzas separated by blank lines. */
struct fmt_822 {
	const char *what; /* "corrupt WHAT at line N 'NAME'" */
	char sep;	  /* put between the value's lines */
	int trim;	  /* trim each line of the value (else taken raw) */
	/* each field once its value is whole (fname not NUL-terminated) */
	void (*field)(void *arg, const char *fname, size_t flen, const char *value);
	/* after each stanza that has a field: the lines of its first field
	 * and of its end (the blank line, or the last line) */
	int (*end)(struct tx_ctx *ctx, const char *name, void *arg, size_t first, size_t last);
	void *arg;
};
int fmt_parse822(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		 const struct fmt_822 *how);
/* v (n elements of size bytes) with room for one more: doubling, as long as
 * only this grows it. */
void *fmt_grow(void *v, size_t n, size_t size);
/* free() each string or strv_free() each list, up to a NULL. */
void fmt_free_strs(char **s, ...) __attribute__((sentinel));
void fmt_free_lists(struct strv *l, ...) __attribute__((sentinel));

#endif
