/* The closure stage: what the app needs from its staged root.
 *
 * 1. the app's own packages: the package and every dependency built from the
 *    same Debian source (nginx -> nginx, nginx-common), minus what no VM
 *    needs (docs, man pages, init scripts, logrotate, ...);
 * 2. the files their configuration names (a web root, a log dir), found by
 *    scanning the non-comment lines of their config files for absolute paths;
 * 3. the systemd unit: how to start it, as whom, which dirs it wants;
 * 4. the ELF closure of every executable (libdeps.c), with kernel features;
 * 5. the users and groups it runs as or that own its files, plus root;
 * 6. the per-app hints (rootfs-overlays/APP/hints) for what cannot be seen;
 * 7. the kernel features of kconfig-fragments/features/ its paths call for. */
#include "closure/cl.h"
#include "closure/libdeps.h"
#include "formats/hints.h"
#include "formats/ldso.h"
#include "formats/sdunit.h"

/* rootfs-overlays/APP/hints (src/hints.h): what the analysis cannot see. */
static int load_hints(struct cl *c)
{
	struct hints h;
	int r = hints_load(c->ctx, c->projdir, c->app, &h);

	for (size_t i = 0; i < h.n && r == 0; i++) {
		const char *arg = h.h[i].arg;
		int lineno = h.h[i].line;

		switch (h.h[i].kind) {
		case HINT_INCLUDE: {
			char *reason = xasprintf("hint=%s:%d", c->app, lineno);
			struct stat st;

			if (cl_stat(c, arg, &st) < 0)
				r = tx_fail(c->ctx, -ENOENT, "closure",
					    "hinted path not in the root '%s' (%s hints:%d)", arg,
					    c->app, lineno);
			else if (S_ISDIR(st.st_mode))
				cl_add_tree(c, arg, reason);
			else
				cl_add_path(c, arg, reason);
			free(reason);
			break;
		}
		case HINT_EXCLUDE:
			strv_push(&c->exclude, arg);
			break;
		case HINT_EXEC:
			strv_free(&c->hint_exec);
			r = sd_split_cmdline(c->ctx, arg, &c->hint_exec);
			break;
		case HINT_USER:
			strv_push_own(&c->users,
				      xasprintf("u:%s\thint=%s:%d", arg, c->app, lineno));
			break;
		case HINT_SERVICE: /* the build's verification reads it */
			break;
		}
	}
	hints_free(&h);
	return r < 0 ? r : 0;
}

/* The group with its members (the image's /etc/group lists those that are
 * users of the image). */
static void add_group(struct cl *c, const struct gr_ent *g, const char *reason)
{
	struct sbuf mem = {0};

	if (!g)
		return;
	for (size_t i = 0; i < g->members.n; i++)
		sbuf_printf(&mem, "%s%s", i ? "," : "", g->members.v[i]);
	manifest_add(c->m, &(struct ment){.type = ME_GROUP,
					  .path = g->name,
					  .gid = g->gid,
					  .target = mem.s,
					  .reason = (char *)reason});
	sbuf_free(&mem);
}

/* The user, its primary group and the groups that list it as a member: a
 * daemon may check that it is in one (FRR's in frrvty, its vty group). */
static void add_user(struct cl *c, const struct pw_ent *u, const char *reason)
{
	char *why;

	if (!u)
		return;
	manifest_add(c->m, &(struct ment){.type = ME_USER,
					  .path = u->name,
					  .uid = u->uid,
					  .gid = u->gid,
					  .target = u->home,
					  .shell = u->shell,
					  .reason = (char *)reason});
	add_group(c, gr_by_gid(&c->pw, u->gid), reason);
	why = xasprintf("member=%s", u->name);
	for (size_t i = 0; i < c->pw.ng; i++)
		if (strv_contains(&c->pw.g[i].members, u->name))
			add_group(c, &c->pw.g[i], why);
	free(why);
}

static void add_accounts(struct cl *c)
{
	add_user(c, pw_by_uid(&c->pw, 0), "root");
	for (size_t i = 0; i < c->users.n; i++) {
		const char *v = c->users.v[i], *tab = strchr(v, '\t');
		char *name = xstrndup(v + 2, (size_t)(tab - v - 2));

		if (v[0] == 'u')
			add_user(c, pw_by_name(&c->pw, name), tab + 1);
		else
			add_group(c, gr_by_name(&c->pw, name), tab + 1);
		free(name);
	}
	/* whoever owns a file in the image must exist in it */
	for (size_t i = 0; i < c->m->n; i++) {
		const struct ment *e = &c->m->e[i];

		if (e->type == ME_USER || e->type == ME_GROUP)
			continue;
		const struct pw_ent *u = e->uid ? pw_by_uid(&c->pw, e->uid) : NULL;
		const struct gr_ent *g = e->gid ? gr_by_gid(&c->pw, e->gid) : NULL;
		char *reason = xasprintf("owns=%s", e->path);

		if (u && !manifest_find(c->m, ME_USER, u->name))
			add_user(c, u, reason);
		add_group(c, g, reason);
		free(reason);
	}
	/* a group's members: the users of the image only */
	for (size_t i = 0; i < c->m->n; i++) {
		struct ment *e = &c->m->e[i];
		struct sbuf mem = {0};

		for (const char *p = e->type == ME_GROUP ? e->target : NULL; p && *p;) {
			size_t len = strcspn(p, ",");
			char *name = xstrndup(p, len);

			if (manifest_find(c->m, ME_USER, name))
				sbuf_printf(&mem, "%s%s", mem.len ? "," : "", name);
			free(name);
			p += len + (p[len] == ',');
		}
		if (e->type == ME_GROUP) {
			free(e->target);
			e->target = mem.s;
		}
	}
}

/* What --trim left out (files something else brought back are in). */
static void report_trim(struct cl *c)
{
	struct sbuf names = {0};
	long long bytes = 0;
	size_t n = 0;

	if (!c->trim)
		return;
	for (size_t i = 0; i < c->trimmed.n; i++) {
		const char *p = c->trimmed.v[i], *tab = strchr(p, '\t');
		char *path = xstrndup(p, (size_t)(tab - p));

		if (!manifest_find(c->m, ME_FILE, path)) {
			bytes += strtoll(tab + 1, NULL, 10);
			if (n++ < 6)
				sbuf_printf(&names, "%s%s", n > 1 ? ", " : "", path_basename(path));
		}
		free(path);
	}
	tx_info(c->ctx,
		"closure: --trim left out %zu programs and modules that the trace boot never "
		"ran or loaded (%.2f MB)%s%s%s",
		n, bytes / 1e6, n ? ": " : "", names.s ? names.s : "", n > 6 ? ", ..." : "");
	sbuf_free(&names);
}

/* The steps, in order; c->ctx->stage is "closure". */
static int build(struct cl *c, const struct closure_extra *x, struct app_spec *spec)
{
	struct strv dirs = {0};
	struct dpkg_pkg *p;
	int r;

	if (!valid_pkg_name(c->app))
		return tx_fail(c->ctx, -EINVAL, NULL, "invalid package name '%s'", c->app);
	if (!is_dir(c->root))
		return tx_fail(c->ctx, -ENOENT, NULL, "no root tree at '%s'", c->root);
	r = dpkg_load(c->ctx, c->root, &c->db);
	if (r == 0)
		r = passwd_load(c->ctx, c->root, &c->pw);
	if (r < 0)
		return r;
	p = dpkg_find(&c->db, c->app);
	if (!p)
		return tx_fail(c->ctx, -ENOENT, NULL, "package '%s' is not installed in '%s'",
			       c->app, c->root);
	r = dpkg_same_source_closure(&c->db, p->name, &c->own);
	if (r < 0)
		return tx_fail(c->ctx, r, NULL, "cannot resolve the packages of '%s'", c->app);
	for (size_t i = 0; x && x->opened && i < x->opened->n; i++) {
		char *real = NULL;

		c->trim = 1;
		if (root_realpath(c->root, x->opened->v[i], &real, NULL) == 0)
			strv_push_own(&c->kept, real);
		else
			free(real);
	}
	r = load_hints(c);
	if (r == 0)
		r = cl_add_packages(c);
	if (r == 0)
		r = cl_read_unit(c, spec);
	if (r == 0)
		r = cl_boot_secrets(c, spec);
	for (size_t i = 0; r == 0 && x && x->add && i < x->add->n; i++)
		r = cl_add_extra(c, x->add->v[i], spec);
	if (r == 0 && !c->elves.n)
		r = tx_fail(c->ctx, -ENOENT, NULL, "no ELF executable in package '%s'", c->app);
	if (r == 0)
		r = ldso_dirs(c->ctx, c->root, &dirs);
	if (r == 0)
		r = libdeps_walk(c->ctx, c->m, &dirs, &c->elves);
	if (r == 0 && x && x->runtime && x->runtime->n) { /* after the static closure: its
							   * reasons stay */
		strv_free(&c->elves);
		for (size_t i = 0; i < x->runtime->n; i++) /* gone: passed over */
			cl_add_path(c, x->runtime->v[i], "opened-at-runtime");
		r = libdeps_walk(c->ctx, c->m, &dirs, &c->elves);
	}
	strv_free(&dirs);
	if (r == 0)
		cl_drop_made(c, spec); /* the trace may have seen them opened */
	if (r == 0)
		r = cl_fragment_features(c, spec);
	if (r < 0)
		return r;
	add_accounts(c);
	manifest_sort(c->m);
	report_trim(c);
	return 0;
}

int closure_add_list(struct tx_ctx *ctx, const char *stage, const char *list, struct strv *out)
{
	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ",");
		char *name = xstrndup(p, n);
		int r;

		if (!valid_pkg_name(name)) {
			r = tx_fail(ctx, -EINVAL, stage, "invalid package name in --add '%s'",
				    name);
			free(name);
			return r;
		}
		strv_push_own(out, name);
		p += n + (p[n] == ',');
	}
	return 0;
}

int closure_build(struct tx_ctx *ctx, const char *app, const char *root, const char *projdir,
		  struct manifest *m, struct app_spec *spec)
{
	return closure_build_ex(ctx, app, root, projdir, NULL, m, spec);
}

int closure_build_ex(struct tx_ctx *ctx, const char *app, const char *root, const char *projdir,
		     const struct closure_extra *x, struct manifest *m, struct app_spec *spec)
{
	struct cl c = {.ctx = ctx, .app = app, .root = root, .projdir = projdir, .m = m};
	/* the parsers (src/formats/) name the stage whose input they read */
	const char *old = tx_stage(ctx, "closure");
	int r = build(&c, x, spec);

	tx_stage(ctx, old);
	fmt_free_lists(&c.own, &c.own_files, &c.elves, &c.scanned, &c.users, &c.exclude,
		       &c.hint_exec, &c.kept, &c.trimmed, NULL);
	dpkg_free(&c.db);
	passwd_free(&c.pw);
	free(c.sysv);
	return r;
}
