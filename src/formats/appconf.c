/* The one reader of app.conf (see appconf.h): host and guest init. */
#include "formats/appconf.h"

#include <errno.h>
#include <string.h>

static int parse_uint(const char *s, size_t n, unsigned base, unsigned long max, unsigned *out)
{
	unsigned long v = 0;

	if (!n || n > 12)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d >= base)
			return -EINVAL;
		v = v * base + d;
	}
	if (v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int has_break(const char *s, size_t n)
{
	return memchr(s, '\n', n) || memchr(s, '\r', n);
}

int appconf_path(const char *v, size_t n)
{
	return n && v[0] == '/' && !has_break(v, n) ? 0 : -EINVAL;
}

int appconf_env(const char *v, size_t n)
{
	const char *eq = memchr(v, '=', n);

	return eq && eq != v && !has_break(v, n) ? 0 : -EINVAL;
}

/* "PATH MODE UID GID": absolute path without blanks, octal mode, ids; one
 * blank between fields. */
int appconf_dir(const char *v, size_t n, struct appconf_dir *d)
{
	const char *f[4];
	size_t fl[4], k = 0, i = 0;

	while (i < n && k < 4) {
		f[k] = v + i;
		while (i < n && v[i] != ' ')
			i++;
		fl[k] = (size_t)(v + i - f[k]);
		if (!fl[k])
			return -EINVAL;
		k++;
		if (i < n)
			i++;
	}
	if (k != 4 || i < n || v[n - 1] == ' ' || f[0][0] != '/' || memchr(f[0], '\t', fl[0]) ||
	    has_break(f[0], fl[0]))
		return -EINVAL;
	d->path = f[0];
	d->plen = fl[0];
	if (parse_uint(f[1], fl[1], 8, 07777, &d->mode) ||
	    parse_uint(f[2], fl[2], 10, APPCONF_ID_MAX, &d->uid) ||
	    parse_uint(f[3], fl[3], 10, APPCONF_ID_MAX, &d->gid))
		return -EINVAL;
	return 0;
}

/* "GID GID ...", one blank between. */
static int parse_groups(struct appconf_item *it, const char *v, size_t n)
{
	size_t i = 0;

	it->ngroups = 0;
	while (i < n) {
		size_t st = i;

		while (i < n && v[i] != ' ')
			i++;
		if (it->ngroups == APPCONF_MAX_GROUPS ||
		    parse_uint(v + st, i - st, 10, APPCONF_ID_MAX, &it->groups[it->ngroups++]))
			return -EINVAL;
		if (i < n && ++i == n)
			return -EINVAL; /* trailing blank */
	}
	return 0;
}

static const char *const keys[] = {
    "arg", "env",  "user",  "group",  "groups", "dir",	"workdir", "pidfile", "forking", "restart",
    "pre", "post", "umask", "nofile", "notify", "caps", "oneshot", "rng",     "netpre"};

int appconf_hook(const char *v, size_t n)
{
	const char *tab = memchr(v, '\t', n);
	size_t fl = tab ? (size_t)(tab - v) : 0;

	if (!tab || !fl || fl > 4 || tab + 1 == v + n || tab[1] != '/' || has_break(v, n))
		return -EINVAL;
	if (fl == 1 && v[0] == '.')
		return 0;
	for (size_t i = 0; i < fl; i++)
		if (!strchr("-+!<", v[i]) || memchr(v, v[i], i))
			return -EINVAL;
	return 0;
}

/* Check and decode one value: 0 or the problem. */
static int decode(struct appconf_item *it, const char *kw, size_t kl, const char *v, size_t vl)
{
	size_t k = 0;

	while (k < sizeof(keys) / sizeof(keys[0]) &&
	       (strlen(keys[k]) != kl || memcmp(kw, keys[k], kl)))
		k++;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return APPCONF_UNKNOWN;
	it->key = (enum appconf_key)k;
	it->val = v;
	it->vlen = vl;
	switch (it->key) {
	case APPCONF_ARG:
		return 0;
	case APPCONF_ENV:
		return appconf_env(v, vl) ? APPCONF_BAD_VALUE : 0;
	case APPCONF_PRE:
	case APPCONF_POST:
		return appconf_hook(v, vl) ? APPCONF_BAD_VALUE : 0;
	case APPCONF_UMASK:
		return parse_uint(v, vl, 8, 0777, &it->num) ? APPCONF_BAD_VALUE : 0;
	case APPCONF_NOFILE: { /* "SOFT HARD", soft <= hard */
		const char *sp = memchr(v, ' ', vl);

		if (!sp || parse_uint(v, (size_t)(sp - v), 10, APPCONF_NOFILE_MAX, &it->num) ||
		    parse_uint(sp + 1, vl - (size_t)(sp - v) - 1, 10, APPCONF_NOFILE_MAX,
			       &it->num2) ||
		    it->num > it->num2)
			return APPCONF_BAD_VALUE;
		return 0;
	}
	case APPCONF_USER:
	case APPCONF_GROUP:
		return parse_uint(v, vl, 10, APPCONF_ID_MAX, &it->num) ? APPCONF_BAD_VALUE : 0;
	case APPCONF_GROUPS:
		return parse_groups(it, v, vl) ? APPCONF_BAD_VALUE : 0;
	case APPCONF_DIR:
		return appconf_dir(v, vl, &it->dir) ? APPCONF_BAD_VALUE : 0;
	case APPCONF_WORKDIR:
	case APPCONF_PIDFILE:
		return appconf_path(v, vl) ? APPCONF_BAD_VALUE : 0;
	case APPCONF_FORKING:
	case APPCONF_NOTIFY:
	case APPCONF_ONESHOT:
	case APPCONF_RNG:
	case APPCONF_NETPRE:
		return parse_uint(v, vl, 10, 1, &it->num) ? APPCONF_BAD_VALUE : 0;
	case APPCONF_CAPS: /* "N N ...": ambient capabilities by number, at least one */
		it->caps = 0;
		for (size_t i = 0; i < vl;) {
			size_t st = i;
			unsigned cap;

			while (i < vl && v[i] != ' ')
				i++;
			if (parse_uint(v + st, i - st, 10, APPCONF_CAP_MAX, &cap) ||
			    (i < vl && ++i == vl))
				return APPCONF_BAD_VALUE;
			it->caps |= 1ull << cap;
		}
		return 0;
	case APPCONF_RESTART:
		it->num = vl == 10 && !memcmp(v, "on-failure", 10);
		return it->num || (vl == 2 && !memcmp(v, "no", 2)) ? 0 : APPCONF_BAD_VALUE;
	}
	return APPCONF_UNKNOWN;
}

int appconf_set(const struct appconf_fields *f, const struct appconf_item *it)
{
	switch (it->key) {
	case APPCONF_USER:
	case APPCONF_GROUP:
		*(it->key == APPCONF_USER ? f->uid : f->gid) = it->num;
		*f->has_user = 1;
		return 1;
	case APPCONF_GROUPS:
		memcpy(f->groups, it->groups, it->ngroups * sizeof(it->groups[0]));
		*f->ngroups = it->ngroups;
		return 1;
	case APPCONF_FORKING:
	case APPCONF_RESTART:
	case APPCONF_NOTIFY:
	case APPCONF_ONESHOT:
	case APPCONF_RNG:
	case APPCONF_NETPRE:
		*(it->key == APPCONF_FORKING   ? f->forking
		  : it->key == APPCONF_RESTART ? f->restart
		  : it->key == APPCONF_NOTIFY  ? f->notify
		  : it->key == APPCONF_ONESHOT ? f->oneshot
		  : it->key == APPCONF_RNG     ? f->rng
					       : f->netpre) = (int)it->num;
		return 1;
	case APPCONF_CAPS:
		*f->caps = it->caps;
		return 1;
	default:
		return 0;
	}
}

static int refuse(struct appconf_error *e, int problem)
{
	e->problem = (enum appconf_problem)problem;
	return -EINVAL;
}

int appconf_parse(const char *text, size_t len, appconf_fn fn, void *arg, struct appconf_error *e)
{
	size_t pos = 0, nargs = 0;
	int abs_cmd = 0;

	memset(e, 0, sizeof(*e));
	if (memchr(text, 0, len))
		return refuse(e, APPCONF_NUL);
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos, kl = 0, b = 0;
		struct appconf_item it;
		int r;

		pos += n + (nl ? 1 : 0);
		e->line++;
		while (b < n && (line[b] == ' ' || line[b] == '\t'))
			b++;
		if (b == n || line[b] == '#')
			continue;
		while (kl < n && line[kl] != ' ')
			kl++;
		e->kw = line;
		e->kwlen = kl > 32 ? 32 : kl;
		if (kl == n)
			return refuse(e, APPCONF_NO_VALUE);
		r = decode(&it, line, kl, line + kl + 1, n - kl - 1);
		if (r)
			return refuse(e, r);
		if (it.key == APPCONF_ARG && !nargs++)
			abs_cmd = it.vlen && it.val[0] == '/';
		r = fn(arg, &it);
		if (r)
			return r;
	}
	e->line = 0;
	e->kw = NULL;
	e->kwlen = 0;
	return nargs && abs_cmd ? 0 : refuse(e, APPCONF_INCOMPLETE);
}
