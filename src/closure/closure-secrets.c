/* Secrets a package's postinst made in the staged root (a TLS key, a
 * control key, an rndc key): every image built from that root would share
 * them. They are left out of the image, and the postinst's own block that
 * made them runs at boot, as the first hook, so that each instance makes
 * its own.
 *
 * A secret: a regular file under /etc or /var that no package ships (in no
 * dpkg .list) and that is not readable by all, or holds a PEM private key.
 * Its maker: in a postinst of the app's packages, an "if ... fi" block whose
 * condition tests the secret's path, with no variable, command substitution
 * or here-document in it (it must mean at boot what it meant at install).
 * What the block makes: every file of the tested path's dir that no package
 * ships. No maker found: the secret stays, and image/rootfs-rules.c refuses
 * a private key with one line. */
#include "closure/cl.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#define POSTINST_MAX (1 << 20)

struct secrets {
	struct cl *c;
	struct strv owned; /* every path in a .list, sorted: read when first asked */
	int loaded;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does a package ship path? The .list files are read at the first question:
 * most postinsts have no block that asks. */
static int owned(struct secrets *s, const char *path)
{
	if (!s->loaded) {
		s->loaded = 1;
		for (size_t i = 0; i < s->c->db.n; i++)
			if (s->c->db.p[i].installed)
				dpkg_pkg_files(s->c->ctx, s->c->root, &s->c->db.p[i], &s->owned);
		if (s->owned.n)
			qsort(s->owned.v, s->owned.n, sizeof(char *), cmp_str);
	}
	return s->owned.n &&
	       bsearch(&path, s->owned.v, s->owned.n, sizeof(char *), cmp_str) != NULL;
}

static int is_secret(const struct cl *c, struct secrets *s, const char *path)
{
	struct stat st;
	char buf[65536];

	if ((!cl_has_prefix_dir(path, "/etc") && !cl_has_prefix_dir(path, "/var")) ||
	    owned(s, path) || !strcmp(path, "/etc/shadow") || !strcmp(path, "/etc/gshadow"))
		return 0;
	if (cl_stat(c, path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (!(st.st_mode & S_IROTH))
		return 1;
	cl_head(c, path, buf, sizeof(buf));
	return fmt_has_private_key(buf);
}

/* A line's first word (trimmed), NUL-terminated in w. */
static const char *first_word(const char *l, char *w, size_t cap)
{
	size_t n = 0;

	l += strspn(l, " \t");
	while (l[n] && !strchr(" \t;", l[n]) && n + 1 < cap)
		n++;
	memcpy(w, l, n);
	w[n] = 0;
	return w;
}

/* The block's lines as one shell line: "; " between commands, a space
 * after the words that take one (then, else, do, &&, ||, |). */
static char *one_line(const struct strv *lines)
{
	struct sbuf b = {0};

	for (size_t i = 0; i < lines->n; i++) {
		const char *l = lines->v[i] + strspn(lines->v[i], " \t");
		size_t n = strlen(l);

		while (n && strchr(" \t;", l[n - 1]))
			n--;
		if (b.len) {
			static const char *const open[] = {"then", "else", "do", "&&", "||", "|"};
			int glue = 0;

			for (size_t k = 0; k < sizeof(open) / sizeof(open[0]); k++) {
				size_t m = strlen(open[k]);

				glue |= b.len >= m && !strcmp(b.s + b.len - m, open[k]) &&
					(b.len == m || strchr(" \t;", b.s[b.len - m - 1]));
			}
			sbuf_puts(&b, glue ? " " : "; ");
		}
		sbuf_printf(&b, "%.*s", (int)n, l);
	}
	return b.s;
}

/* The paths the condition names that are secrets in the root. */
static void tested_secrets(struct cl *c, struct secrets *s, const char *cond, struct strv *out)
{
	for (const char *p = cond; (p = strchr(p, '/'));) {
		size_t n = strcspn(p, " \t;]\"')");
		char *path = xstrndup(p, n);

		if ((p == cond || strchr(" \t\"'", p[-1])) && is_secret(c, s, path))
			strv_push(out, path);
		free(path);
		p += n;
	}
}

/* The files of dir that no package ships: what the block makes. */
static void made_in(struct cl *c, struct secrets *s, const char *dir, struct strv *made)
{
	char *host = root_join(c->root, dir);
	DIR *d = opendir(host);
	struct dirent *de;
	struct stat st;

	while (d && (de = readdir(d))) {
		char *p = xasprintf("%s/%s", strcmp(dir, "/") ? dir : "", de->d_name);

		if (de->d_name[0] != '.' && !owned(s, p) && cl_stat(c, p, &st) == 0 &&
		    S_ISREG(st.st_mode) && !strv_contains(made, p))
			strv_push(made, p);
		free(p);
	}
	if (d)
		closedir(d);
	free(host);
}

/* One if-block (lines[from..to]): a maker when it tests a secret and is
 * plain; its hook, its commands and what it makes. 1 when taken. */
static int take_block(struct cl *c, struct secrets *s, const char *postinst,
		      const struct strv *lines, size_t from, size_t to, struct app_spec *spec)
{
	struct strv block = {0}, hit = {0}, cmds = {0};
	char *text, w[256], *reason;
	int taken = 0;

	for (size_t i = from; i <= to; i++) {
		const char *l = lines->v[i] + strspn(lines->v[i], " \t");

		if (*l && *l != '#')
			strv_push(&block, lines->v[i]);
	}
	text = one_line(&block);
	if (!text || strpbrk(text, "$`#\\") || strstr(text, "<<"))
		goto out;
	char *then = strstr(text, "then"), keep = then ? *then : 0;

	if (then) /* the condition: before "then" */
		*then = 0;
	tested_secrets(c, s, text, &hit);
	if (then)
		*then = keep;
	if (!hit.n)
		goto out;
	for (size_t i = 1; i + 1 < block.n; i++) { /* the commands: in the image */
		struct strv argv = {0};

		first_word(block.v[i], w, sizeof(w));
		if (!*w || !strcmp(w, "then") || !strcmp(w, "else") || !strcmp(w, "fi"))
			continue;
		strv_push(&argv, w);
		if (cl_which(c, &argv) == 0 && argv.v[0][0] == '/')
			strv_push(&cmds, argv.v[0]);
		strv_free(&argv);
	}
	if (!cmds.n)
		goto out;
	reason = xasprintf("makes-secrets=%s", postinst);
	for (size_t i = 0; i < cmds.n; i++)
		cl_add_path(c, cmds.v[i], reason);
	cl_add_path(c, "/bin/sh", reason);
	free(reason);
	for (size_t i = 0; i < hit.n; i++) {
		char *dir = xstrdup(hit.v[i]), *slash = strrchr(dir, '/');

		*slash = 0;
		made_in(c, s, *dir ? dir : "/", &spec->made);
		free(dir);
	}
	/* first of all the hooks, as root: before the --add packages' and the
	 * app's own, as the postinst ran before anything started */
	char *hook = xasprintf("+\t/bin/sh\t-c\t%s", text);

	strv_push_own(&spec->pre, hook);
	memmove(spec->pre.v + 1, spec->pre.v, (spec->pre.n - 1) * sizeof(char *));
	spec->pre.v[0] = hook;
	c->extra_pre++;
	tx_info_once(c->ctx,
		     "closure: '%s' %s made when the package was installed: made again at "
		     "boot by %s's '%s'",
		     hit.v[0], hit.n > 1 ? "and others were" : "was", path_basename(postinst),
		     cmds.v[0]);
	taken = 1;
out:
	free(text);
	fmt_free_lists(&block, &hit, &cmds, NULL);
	return taken;
}

/* The if-blocks of one postinst, innermost last. */
static void scan_postinst(struct cl *c, struct secrets *s, const char *postinst,
			  struct app_spec *spec)
{
	char *host = root_join(c->root, postinst), *text = NULL;
	struct strv lines = {0};
	size_t stack[16], depth = 0;
	char w[64];

	if (read_file(host, &text, NULL, POSTINST_MAX) == 0)
		for (char *l = text, *nl; l && *l; l = nl) {
			nl = strchr(l, '\n');
			if (nl)
				*nl++ = 0;
			strv_push(&lines, l);
		}
	for (size_t i = 0; i < lines.n; i++) {
		first_word(lines.v[i], w, sizeof(w));
		if (!strcmp(w, "if") && depth < sizeof(stack) / sizeof(stack[0]))
			stack[depth++] = i;
		else if (!strcmp(w, "fi") && depth)
			take_block(c, s, postinst, &lines, stack[--depth], i, spec);
	}
	strv_free(&lines);
	free(text);
	free(host);
}

int cl_boot_secrets(struct cl *c, struct app_spec *spec)
{
	struct secrets s = {.c = c};

	if (!spec)
		return 0;
	for (size_t i = 0; i < c->own.n; i++) {
		struct dpkg_pkg *p = dpkg_find(&c->db, c->own.v[i]);
		char *names[2];

		if (!p)
			continue;
		names[0] = xasprintf("/var/lib/dpkg/info/%s.postinst", p->name);
		names[1] =
		    xasprintf("/var/lib/dpkg/info/%s:%s.postinst", p->name, p->arch ? p->arch : "");
		for (int k = 0; k < 2; k++) {
			struct stat st;

			if (cl_stat(c, names[k], &st) == 0 && S_ISREG(st.st_mode))
				scan_postinst(c, &s, names[k], spec);
			free(names[k]);
		}
	}
	strv_free(&s.owned);
	return 0;
}

void cl_drop_made(struct cl *c, const struct app_spec *spec)
{
	size_t k = 0;

	if (!spec || !spec->made.n)
		return;
	for (size_t i = 0; i < c->m->n; i++) {
		struct ment *e = &c->m->e[i];

		if (e->type != ME_USER && e->type != ME_GROUP &&
		    strv_contains(&spec->made, e->path))
			manifest_ment_free(e);
		else
			c->m->e[k++] = *e;
	}
	c->m->n = k;
}
