/* sysctl.d files; see sysctl.h. */
#include "formats/sysctl.h"

#include <string.h>

static int is_sp(char c)
{
	return c == ' ' || c == '\t';
}

/* The key k (n bytes) into it->path (slashes) and it->key (dots). */
static const char *key_paths(const char *k, size_t n, struct sysctl_item *it)
{
	size_t first = 0; /* k is not NUL-terminated: no strcspn */
	int slash;

	while (first < n && k[first] != '.' && k[first] != '/')
		first++;
	slash = first < n && k[first] == '/';

	if (!n || n > SYSCTL_MAX_KEY)
		return n ? "key too long" : "empty key";
	for (size_t i = 0; i < n; i++) {
		char c = k[i];

		if ((unsigned char)c <= 0x20 || c == 0x7f || strchr("*?[", c))
			return "bad character in the key (no globs, no spaces)";
		/* a dotted key: '.' separates and '/' is part of a name */
		it->path[i] = slash ? c : c == '.' ? '/' : c == '/' ? '.' : c;
		it->key[i] = slash ? (c == '/' ? '.' : c == '.' ? '/' : c) : c;
	}
	it->path[n] = it->key[n] = 0;
	if (it->path[0] == '/' || it->path[n - 1] == '/' || strstr(it->path, "//"))
		return "empty name in the key";
	for (const char *p = it->path; p; p = strchr(p, '/')) {
		p += *p == '/';
		if (!strncmp(p, "..", 2) && (p[2] == '/' || !p[2]))
			return "'..' in the key";
		if (p[0] == '.' && (p[1] == '/' || !p[1]))
			return "'.' in the key";
	}
	return NULL;
}

static int line_item(const char *s, size_t n, struct sysctl_item *it, const char **problem)
{
	const char *eq, *k, *ke, *v, *ve;

	while (n && is_sp(*s))
		s++, n--;
	while (n && (is_sp(s[n - 1]) || s[n - 1] == '\r'))
		n--;
	if (!n || *s == '#' || *s == ';')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
			*problem = "control character";
			return -1;
		}
	eq = memchr(s, '=', n);
	if (!eq) {
		*problem = "want key = value";
		return -1;
	}
	k = s;
	it->ignore_fail = *k == '-';
	k += it->ignore_fail;
	for (ke = eq; ke > k && is_sp(ke[-1]); ke--)
		;
	for (v = eq + 1, ve = s + n; v < ve && is_sp(*v); v++)
		;
	*problem = key_paths(k, (size_t)(ke - k), it);
	if (*problem)
		return -1;
	it->val = v;
	it->vlen = (size_t)(ve - v);
	return 1;
}

int sysctl_parse(const char *text, size_t len, int (*fn)(void *arg, const struct sysctl_item *it),
		 void *arg, struct sysctl_error *e)
{
	struct sysctl_item it;
	size_t at = 0;
	int line = 0;

	memset(e, 0, sizeof(*e));
	if (len > SYSCTL_MAX_BYTES) {
		e->problem = "file too large";
		return -1;
	}
	if (memchr(text, 0, len)) {
		e->problem = "NUL byte";
		return -1;
	}
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		int r = line_item(text + at, n, &it, &e->problem);

		line++;
		if (r < 0) {
			e->line = line;
			return -1;
		}
		it.line = line;
		if (r > 0 && (r = fn(arg, &it)) != 0)
			return r;
		at += n + (nl != NULL);
	}
	return 0;
}

static int ends_conf(const char *s)
{
	size_t n = strlen(s);

	return n > 5 && !strcmp(s + n - 5, ".conf");
}

int sysctl_order(const char **names, int *dir, int n)
{
	int m = 0;

	for (int i = 0; i < n; i++) /* drop what is not a .conf */
		if (ends_conf(names[i])) {
			names[m] = names[i];
			dir[m++] = dir[i];
		}
	for (int i = 1; i < m; i++) { /* insertion sort by (name, dir): n is small */
		const char *s = names[i];
		int d = dir[i], k = i;

		for (; k > 0; k--) {
			int c = strcmp(names[k - 1], s);

			if (c < 0 || (c == 0 && dir[k - 1] <= d))
				break;
			names[k] = names[k - 1];
			dir[k] = dir[k - 1];
		}
		names[k] = s;
		dir[k] = d;
	}
	n = m;
	m = 0;
	for (int i = 0; i < n; i++)
		if (!m || strcmp(names[m - 1], names[i])) {
			names[m] = names[i];
			dir[m++] = dir[i];
		}
	return m;
}
