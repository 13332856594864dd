/* The commands that run before and after the app: its unit's
 * ExecStartPre= and ExecStartPost=, the oneshot units it pulls in, and the
 * packages of build --add (their files, their oneshot units). */
#include "closure/cl.h"
#include "formats/sdunit.h"

/* The unit's ExecStartPre= or ExecStartPost= lines as app spec hooks
 * ("FLAGS\tARG0\tARG...", formats/appspec.h), their commands in the
 * image. A "-" command that is not in the root is left out: systemd would
 * run it, fail and go on. */
int cl_unit_hooks(struct cl *c, const struct strv *lines, const struct strv *env,
		  const char *unit_path, const char *what, struct strv *out)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < lines->n; i++) {
		const char *l = lines->v[i], *cmd = l + strspn(l, SD_EXEC_PREFIXES);
		char flags[4] = ".", *reason = xasprintf("unit=%s", unit_path);
		int may_fail = !!memchr(l, '-', (size_t)(cmd - l)), nf = 0;
		struct strv raw = {0}, argv = {0};
		struct sbuf h = {0};

		for (const char *f = l; f < cmd && nf < 3; f++)
			if (strchr("-+!", *f) && !strchr(flags, *f))
				flags[nf++] = *f, flags[nf] = 0;
		while (fmt_is_ws(*cmd))
			cmd++;
		r = sd_split_cmdline(c->ctx, cmd, &raw);
		if (r == 0 && memchr(l, ':', (size_t)(cmd - l)))
			for (size_t k = 0; k < raw.n; k++)
				strv_push(&argv, raw.v[k]);
		else if (r == 0)
			sd_expand_argv(&raw, env, &argv);
		if (r == 0 && argv.n > 1 && memchr(l, '@', (size_t)(cmd - l))) {
			/* "@PATH NAME ...": the init runs PATH as itself */
			free(argv.v[1]);
			memmove(argv.v + 1, argv.v + 2, (argv.n - 2) * sizeof(*argv.v));
			argv.v[--argv.n] = NULL;
		}
		if (r == 0)
			cl_which(c, &argv); /* not found: the check below says so */
		for (size_t k = 0; r == 0 && k < argv.n; k++)
			if (strpbrk(argv.v[k], "\t\n\r"))
				r = tx_fail(c->ctx, -EINVAL, "closure",
					    "a tab or newline in a %s argument of '%s'", what,
					    unit_path);
		if (r == 0 &&
		    (!argv.n || argv.v[0][0] != '/' || cl_add_path(c, argv.v[0], reason) < 0)) {
			if (!may_fail)
				r = tx_fail(
				    c->ctx, -ENOENT, "closure",
				    "cannot find the %s command '%s' in the root (unit '%s')", what,
				    argv.n ? argv.v[0] : "", unit_path);
		} else if (r == 0) {
			sbuf_puts(&h, flags);
			for (size_t k = 0; k < argv.n; k++)
				sbuf_printf(&h, "\t%s", argv.v[k]);
			strv_push(out, h.s);
		}
		sbuf_free(&h);
		strv_free(&raw);
		strv_free(&argv);
		free(reason);
	}
	return r;
}

/* A unit ordered Before=network-pre.target (nftables.service): the hooks
 * out[from..] it made run before the init brings the network up ("<"). */
static void mark_netpre(const struct sd_unit *d, struct strv *out, size_t from)
{
	if (!strv_contains(&d->before, "network-pre.target"))
		return;
	for (size_t i = from; i < out->n; i++) {
		char *h = out->v[i];

		out->v[i] = xasprintf("<%s", h[0] == '.' ? h + 1 : h);
		free(h);
	}
}

/* The Type=oneshot units of the app's packages that its unit Requires= or
 * Wants= (a setup step: keys, dirs, a ruleset): their ExecStartPre= and
 * ExecStart= lines go first among the hooks, as root unless their own
 * User= says otherwise, in the order named. */
int cl_oneshot_hooks(struct cl *c, const struct sd_unit *u, const struct strv *units,
		     const struct strv *env, struct strv *out)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < u->requires.n; i++) {
		const char *want = u->requires.v[i], *path = NULL;
		struct sd_unit d = {0};
		struct strv lines = {0};
		size_t from;

		for (size_t k = 0; k < units->n && !path; k++)
			if (!strcmp(path_basename(units->v[k]), want))
				path = units->v[k];
		if (!path || cl_load_unit(c, path, NULL, &d) < 0 || !d.type ||
		    strcmp(d.type, "oneshot")) {
			sd_unit_free(&d);
			continue;
		}
		for (size_t k = 0; k < d.exec_start_pre.n; k++)
			strv_push(&lines, d.exec_start_pre.v[k]);
		for (size_t k = 0; k < d.exec_start.n; k++)
			strv_push_own(&lines,
				      xasprintf("%s%s", d.user ? "" : "+", d.exec_start.v[k]));
		from = out->n;
		r = cl_unit_hooks(c, &lines, env, path, "ExecStart", out);
		mark_netpre(&d, out, from);
		strv_free(&lines);
		sd_unit_free(&d);
	}
	return r;
}

/* The hooks of a oneshot unit: its ExecStartPre= and ExecStart= lines, as
 * root unless its own User= says otherwise. */
static int oneshot_lines(struct cl *c, const char *path, struct strv *out)
{
	struct sd_unit d = {0};
	struct strv lines = {0}, env = {0};
	int r = cl_load_unit(c, path, NULL, &d);

	if (r == 0)
		r = cl_unit_env(c, &d, path, &env);
	for (size_t k = 0; r == 0 && k < d.exec_start_pre.n; k++)
		strv_push(&lines, d.exec_start_pre.v[k]);
	for (size_t k = 0; r == 0 && k < d.exec_start.n; k++)
		strv_push_own(&lines, xasprintf("%s%s", d.user ? "" : "+", d.exec_start.v[k]));
	if (r == 0) {
		size_t from = out->n;

		r = cl_unit_hooks(c, &lines, &env, path, "ExecStart", out);
		mark_netpre(&d, out, from);
	}
	strv_free(&lines);
	strv_free(&env);
	sd_unit_free(&d);
	return r;
}

int cl_add_extra(struct cl *c, const char *pkg, struct app_spec *spec)
{
	struct dpkg_pkg *p = valid_pkg_name(pkg) ? dpkg_find(&c->db, pkg) : NULL;
	struct strv keep_own = c->own, keep_files = c->own_files, units = {0}, hooks = {0};
	int r;

	if (!p)
		return tx_fail(c->ctx, -ENOENT, "closure",
			       "package of --add is not installed in '%s' '%s'", c->root, pkg);
	c->own = (struct strv){0};
	c->own_files = (struct strv){0};
	r = dpkg_same_source_closure(&c->db, p->name, &c->own);
	if (r == 0)
		r = cl_add_packages(c);
	if (r == 0)
		sd_find_units(c->ctx, c->root, &c->own_files, &units);
	for (size_t i = 0; r == 0 && i < units.n; i++) {
		if (strstr(path_basename(units.v[i]), "@.service"))
			continue;
		if (cl_is_oneshot(c, units.v[i]))
			r = oneshot_lines(c, units.v[i], &hooks);
		else
			tx_info_once(
			    c->ctx,
			    "closure: '%s' of --add %s is a service: its files are in the image, "
			    "it is not started (the image runs %s)",
			    path_basename(units.v[i]), pkg, c->app);
	}
	if (r == 0 && spec) { /* after the other --add packages' hooks, before the app's */
		struct strv pre = {0};

		for (size_t i = 0; i < c->extra_pre && i < spec->pre.n; i++)
			strv_push(&pre, spec->pre.v[i]);
		for (size_t i = 0; i < hooks.n; i++)
			strv_push(&pre, hooks.v[i]);
		for (size_t i = c->extra_pre; i < spec->pre.n; i++)
			strv_push(&pre, spec->pre.v[i]);
		strv_free(&spec->pre);
		spec->pre = pre;
		c->extra_pre += hooks.n;
	}
	fmt_free_lists(&c->own, &c->own_files, &units, &hooks, NULL);
	c->own = keep_own;
	c->own_files = keep_files;
	return r;
}
