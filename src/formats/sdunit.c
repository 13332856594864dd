/* systemd service units and tmpfiles.d.
 *
 * Units come from the staged root, so they are untrusted: logical lines are
 * bounded, and nothing recurses. Only what the closure needs is read: the
 * commands a service runs, its user, and the directories systemd would make
 * for it. */
#include "formats/sdunit.h"
#include "formats/text.h"

#include <sys/stat.h>

#define SD_LINE_MAX (256u << 10)

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One backslash escape at *p (just after the backslash) into b. */
static int unescape_one(const char **p, struct sbuf *b)
{
	static const char from[] = "abfnrstv", to[] = "\a\b\f\n\r \t\v";
	const char *s = *p, *m;
	char c = *s++;
	int v;

	if (!c)
		return -EINVAL;
	if ((m = strchr(from, c))) {
		c = to[m - from];
	} else if (c == 'x') {
		if (hexval(s[0]) < 0 || hexval(s[1]) < 0)
			return -EINVAL;
		v = hexval(s[0]) * 16 + hexval(s[1]);
		s += 2;
		if (!v)
			return -EINVAL;
		c = (char)v;
	} else if (c >= '0' && c <= '7') {
		if (s[0] < '0' || s[0] > '7' || s[1] < '0' || s[1] > '7')
			return -EINVAL;
		v = (c - '0') * 64 + (s[0] - '0') * 8 + (s[1] - '0');
		s += 2;
		if (!v || v > 255)
			return -EINVAL;
		c = (char)v;
	}
	/* anything else stands for itself: \\ \" \' \  \$ ... */
	sbuf_add(b, &c, 1);
	*p = s;
	return 0;
}

/* The next word of *p, quotes removed and escapes resolved (systemd's
 * extract_first_word with UNQUOTE|CUNESCAPE). 1: a word in b; 0: no more;
 * -EINVAL: an unterminated quote or a bad escape. */
static int next_word(const char **p, struct sbuf *b)
{
	const char *s = *p;
	char quote = 0;

	b->len = 0;
	while (fmt_is_ws(*s))
		s++;
	if (!*s) {
		*p = s;
		return 0;
	}
	sbuf_add(b, "", 0);
	for (; *s; s++) {
		if (*s == '\\') {
			s++;
			if (unescape_one(&s, b) < 0)
				return -EINVAL;
			s--;
		} else if (quote) {
			if (*s == quote)
				quote = 0;
			else
				sbuf_add(b, s, 1);
		} else if (*s == '"' || *s == '\'') {
			quote = *s;
		} else if (fmt_is_ws(*s)) {
			break;
		} else {
			sbuf_add(b, s, 1);
		}
	}
	if (quote)
		return -EINVAL;
	*p = s;
	return 1;
}

int sd_split_cmdline(struct tx_ctx *ctx, const char *line, struct strv *argv)
{
	struct sbuf b = {0};
	const char *p = line;
	int r;

	while ((r = next_word(&p, &b)) > 0)
		strv_push(argv, b.s);
	sbuf_free(&b);
	if (r < 0)
		return tx_fail(ctx, r, NULL, "bad quoting or escape in command line '%s'", line);
	return 0;
}

static void set_scalar(char **dst, const char *v)
{
	free(*dst);
	*dst = *v ? xstrdup(v) : NULL;
}

/* A directory name systemd would accept: relative, no "." or ".." parts. */
static int valid_dir_name(const char *s)
{
	if (!*s || *s == '/')
		return 0;
	while (*s) {
		size_t n = strcspn(s, "/");

		if (!n || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n;
		if (*s == '/')
			s++;
	}
	return 1;
}

/* What a list-valued key holds. */
enum words { W_DIRS, W_ENV, W_EXEC, W_HOOK, W_NAMES };

/* Add the words of v to l (directory names or assignments), or v itself
 * as a command line (W_EXEC: without its prefix chars; W_HOOK: with them);
 * an empty v resets l. */
static int add_words(struct tx_ctx *ctx, const char *v, struct strv *l, enum words kind)
{
	struct strv w = {0};
	int r;

	if (!*v) {
		strv_free(l);
		return 0;
	}
	if (kind == W_EXEC || kind == W_HOOK) {
		const char *cmd = v + strspn(v, SD_EXEC_PREFIXES);

		while (fmt_is_ws(*cmd))
			cmd++;
		/* the quoting is checked now for commands too, so that a bad
		 * line fails here with its line number rather than later */
		r = sd_split_cmdline(ctx, cmd, &w);
		if (r == 0 && w.n)
			strv_push(l, kind == W_EXEC ? cmd : v);
		strv_free(&w);
		return r;
	}
	r = sd_split_cmdline(ctx, v, &w);
	for (size_t i = 0; r == 0 && i < w.n; i++) {
		char *s = w.v[i];

		if (kind == W_DIRS) {
			/* "name:symlink" (systemd 250): the directory is the name */
			char *c = strchr(s, ':');

			if (c)
				*c = 0;
			while (strlen(s) > 1 && s[strlen(s) - 1] == '/')
				s[strlen(s) - 1] = 0;
			if (!valid_dir_name(s))
				continue;
		}
		if (kind == W_ENV && (!strchr(s, '=') || s[0] == '='))
			continue;
		strv_push(l, s);
	}
	strv_free(&w);
	return r;
}

/* Linux's capability names, by number (linux/capability.h, 6.1) */
static const char *const cap_names[] = {"CHOWN",
					"DAC_OVERRIDE",
					"DAC_READ_SEARCH",
					"FOWNER",
					"FSETID",
					"KILL",
					"SETGID",
					"SETUID",
					"SETPCAP",
					"LINUX_IMMUTABLE",
					"NET_BIND_SERVICE",
					"NET_BROADCAST",
					"NET_ADMIN",
					"NET_RAW",
					"IPC_LOCK",
					"IPC_OWNER",
					"SYS_MODULE",
					"SYS_RAWIO",
					"SYS_CHROOT",
					"SYS_PTRACE",
					"SYS_PACCT",
					"SYS_ADMIN",
					"SYS_BOOT",
					"SYS_NICE",
					"SYS_RESOURCE",
					"SYS_TIME",
					"SYS_TTY_CONFIG",
					"MKNOD",
					"LEASE",
					"AUDIT_WRITE",
					"AUDIT_CONTROL",
					"SETFCAP",
					"MAC_OVERRIDE",
					"MAC_ADMIN",
					"SYSLOG",
					"WAKE_ALARM",
					"BLOCK_SUSPEND",
					"AUDIT_READ",
					"PERFMON",
					"BPF",
					"CHECKPOINT_RESTORE"};

/* "CAP_A CAP_B" adds them; "~CAP_A" sets every one but those; "" clears;
 * unknown names are passed over (systemd does the same). */
static void set_caps(struct sd_unit *u, const char *v)
{
	const size_t ncaps = sizeof(cap_names) / sizeof(cap_names[0]);
	unsigned long long m = 0;
	int inv = *v == '~';
	size_t n;

	if (!*v) {
		u->ambient_caps = 0;
		return;
	}
	for (const char *w, *l = v + inv; (w = fmt_word(&l, &n));)
		for (size_t c = 0; c < ncaps; c++)
			if (n == 4 + strlen(cap_names[c]) && !strncasecmp(w, "CAP_", 4) &&
			    !strncasecmp(w + 4, cap_names[c], n - 4))
				m |= 1ull << c;
	if (inv)
		u->ambient_caps = ((1ull << ncaps) - 1) & ~m;
	else
		u->ambient_caps |= m;
}

static int service_key(struct tx_ctx *ctx, struct sd_unit *u, const char *k, const char *v)
{
	static const char *const scalars[] = {
	    "User", "Group", "Type", "PIDFile", "WorkingDirectory", "UMask", "LimitNOFILE"};
	static const char *const dirs[] = {"RuntimeDirectory", "StateDirectory", "LogsDirectory",
					   "CacheDirectory", "ConfigurationDirectory"};
	char **scalar[] = {&u->user,	    &u->group, &u->type,	&u->pidfile,
			   &u->working_dir, &u->umask, &u->limit_nofile};
	struct strv *dir[] = {&u->runtime_dirs, &u->state_dirs, &u->logs_dirs, &u->cache_dirs,
			      &u->config_dirs};

	if (!strcmp(k, "ExecStart"))
		return add_words(ctx, v, &u->exec_start, W_EXEC);
	if (!strcmp(k, "ExecStartPre"))
		return add_words(ctx, v, &u->exec_start_pre, W_HOOK);
	if (!strcmp(k, "ExecStartPost"))
		return add_words(ctx, v, &u->exec_start_post, W_HOOK);
	if (!strcmp(k, "Environment"))
		return add_words(ctx, v, &u->environment, W_ENV);
	if (!strcmp(k, "EnvironmentFile") && !*v)
		strv_free(&u->environment_files); /* an empty assignment resets the list */
	else if (!strcmp(k, "EnvironmentFile"))
		strv_push(&u->environment_files, v);
	if (!strcmp(k, "AmbientCapabilities"))
		set_caps(u, v);
	if (!strcmp(k, "DynamicUser")) /* systemd's booleans */
		u->dynamic_user = !strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
				  !strcasecmp(v, "on") || !strcmp(v, "1");
	if (!strcmp(k, "WorkingDirectory") && *v == '-')
		v++;
	for (size_t i = 0; i < 7; i++) {
		if (!strcmp(k, scalars[i]))
			set_scalar(scalar[i], v);
		if (i < 5 && !strcmp(k, dirs[i]))
			return add_words(ctx, v, dir[i], W_DIRS);
	}
	return 0;
}

/* One logical line; *in_service tracks the section (1 [Service], 2 [Unit]). */
static int unit_line(struct tx_ctx *ctx, const char *name, size_t lineno, char *l,
		     struct sd_unit *u, int *in_service)
{
	char *eq, *k, *v, *end;
	int r;

	l = fmt_strip(l);
	end = l + strlen(l);
	if (!*l || *l == '#' || *l == ';')
		return 0;
	if (*l == '[') {
		if (end[-1] != ']' || end - l < 3)
			return tx_fail(ctx, -EINVAL, NULL,
				       "corrupt section header at line %zu '%s'", lineno, name);
		*in_service = end - l == 9 && !strncmp(l, "[Service]", 9) ? 1
			      : end - l == 6 && !strncmp(l, "[Unit]", 6)  ? 2
									  : 0;
		return 0;
	}
	eq = strchr(l, '=');
	if (!eq || eq == l)
		return tx_fail(ctx, -EINVAL, NULL, "corrupt unit file at line %zu '%s'", lineno,
			       name);
	if (!*in_service)
		return 0;
	*eq = 0;
	k = l;
	for (char *e = eq; e > k && fmt_is_ws(e[-1]);)
		*--e = 0;
	v = eq + 1;
	while (fmt_is_ws(*v))
		v++;
	if (*in_service == 2) /* [Unit]: the units it pulls in, and what it precedes */
		r = !strcmp(k, "Requires") || !strcmp(k, "Wants")
			? add_words(ctx, v, &u->requires, W_NAMES)
		    : !strcmp(k, "Before") ? add_words(ctx, v, &u->before, W_NAMES)
					   : 0;
	else
		r = service_key(ctx, u, k, v);
	if (r < 0)
		return tx_fail(ctx, r, NULL, "bad %s= value at line %zu '%s'", k, lineno, name);
	return 0;
}

int sd_unit_parse(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		  struct sd_unit *u)
{
	const char *p = text, *end = text + len;
	struct sbuf l = {0};
	size_t lineno = 0, start = 0;
	int in_service = 0, r = 0;

	while (p < end) {
		size_t n, k;
		const char *s = fmt_line(&p, end, &n);

		lineno++;
		k = n;
		s = fmt_trim(s, &k);
		/* comment lines are skipped, also inside a continuation (and a
		 * comment's trailing backslash continues nothing) */
		if (k && (*s == '#' || *s == ';'))
			continue;
		if (!l.len)
			start = lineno;
		if (l.len + n > SD_LINE_MAX) {
			r = tx_fail(ctx, -E2BIG, NULL, "line too long at line %zu '%s'", lineno,
				    name);
			break;
		}
		sbuf_add(&l, s, k);
		/* a NUL in the file ends the logical line's text */
		l.len = strlen(l.s);
		while (l.len && fmt_is_ws(l.s[l.len - 1]))
			l.s[--l.len] = 0;
		if (l.len && l.s[l.len - 1] == '\\' && p < end) {
			l.s[l.len - 1] = ' ';
			continue;
		}
		if (l.len && l.s[l.len - 1] == '\\')
			l.s[--l.len] = 0;
		r = unit_line(ctx, name, start, l.s, u, &in_service);
		l.len = 0;
		if (r < 0)
			break;
	}
	sbuf_free(&l);
	return r;
}

void sd_unit_free(struct sd_unit *u)
{
	fmt_free_strs(&u->user, &u->group, &u->type, &u->pidfile, &u->working_dir, &u->umask,
		      &u->limit_nofile, NULL);
	strv_free(&u->environment_files);
	fmt_free_lists(&u->exec_start, &u->exec_start_pre, &u->exec_start_post, &u->requires,
		       &u->before, &u->runtime_dirs, &u->state_dirs, &u->logs_dirs, &u->cache_dirs,
		       &u->config_dirs, &u->environment, NULL);
	memset(u, 0, sizeof(*u));
}

static const char tmpfiles_types[] = "fFwdDevqQpLcbCxXrRzZtThHaA";

/* Next field of a tmpfiles line into b, with "-" (or nothing) as NULL. */
static int tf_field(const char **p, struct sbuf *b, char **out)
{
	int r = next_word(p, b);

	*out = NULL;
	if (r > 0 && strcmp(b->s, "-"))
		*out = xstrdup(b->s);
	return r < 0 ? r : 0;
}

static void ent_free(struct tmpfile_ent *e)
{
	fmt_free_strs(&e->path, &e->user, &e->group, &e->arg, NULL);
	memset(e, 0, sizeof(*e));
}

/* One line into e: 0, 1 for a blank or comment line, or -errno (e freed). */
static int tmpfiles_line(struct tx_ctx *ctx, const char *name, size_t lineno, const char *l,
			 struct tmpfile_ent *e)
{
	struct sbuf b = {0};
	char *mode = NULL, *age = NULL;
	int r;
	char type;

	while (fmt_is_ws(*l))
		l++;
	if (!*l || *l == '#')
		return 1;
	r = next_word(&l, &b);
	type = r > 0 ? b.s[0] : 0;
	if (r > 0 &&
	    (!type || !strchr(tmpfiles_types, type) || strspn(b.s + 1, "+!-=~^") != b.len - 1))
		r = tx_fail(ctx, -EINVAL, NULL, "unknown type '%s' at line %zu '%s'", b.s, lineno,
			    name);
	else if (r <= 0 || tf_field(&l, &b, &e->path) < 0 || !e->path ||
		 tf_field(&l, &b, &mode) < 0 || tf_field(&l, &b, &e->user) < 0 ||
		 tf_field(&l, &b, &e->group) < 0 || tf_field(&l, &b, &age) < 0)
		r = tx_fail(ctx, -EINVAL, NULL, "corrupt tmpfiles.d line %zu '%s'", lineno, name);
	/* "~" masks by the existing mode, ":" applies only on creation */
	else if (mode && fmt_uint(mode + strspn(mode, "~:"), 8, 07777, &e->mode) < 0)
		r = tx_fail(ctx, -EINVAL, NULL, "bad mode '%s' at line %zu '%s'", mode, lineno,
			    name);
	else
		r = 0;
	e->type = type;
	e->has_mode = mode != NULL;
	while (fmt_is_ws(*l))
		l++;
	if (r == 0 && *l && strcmp(l, "-")) {
		size_t n = strlen(l);

		while (n && fmt_is_ws(l[n - 1]))
			n--;
		e->arg = xstrndup(l, n);
	}
	free(mode);
	free(age);
	sbuf_free(&b);
	if (r < 0)
		ent_free(e);
	return r;
}

int tmpfiles_parse(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		   struct tmpfiles *t)
{
	struct fmt_lines it = {.p = text, .end = text + len};
	int r = 0;

	while (r >= 0 && fmt_next(&it)) {
		struct tmpfile_ent e = {0};

		if (it.n > SD_LINE_MAX)
			r = tx_fail(ctx, -E2BIG, NULL, "line too long at line %zu '%s'", it.lineno,
				    name);
		else
			r = tmpfiles_line(ctx, name, it.lineno, it.line, &e);
		if (r == 0) {
			t->e = fmt_grow(t->e, t->n, sizeof(e));
			t->e[t->n++] = e;
		}
	}
	free(it.line);
	return r < 0 ? r : 0;
}

void tmpfiles_free(struct tmpfiles *t)
{
	for (size_t i = 0; i < t->n; i++)
		ent_free(&t->e[i]);
	free(t->e);
	memset(t, 0, sizeof(*t));
}

static int is_service_path(const char *f)
{
	static const char *const dirs[] = {"/lib/systemd/system/", "/usr/lib/systemd/system/"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t dl = strlen(dirs[i]), n = strlen(f);
		const char *b = f + dl;

		if (n <= dl || strncmp(f, dirs[i], dl) || strchr(b, '/'))
			continue;
		n -= dl;
		if (n <= 8 || strcmp(b + n - 8, ".service"))
			continue;
		/* templates (name@.service) too: the closure takes the
		 * instance the root enables */
		return 1;
	}
	return 0;
}

static int exists_in_root(const char *root, const char *path)
{
	char *real = NULL, *host;
	struct stat st;
	int ok;

	if (root_realpath(root, path, &real, NULL) < 0)
		return 0;
	host = root_join(root, real);
	ok = stat(host, &st) == 0 && S_ISREG(st.st_mode);
	free(host);
	free(real);
	return ok;
}

int sd_find_units(struct tx_ctx *ctx, const char *root, const struct strv *pkg_files,
		  struct strv *units)
{
	for (size_t i = 0; i < pkg_files->n; i++) {
		const char *f = pkg_files->v[i];

		if (is_service_path(f) && (!root || exists_in_root(root, f)))
			strv_push(units, f);
	}
	strv_sort_uniq(units);
	return 0;
}
