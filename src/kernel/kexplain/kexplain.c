/* kexplain: what the kernel's own Kconfig parser says about some options, so
 * that tinyx can explain a request olddefconfig dropped. A hand-written walker
 * of the Kconfig files missed the conditions of enclosing 'if' and 'menu'
 * blocks met through 'source'; the parser folds them into each symbol's
 * direct dependency.
 *
 * Not part of the tinyx build: it needs the kernel tree's kconfig headers, so
 * src/kernel/kconfig-explain.c compiles it at run time and links it with the
 * objects kbuild left in BUILDDIR/scripts/kconfig (all but conf.o).
 *
 * usage: kexplain SRCTREE CONFIG SYMBOL...
 *
 * One record per SYMBOL on stdout, one "KEY [TEXT]" line each:
 *   symbol NAME
 *   unknown               no 'config NAME' for this architecture
 *   type TYPE             bool, tristate, string, int, hex
 *   value VALUE           after reading CONFIG
 *   prompt                it has a prompt: a .config line can set it
 *   depends EXPR          its own and its enclosing if/menu/choice conditions
 *   unmet EXPR            each and-term of depends that is n
 *   select V EXPR         each or-term of what selects it, V its value (n, m, y)
 *   end
 * then, when some SYMBOL is unknown, "name NAME" for every defined symbol (the
 * candidates for a spelling suggestion). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lkc.h"

static void put_text(void *data, struct symbol *sym, const char *str)
{
	(void)sym;
	str_append(data, str);
}

/* EXPR with the parser's own precedence and parentheses, names only. */
static void print_expr(const char *key, const char *prefix, struct expr *e)
{
	struct gstr g = str_new();

	expr_print(e, put_text, &g, E_NONE);
	printf("%s %s%s\n", key, prefix, str_get(&g));
	str_free(&g);
}

/* "y ", "m " or "n ": the prefix of a select line */
static const char *tri_name(tristate t)
{
	return t == yes ? "y " : t == mod ? "m " : "n ";
}

/* A term of the direct dependency that is n: m is no limit, tinyx kernels
 * have no modules. */
static void print_unmet(struct expr *e)
{
	if (expr_calc_value(e) == no)
		print_expr("unmet", "", e);
}

static void print_selector(struct expr *e)
{
	print_expr("select", tri_name(expr_calc_value(e)), e);
}

/* fn on each term of e split at its top-level op (E_AND or E_OR) */
static void each_term(struct expr *e, enum expr_type op, void (*fn)(struct expr *))
{
	if (e && e->type == op) {
		each_term(e->left.expr, op, fn);
		each_term(e->right.expr, op, fn);
	} else if (e) {
		fn(e);
	}
}

static int defined(struct symbol *sym)
{
	struct property *p;

	if (!sym)
		return 0;
	for_all_properties(sym, p, P_SYMBOL) return 1;
	return 0;
}

static int has_prompt(struct symbol *sym)
{
	struct property *p;

	for_all_prompts(sym, p) return 1;
	return 0;
}

/* 1 when NAME is unknown. */
static int explain(const char *name)
{
	struct symbol *sym = sym_find(name);

	printf("symbol %s\n", name);
	if (!defined(sym)) {
		printf("unknown\nend\n");
		return 1;
	}
	printf("type %s\nvalue %s\n", sym_type_name(sym_get_type(sym)), sym_get_string_value(sym));
	if (has_prompt(sym))
		printf("prompt\n");
	if (sym->dir_dep.expr && !expr_is_yes(sym->dir_dep.expr)) {
		print_expr("depends", "", sym->dir_dep.expr);
		each_term(sym->dir_dep.expr, E_AND, print_unmet);
	}
	each_term(sym->rev_dep.expr, E_OR, print_selector);
	printf("end\n");
	return 0;
}

static void print_names(void)
{
	struct symbol *sym;
	int i;

	for_all_symbols(i, sym) if (sym->name && defined(sym)) printf("name %s\n", sym->name);
}

int main(int argc, char **argv)
{
	/* what kbuild gives conf for x86 when tinyx runs it: tinyx keeps ARCH, CC
	 * and the like out of kbuild's environment, so these are its defaults */
	static const char *const env[][2] = {
	    {"ARCH", "x86"},	  {"SRCARCH", "x86"}, {"CC", "gcc"},
	    {"LD", "ld"},	  {"NM", "nm"},	      {"OBJCOPY", "objcopy"},
	    {"PAHOLE", "pahole"}, {"RUSTC", "rustc"}, {"BINDGEN", "bindgen"}};
	char *src, *cfg;
	int unknown = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: kexplain SRCTREE CONFIG SYMBOL...\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
		setenv(env[i][0], env[i][1], 1);
	src = realpath(argv[1], NULL);
	cfg = realpath(argv[2], NULL);
	/* relative 'source' lines are tried in the working dir first */
	if (!src || !cfg || setenv("srctree", src, 1) || chdir(src)) {
		fprintf(stderr, "kexplain: cannot use '%s' and '%s'\n", argv[1], argv[2]);
		return 1;
	}
	conf_parse("Kconfig");
	if (conf_read(cfg)) {
		fprintf(stderr, "kexplain: cannot read '%s'\n", cfg);
		return 1;
	}
	for (int i = 3; i < argc; i++)
		unknown |= explain(argv[i]);
	if (unknown)
		print_names();
	return fflush(stdout) ? 1 : 0;
}
