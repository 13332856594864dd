/* sysctl.d files (sysctl.d(5), as systemd-sysctl reads them): read by the
 * build (a bad line or a key the kernel cannot have is an error naming the
 * file and line) and by the guest init, which applies them before the app
 * starts (src/guest/sysctl.c). Shared like dhcp.c: plain C on libc, no I/O,
 * no allocation, no printf; the text is untrusted (tests/fuzz/fuzz-sysctl.c).
 *
 *   # or ; a comment            blank lines ignored
 *   net.ipv4.ip_forward = 1     key = value, spaces around both trimmed
 *   net/ipv4/conf/eth0.10/rp_filter = 2
 *                               the first separator a '/': the key is the
 *                               path under /proc/sys as is; a '.': dots
 *                               become slashes and slashes dots
 *   -net.ipv6.conf.all.forwarding = 1
 *                               '-': a failure to set it is not reported
 * Not read (an error naming the line): a line without '=', an empty key,
 * glob keys ('*', '?', '['), "..", control characters.
 *
 * Which files, in which order (systemd-sysctl): *.conf of /etc/sysctl.d and
 * /usr/lib/sysctl.d, sorted by file name; a name in /etc hides the same name
 * in /usr/lib; a later assignment to a key wins. */
#ifndef TINYX_SYSCTL_H
#define TINYX_SYSCTL_H

#include <stddef.h>

#define SYSCTL_MAX_BYTES (64 * 1024)
#define SYSCTL_MAX_KEY 200 /* bytes of a key (its path under /proc/sys) */
#define SYSCTL_MAX_FILES 64
#define SYSCTL_DIRS                                                                                \
	{                                                                                          \
		"/etc/sysctl.d", "/usr/lib/sysctl.d"                                               \
	} /* the first wins */

struct sysctl_item {
	char path[SYSCTL_MAX_KEY + 1]; /* under /proc/sys: "net/ipv4/ip_forward" */
	char key[SYSCTL_MAX_KEY + 1];  /* dotted, for messages: "net.ipv4.ip_forward" */
	const char *val;	       /* in the caller's text, not NUL-terminated */
	size_t vlen;
	int ignore_fail; /* '-' */
	int line;
};

struct sysctl_error {
	int line;	     /* 0: the whole file */
	const char *problem; /* a constant phrase */
};

/* Call fn for each assignment of text, in order; stop at the first error
 * (-1, e filled) or when fn returns non-zero (that value). */
int sysctl_parse(const char *text, size_t len, int (*fn)(void *arg, const struct sysctl_item *it),
		 void *arg, struct sysctl_error *e);

/* Order the file names of the sysctl dirs as systemd-sysctl does. names[i]
 * are base names, dir[i] the index of the dir each came from (0 /etc, 1
 * /usr/lib); n entries. Sorted by name (strcmp), a name kept once: the one
 * of the lowest dir. Returns the new count; names not ending in ".conf"
 * are dropped. */
int sysctl_order(const char **names, int *dir, int n);

#endif
