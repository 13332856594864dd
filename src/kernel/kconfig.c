/* The kconfig stage: fragments + app features -> the request list, and the
 * KCONFIG_ALLCONFIG text that kbuild expands (kconfig-make.c). */
#include "kernel/kconfig-int.h"
#include "image/target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAG_MAX (1u << 20)
#define FRAGS "kconfig-fragments/"

/* ---- the request set ---- */

static int valid_sym(const char *s, size_t n)
{
	size_t i = 0;

	/* (c | 32) folds A-Z onto a-z and nothing else onto them */
	while (i < n && (s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
			 ((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z')))
		i++;
	return n && i == n;
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

int kconfig_valid_number(const char *v, size_t n)
{
	const char *digits = "0123456789";
	size_t i = n && v[0] == '-';

	if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		digits = "0123456789abcdefABCDEF";
		i = 2;
	}
	if (i == n)
		return 0;
	for (; i < n; i++)
		if (!v[i] || !strchr(digits, v[i]))
			return 0;
	return 1;
}

static int valid_value(const char *v, size_t n)
{
	if (n == 1 && (v[0] == 'y' || v[0] == 'm' || v[0] == 'n'))
		return 1;
	return valid_quoted(v, n) || kconfig_valid_number(v, n);
}

const struct kconfig_req *kconfig_set_find(const struct kconfig_set *set, const char *option)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->r[i].option, option))
			return &set->r[i];
	return NULL;
}

/* kconfig_set_add, returning the request. */
static struct kconfig_req *set_put(struct kconfig_set *set, const char *option, const char *value,
				   const char *why)
{
	struct kconfig_req *r = (struct kconfig_req *)kconfig_set_find(set, option);

	if (r) {
		/* same value: keep the first reason, it is the one that decided */
		if (!strcmp(r->value, value))
			return r;
		strv_push_own(&set->notes, xasprintf("%s: %s overrides %s (%s -> %s)", option, why,
						     r->why, r->value, value));
		free(r->value);
		free(r->why);
	} else {
		set->r = xrealloc(set->r, (set->n + 1) * sizeof(*set->r));
		r = &set->r[set->n++];
		r->option = xstrdup(option);
		r->flags = 0;
	}
	r->value = xstrdup(value);
	r->why = xstrdup(why);
	return r;
}

int kconfig_set_add(struct kconfig_set *set, const char *option, const char *value, const char *why)
{
	set_put(set, option, value, why);
	return 0;
}

void kconfig_set_copy(struct kconfig_set *dst, const struct kconfig_set *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->n; i++)
		set_put(dst, src->r[i].option, src->r[i].value, src->r[i].why)->flags =
		    src->r[i].flags;
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
	if (n == sizeof(marker) - 1 && !memcmp(l, marker, n)) {
		*required = 1;
		return 0;
	}
	if (!n || l[0] == '#') {
		/* an ordinary comment starts a new paragraph */
		if (n < 9 + nl || memcmp(l, "# CONFIG_", 9) || memcmp(l + n - nl, notset, nl) ||
		    !valid_sym(l + 9, n - nl - 9)) {
			*required = 0;
			return 0;
		}
		opt = xstrndup(l + 9, n - nl - 9);
		val = xstrdup("n");
	} else {
		const char *eq = memchr(l, '=', n);
		size_t on = eq ? (size_t)(eq - l - 7) : 0, vn = eq ? (size_t)(l + n - eq - 1) : 0;

		if (n < 8 || memcmp(l, "CONFIG_", 7) || !eq)
			return tx_fail(ctx, -EINVAL, "kconfig", "cannot parse '%.*s' at %s:%d",
				       (int)(n > 80 ? 80 : n), l, name, lineno);
		if (!valid_sym(l + 7, on))
			return tx_fail(ctx, -EINVAL, "kconfig",
				       "invalid option name '%.*s' at %s:%d",
				       (int)(on + 7 > 80 ? 80 : on + 7), l, name, lineno);
		if (!valid_value(eq + 1, vn))
			return tx_fail(
			    ctx, -EINVAL, "kconfig", "invalid value '%.*s' for '%.*s' at %s:%d",
			    (int)(vn > 80 ? 80 : vn), eq + 1, (int)on, l + 7, name, lineno);
		opt = xstrndup(l + 7, on);
		val = xstrndup(eq + 1, vn);
	}
	why = xasprintf("%s:%d", name, lineno);
	set_put(set, opt, val, why)->flags |= *required ? KREQ_REQUIRED : 0;
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

/* Read and merge the fragment called name (FRAGS..., freed here); a missing optional one is
 * skipped. */
static int merge_fragment(struct tx_ctx *ctx, const char *projdir, int required,
			  struct kconfig_set *set, char *name)
{
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

const struct image_target *kconfig_target(struct tx_ctx *ctx, const char *target)
{
	const struct image_target *t = target ? image_target_find(target) : NULL;
	char *names;

	if (t)
		return t;
	names = image_target_names(" or ");
	tx_fail(ctx, -EINVAL, "kconfig", "unknown target '%s' (expected %s)", target ? target : "",
		names);
	free(names);
	return NULL;
}

/* The service baseline (services.config) fills in what nothing before it
 * asked for: an option the analysis found keeps its reason, and one an app
 * fragment or the minimizer switched off stays off. */
static int merge_baseline(struct tx_ctx *ctx, const char *projdir, struct kconfig_set *set)
{
	struct kconfig_set base = {0};
	int err = merge_fragment(ctx, projdir, 1, &base, xstrdup(FRAGS "services.config"));

	for (size_t i = 0; !err && i < base.n; i++)
		if (!kconfig_set_find(set, base.r[i].option))
			set_put(set, base.r[i].option, base.r[i].value, base.r[i].why)->flags =
			    base.r[i].flags;
	kconfig_set_free(&base);
	return err;
}

int kconfig_collect(struct tx_ctx *ctx, const char *projdir, const char *app, const char *target,
		    const struct feature *f, size_t nf, int flags, struct kconfig_set *set)
{
	const struct image_target *t = kconfig_target(ctx, target);
	struct strv seen = {0};
	int err;

	if (!t)
		return -EINVAL;
	if (app && !valid_pkg_name(app))
		return tx_fail(ctx, -EINVAL, "kconfig", "invalid app name '%s'", app);
	err = merge_fragment(ctx, projdir, 1, set, xstrdup(FRAGS "base.config"));
	if (!err)
		err = merge_fragment(ctx, projdir, 1, set, xasprintf(FRAGS "%s", t->fragment));
	for (size_t i = 0; !err && i < nf; i++) {
		const char *opt = f[i].option ? f[i].option : "";
		const char *bin = f[i].binary ? f[i].binary : "?";
		char *why, *rel;

		if (!valid_sym(opt, strlen(opt)))
			return tx_fail(ctx, -EINVAL, "kconfig",
				       "invalid feature option '%s' from '%s'", opt, bin);
		why = xasprintf("%s: %s (%s)", app ? app : "app", f[i].symbol ? f[i].symbol : "?",
				bin);
		set_put(set, opt, "y", why)->flags |= KREQ_REQUIRED;
		free(why);
		if (strv_contains(&seen, opt))
			continue;
		strv_push(&seen, opt);
		rel = xasprintf(FRAGS "features/%s.config", opt);
		for (char *c = strrchr(rel, '/'); *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		err = merge_fragment(ctx, projdir, 0, set, rel);
	}
	strv_free(&seen);
	if (!err && app)
		err = merge_fragment(ctx, projdir, 0, set, xasprintf(FRAGS "apps/%s.config", app));
	if (!err && app && !(flags & KCOLLECT_NO_MIN))
		err = merge_fragment(ctx, projdir, 0, set,
				     xasprintf(FRAGS "apps/%s.%s.min.config", app, target));
	if (!err && !(flags & KCOLLECT_OWN))
		err = merge_baseline(ctx, projdir, set);
	return err;
}

/* ---- the final .config ---- */

void kconfig_req_line(const struct kconfig_req *r, struct sbuf *out)
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
		kconfig_req_line(&set->r[i], out);
		sbuf_puts(out, "\n");
	}
	return 0;
}

int kconfig_hex64(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
		i++;
	return n == 64 && i == n;
}
