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

/* A package with no unit but a SysV init script: /etc/init.d/APP, else the
 * first of its packages' scripts there (the list is in dpkg's order), run
 * as systemd's sysv-generator runs it: "SCRIPT start", Type=forking, the
 * main process guessed. The script reads its own settings (/etc/default,
 * its config) and builds the daemon's arguments; what it sources and runs
 * comes in by the trace boot. NULL: none. */
static char *sysv_script(struct cl *c)
{
	char *mine = xasprintf("/etc/init.d/%s", c->app), *first = NULL;
	struct stat st;

	for (size_t i = 0; i < c->own_files.n; i++) {
		const char *f = c->own_files.v[i];

		if (strncmp(f, "/etc/init.d/", 12) || strchr(f + 12, '/') || !f[12] ||
		    cl_stat(c, f, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
			continue;
		if (!strcmp(f, mine)) {
			free(first);
			return mine;
		}
		if (!first)
			first = xstrdup(f);
	}
	free(mine);
	return first;
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
	} else if ((c->sysv = sysv_script(c))) {
		strv_push(argv, c->sysv);
		strv_push(argv, "start");
	} else {
		char *main_bin = guess_main(c);

		if (main_bin)
			strv_push_own(argv, main_bin);
	}
	cl_which(c, argv); /* "ExecStart=nginx ...": found as systemd would */
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
	if (c->sysv)
		spec->forking = 1;
	if (u->user) /* as root they are there already */
		spec->caps = u->ambient_caps;
	if (!c->hint_exec.n && u->type && !strncmp(u->type, "notify", 6))
		spec->notify = 1; /* notify and notify-reload */
	/* a setup step as the app (nftables.service: nft -f): done at exit 0 */
	spec->oneshot = !c->hint_exec.n && u->type && !strcmp(u->type, "oneshot");
	/* ordered before the network (a firewall's ruleset): done before any
	 * interface is up, as systemd does it */
	spec->netpre = spec->oneshot && strv_contains(&u->before, "network-pre.target");
	if (u->working_dir && u->working_dir[0] == '/')
		spec->workdir = xstrdup(u->working_dir);
	spec->restart = !spec->oneshot;
	unit_limits(u, spec);
	tmpfiles_dirs(c, &c->own_files, spec);
}

/* DynamicUser=: the account systemd would make at start, made at build
 * time: User= (else the unit's name), with a uid and gid of its own in
 * systemd's dynamic range 61184-65519 picked from the name (the first free
 * from there), no home, no shell. A user of that name in the root is used
 * as it is, as systemd does. */
static void dynamic_user(struct cl *c, struct sd_unit *u, const char *unit_path)
{
	const char *base = unit_path ? path_basename(unit_path) : c->app;
	char *name = u->user ? xstrdup(u->user) : xstrndup(base, strcspn(base, "."));
	unsigned long h = 5381;
	unsigned id;

	if (!pw_by_name(&c->pw, name)) {
		for (const char *p = name; *p; p++)
			h = h * 33 + (unsigned char)*p;
		id = 61184 + (unsigned)(h % 4336);
		for (unsigned n = 0; n < 4336 && (pw_by_uid(&c->pw, id) || gr_by_gid(&c->pw, id));
		     n++)
			id = id == 65519 ? 61184 : id + 1;
		char *pw = xasprintf("%s:x:%u:%u::/nonexistent:/usr/sbin/nologin\n", name, id, id);
		char *gr = xasprintf("%s:x:%u:\n", name, id);

		if (passwd_parse(c->ctx, pw, strlen(pw), &c->pw) == 0 &&
		    (gr_by_name(&c->pw, name) || group_parse(c->ctx, gr, strlen(gr), &c->pw) == 0))
			tx_info_once(c->ctx, "closure: DynamicUser: '%s' is uid %u in the image",
				     name, id);
		free(pw);
		free(gr);
	}
	if (!u->user)
		u->user = xstrdup(name);
	free(name);
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
	unit_path = cl_pick_unit(c, &units, &inst);
	r = cl_load_unit(c, unit_path, inst, &u);
	if (r == 0 && u.dynamic_user)
		dynamic_user(c, &u, unit_path);
	if (r == 0)
		r = lookup_ids(c, u.user, u.group, &uid, &gid);
	if (r == 0) {
		if (u.user)
			strv_push_own(&c->users, xasprintf("u:%s\tunit=%s", u.user, unit_path));
		if (u.group)
			strv_push_own(&c->users, xasprintf("g:%s\tunit=%s", u.group, unit_path));
		r = cl_unit_env(c, &u, unit_path, &env);
	}
	if (r == 0)
		r = unit_command(c, &u, &env, &argv);
	if (r == 0)
		r = add_command(c, argv.v[0], unit_path);
	/* a user the command names (named -u bind, varnishd -j
	 * unix,user=vcache): the image needs it */
	for (size_t i = 1; r == 0 && i < argv.n; i++)
		for (const char *w = argv.v[i]; *w;) {
			size_t n = strcspn(w, "=,:");
			char *name = xstrndup(w, n);

			if (n && strcmp(name, "root") && pw_by_name(&c->pw, name))
				strv_push_own(&c->users,
					      xasprintf("u:%s	command=%s", name, argv.v[0]));
			free(name);
			w += n;
			w += *w != 0;
		}
	if (r == 0 && spec)
		fill_spec(c, spec, &u, &argv, &env, uid, gid);
	/* the unit's hooks, unless a hint says how to start it */
	if (r == 0 && spec && !c->hint_exec.n)
		r = cl_oneshot_hooks(c, &u, &units, &env, &spec->pre);
	if (r == 0 && spec && !c->hint_exec.n)
		r = cl_unit_hooks(c, &u.exec_start_pre, &env, unit_path, "ExecStartPre",
				  &spec->pre);
	if (r == 0 && spec && !c->hint_exec.n)
		r = cl_unit_hooks(c, &u.exec_start_post, &env, unit_path, "ExecStartPost",
				  &spec->post);
	strv_free(&argv);
	strv_free(&env);
	sd_unit_free(&u);
	strv_free(&units);
	free(inst);
	return r;
}
