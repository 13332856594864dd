/* The app spec (see appspec.h for the text form). */
#include "formats/appspec.h"

#include "formats/appconf.h"
#include "formats/text.h"

static char *dir_text(const struct appconf_dir *d)
{
	return xasprintf("%.*s %04o %u %u", (int)d->plen, d->path, d->mode, d->uid, d->gid);
}

/* One directive, already checked by the shared reader, into the spec. */
static int add_item(void *arg, const struct appconf_item *it)
{
	struct app_spec *s = arg;
	struct appconf_fields f = APPCONF_FIELDS(s);
	char **dst;

	if (appconf_set(&f, it))
		return 0;
	switch (it->key) {
	case APPCONF_ARG:
		return strv_pushn(&s->argv, it->val, it->vlen);
	case APPCONF_ENV:
		return strv_pushn(&s->env, it->val, it->vlen);
	case APPCONF_DIR:
		return strv_push_own(&s->dirs, dir_text(&it->dir));
	case APPCONF_PRE:
	case APPCONF_POST:
		return strv_pushn(it->key == APPCONF_PRE ? &s->pre : &s->post, it->val, it->vlen);
	case APPCONF_UMASK:
		s->has_umask = 1;
		s->umask = it->num;
		return 0;
	case APPCONF_NOFILE:
		s->nofile_soft = it->num;
		s->nofile_hard = it->num2;
		return 0;
	case APPCONF_WORKDIR:
	case APPCONF_PIDFILE:
		dst = it->key == APPCONF_PIDFILE ? &s->pidfile : &s->workdir;
		free(*dst);
		*dst = xstrndup(it->val, it->vlen);
		return 0;
	default:
		return 0;
	}
}

/* How the shared reader's line problems read. */
static const char *const line_problem[] = {
    [APPCONF_NO_VALUE] = "missing value after",
    [APPCONF_UNKNOWN] = "unknown directive",
    [APPCONF_BAD_VALUE] = "bad value for",
};

int appspec_parse(struct tx_ctx *ctx, const char *text, size_t len, struct app_spec *s)
{
	struct appconf_error e;
	int r;

	memset(s, 0, sizeof(*s));
	r = appconf_parse(text, len, add_item, s, &e);
	if (e.problem == APPCONF_NUL)
		r = tx_fail(ctx, r, NULL, "NUL byte in the app spec");
	else if (r && e.line)
		r = tx_fail(ctx, r, NULL, "app spec line %d: %s '%.*s'", e.line,
			    line_problem[e.problem], (int)e.kwlen, e.kw);
	else
		r = appspec_check(ctx, s); /* it words the problems of the whole text */
	if (r)
		appspec_free(s);
	return r;
}

/* The same rules as the reader's, for a spec built in code. */
int appspec_check(struct tx_ctx *ctx, const struct app_spec *s)
{
	struct appconf_dir d;

	if (!s->argv.n)
		return tx_fail(ctx, -EINVAL, NULL, "no command in the app spec (no 'arg' line)");
	if (s->argv.v[0][0] != '/')
		return tx_fail(ctx, -EINVAL, NULL, "app command '%s' is not an absolute path",
			       s->argv.v[0]);
	for (size_t i = 0; i < s->argv.n; i++)
		if (strchr(s->argv.v[i], '\n'))
			return tx_fail(ctx, -EINVAL, NULL, "newline in app argument %zu", i);
	for (size_t i = 0; i < s->env.n; i++)
		if (appconf_env(s->env.v[i], strlen(s->env.v[i])))
			return tx_fail(ctx, -EINVAL, NULL, "bad app environment entry '%s'",
				       s->env.v[i]);
	for (size_t i = 0; i < s->dirs.n; i++)
		if (appconf_dir(s->dirs.v[i], strlen(s->dirs.v[i]), &d))
			return tx_fail(ctx, -EINVAL, NULL,
				       "bad app dir '%s' (want 'PATH MODE UID GID')", s->dirs.v[i]);
	if (s->pidfile && appconf_path(s->pidfile, strlen(s->pidfile)))
		return tx_fail(ctx, -EINVAL, NULL, "bad app pid file '%s'", s->pidfile);
	if (s->workdir && appconf_path(s->workdir, strlen(s->workdir)))
		return tx_fail(ctx, -EINVAL, NULL, "bad app workdir '%s'", s->workdir);
	for (size_t k = 0; k < 2; k++) {
		const struct strv *h = k ? &s->post : &s->pre;

		for (size_t i = 0; i < h->n; i++)
			if (appconf_hook(h->v[i], strlen(h->v[i])))
				return tx_fail(ctx, -EINVAL, NULL, "bad app %s command '%s'",
					       k ? "post" : "pre", h->v[i]);
	}
	if (s->umask > 0777 || s->nofile_soft > s->nofile_hard ||
	    s->nofile_hard > APPCONF_NOFILE_MAX || (s->nofile_hard && !s->nofile_soft))
		return tx_fail(ctx, -EINVAL, NULL, "bad app umask or open file limit");
	if (s->caps >> (APPCONF_CAP_MAX + 1))
		return tx_fail(ctx, -EINVAL, NULL, "bad app ambient capabilities");
	if (s->ngroups > APPSPEC_MAX_GROUPS)
		return tx_fail(ctx, -EINVAL, NULL, "too many supplementary groups for the app");
	return 0;
}

void appspec_text(const struct app_spec *s, struct sbuf *out)
{
	sbuf_puts(out, APPCONF_HEADER);
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
	if (s->notify)
		sbuf_puts(out, "notify 1\n");
	if (s->oneshot)
		sbuf_puts(out, "oneshot 1\n");
	if (s->rng)
		sbuf_puts(out, "rng 1\n");
	if (s->netpre)
		sbuf_puts(out, "netpre 1\n");
	if (s->has_umask)
		sbuf_printf(out, "umask %04o\n", s->umask);
	if (s->nofile_hard)
		sbuf_printf(out, "nofile %u %u\n", s->nofile_soft, s->nofile_hard);
	if (s->caps) {
		sbuf_puts(out, "caps");
		for (unsigned c = 0; c <= APPCONF_CAP_MAX; c++)
			if (s->caps >> c & 1)
				sbuf_printf(out, " %u", c);
		sbuf_puts(out, "\n");
	}
	for (size_t i = 0; i < s->pre.n; i++)
		sbuf_printf(out, "pre %s\n", s->pre.v[i]);
	for (size_t i = 0; i < s->post.n; i++)
		sbuf_printf(out, "post %s\n", s->post.v[i]);
}

void appspec_add_dir(struct app_spec *s, const char *path, unsigned mode, unsigned uid,
		     unsigned gid)
{
	struct appconf_dir d = {path, strlen(path), mode & 07777, uid, gid};

	strv_push_own(&s->dirs, dir_text(&d));
}

void appspec_free(struct app_spec *s)
{
	fmt_free_lists(&s->argv, &s->env, &s->dirs, &s->pre, &s->post, &s->made, NULL);
	fmt_free_strs(&s->pidfile, &s->workdir, NULL);
	memset(s, 0, sizeof(*s));
}
