/* The guest init's copy of the app spec, read by the shared reader
 * (formats/appconf.c), printed by `tinyx-init --print-conf`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest/init.h"
#include "guest/util.h"

struct app_conf conf;

int list_push(struct list *l, char *s)
{
	char **v = realloc(l->v, (size_t)(l->n + 2) * sizeof(*v));

	if (!v || !s)
		return -ENOMEM;
	l->v = v;
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
	return 0;
}

static int set_path(char **dst, const struct appconf_item *it)
{
	free(*dst);
	*dst = strndup(it->val, it->vlen);
	return *dst ? 0 : -ENOMEM;
}

static int add_dir(struct app_conf *c, const struct appconf_dir *d)
{
	struct conf_dir *v = realloc(c->dirs, (size_t)(c->ndirs + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	c->dirs = v;
	v[c->ndirs] = (struct conf_dir){strndup(d->path, d->plen), d->mode, d->uid, d->gid};
	return v[c->ndirs++].path ? 0 : -ENOMEM;
}

static int add_item(void *arg, const struct appconf_item *it)
{
	struct app_conf *c = arg;
	struct appconf_fields f = APPCONF_FIELDS(c);

	if (appconf_set(&f, it))
		return 0;
	switch (it->key) {
	case APPCONF_ARG:
		return list_push(&c->argv, strndup(it->val, it->vlen));
	case APPCONF_ENV:
		return list_push(&c->env, strndup(it->val, it->vlen));
	case APPCONF_DIR:
		return add_dir(c, &it->dir);
	case APPCONF_PRE:
	case APPCONF_POST:
		return list_push(it->key == APPCONF_PRE ? &c->pre : &c->post,
				 strndup(it->val, it->vlen));
	case APPCONF_UMASK:
		c->has_umask = 1;
		c->umask = it->num;
		return 0;
	case APPCONF_NOFILE:
		c->nofile_soft = it->num;
		c->nofile_hard = it->num2;
		return 0;
	case APPCONF_WORKDIR:
		return set_path(&c->workdir, it);
	case APPCONF_PIDFILE:
		return set_path(&c->pidfile, it);
	default:
		return 0;
	}
}

int conf_load(struct app_conf *c, const char *path)
{
	size_t len;
	char *text = slurp(path, 1 << 20, &len);
	struct appconf_error e;
	int r;

	if (!text) {
		say("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	r = appconf_parse(text, len, add_item, c, &e);
	if (r && e.problem == APPCONF_NUL)
		say("%s: NUL byte", path);
	else if (r && e.line)
		say("%s: line %d: bad directive '%.*s'", path, e.line, (int)e.kwlen, e.kw);
	else if (r)
		say("%s: no absolute command", path);
	free(text);
	return r ? -1 : 0;
}

static void out_line(const char *kw, const char *val, const char *tail)
{
	out("%s ", kw);
	if (write(1, val, strlen(val)) < 0) {
		/* stdout closed */
	}
	out("%s\n", tail);
}

void conf_print(const struct app_conf *c)
{
	out("%s", APPCONF_HEADER);
	for (int i = 0; i < c->argv.n; i++)
		out_line("arg", c->argv.v[i], "");
	for (int i = 0; i < c->env.n; i++)
		out_line("env", c->env.v[i], "");
	if (c->has_user)
		out("user %u\ngroup %u\n", c->uid, c->gid);
	if (c->ngroups) {
		out("groups");
		for (size_t i = 0; i < c->ngroups; i++)
			out(" %u", c->groups[i]);
		out("\n");
	}
	for (int i = 0; i < c->ndirs; i++) {
		char tail[48];

		fmt(tail, sizeof(tail), " %04o %u %u", c->dirs[i].mode, c->dirs[i].uid,
		    c->dirs[i].gid);
		out_line("dir", c->dirs[i].path, tail);
	}
	if (c->workdir)
		out_line("workdir", c->workdir, "");
	if (c->pidfile)
		out_line("pidfile", c->pidfile, "");
	out("forking %d\nrestart %s\n", c->forking, c->restart ? "on-failure" : "no");
	if (c->notify)
		out("notify 1\n");
	if (c->oneshot)
		out("oneshot 1\n");
	if (c->rng)
		out("rng 1\n");
	if (c->netpre)
		out("netpre 1\n");
	if (c->has_umask)
		out("umask %04o\n", c->umask);
	if (c->nofile_hard)
		out("nofile %u %u\n", c->nofile_soft, c->nofile_hard);
	if (c->caps) {
		out("caps");
		for (unsigned k = 0; k <= APPCONF_CAP_MAX; k++)
			if (c->caps >> k & 1)
				out(" %u", k);
		out("\n");
	}
	for (int i = 0; i < c->pre.n; i++)
		out_line("pre", c->pre.v[i], "");
	for (int i = 0; i < c->post.n; i++)
		out_line("post", c->post.v[i], "");
}

void conf_make_dirs(const struct app_conf *c)
{
	for (int i = 0; i < c->ndirs; i++) {
		const struct conf_dir *d = &c->dirs[i];

		mkdir_parents(d->path);
		if ((mkdir(d->path, d->mode) < 0 && errno != EEXIST) ||
		    chown(d->path, d->uid, d->gid) < 0 || chmod(d->path, d->mode) < 0)
			say("cannot create dir %s: %s", d->path, strerror(errno));
	}
}
