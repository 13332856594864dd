/* The kconfig stage: fragments + app features -> a verified kernel .config.
 *
 * Why allnoconfig + KCONFIG_ALLCONFIG rather than merge_config.sh + olddefconfig:
 * with merge_config, every symbol a request makes visible comes back with its
 * Kconfig default (NET brings IPV6, WIRELESS, ~80 NET_VENDOR_* menus, PCI brings
 * PCIEASPM and quirks, ...): measured on the kvm fragments, 609 '=y' symbols
 * against 438 with allnoconfig, which keeps everything not asked for off. This is
 * what toybox's mkroot does with its microconfig. */
#include "kernel/kconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define FRAG_MAX (1u << 20)
#define CONFIG_MAX (16u << 20)

/* ---- the request set ---- */

static int is_sym_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static int valid_sym(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_sym_char((unsigned char)s[i]))
			return 0;
	return 1;
}

static int valid_quoted(const char *v, size_t n)
{
	if (n < 2 || v[0] != '"' || v[n - 1] != '"')
		return 0;
	for (size_t i = 1; i < n - 1; i++) {
		if (v[i] == '\\') {
			if (++i >= n - 1)
				return 0; /* the escape ate the closing quote */
		} else if (v[i] == '"' || v[i] == '\0') {
			return 0;
		}
	}
	return 1;
}

static int valid_number(const char *v, size_t n)
{
	size_t i = 0;

	if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (!strchr("0123456789abcdefABCDEF", v[i]) || !v[i])
				return 0;
		return 1;
	}
	if (n && v[0] == '-')
		i = 1;
	if (i == n)
		return 0;
	for (; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

static int valid_value(const char *v, size_t n)
{
	if (n == 1 && (v[0] == 'y' || v[0] == 'm' || v[0] == 'n'))
		return 1;
	return valid_quoted(v, n) || valid_number(v, n);
}

const struct kconfig_req *kconfig_set_find(const struct kconfig_set *set, const char *option)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->r[i].option, option))
			return &set->r[i];
	return NULL;
}

int kconfig_set_add(struct kconfig_set *set, const char *option, const char *value, const char *why)
{
	struct kconfig_req *r = (struct kconfig_req *)kconfig_set_find(set, option);

	if (r) {
		/* same value: keep the first reason, it is the one that decided */
		if (!strcmp(r->value, value))
			return 0;
		strv_push_own(&set->notes, xasprintf("%s: %s overrides %s (%s -> %s)", option, why,
						     r->why, r->value, value));
		free(r->value);
		free(r->why);
		r->value = xstrdup(value);
		r->why = xstrdup(why);
		return 0;
	}
	set->r = xrealloc(set->r, (set->n + 1) * sizeof(*set->r));
	r = &set->r[set->n++];
	r->option = xstrdup(option);
	r->value = xstrdup(value);
	r->why = xstrdup(why);
	r->flags = 0;
	return 0;
}

void kconfig_set_copy(struct kconfig_set *dst, const struct kconfig_set *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->n)
		dst->r = xcalloc(src->n, sizeof(*dst->r));
	for (size_t i = 0; i < src->n; i++) {
		dst->r[i].option = xstrdup(src->r[i].option);
		dst->r[i].value = xstrdup(src->r[i].value);
		dst->r[i].why = xstrdup(src->r[i].why);
		dst->r[i].flags = src->r[i].flags;
	}
	dst->n = src->n;
	for (size_t i = 0; i < src->notes.n; i++)
		strv_push(&dst->notes, src->notes.v[i]);
}

void kconfig_set_free(struct kconfig_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->r[i].option);
		free(s->r[i].value);
		free(s->r[i].why);
	}
	free(s->r);
	s->r = NULL;
	s->n = 0;
	strv_free(&s->notes);
}

/* ---- fragments ---- */

/* *required: 1 after a "# tinyx: required" line, back to 0 at a blank line or
 * an ordinary comment (the next paragraph). */
static int parse_line(struct tx_ctx *ctx, const char *name, int lineno, const char *l, size_t n,
		      int *required, struct kconfig_set *set)
{
	static const char marker[] = "# tinyx: required";
	static const char notset[] = " is not set";
	const size_t nl = sizeof(notset) - 1;
	char *opt, *val, *why;

	while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
		n--;
	while (n && (*l == ' ' || *l == '\t')) {
		l++;
		n--;
	}
	if (!n) {
		*required = 0;
		return 0;
	}
	if (n == sizeof(marker) - 1 && !memcmp(l, marker, n)) {
		*required = 1;
		return 0;
	}
	if (l[0] == '#') {
		size_t s;

		if (n < 9 + nl || memcmp(l, "# CONFIG_", 9) || memcmp(l + n - nl, notset, nl)) {
			*required = 0; /* an ordinary comment starts a new paragraph */
			return 0;
		}
		s = n - nl - 9;
		if (!valid_sym(l + 9, s)) {
			*required = 0;
			return 0;
		}
		opt = xstrndup(l + 9, s);
		val = xstrdup("n");
	} else {
		const char *eq = memchr(l, '=', n);

		if (n < 8 || memcmp(l, "CONFIG_", 7) || !eq)
			return tx_fail(ctx, -EINVAL, "kconfig", "cannot parse '%.*s' at %s:%d",
				       (int)(n > 80 ? 80 : n), l, name, lineno);
		if (!valid_sym(l + 7, (size_t)(eq - l - 7)))
			return tx_fail(ctx, -EINVAL, "kconfig",
				       "invalid option name '%.*s' at %s:%d",
				       (int)(eq - l > 80 ? 80 : eq - l), l, name, lineno);
		if (!valid_value(eq + 1, (size_t)(l + n - eq - 1)))
			return tx_fail(ctx, -EINVAL, "kconfig",
				       "invalid value '%.*s' for '%.*s' at %s:%d",
				       (int)(l + n - eq - 1 > 80 ? 80 : l + n - eq - 1), eq + 1,
				       (int)(eq - l - 7), l + 7, name, lineno);
		opt = xstrndup(l + 7, (size_t)(eq - l - 7));
		val = xstrndup(eq + 1, (size_t)(l + n - eq - 1));
	}
	why = xasprintf("%s:%d", name, lineno);
	kconfig_set_add(set, opt, val, why);
	if (*required)
		((struct kconfig_req *)kconfig_set_find(set, opt))->flags |= KREQ_REQUIRED;
	free(opt);
	free(val);
	free(why);
	return 0;
}

int kconfig_parse_fragment(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
			   struct kconfig_set *set)
{
	const char *p = text, *end = text + len;
	int lineno = 0, required = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		int err;

		lineno++;
		if (memchr(p, '\0', (size_t)(e - p)))
			return tx_fail(ctx, -EINVAL, "kconfig", "NUL byte at %s:%d", name, lineno);
		err = parse_line(ctx, name, lineno, p, (size_t)(e - p), &required, set);
		if (err)
			return err;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* Read and merge kconfig-fragments/REL; a missing optional one is skipped. */
static int merge_fragment(struct tx_ctx *ctx, const char *projdir, const char *rel, int required,
			  struct kconfig_set *set)
{
	char *name = xasprintf("kconfig-fragments/%s", rel);
	char *path = xasprintf("%s/%s", projdir, name);
	char *text = NULL;
	size_t len = 0;
	int err = read_file(path, &text, &len, FRAG_MAX);

	if (err == -ENOENT && !required) {
		err = 0;
	} else if (err) {
		err = tx_fail(ctx, err, "kconfig", "cannot read '%s': %s", path, strerror(-err));
	} else {
		tx_info(ctx, "kconfig: merging %s", name);
		err = kconfig_parse_fragment(ctx, name, text, len, set);
	}
	free(text);
	free(path);
	free(name);
	return err;
}

int kconfig_collect(struct tx_ctx *ctx, const char *projdir, const char *app, const char *target,
		    const struct feature *f, size_t nf, int flags, struct kconfig_set *set)
{
	struct strv seen = {0};
	char *rel;
	int err;

	if (!target || (strcmp(target, "kvm") && strcmp(target, "xen")))
		return tx_fail(ctx, -EINVAL, "kconfig", "unknown target '%s' (expected kvm or xen)",
			       target ? target : "");
	if (app && !valid_pkg_name(app))
		return tx_fail(ctx, -EINVAL, "kconfig", "invalid app name '%s'", app);
	err = merge_fragment(ctx, projdir, "base.config", 1, set);
	if (err)
		return err;
	rel = xasprintf("%s.config", target);
	err = merge_fragment(ctx, projdir, rel, 1, set);
	free(rel);
	for (size_t i = 0; !err && i < nf; i++) {
		const char *opt = f[i].option ? f[i].option : "";
		char *why, *lower;

		if (!valid_sym(opt, strlen(opt)))
			return tx_fail(ctx, -EINVAL, "kconfig",
				       "invalid feature option '%s' from '%s'", opt,
				       f[i].binary ? f[i].binary : "?");
		why = xasprintf("%s: %s (%s)", app ? app : "app", f[i].symbol ? f[i].symbol : "?",
				f[i].binary ? f[i].binary : "?");
		kconfig_set_add(set, opt, "y", why);
		((struct kconfig_req *)kconfig_set_find(set, opt))->flags |= KREQ_REQUIRED;
		free(why);
		if (strv_contains(&seen, opt))
			continue;
		strv_push(&seen, opt);
		lower = xstrdup(opt);
		for (char *c = lower; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		rel = xasprintf("features/%s.config", lower);
		err = merge_fragment(ctx, projdir, rel, 0, set);
		free(rel);
		free(lower);
	}
	strv_free(&seen);
	if (!err && app) {
		rel = xasprintf("apps/%s.config", app);
		err = merge_fragment(ctx, projdir, rel, 0, set);
		free(rel);
	}
	if (!err && app && !(flags & KCOLLECT_NO_MIN)) {
		rel = xasprintf("apps/%s.%s.min.config", app, target);
		err = merge_fragment(ctx, projdir, rel, 0, set);
		free(rel);
	}
	return err;
}

/* ---- the final .config ---- */

static void req_line(const struct kconfig_req *r, struct sbuf *out)
{
	if (!strcmp(r->value, "n"))
		sbuf_printf(out, "# CONFIG_%s is not set", r->option);
	else
		sbuf_printf(out, "CONFIG_%s=%s", r->option, r->value);
}

int kconfig_allconfig_text(struct tx_ctx *ctx, const char *srcdir_kernel,
			   const struct kconfig_set *set, struct sbuf *out)
{
	/* what 'make tinyconfig' merges, in its order */
	static const char *const tiny[] = {"kernel/configs/tiny-base.config",
					   "kernel/configs/tiny.config",
					   "arch/x86/configs/tiny.config"};

	for (size_t i = 0; srcdir_kernel && i < sizeof(tiny) / sizeof(tiny[0]); i++) {
		char *path = xasprintf("%s/%s", srcdir_kernel, tiny[i]);
		char *text = NULL;
		size_t len = 0;
		int err = read_file(path, &text, &len, FRAG_MAX);

		if (err) {
			err = tx_fail(ctx, err, "kconfig", "cannot read '%s': %s", path,
				      strerror(-err));
			free(path);
			return err;
		}
		sbuf_printf(out, "# tinyconfig: %s\n", tiny[i]);
		sbuf_add(out, text, len);
		if (len && text[len - 1] != '\n')
			sbuf_puts(out, "\n");
		free(text);
		free(path);
	}
	sbuf_puts(out, "# tinyx requests\n");
	for (size_t i = 0; i < set->n; i++) {
		req_line(&set->r[i], out);
		sbuf_puts(out, "\n");
	}
	return 0;
}

/* Last non-empty line of a log, for one-line errors. */
static char *log_tail(const char *path)
{
	char *text = NULL, *e, *s;
	size_t len = 0;

	if (read_file(path, &text, &len, 64u << 20) || !len) {
		free(text);
		return xstrdup("");
	}
	e = text + len;
	while (e > text && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
		e--;
	*e = 0;
	s = strrchr(text, '\n');
	s = xstrdup(s ? s + 1 : text);
	free(text);
	return s;
}

int kbuild_env_ignored(const char *e)
{
	/* what would send kbuild elsewhere: another .config, arch, output dir,
	 * compiler, or the jobserver of a make that runs tinyx */
	static const char *const drop[] = {
	    "KBUILD_",	      "KCONFIG_",	"ARCH=",      "SRCARCH=",   "O=",
	    "CROSS_COMPILE=", "LLVM=",		"CC=",	      "MAKEFLAGS=", "MFLAGS=",
	    "MAKELEVEL=",     "MAKEOVERRIDES=", "CCACHE_DIR="};

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (!strncmp(e, drop[i], strlen(drop[i])))
			return 1;
	return 0;
}

/* Run argv with stdout and stderr into log (appended). Returns exit status or -errno. */
static int run_logged(char *const argv[], const char *log)
{
	posix_spawn_file_actions_t fa;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644), err, st;
	size_t n = 0, o = 0;
	char **env;
	pid_t pid;

	if (fd < 0)
		return -errno;
	while (environ[n])
		n++;
	env = xcalloc(n + 1, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (!kbuild_env_ignored(environ[i]))
			env[o++] = environ[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	posix_spawn_file_actions_adddup2(&fa, fd, 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(fd);
	free(env);
	if (err)
		return -err;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int kbuild_config(struct tx_ctx *ctx, const char *srcdir, const char *builddir,
			 const char *allconfig, const char *target)
{
	char *o = xasprintf("O=%s", builddir);
	char *a = allconfig ? xasprintf("KCONFIG_ALLCONFIG=%s", allconfig) : NULL;
	char *log = xasprintf("%s/kconfig.log", builddir);
	/* make -s -C SRC O=BUILD [KCONFIG_ALLCONFIG=FILE] TARGET */
	char *argv[] = {"make",
			"-s",
			"-C",
			(char *)srcdir,
			o,
			a ? a : (char *)target,
			a ? (char *)target : NULL,
			NULL};
	int st;

	st = run_logged(argv, log);
	if (st == -ENOENT)
		st = tx_fail(ctx, st, "kconfig",
			     "cannot run 'make' (maybe you need to: apt-get install make)");
	else if (st < 0)
		st = tx_fail(ctx, st, "kconfig", "cannot run 'make': %s", strerror(-st));
	else if (st > 0) {
		char *t = log_tail(log);

		st = tx_fail(ctx, -EIO, "kconfig", "kbuild '%s' failed (exit %d): %s (see '%s')",
			     target, st, t, log);
		free(t);
	}
	free(o);
	free(a);
	free(log);
	return st;
}

int kconfig_make_locked(struct tx_ctx *ctx, const char *srcdir_kernel, const char *builddir,
			const struct kconfig_set *set)
{
	struct sbuf all = {0};
	char *allpath = NULL, *cfgpath = NULL, *log = NULL, *text = NULL;
	size_t len = 0;
	int err = mkdir_p(builddir, 0755);

	if (err)
		return tx_fail(ctx, err, "kconfig", "cannot create '%s': %s", builddir,
			       strerror(-err));
	err = kconfig_allconfig_text(ctx, srcdir_kernel, set, &all);
	if (err)
		goto out;
	allpath = xasprintf("%s/tinyx.allconfig", builddir);
	cfgpath = xasprintf("%s/.config", builddir);
	log = xasprintf("%s/kconfig.log", builddir);
	unlink(log);
	err = write_file_atomic(allpath, all.s, all.len, 0644);
	if (err) {
		err =
		    tx_fail(ctx, err, "kconfig", "cannot write '%s': %s", allpath, strerror(-err));
		goto out;
	}
	tx_info(ctx, "kconfig: allnoconfig + %zu requests, olddefconfig", set->n);
	err = kbuild_config(ctx, srcdir_kernel, builddir, allpath, "allnoconfig");
	if (!err)
		err = kbuild_config(ctx, srcdir_kernel, builddir, NULL, "olddefconfig");
	if (err)
		goto out;
	err = read_file(cfgpath, &text, &len, CONFIG_MAX);
	if (err) {
		err = tx_fail(ctx, err, "kconfig", "cannot read '%s': %s", cfgpath, strerror(-err));
		goto out;
	}
	err = kconfig_check(ctx, text, len, set, srcdir_kernel);
out:
	free(text);
	free(log);
	free(cfgpath);
	free(allpath);
	sbuf_free(&all);
	return err;
}

/* ---- reading a .config ---- */

struct centry {
	const char *name, *val;
	size_t nlen, vlen;
};

struct cmap {
	struct centry *e;
	size_t n;
};

static int cmp_centry(const void *a, const void *b)
{
	const struct centry *x = a, *y = b;
	size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	return x->nlen < y->nlen ? -1 : x->nlen > y->nlen;
}

static void cmap_parse(const char *text, size_t len, struct cmap *m)
{
	static const char notset[] = " is not set";
	const size_t nl = sizeof(notset) - 1;
	const char *p = text, *end = text + len;
	size_t cap = 0;

	m->e = NULL;
	m->n = 0;
	while (p < end) {
		const char *q = memchr(p, '\n', (size_t)(end - p));
		const char *e = q ? q : end;
		size_t n = (size_t)(e - p);
		struct centry c = {0};

		if (n > 7 && !memcmp(p, "CONFIG_", 7)) {
			const char *eq = memchr(p, '=', n);

			if (eq && eq > p + 7) {
				c.name = p + 7;
				c.nlen = (size_t)(eq - p - 7);
				c.val = eq + 1;
				c.vlen = (size_t)(e - eq - 1);
			}
		} else if (n > 9 + nl && !memcmp(p, "# CONFIG_", 9) &&
			   !memcmp(e - nl, notset, nl)) {
			c.name = p + 9;
			c.nlen = n - 9 - nl;
			c.val = "n";
			c.vlen = 1;
		}
		if (c.name) {
			if (m->n == cap) {
				cap = cap ? cap * 2 : 256;
				m->e = xrealloc(m->e, cap * sizeof(*m->e));
			}
			m->e[m->n++] = c;
		}
		p = q ? q + 1 : end;
	}
	if (m->n)
		qsort(m->e, m->n, sizeof(*m->e), cmp_centry);
}

static const struct centry *cmap_get(const struct cmap *m, const char *name, size_t nlen)
{
	struct centry key = {.name = name, .nlen = nlen};

	if (!m->n)
		return NULL;
	return bsearch(&key, m->e, m->n, sizeof(*m->e), cmp_centry);
}

/* ---- what Kconfig says about an option (only read to explain a failure) ---- */

#define KDEPTH 64

struct kinfo {
	const char *option;
	int found, prompt;
	struct strv deps;  /* expressions it depends on (own and enclosing if/menu) */
	struct strv names; /* every symbol defined, for "did you mean" */
	/* parser state for the current file */
	char *frame[KDEPTH];
	int depth;
	int cur; /* 0 none, 1 the option's entry, 2 a menu/choice header, 3 other entry */
};

static int kw(const char *l, const char *word)
{
	size_t n = strlen(word);

	return !strncmp(l, word, n) && (l[n] == 0 || l[n] == ' ' || l[n] == '\t');
}

static char *skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void kinfo_push(struct kinfo *k, const char *expr)
{
	if (k->depth < KDEPTH)
		k->frame[k->depth] = xstrdup(expr);
	k->depth++;
}

static void kinfo_pop(struct kinfo *k)
{
	if (k->depth <= 0)
		return;
	k->depth--;
	if (k->depth < KDEPTH) {
		free(k->frame[k->depth]);
		k->frame[k->depth] = NULL;
	}
}

static void kinfo_add_dep(struct strv *deps, const char *expr)
{
	char *e = strstr(expr, "||") ? xasprintf("(%s)", expr) : xstrdup(expr);

	if (strv_contains(deps, e))
		free(e);
	else
		strv_push_own(deps, e);
}

static void kinfo_entry(struct kinfo *k, char *name)
{
	char *e = name;

	while (is_sym_char((unsigned char)*e))
		e++;
	*e = 0;
	strv_push(&k->names, name);
	if (strcmp(name, k->option)) {
		k->cur = 3;
		return;
	}
	k->cur = 1;
	k->found = 1;
	for (int i = 0; i < k->depth && i < KDEPTH; i++)
		if (k->frame[i][0])
			kinfo_add_dep(&k->deps, k->frame[i]);
}

static void kinfo_line(struct kinfo *k, char *l)
{
	static const char *const types[] = {"bool", "tristate", "string", "int", "hex", "prompt"};

	l = skip_ws(l);
	if (kw(l, "config") || kw(l, "menuconfig")) {
		kinfo_entry(k, skip_ws(l + (l[0] == 'c' ? 6 : 10)));
	} else if (kw(l, "menu") || kw(l, "choice")) {
		kinfo_push(k, "");
		k->cur = 2;
	} else if (kw(l, "endmenu") || kw(l, "endchoice") || kw(l, "endif")) {
		kinfo_pop(k);
		k->cur = 0;
	} else if (kw(l, "if")) {
		kinfo_push(k, skip_ws(l + 2));
		k->cur = 0;
	} else if (kw(l, "source") || kw(l, "comment") || kw(l, "mainmenu")) {
		k->cur = 0;
	} else if (!strncmp(l, "depends on", 10) && (l[10] == ' ' || l[10] == '\t')) {
		char *expr = skip_ws(l + 10);

		if (k->cur == 1) {
			kinfo_add_dep(&k->deps, expr);
		} else if (k->cur == 2 && k->depth > 0 && k->depth <= KDEPTH) {
			char *f = k->frame[k->depth - 1];

			k->frame[k->depth - 1] =
			    f[0] ? xasprintf("%s && %s", f, expr) : xstrdup(expr);
			free(f);
		}
	} else if (k->cur == 1) {
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (kw(l, types[i]) && strchr(l, '"'))
				k->prompt = 1;
	}
}

static void kinfo_file(struct kinfo *k, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int help = 0;

	if (read_file(path, &text, &len, 4u << 20))
		return;
	k->cur = 0;
	for (char *l = text, *nl; l && *l; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = 0;
		/* help text: every line more indented than the entry, or blank */
		if (help) {
			if (!*skip_ws(l) || l[0] == ' ' || l[0] == '\t')
				continue;
			help = 0;
		}
		if (kw(skip_ws(l), "help") || kw(skip_ws(l), "---help---")) {
			help = 1;
			continue;
		}
		kinfo_line(k, l);
	}
	while (k->depth > 0)
		kinfo_pop(k);
	free(text);
}

/* Walk the tree for Kconfig* files; only arch/x86 of the architectures. */
static void kinfo_walk(struct kinfo *k, const char *dir, int level)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d || level > 16) {
		if (d)
			closedir(d);
		return;
	}
	while ((de = readdir(d))) {
		char *p;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (level == 0 && (!strcmp(de->d_name, "Documentation") ||
				   !strcmp(de->d_name, "tools") || !strcmp(de->d_name, "include")))
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			size_t dl = strlen(dir);
			int other_arch = level == 1 && dl >= 5 && !strcmp(dir + dl - 5, "/arch") &&
					 strcmp(de->d_name, "x86");

			if (!other_arch)
				kinfo_walk(k, p, level + 1);
		} else if (S_ISREG(st.st_mode) && !strncmp(de->d_name, "Kconfig", 7)) {
			kinfo_file(k, p);
		}
		free(p);
	}
	closedir(d);
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row;
	size_t r;

	if (la > 64 || lb > 64)
		return 99;
	row = xcalloc(lb + 1, sizeof(*row));
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	r = row[lb];
	free(row);
	return r;
}

/* ", not set: A, B" for the dependencies that are off in the config. */
static void unmet_deps(const struct strv *deps, const struct cmap *m, struct sbuf *out)
{
	struct strv off = {0};

	for (size_t i = 0; i < deps->n; i++) {
		const char *s = deps->v[i];

		while (*s) {
			const char *b = s;
			const struct centry *c;

			if (!is_sym_char((unsigned char)*s)) {
				s++;
				continue;
			}
			while (is_sym_char((unsigned char)*s))
				s++;
			/* only upper-case symbols; skip y/m/n, numbers and negations */
			if (b[0] < 'A' || b[0] > 'Z' || (b > deps->v[i] && b[-1] == '!') ||
			    (s - b == 1))
				continue;
			c = cmap_get(m, b, (size_t)(s - b));
			if (!c || (c->vlen == 1 && c->val[0] == 'n')) {
				char *name = xstrndup(b, (size_t)(s - b));

				if (strv_contains(&off, name))
					free(name);
				else
					strv_push_own(&off, name);
			}
		}
	}
	for (size_t i = 0; i < off.n; i++)
		sbuf_printf(out, "%s%s", i ? ", " : "; not set: ", off.v[i]);
	strv_free(&off);
}

/* The explanation after "(requested at WHY". */
static void explain(const char *srcdir, const char *option, const struct cmap *m, struct sbuf *out,
		    int *exists)
{
	struct kinfo k = {.option = option};
	const char *best = NULL;
	size_t bestd = 99;

	*exists = 1;
	if (!srcdir)
		return;
	kinfo_walk(&k, srcdir, 0);
	if (!k.found) {
		*exists = 0;
		for (size_t i = 0; i < k.names.n; i++) {
			size_t d = edit_distance(option, k.names.v[i]);

			if (d < bestd) {
				bestd = d;
				best = k.names.v[i];
			}
		}
		if (best && bestd <= 2 + strlen(option) / 8)
			sbuf_printf(out, "; maybe you meant '%s'", best);
	} else if (k.deps.n) {
		sbuf_puts(out, "; depends on ");
		for (size_t i = 0; i < k.deps.n; i++)
			sbuf_printf(out, "%s%s", i ? " && " : "", k.deps.v[i]);
		unmet_deps(&k.deps, m, out);
	} else if (!k.prompt) {
		sbuf_puts(out, "; it has no prompt: only 'select' or its default can set it");
	}
	strv_free(&k.names);
	strv_free(&k.deps);
}

/* ---- the survival check ---- */

static int value_ok(const char *want, const struct centry *got)
{
	char *g;
	int ok;

	if (!strcmp(want, "n"))
		return !got || (got->vlen == 1 && got->val[0] == 'n');
	if (!got)
		return 0;
	g = xstrndup(got->val, got->vlen);
	ok = !strcmp(want, g);
	/* a tristate asked as module is built in when MODULES is off */
	if (!ok && !strcmp(want, "m") && !strcmp(g, "y"))
		ok = 1;
	if (!ok && valid_number(want, strlen(want)) && valid_number(g, strlen(g)))
		ok = strtoll(want, NULL, 0) == strtoll(g, NULL, 0);
	free(g);
	return ok;
}

int kconfig_check(struct tx_ctx *ctx, const char *config_text, size_t len,
		  const struct kconfig_set *set, const char *srcdir_kernel)
{
	struct cmap m;
	size_t bad = 0;
	int err = 0;

	cmap_parse(config_text, len, &m);
	for (size_t i = 0; i < set->n; i++) {
		const struct kconfig_req *r = &set->r[i];
		const struct centry *got = cmap_get(&m, r->option, strlen(r->option));
		struct sbuf why = {0};
		int exists;

		if ((r->flags & KREQ_SOFT) || value_ok(r->value, got))
			continue;
		if (bad++) {
			tx_info(ctx, "kconfig: also failed: '%s' (requested at %s)", r->option,
				r->why);
			continue;
		}
		explain(srcdir_kernel, r->option, &m, &why, &exists);
		if (!exists && !got)
			err =
			    tx_fail(ctx, -EINVAL, "kconfig",
				    "option '%s' does not exist in this kernel (requested at %s%s)",
				    r->option, r->why, why.s ? why.s : "");
		else if (!got || (got->vlen == 1 && got->val[0] == 'n'))
			err = tx_fail(ctx, -EINVAL, "kconfig",
				      "option '%s' dropped by olddefconfig (requested at %s%s)",
				      r->option, r->why, why.s ? why.s : "");
		else
			err = tx_fail(ctx, -EINVAL, "kconfig",
				      "option '%s' is '%.*s', not '%s' (requested at %s%s)",
				      r->option, (int)(got->vlen > 80 ? 80 : got->vlen), got->val,
				      r->value, r->why,
				      strcmp(r->value, "n") ? (why.s ? why.s : "")
							    : "; something selects it");
		sbuf_free(&why);
	}
	if (bad > 1) {
		size_t l = strlen(ctx->err);

		snprintf(ctx->err + l, sizeof(ctx->err) - l, " (and %zu more)", bad - 1);
	}
	free(m.e);
	return err;
}

int kconfig_is_on(const char *config_text, size_t len, const char *option)
{
	struct cmap m;
	const struct centry *c;
	int on;

	cmap_parse(config_text, len, &m);
	c = cmap_get(&m, option, strlen(option));
	on = c && !(c->vlen == 1 && c->val[0] == 'n');
	free(m.e);
	return on;
}

/* ---- reports ---- */

void kconfig_report_text(const struct kconfig_set *set, struct sbuf *out)
{
	for (size_t i = 0; i < set->n; i++) {
		size_t start = out->len;

		req_line(&set->r[i], out);
		for (size_t w = out->len - start; w < 40; w++)
			sbuf_puts(out, " ");
		sbuf_printf(out, " # %s\n", set->r[i].why);
	}
	for (size_t i = 0; i < set->notes.n; i++)
		sbuf_printf(out, "note: %s\n", set->notes.v[i]);
}

/* A .config value as JSON: strings unquoted and unescaped. */
static void json_value(struct sbuf *out, const char *v, size_t n)
{
	char *s = xmalloc(n + 1);
	size_t o = 0;

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		for (size_t i = 1; i < n - 1; i++) {
			if (v[i] == '\\' && i + 1 < n - 1)
				i++;
			s[o++] = v[i];
		}
	} else {
		memcpy(s, v, n);
		o = n;
	}
	s[o] = 0;
	/* a NUL inside the value ends it: JSON strings here are C strings */
	sbuf_json_str(out, s);
	free(s);
}

void kconfig_report_json(const struct kconfig_set *set, const char *config_text, struct sbuf *out)
{
	int first = 1;

	sbuf_puts(out, "{\"options\":{");
	if (config_text) {
		const char *p = config_text;

		while (*p) {
			const char *e = strchr(p, '\n');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			const char *eq = memchr(p, '=', n);

			if (n > 7 && !memcmp(p, "CONFIG_", 7) && eq && eq > p + 7) {
				char *name = xstrndup(p + 7, (size_t)(eq - p - 7));

				sbuf_puts(out, first ? "" : ",");
				sbuf_json_str(out, name);
				sbuf_puts(out, ":");
				json_value(out, eq + 1, (size_t)(p + n - eq - 1));
				free(name);
				first = 0;
			}
			p = e ? e + 1 : p + n;
		}
	} else {
		for (size_t i = 0; i < set->n; i++) {
			sbuf_puts(out, i ? "," : "");
			sbuf_json_str(out, set->r[i].option);
			sbuf_puts(out, ":");
			json_value(out, set->r[i].value, strlen(set->r[i].value));
		}
	}
	sbuf_puts(out, "},\"reasons\":{");
	for (size_t i = 0; i < set->n; i++) {
		sbuf_puts(out, i ? "," : "");
		sbuf_json_str(out, set->r[i].option);
		sbuf_puts(out, ":");
		sbuf_json_str(out, set->r[i].why);
	}
	sbuf_puts(out, "},\"notes\":[");
	for (size_t i = 0; i < set->notes.n; i++) {
		sbuf_puts(out, i ? "," : "");
		sbuf_json_str(out, set->notes.v[i]);
	}
	sbuf_puts(out, "]}\n");
}

int kconfig_make(struct tx_ctx *ctx, const char *srcdir_kernel, const char *builddir,
		 const struct kconfig_set *set)
{
	/* the same lock kernel_build holds: never rewrite .config under a build */
	char *lock = xasprintf("%s.lock", builddir);
	char *parent = path_dirname(builddir);
	int fd, err = mkdir_p(parent, 0755);

	free(parent);
	fd = err ? err : lock_path(lock);
	if (fd < 0) {
		err = tx_fail(ctx, fd, "kconfig", "cannot lock '%s': %s", lock, strerror(-fd));
		free(lock);
		return err;
	}
	free(lock);
	err = kconfig_make_locked(ctx, srcdir_kernel, builddir, set);
	close(fd);
	return err;
}
