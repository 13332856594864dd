/* The app spec (see appspec.h for the text form). */
#include "formats/appspec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define UID_MAX_OK 4294967294u /* (uid_t)-1 means "unchanged" to setuid */

static int parse_uint(const char *s, size_t n, int base, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!n || n > 12)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int d = s[i] - '0';

		if (d < 0 || d >= base)
			return -1;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			return 1;
	return 0;
}

/* "PATH MODE UID GID": absolute path without blanks, octal mode, ids. */
static int parse_dir(const char *v, size_t n, char **canon)
{
	const char *f[4];
	size_t fl[4], k = 0, i = 0;
	unsigned long mode, uid, gid;

	while (i < n && k < 4) {
		f[k] = v + i;
		while (i < n && v[i] != ' ')
			i++;
		fl[k] = (size_t)(v + i - f[k]);
		if (!fl[k])
			return -1;
		k++;
		if (i < n)
			i++;
	}
	if (k != 4 || i < n || v[n - 1] == ' ' || f[0][0] != '/')
		return -1;
	for (size_t j = 0; j < fl[0]; j++)
		if (f[0][j] == '\t' || f[0][j] == '\r' || f[0][j] == '\n')
			return -1;
	if (parse_uint(f[1], fl[1], 8, 07777, &mode) ||
	    parse_uint(f[2], fl[2], 10, UID_MAX_OK, &uid) ||
	    parse_uint(f[3], fl[3], 10, UID_MAX_OK, &gid))
		return -1;
	*canon = xasprintf("%.*s %04lo %lu %lu", (int)fl[0], f[0], mode, uid, gid);
	return 0;
}

static int valid_env(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq && eq != s && !has_ctl(s);
}

static int parse_groups(struct app_spec *s, const char *v, size_t n)
{
	size_t i = 0;

	s->ngroups = 0;
	while (i < n) {
		size_t st = i;
		unsigned long g;

		while (i < n && v[i] != ' ')
			i++;
		if (s->ngroups == APPSPEC_MAX_GROUPS ||
		    parse_uint(v + st, i - st, 10, UID_MAX_OK, &g))
			return -1;
		s->groups[s->ngroups++] = (unsigned)g;
		if (i < n && ++i == n)
			return -1; /* trailing blank */
	}
	return 0;
}

static int directive(struct app_spec *s, const char *kw, size_t kl, const char *v, size_t vl)
{
	unsigned long u;

#define KW(lit) (kl == sizeof(lit) - 1 && !memcmp(kw, lit, kl))
	if (KW("arg"))
		return strv_pushn(&s->argv, v, vl);
	if (KW("env")) {
		char *e = xstrndup(v, vl);

		if (!valid_env(e)) {
			free(e);
			return -1;
		}
		return strv_push_own(&s->env, e);
	}
	if (KW("dir")) {
		char *d;

		if (parse_dir(v, vl, &d))
			return -1;
		return strv_push_own(&s->dirs, d);
	}
	if (KW("user") || KW("group")) {
		if (parse_uint(v, vl, 10, UID_MAX_OK, &u))
			return -1;
		*(kw[0] == 'u' ? &s->uid : &s->gid) = (unsigned)u;
		s->has_user = 1;
		return 0;
	}
	if (KW("groups"))
		return parse_groups(s, v, vl);
	if (KW("forking")) {
		if (parse_uint(v, vl, 10, 1, &u))
			return -1;
		s->forking = (int)u;
		return 0;
	}
	if (KW("restart")) {
		if (vl == 2 && !memcmp(v, "no", 2))
			s->restart = 0;
		else if (vl == 10 && !memcmp(v, "on-failure", 10))
			s->restart = 1;
		else
			return -1;
		return 0;
	}
	if (KW("pidfile") || KW("workdir")) {
		char **dst = kw[0] == 'p' ? &s->pidfile : &s->workdir;

		if (!vl || v[0] != '/' || memchr(v, '\r', vl))
			return -1;
		free(*dst);
		*dst = xstrndup(v, vl);
		return 0;
	}
#undef KW
	return -2;
}

int appspec_parse(struct tx_ctx *ctx, const char *text, size_t len, struct app_spec *s)
{
	size_t pos = 0;
	int lineno = 0;

	memset(s, 0, sizeof(*s));
	if (memchr(text, 0, len))
		return tx_fail(ctx, -EINVAL, "appspec", "NUL byte in app spec");
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos, kl = 0, b = 0;
		int r;

		pos += n + (nl ? 1 : 0);
		lineno++;
		while (b < n && (line[b] == ' ' || line[b] == '\t'))
			b++;
		if (b == n || line[b] == '#')
			continue;
		while (kl < n && line[kl] != ' ')
			kl++;
		if (kl == n) {
			appspec_free(s);
			return tx_fail(ctx, -EINVAL, "appspec",
				       "line %d: missing value after '%.*s'", lineno,
				       (int)(kl > 32 ? 32 : kl), line);
		}
		r = directive(s, line, kl, line + kl + 1, n - kl - 1);
		if (r) {
			appspec_free(s);
			return tx_fail(ctx, -EINVAL, "appspec", "line %d: %s '%.*s'", lineno,
				       r == -2 ? "unknown directive" : "bad value for",
				       (int)(kl > 32 ? 32 : kl), line);
		}
	}
	int r = appspec_check(ctx, s);

	if (r)
		appspec_free(s);
	return r;
}

int appspec_check(struct tx_ctx *ctx, const struct app_spec *s)
{
	if (!s->argv.n)
		return tx_fail(ctx, -EINVAL, "appspec", "no command (no 'arg' line)");
	if (s->argv.v[0][0] != '/')
		return tx_fail(ctx, -EINVAL, "appspec", "command '%s' is not an absolute path",
			       s->argv.v[0]);
	for (size_t i = 0; i < s->argv.n; i++)
		if (strchr(s->argv.v[i], '\n'))
			return tx_fail(ctx, -EINVAL, "appspec", "newline in argument %zu", i);
	for (size_t i = 0; i < s->env.n; i++)
		if (!valid_env(s->env.v[i]))
			return tx_fail(ctx, -EINVAL, "appspec", "bad environment entry '%s'",
				       s->env.v[i]);
	for (size_t i = 0; i < s->dirs.n; i++) {
		char *c = NULL;
		int bad = parse_dir(s->dirs.v[i], strlen(s->dirs.v[i]), &c);

		free(c);
		if (bad)
			return tx_fail(ctx, -EINVAL, "appspec",
				       "bad dir '%s' (want 'PATH MODE UID GID')", s->dirs.v[i]);
	}
	if (s->pidfile && (s->pidfile[0] != '/' || has_ctl(s->pidfile)))
		return tx_fail(ctx, -EINVAL, "appspec", "bad pid file '%s'", s->pidfile);
	if (s->workdir && (s->workdir[0] != '/' || has_ctl(s->workdir)))
		return tx_fail(ctx, -EINVAL, "appspec", "bad workdir '%s'", s->workdir);
	if (s->forking && !s->pidfile)
		return tx_fail(ctx, -EINVAL, "appspec",
			       "a forking command needs a pid file to be followed");
	if (s->ngroups > APPSPEC_MAX_GROUPS)
		return tx_fail(ctx, -EINVAL, "appspec", "too many supplementary groups");
	return 0;
}

void appspec_text(const struct app_spec *s, struct sbuf *out)
{
	sbuf_puts(out, "# tinyx app spec: read by /init (see src/appspec.h)\n");
	for (size_t i = 0; i < s->argv.n; i++)
		sbuf_printf(out, "arg %s\n", s->argv.v[i]);
	for (size_t i = 0; i < s->env.n; i++)
		sbuf_printf(out, "env %s\n", s->env.v[i]);
	if (s->has_user)
		sbuf_printf(out, "user %u\ngroup %u\n", s->uid, s->gid);
	if (s->ngroups) {
		sbuf_puts(out, "groups");
		for (size_t i = 0; i < s->ngroups; i++)
			sbuf_printf(out, " %u", s->groups[i]);
		sbuf_puts(out, "\n");
	}
	for (size_t i = 0; i < s->dirs.n; i++)
		sbuf_printf(out, "dir %s\n", s->dirs.v[i]);
	if (s->workdir)
		sbuf_printf(out, "workdir %s\n", s->workdir);
	if (s->pidfile)
		sbuf_printf(out, "pidfile %s\n", s->pidfile);
	sbuf_printf(out, "forking %d\nrestart %s\n", s->forking ? 1 : 0,
		    s->restart ? "on-failure" : "no");
}

void appspec_add_dir(struct app_spec *s, const char *path, unsigned mode, unsigned uid,
		     unsigned gid)
{
	strv_push_own(&s->dirs, xasprintf("%s %04o %u %u", path, mode & 07777, uid, gid));
}

void appspec_free(struct app_spec *s)
{
	strv_free(&s->argv);
	strv_free(&s->env);
	strv_free(&s->dirs);
	free(s->pidfile);
	free(s->workdir);
	memset(s, 0, sizeof(*s));
}
