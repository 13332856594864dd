/* Output and small helpers of the guest init (it cannot link lib/: it is
 * static, built with musl, and kept small). */
#ifndef TINYX_GUEST_UTIL_H
#define TINYX_GUEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#include "guest/markers.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A small formatter (%s %.*s %d %u %ld %lu %lo %o %x, '0' flag, width):
 * musl's printf brings the float code and doubles the size of the init. */
size_t vfmt(char *buf, size_t cap, const char *f, va_list ap);
size_t fmt(char *buf, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* One line "PREFIXmessage" on the console (the kernel log when there is no
 * console yet). */
void sayp(const char *prefix, const char *f, ...) __attribute__((format(printf, 2, 3)));
#define say(...) sayp(TINYX_MARK_PREFIX, __VA_ARGS__)
#define say_dom0(...) sayp(TINYX_DOM0_PREFIX, __VA_ARGS__)
/* Text on stdout as is (up to 255 bytes a call) */
void out(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* A small file whole, NUL-terminated (at most max bytes); NULL on error. */
char *slurp(const char *path, size_t max, size_t *lenp);
/* Strict unsigned parse of a whole token: 0 or -1. */
int num(const char *s, int base, unsigned long max, unsigned long *out);
double now_ms(void);
void sleep_ms(long ms);
/* Create the dirs above path (mode 0755); path is restored. */
void mkdir_parents(char *path);

#endif
