/* Which unit starts the app, and its text as systemd reads it: enabled
 * units and template instances, specifiers, the environment files. */
#include "closure/cl.h"
#include "formats/sdunit.h"

#include <ctype.h>
#include <dirent.h>
#include <unistd.h>

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
int cl_is_oneshot(const struct cl *c, const char *path)
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
const char *cl_pick_unit(const struct cl *c, const struct strv *units, char **inst)
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
		if (!strstr(path_basename(units->v[i]), "@.service") &&
		    !cl_is_oneshot(c, units->v[i]))
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
int cl_load_unit(struct cl *c, const char *unit_path, const char *inst, struct sd_unit *u)
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
int cl_unit_env(struct cl *c, const struct sd_unit *u, const char *unit_path, struct strv *env)
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

int cl_which(const struct cl *c, struct strv *argv)
{
	static const char *const path[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
					   "/usr/bin",	      "/sbin",		"/bin"};
	struct stat st;

	if (!argv->n || strchr(argv->v[0], '/'))
		return 0;
	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		char *p = xasprintf("%s/%s", path[i], argv->v[0]);

		if (cl_stat(c, p, &st) == 0 && S_ISREG(st.st_mode)) {
			free(argv->v[0]);
			argv->v[0] = p;
			return 0;
		}
		free(p);
	}
	return -ENOENT;
}
