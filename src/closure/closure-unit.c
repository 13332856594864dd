/* The closure's unit: how the app starts (its systemd unit or the hints),
 * as whom, with which dirs; the command checked to be runnable here. */
#include "closure/cl.h"
#include "formats/appconf.h"
#include "formats/elfread.h"
#include "formats/sdunit.h"

#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <unistd.h>

static int lookup_ids(struct cl *c, const char *user, const char *group, unsigned *uid,
		      unsigned *gid)
{
	const struct pw_ent *u = user ? pw_by_name(&c->pw, user) : NULL;
	const struct gr_ent *g = group ? gr_by_name(&c->pw, group) : NULL;

	if ((user && !u) || (group && !g))
		return tx_fail(c->ctx, -ENOENT, "closure", "unknown %s '%s' in the unit of '%s'",
			       user && !u ? "user" : "group", user && !u ? user : group, c->app);
	*uid = u ? u->uid : 0;
	*gid = g ? g->gid : u ? u->gid : 0;
	return 0;
}

/* The main binary of a package without a unit: /usr/sbin/APP, /usr/bin/APP,
 * else the first executable in a bin dir. */
static char *guess_main(struct cl *c)
{
	static const char *const dirs[] = {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"};

	for (size_t d = 0; d < 4; d++) {
		char *p = xasprintf("%s%s", dirs[d], c->app);

		if (manifest_find(c->m, ME_FILE, p) || manifest_find(c->m, ME_SLINK, p))
			return p;
		free(p);
	}
	for (size_t i = 0; i < c->elves.n; i++) {
		const char *e = c->elves.v[i];

		for (size_t d = 0; d < 4; d++)
			if (!strncmp(e, dirs[d], strlen(dirs[d])) ||
			    (!strncmp(e, "/usr", 4) && !strncmp(e + 4, dirs[d], strlen(dirs[d]))))
				return xstrdup(e);
	}
	return NULL;
}

/* The dirs the packages' tmpfiles.d files create ("d" and "D" lines). */
static void tmpfiles_dirs(struct cl *c, const struct strv *files, struct app_spec *spec)
{
	for (size_t i = 0; i < files->n; i++) {
		const char *f = files->v[i];
		struct tmpfiles t = {0};
		char *host, *text = NULL;
		size_t len;

		if (!cl_has_prefix_dir(f, "/usr/lib/tmpfiles.d") || !strstr(f, ".conf"))
			continue;
		host = root_join(c->root, f);
		if (read_file(host, &text, &len, 1 << 20) == 0 &&
		    tmpfiles_parse(c->ctx, f, text, len, &t) == 0) {
			for (size_t k = 0; k < t.n; k++) {
				const struct tmpfile_ent *d = &t.e[k];
				unsigned uid = 0, gid = 0;

				if ((d->type != 'd' && d->type != 'D') ||
				    lookup_ids(c, d->user, d->group, &uid, &gid) < 0)
					continue;
				if (d->user)
					strv_push_own(&c->users,
						      xasprintf("u:%s\ttmpfiles=%s", d->user, f));
				appspec_add_dir(spec, d->path, d->has_mode ? d->mode : 0755, uid,
						gid);
			}
		}
		tmpfiles_free(&t);
		free(text);
		free(host);
	}
}

/* The command must be something this image can run: an x86_64 ELF file or
 * a script ("#!"). A zero-length file, a 32-bit or foreign ELF would only
 * fail at boot, far from the cause. */
static int check_command(struct cl *c, const char *path)
{
	char *real = NULL, *host, head[3];
	struct elf_info info;
	int r;

	if (root_realpath(c->root, path, &real, NULL) < 0)
		return 0; /* add_path has already said what is missing */
	cl_head(c, real, head, sizeof(head));
	host = root_join(c->root, real);
	free(real);
	if (!strncmp(head, "#!", 2)) {
		free(host);
		return 0;
	}
	r = elf_read(c->ctx, host, &info);
	free(host);
	if (r == 1)
		return tx_fail(c->ctx, -ENOEXEC, "closure",
			       "the command is not an ELF file or a script '%s'", path);
	if (r < 0)
		return r;
	if (info.elfclass != ELFCLASS64 || info.machine != EM_X86_64)
		r = tx_fail(c->ctx, -ENOEXEC, "closure",
			    "the command is a %s ELF file, not x86_64 '%s'",
			    info.elfclass == ELFCLASS32 ? "32-bit" : "foreign", path);
	elf_info_free(&info);
	return r;
}

/* Is the unit (a path) enabled in the root: a link to it in one of
 * /etc/systemd/system/\*.wants/, or an alias /etc/systemd/system/ALIAS
 * pointing to it when alias is given? A template ("name@.service") is
 * enabled by a link "name@INSTANCE.service": the instance goes to *inst. */
static int unit_enabled(const struct cl *c, const char *unit, const char *alias, char **inst)
{
	char *sys = root_join(c->root, "/etc/systemd/system"), *p;
	const char *bn = path_basename(unit), *at = strchr(bn, '@');
	size_t pre = at ? (size_t)(at - bn) + 1 : 0;
	int templ = at && !strcmp(at, "@.service");
	DIR *d = opendir(sys);
	struct dirent *de;
	struct stat st;
	int yes = 0;

	if (alias) {
		char lnk[256];
		ssize_t n;

		p = xasprintf("%s/%s", sys, alias);
		n = readlink(p, lnk, sizeof(lnk) - 1);
		free(p);
		if (n > 0) {
			lnk[n] = 0;
			yes = !strcmp(path_basename(lnk), bn);
		}
	}
	while (!alias && d && !yes && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		DIR *w;
		struct dirent *we;

		if (n < 7 || strcmp(de->d_name + n - 6, ".wants"))
			continue;
		p = xasprintf("%s/%s", sys, de->d_name);
		if (!templ) {
			char *l = xasprintf("%s/%s", p, bn);

			yes = lstat(l, &st) == 0;
			free(l);
		}
		for (w = templ ? opendir(p) : NULL; w && !yes && (we = readdir(w));) {
			size_t wn = strlen(we->d_name);

			/* "name@INSTANCE.service", INSTANCE not empty */
			if (wn > pre + 8 && !strncmp(we->d_name, bn, pre) &&
			    !strcmp(we->d_name + wn - 8, ".service")) {
				yes = 1;
				*inst = xstrndup(we->d_name + pre, wn - pre - 8);
			}
		}
		if (w)
			closedir(w);
		free(p);
	}
	if (d)
		closedir(d);
	free(sys);
	return yes;
}

/* Is the unit at path (in the root) a Type=oneshot one? */
static int is_oneshot(const struct cl *c, const char *path)
{
	char *host = root_join(c->root, path), *text = NULL;
	struct sd_unit u = {0};
	size_t len;
	int yes = read_file(host, &text, &len, 1 << 20) == 0 &&
		  sd_unit_parse(c->ctx, path, text, len, &u) == 0 && u.type &&
		  !strcmp(u.type, "oneshot");

	sd_unit_free(&u);
	free(text);
	free(host);
	return yes;
}

/* The app's unit among its packages' units: APP.service, the one the
 * alias APP.service names, else the first one enabled in the staged root
 * (bind9: named.service, not the disabled named-resolvconf.service; a
 * template by an enabled instance, into *inst), else the first that is not
 * a template; NULL: none. */
static const char *pick_unit(const struct cl *c, const struct strv *units, char **inst)
{
	char *alias = xasprintf("%s.service", c->app);
	const char *found = NULL;

	for (int pass = 0; pass < 3 && !found; pass++)
		for (size_t i = 0; i < units->n && !found; i++)
			if (pass ? unit_enabled(c, units->v[i], pass == 1 ? alias : NULL, inst)
				 : !strcmp(path_basename(units->v[i]), alias))
				found = units->v[i];
	free(alias);
	/* else the first that is not a template (one needs an instance) nor
	 * a oneshot (a setup step, not a service) */
	for (size_t i = 0; i < units->n && !found; i++)
		if (!strstr(path_basename(units->v[i]), "@.service") && !is_oneshot(c, units->v[i]))
			found = units->v[i];
	return found;
}

/* systemd's unescaping of an instance (%I): "\xNN" is the byte, "-" a "/". */
static char *unescape_instance(const char *s)
{
	struct sbuf b = {0};

	for (; *s; s++) {
		unsigned v = 0;

		if (s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
		    isxdigit((unsigned char)s[3]))
			v = (unsigned)strtoul((char[]){s[2], s[3], 0}, NULL, 16);
		if (v >= 0x20 && v < 0x7f) {
			sbuf_printf(&b, "%c", (char)v);
			s += 3;
		} else {
			sbuf_printf(&b, "%c", *s == '-' ? '/' : *s);
		}
	}
	return b.s ? b.s : xstrdup("");
}

/* The unit's text with its specifiers (systemd.unit(5)) replaced: the
 * instance's %i %I, the names %n %N %p, the dirs %t %S %C %L %E, %%. */
static char *specifiers(const char *text, const char *unit, const char *inst)
{
	const char *bn = path_basename(unit), *at = strchr(bn, '@');
	char *prefix = xstrndup(bn, at ? (size_t)(at - bn) : strcspn(bn, "."));
	char *name = inst ? xasprintf("%s@%s.service", prefix, inst) : xstrdup(bn);
	char *stem = xstrndup(name, strlen(name) - (strlen(name) > 8 ? 8 : 0));
	char *un = unescape_instance(inst ? inst : "");
	struct sbuf b = {0};

	for (const char *p = text, *line = text; *p; p++) {
		const char *v = NULL;

		if (p > text && p[-1] == '\n')
			line = p + strspn(p, " \t");

		if (*p == '%' && p[1]) {
			switch (p[1]) {
			case 'i':
				v = inst ? inst : "";
				break;
			case 'I':
				v = un;
				break;
			case 'n':
				v = name;
				break;
			case 'N':
				v = stem;
				break;
			case 'p':
				v = prefix;
				break;
			case 't':
				v = "/run";
				break;
			case 'S':
				v = "/var/lib";
				break;
			case 'C':
				v = "/var/cache";
				break;
			case 'L':
				v = "/var/log";
				break;
			case 'E':
				v = "/etc";
				break;
			case '%':
				v = "%";
				break;
			}
		}
		if (v && !strncmp(line, "Exec", 4)) {
			/* a command line is C-unescaped later: the value stays
			 * as it is, as systemd expands specifiers after that */
			for (; *v; v++)
				sbuf_puts(&b, *v == '\\' ? "\\\\" : (char[]){*v, 0});
			p++;
		} else if (v) {
			sbuf_puts(&b, v);
			p++;
		} else {
			sbuf_printf(&b, "%c", *p);
		}
	}
	fmt_free_strs(&prefix, &name, &stem, &un, NULL);
	return b.s ? b.s : xstrdup("");
}

/* Parse the unit at unit_path (NULL: none, u stays empty), as its
 * instance inst when it is a template. */
static int load_unit(struct cl *c, const char *unit_path, const char *inst, struct sd_unit *u)
{
	char *host, *text = NULL, *spec = NULL;
	size_t len;
	int r;

	if (!unit_path)
		return 0;
	if (strstr(path_basename(unit_path), "@.service") && !inst)
		return tx_fail(c->ctx, -EINVAL, "closure",
			       "unit '%s' is a template and no instance of it is enabled in the "
			       "root (enable one in an overlay: "
			       "etc/systemd/system/multi-user.target.wants/NAME@INSTANCE.service)",
			       unit_path);
	host = root_join(c->root, unit_path);
	r = read_file(host, &text, &len, 1 << 20);
	if (r < 0)
		r = tx_fail(c->ctx, r, "closure", "cannot read unit '%s': %s", host, strerror(-r));
	else {
		spec = specifiers(text, unit_path, inst);
		r = sd_unit_parse(c->ctx, unit_path, spec, strlen(spec), u);
	}
	free(spec);
	free(text);
	free(host);
	if (r == 0 && !u->exec_start.n && !c->hint_exec.n)
		r = tx_fail(c->ctx, -EINVAL, "closure", "unit has no ExecStart '%s'", unit_path);
	return r;
}

/* The unit's environment: Environment=, then each EnvironmentFile= read
 * from the root (a later setting wins, as in systemd). */
static int unit_env(struct cl *c, const struct sd_unit *u, const char *unit_path, struct strv *env)
{
	for (size_t i = 0; i < u->environment.n; i++)
		strv_push(env, u->environment.v[i]);
	for (size_t i = 0; i < u->environment_files.n; i++) {
		const char *f = u->environment_files.v[i];
		int optional = *f == '-';
		char *real = NULL, *host, *text = NULL;
		size_t len;
		int r;

		f += optional;
		r = *f == '/' ? root_realpath(c->root, f, &real, NULL) : -EINVAL;
		host = real ? root_join(c->root, real) : NULL;
		if (r == 0)
			r = read_file(host, &text, &len, 1 << 20);
		if (r == 0)
			sd_env_file_parse(text, len, env);
		free(text);
		free(host);
		free(real);
		if (r < 0 && !optional)
			return tx_fail(c->ctx, r, "closure",
				       "cannot read the EnvironmentFile of unit '%s': %s '%s'",
				       unit_path, strerror(-r), f);
	}
	return 0;
}

/* The command: the hint's, the unit's ExecStart (its $NAME and ${NAME}
 * from env), else the main binary. */
static int unit_command(struct cl *c, const struct sd_unit *u, const struct strv *env,
			struct strv *argv)
{
	if (c->hint_exec.n) {
		for (size_t i = 0; i < c->hint_exec.n; i++)
			strv_push(argv, c->hint_exec.v[i]);
	} else if (u->exec_start.n) {
		struct strv raw = {0};
		int r = sd_split_cmdline(c->ctx, u->exec_start.v[0], &raw);

		if (r == 0)
			sd_expand_argv(&raw, env, argv);
		strv_free(&raw);
		if (r < 0)
			return r;
	} else {
		char *main_bin = guess_main(c);

		if (main_bin)
			strv_push_own(argv, main_bin);
	}
	if (!argv->n || argv->v[0][0] != '/')
		return tx_fail(c->ctx, -EINVAL, "closure", "cannot tell how to start '%s'%s",
			       c->app,
			       argv->n ? " (ExecStart is not an absolute path)"
				       : " (no unit, no executable; maybe add an 'exec' hint)");
	return 0;
}

/* The command itself must be in the image, and runnable here. */
static int add_command(struct cl *c, const char *cmd, const char *unit_path)
{
	char *reason = unit_path ? xasprintf("unit=%s", unit_path) : xstrdup("main-binary");
	int r = cl_add_path(c, cmd, reason);

	free(reason);
	if (r < 0)
		return tx_fail(c->ctx, r, "closure", "cannot find the command '%s' in the root",
			       cmd);
	return check_command(c, cmd);
}

/* The unit's ExecStartPre= or ExecStartPost= lines as app spec hooks
 * ("FLAGS\tARG0\tARG...", formats/appspec.h), their commands in the
 * image. A "-" command that is not in the root is left out: systemd would
 * run it, fail and go on. */
static int unit_hooks(struct cl *c, const struct strv *lines, const struct strv *env,
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

/* LimitNOFILE= "N", "SOFT:HARD" or "infinity", capped at the kernel's
 * default fs.nr_open; 0 when unset or unreadable (systemd ignores those). */
static unsigned long nofile_value(const char *v, size_t n)
{
	char *end;
	unsigned long x;

	if (n == 8 && !strncmp(v, "infinity", 8))
		return APPCONF_NOFILE_MAX;
	if (!n || *v < '0' || *v > '9')
		return 0;
	x = strtoul(v, &end, 10);
	if ((size_t)(end - v) != n || !x)
		return 0;
	return x > APPCONF_NOFILE_MAX ? APPCONF_NOFILE_MAX : x;
}

/* UMask= and LimitNOFILE= into the spec. */
static void unit_limits(const struct sd_unit *u, struct app_spec *spec)
{
	if (u->umask && *u->umask && strspn(u->umask, "01234567") == strlen(u->umask) &&
	    strtoul(u->umask, NULL, 8) <= 0777) {
		spec->has_umask = 1;
		spec->umask = (unsigned)strtoul(u->umask, NULL, 8);
	}
	if (u->limit_nofile) {
		const char *v = u->limit_nofile, *colon = strchr(v, ':');
		unsigned long soft = nofile_value(v, colon ? (size_t)(colon - v) : strlen(v));
		unsigned long hard = colon ? nofile_value(colon + 1, strlen(colon + 1)) : soft;

		if (soft && hard && soft <= hard) {
			spec->nofile_soft = (unsigned)soft;
			spec->nofile_hard = (unsigned)hard;
		}
	}
}

/* The Type=oneshot units of the app's packages that its unit Requires= or
 * Wants= (a setup step: keys, dirs, a ruleset): their ExecStartPre= and
 * ExecStart= lines go first among the hooks, as root unless their own
 * User= says otherwise, in the order named. */
static int oneshot_hooks(struct cl *c, const struct sd_unit *u, const struct strv *units,
			 const struct strv *env, struct strv *out)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < u->requires.n; i++) {
		const char *want = u->requires.v[i], *path = NULL;
		struct sd_unit d = {0};
		struct strv lines = {0};

		for (size_t k = 0; k < units->n && !path; k++)
			if (!strcmp(path_basename(units->v[k]), want))
				path = units->v[k];
		if (!path || load_unit(c, path, NULL, &d) < 0 || !d.type ||
		    strcmp(d.type, "oneshot")) {
			sd_unit_free(&d);
			continue;
		}
		for (size_t k = 0; k < d.exec_start_pre.n; k++)
			strv_push(&lines, d.exec_start_pre.v[k]);
		for (size_t k = 0; k < d.exec_start.n; k++)
			strv_push_own(&lines,
				      xasprintf("%s%s", d.user ? "" : "+", d.exec_start.v[k]));
		r = unit_hooks(c, &lines, env, path, "ExecStart", out);
		strv_free(&lines);
		sd_unit_free(&d);
	}
	return r;
}

/* What the guest init needs to start it as the unit says. */
static void fill_spec(struct cl *c, struct app_spec *spec, const struct sd_unit *u,
		      const struct strv *argv, const struct strv *env, unsigned uid, unsigned gid)
{
	/* RuntimeDirectory=, StateDirectory=, LogsDirectory=, CacheDirectory= */
	static const char *const bases[] = {"/run", "/var/lib", "/var/log", "/var/cache"};
	const struct strv *dirs[] = {&u->runtime_dirs, &u->state_dirs, &u->logs_dirs,
				     &u->cache_dirs};

	for (size_t i = 0; i < argv->n; i++)
		strv_push(&spec->argv, argv->v[i]);
	for (size_t i = 0; i < env->n; i++)
		strv_push(&spec->env, env->v[i]);
	if (u->user || u->group) {
		spec->has_user = 1;
		spec->uid = uid;
		spec->gid = gid;
	}
	for (size_t i = 0; i < 4; i++) {
		for (size_t k = 0; k < dirs[i]->n; k++) {
			char *p = xasprintf("%s/%s", bases[i], dirs[i]->v[k]);
			char *n = path_normalize(p);

			appspec_add_dir(spec, n, 0755, uid, gid);
			free(n);
			free(p);
		}
	}
	if (!c->hint_exec.n && u->type && !strcmp(u->type, "forking")) {
		spec->forking = 1;
		if (u->pidfile)
			spec->pidfile = xstrdup(u->pidfile);
	}
	if (!c->hint_exec.n && u->type && !strncmp(u->type, "notify", 6))
		spec->notify = 1; /* notify and notify-reload */
	if (u->working_dir && u->working_dir[0] == '/')
		spec->workdir = xstrdup(u->working_dir);
	spec->restart = 1;
	unit_limits(u, spec);
	tmpfiles_dirs(c, &c->own_files, spec);
}

int cl_read_unit(struct cl *c, struct app_spec *spec)
{
	struct strv units = {0}, argv = {0}, env = {0};
	struct sd_unit u = {0};
	const char *unit_path;
	char *inst = NULL;
	unsigned uid = 0, gid = 0;
	int r;

	sd_find_units(c->ctx, c->root, &c->own_files, &units);
	unit_path = pick_unit(c, &units, &inst);
	r = load_unit(c, unit_path, inst, &u);
	if (r == 0)
		r = lookup_ids(c, u.user, u.group, &uid, &gid);
	if (r == 0) {
		if (u.user)
			strv_push_own(&c->users, xasprintf("u:%s\tunit=%s", u.user, unit_path));
		if (u.group)
			strv_push_own(&c->users, xasprintf("g:%s\tunit=%s", u.group, unit_path));
		r = unit_env(c, &u, unit_path, &env);
	}
	if (r == 0)
		r = unit_command(c, &u, &env, &argv);
	if (r == 0)
		r = add_command(c, argv.v[0], unit_path);
	/* a user the command names (named -u bind): the image needs it */
	for (size_t i = 1; r == 0 && i < argv.n; i++)
		if (strcmp(argv.v[i], "root") && pw_by_name(&c->pw, argv.v[i]))
			strv_push_own(&c->users,
				      xasprintf("u:%s	command=%s", argv.v[i], argv.v[0]));
	if (r == 0 && spec)
		fill_spec(c, spec, &u, &argv, &env, uid, gid);
	/* the unit's hooks, unless a hint says how to start it */
	if (r == 0 && spec && !c->hint_exec.n)
		r = oneshot_hooks(c, &u, &units, &env, &spec->pre);
	if (r == 0 && spec && !c->hint_exec.n)
		r = unit_hooks(c, &u.exec_start_pre, &env, unit_path, "ExecStartPre", &spec->pre);
	if (r == 0 && spec && !c->hint_exec.n)
		r = unit_hooks(c, &u.exec_start_post, &env, unit_path, "ExecStartPost",
			       &spec->post);
	strv_free(&argv);
	strv_free(&env);
	sd_unit_free(&u);
	strv_free(&units);
	free(inst);
	return r;
}

/* The hooks of a oneshot unit: its ExecStartPre= and ExecStart= lines, as
 * root unless its own User= says otherwise. */
static int oneshot_lines(struct cl *c, const char *path, struct strv *out)
{
	struct sd_unit d = {0};
	struct strv lines = {0}, env = {0};
	int r = load_unit(c, path, NULL, &d);

	if (r == 0)
		r = unit_env(c, &d, path, &env);
	for (size_t k = 0; r == 0 && k < d.exec_start_pre.n; k++)
		strv_push(&lines, d.exec_start_pre.v[k]);
	for (size_t k = 0; r == 0 && k < d.exec_start.n; k++)
		strv_push_own(&lines, xasprintf("%s%s", d.user ? "" : "+", d.exec_start.v[k]));
	if (r == 0)
		r = unit_hooks(c, &lines, &env, path, "ExecStart", out);
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
		if (is_oneshot(c, units.v[i]))
			r = oneshot_lines(c, units.v[i], &hooks);
		else
			tx_info(
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
