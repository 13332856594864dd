/* Output and small helpers of the guest init (see util.h). */
#include "guest/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

size_t vfmt(char *buf, size_t cap, const char *f, va_list ap)
{
	size_t n = 0;

#define PUT(c) (n + 1 < cap ? (void)(buf[n++] = (c)) : (void)0)
	for (; *f; f++) {
		char tmp[24], *e = tmp + sizeof(tmp), *p = e, pad = ' ';
		int width = 0, prec = -1, lng = 0, neg = 0;
		unsigned long v;

		if (*f != '%') {
			PUT(*f);
			continue;
		}
		if (*++f == '0')
			pad = *f++;
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		if (f[0] == '.' && f[1] == '*') {
			prec = va_arg(ap, int);
			f += 2;
		}
		while (*f == 'l' || *f == 'z')
			lng = *f++;
		if (*f == 's') {
			const char *str = va_arg(ap, const char *);

			for (int i = 0; str && str[i] && (prec < 0 || i < prec); i++)
				PUT(str[i]);
			continue;
		}
		if (*f == 'd') {
			long sv = lng ? va_arg(ap, long) : va_arg(ap, int);

			neg = sv < 0;
			v = neg ? 0ul - (unsigned long)sv : (unsigned long)sv;
		} else {
			v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
		}
		unsigned base = *f == 'o' ? 8 : *f == 'x' ? 16 : 10;
		do
			*--p = "0123456789abcdef"[v % base];
		while ((v /= base) && p > tmp + 1);
		if (neg)
			*--p = '-';
		for (int i = (int)(e - p); i < width; i++)
			PUT(pad);
		while (p < e)
			PUT(*p++);
	}
#undef PUT
	buf[n] = 0;
	return n;
}

size_t fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, f);
	n = vfmt(buf, cap, f, ap);
	va_end(ap);
	return n;
}

void sayp(const char *prefix, const char *f, ...)
{
	char buf[512];
	va_list ap;
	size_t n = strlen(prefix);

	memcpy(buf, prefix, n);
	va_start(ap, f);
	n += vfmt(buf + n, sizeof(buf) - n - 1, f, ap);
	va_end(ap);
	buf[n++] = '\n';
	if (write(1, buf, n) < 0) {
		/* no console tty (yet): the kernel log reaches the console too */
		int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

		if (fd >= 0 && write(fd, buf, n) < 0) {
			/* nothing else to tell it to */
		}
		if (fd >= 0)
			close(fd);
	}
}

void out(const char *f, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, f);
	n = vfmt(buf, sizeof(buf), f, ap);
	va_end(ap);
	if (write(1, buf, n) < 0) {
		/* stdout closed */
	}
}

char *slurp(const char *path, size_t max, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *b;
	size_t len = 0;

	if (fd < 0)
		return NULL;
	b = malloc(max + 1);
	while (b && len < max) {
		ssize_t r = read(fd, b + len, max - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (b)
		b[len] = 0;
	if (lenp)
		*lenp = len;
	return b;
}

int num(const char *s, int base, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, base);
	return errno || *end || *out > max ? -1 : 0;
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void mkdir_parents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
}
