/* The survival check: every request against the final .config, and for the
 * first that failed, why (what the kexplain helper reports from the kernel's
 * own Kconfig parser). */
#include "kernel/kconfig-int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading a .config ---- */

static int cmp_centry(const void *a, const void *b)
{
	const struct centry *x = a, *y = b;
	size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	return x->nlen < y->nlen ? -1 : x->nlen > y->nlen;
}

void kconfig_lines(const char *text, size_t len, int notset, struct cmap *m)
{
	static const char ns[] = " is not set";
	const size_t nl = sizeof(ns) - 1;
	const char *p = text, *end = text + len;
	size_t cap = 0;

	m->e = NULL;
	m->n = 0;
	while (p < end) {
		const char *q = memchr(p, '\n', (size_t)(end - p));
		const char *e = q ? q : end;
		size_t n = (size_t)(e - p);
		const char *eq = memchr(p, '=', n);
		struct centry c = {0};

		if (n > 7 && !memcmp(p, "CONFIG_", 7) && eq && eq > p + 7)
			c = (struct centry){p + 7, eq + 1, (size_t)(eq - p - 7),
					    (size_t)(e - eq - 1)};
		else if (notset && n > 9 + nl && !memcmp(p, "# CONFIG_", 9) &&
			 !memcmp(e - nl, ns, nl))
			c = (struct centry){p + 9, "n", n - 9 - nl, 1};
		if (c.name) {
			if (m->n == cap) {
				cap = cap ? cap * 2 : 256;
				m->e = xrealloc(m->e, cap * sizeof(*m->e));
			}
			m->e[m->n++] = c;
		}
		p = q ? q + 1 : end;
	}
}

/* The .config's settings sorted by name, for cmap_get. */
static void cmap_parse(const char *text, size_t len, struct cmap *m)
{
	kconfig_lines(text, len, 1, m);
	if (m->n)
		qsort(m->e, m->n, sizeof(*m->e), cmp_centry);
}

static const struct centry *cmap_get(const struct cmap *m, const char *name)
{
	struct centry key = {.name = name, .nlen = strlen(name)};

	return m->n ? bsearch(&key, m->e, m->n, sizeof(*m->e), cmp_centry) : NULL;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];

	if (la > 64 || lb > 64)
		return 99;
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
	return row[lb];
}

/* ---- what the kexplain helper said (see kexplain/kexplain.c for the format) ---- */

#define EXPR_MAX 160 /* longer dependency expressions are cut: the error is one line */
#define SEL_MAX 3    /* selectors named, then "and N more" */

struct kxrec {
	int found, unknown, prompt;
	char *depends;
	struct strv unmet, sel_on, sel_off, names;
};

static void kx_line(struct kxrec *k, const char *key, size_t kl, const char *arg, size_t al)
{
#define KEY(s) (kl == sizeof(s) - 1 && !memcmp(key, s, kl))
	if (KEY("unknown"))
		k->unknown = 1;
	else if (KEY("prompt"))
		k->prompt = 1;
	else if (KEY("depends") && !k->depends)
		k->depends = xstrndup(arg, al);
	else if (KEY("unmet"))
		strv_pushn(&k->unmet, arg, al);
	else if (KEY("select") && al > 2 && arg[1] == ' ')
		strv_pushn(arg[0] == 'n' ? &k->sel_off : &k->sel_on, arg + 2, al - 2);
#undef KEY
}

/* The record for option in the helper's output, and every "name" line. */
static void kx_parse(const char *text, size_t len, const char *option, struct kxrec *k)
{
	const char *p = text, *end = text + len;
	size_t ol = strlen(option);
	int in = 0;

	memset(k, 0, sizeof(*k));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(e - p));
		size_t kl = (size_t)((sp ? sp : e) - p);
		const char *arg = sp ? sp + 1 : e;
		size_t al = (size_t)(e - arg);

		if (kl == 6 && !memcmp(p, "symbol", 6))
			in = !k->found && al == ol && !memcmp(arg, option, ol);
		else if (kl == 3 && !memcmp(p, "end", 3))
			in = 0;
		else if (kl == 4 && !memcmp(p, "name", 4) && al && !memchr(arg, '\0', al))
			strv_pushn(&k->names, arg, al);
		else if (in && !memchr(arg, '\0', al))
			kx_line(k, p, kl, arg, al);
		k->found |= in;
		p = nl ? nl + 1 : end;
	}
}

static void kx_free(struct kxrec *k)
{
	free(k->depends);
	strv_free(&k->unmet);
	strv_free(&k->sel_on);
	strv_free(&k->sel_off);
	strv_free(&k->names);
}

/* "; LABEL A, B (and N more)" with long items cut. */
static void put_list(struct sbuf *out, const char *label, const struct strv *v, size_t max)
{
	for (size_t i = 0; i < v->n && i < max; i++)
		sbuf_printf(out, "%s%.*s%s", i ? ", " : label, EXPR_MAX, v->v[i],
			    strlen(v->v[i]) > EXPR_MAX ? "..." : "");
	if (v->n > max)
		sbuf_printf(out, " (and %zu more)", v->n - max);
}

/* The closest name in the helper's list or the .config, when close enough. */
static void suggest(const char *option, const struct kxrec *k, const struct cmap *m,
		    struct sbuf *out)
{
	char *best = NULL;
	size_t bestd = 99;

	for (size_t i = 0; i < k->names.n + m->n; i++) {
		char *name = i < k->names.n
				 ? xstrdup(k->names.v[i])
				 : xstrndup(m->e[i - k->names.n].name, m->e[i - k->names.n].nlen);
		size_t d = edit_distance(option, name);

		if (d < bestd) {
			free(best);
			best = name;
			bestd = d;
		} else {
			free(name);
		}
	}
	if (best && bestd <= 2 + strlen(option) / 8)
		sbuf_printf(out, "; maybe you meant '%s'", best);
	free(best);
}

/* Why an option that should be on is not: its dependencies and what is
 * unmet, else what alone could set it; then what selects it. */
static void explain_off(const struct kxrec *k, struct sbuf *out)
{
	if (k->depends) {
		sbuf_printf(out, "; depends on %.*s%s", EXPR_MAX, k->depends,
			    strlen(k->depends) > EXPR_MAX ? "..." : "");
		put_list(out, "; unmet: ", &k->unmet, SIZE_MAX);
	}
	if (!k->prompt && !k->unmet.n)
		sbuf_puts(out, "; it has no prompt: only 'select' or its default can set it");
	put_list(out, "; selected by: ", &k->sel_off, SEL_MAX);
}

/* ---- the survival check ---- */

static int is_off(const struct centry *got)
{
	return !got || (got->vlen == 1 && got->val[0] == 'n');
}

static int value_ok(const char *want, const struct centry *got)
{
	char *g;
	int ok;

	if (!strcmp(want, "n") || !got)
		return is_off(got) && !strcmp(want, "n");
	g = xstrndup(got->val, got->vlen);
	/* a tristate asked as module is built in when MODULES is off */
	ok = !strcmp(want, g) || (!strcmp(want, "m") && !strcmp(g, "y"));
	if (!ok && kconfig_valid_number(want, strlen(want)) && kconfig_valid_number(g, strlen(g)))
		ok = strtoll(want, NULL, 0) == strtoll(g, NULL, 0);
	free(g);
	return ok;
}

/* The error for the first failed request r. */
static int fail_one(struct tx_ctx *ctx, const struct kconfig_req *r, const struct centry *got,
		    const struct kxrec *k, const struct cmap *m)
{
	struct sbuf why = {0};
	int err;

	if (!strcmp(r->value, "n"))
		put_list(&why, "; selected by: ", &k->sel_on, SEL_MAX);
	else if (k->unknown)
		suggest(r->option, k, m, &why);
	else if (k->found)
		explain_off(k, &why);
	if (is_off(got))
		err = tx_fail(ctx, -EINVAL, "kconfig", "option '%s' %s (requested at %s%s)",
			      r->option,
			      k->unknown ? "does not exist in this kernel" : "dropped by kconfig",
			      r->why, why.s ? why.s : "");
	else
		err = tx_fail(
		    ctx, -EINVAL, "kconfig", "option '%s' is '%.*s', not '%s' (requested at %s%s)",
		    r->option, (int)(got->vlen > 80 ? 80 : got->vlen), got->val, r->value, r->why,
		    why.s ? why.s : (strcmp(r->value, "n") ? "" : "; something selects it"));
	sbuf_free(&why);
	return err;
}

/* With srcdir_kernel and builddir, the helper is asked about the first
 * failure; else kexplain is its answer (or NULL). */
static int check(struct tx_ctx *ctx, const char *config_text, size_t len,
		 const struct kconfig_set *set, const char *srcdir_kernel, const char *builddir,
		 const char *kexplain)
{
	struct cmap m;
	size_t bad = 0;
	char *asked = NULL;
	int err = 0;

	cmap_parse(config_text, len, &m);
	for (size_t i = 0; i < set->n; i++) {
		const struct kconfig_req *r = &set->r[i];
		const struct centry *got = cmap_get(&m, r->option);
		struct kxrec k;

		if ((r->flags & KREQ_SOFT) || value_ok(r->value, got))
			continue;
		if (bad++) {
			tx_info(ctx, "kconfig: also failed: '%s' (requested at %s)", r->option,
				r->why);
			continue;
		}
		/* without an answer the error still names the request's file:line */
		if (srcdir_kernel && builddir &&
		    kconfig_kexplain(ctx, srcdir_kernel, builddir, r->option, &asked))
			tx_info(ctx, "kconfig: no explanation for '%s': %s", r->option, ctx->err);
		if (asked)
			kexplain = asked;
		kx_parse(kexplain ? kexplain : "", kexplain ? strlen(kexplain) : 0, r->option, &k);
		err = fail_one(ctx, r, got, &k, &m);
		kx_free(&k);
	}
	if (bad > 1) {
		size_t l = strlen(ctx->err);

		snprintf(ctx->err + l, sizeof(ctx->err) - l, " (and %zu more)", bad - 1);
	}
	free(asked);
	free(m.e);
	return err;
}

int kconfig_check(struct tx_ctx *ctx, const char *config_text, size_t len,
		  const struct kconfig_set *set, const char *srcdir_kernel, const char *builddir)
{
	return check(ctx, config_text, len, set, srcdir_kernel, builddir, NULL);
}

int kconfig_check_explained(struct tx_ctx *ctx, const char *config_text, size_t len,
			    const struct kconfig_set *set, const char *kexplain)
{
	return check(ctx, config_text, len, set, NULL, NULL, kexplain);
}

int kconfig_is_on(const char *config_text, size_t len, const char *option)
{
	struct cmap m;
	int on;

	cmap_parse(config_text, len, &m);
	on = !is_off(cmap_get(&m, option));
	free(m.e);
	return on;
}
