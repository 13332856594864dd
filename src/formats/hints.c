/* The per-app hint file; see hints.h. */
#include "formats/hints.h"
#include "formats/text.h"

static void push(struct hints *h, enum hint_kind k, const char *arg, int line)
{
	h->h = fmt_grow(h->h, h->n, sizeof(*h->h));
	h->h[h->n++] = (struct hint){k, xstrdup(arg), line};
}

/* "http 80" or "tcp 6379": 0, or -EINVAL */
static int parse_service(const char *arg, struct hints *h)
{
	size_t n = strcspn(arg, " \t");
	unsigned port;

	if (!(n == 4 && !strncmp(arg, "http", 4)) && !(n == 3 && !strncmp(arg, "tcp", 3)))
		return -EINVAL;
	if (fmt_uint(arg + n + strspn(arg + n, " \t"), 10, 65535, &port) < 0 || port < 1)
		return -EINVAL;
	memcpy(h->service, arg, n);
	h->service[n] = 0;
	h->port = (int)port;
	return 0;
}

int hints_parse(struct tx_ctx *ctx, const char *name, const char *data, size_t len,
		struct hints *out)
{
	/* the keywords, in enum hint_kind's order */
	static const char *const kinds[] = {"include", "exclude", "exec", "user", "service"};
	enum { HINT_COUNT = sizeof(kinds) / sizeof(kinds[0]) };
	char *text;
	int r = 0, lineno = 0, k;

	memset(out, 0, sizeof(*out));
	strcpy(out->service, "none");
	if (memchr(data, 0, len))
		return tx_fail(ctx, -EINVAL, NULL, "NUL byte in hints '%s'", name);
	text = xstrndup(data, len);
	for (char *l = text, *nl; l && *l && !r; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = 0;
		lineno++;
		while (*l == ' ' || *l == '\t')
			l++;
		if (*l == '#')
			continue;
		for (char *h = l; *h; h++) /* a comment after a blank */
			if (*h == '#' && h > l && (h[-1] == ' ' || h[-1] == '\t'))
				*h = 0;
		size_t n = strlen(l);
		while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
			l[--n] = 0;
		if (!n)
			continue;
		char *arg = l + strcspn(l, " \t");
		if (*arg)
			*arg++ = 0;
		while (*arg == ' ' || *arg == '\t')
			arg++;
		for (k = 0; k < HINT_COUNT && strcmp(l, kinds[k]);)
			k++;
		if (!*arg)
			r = tx_fail(ctx, -EINVAL, NULL, "hint without argument at %s:%d", name,
				    lineno);
		else if (k == HINT_COUNT)
			r = tx_fail(ctx, -EINVAL, NULL, "unknown hint '%s' at %s:%d", l, name,
				    lineno);
		else if ((k == HINT_INCLUDE || k == HINT_EXCLUDE) && arg[0] != '/')
			r = tx_fail(ctx, -EINVAL, NULL, "hinted path is not absolute '%s' (%s:%d)",
				    arg, name, lineno);
		else if (k == HINT_SERVICE && parse_service(arg, out) < 0)
			r = tx_fail(ctx, -EINVAL, NULL,
				    "bad service hint '%s' at %s:%d (http|tcp PORT)", arg, name,
				    lineno);
		else
			push(out, (enum hint_kind)k, arg, lineno);
	}
	free(text);
	if (r < 0)
		hints_free(out);
	return r;
}

int hints_load(struct tx_ctx *ctx, const char *projdir, const char *app, struct hints *out)
{
	char *file = xasprintf("%s/rootfs-overlays/%s/hints", projdir, app);
	char *text = NULL;
	size_t len = 0;
	int r = read_file(file, &text, &len, 1 << 20);

	memset(out, 0, sizeof(*out));
	strcpy(out->service, "none");
	if (r == -ENOENT)
		r = 0;
	else if (r < 0)
		r = tx_fail(ctx, r, NULL, "cannot read hints '%s'", file);
	else
		r = hints_parse(ctx, file, text, len, out);
	free(text);
	free(file);
	return r;
}

int hints_service(struct tx_ctx *ctx, const char *projdir, const char *app, char service[8],
		  int *port)
{
	struct hints h;
	int r = hints_load(ctx, projdir, app, &h);

	strcpy(service, r == 0 ? h.service : "none");
	*port = r == 0 ? h.port : 0;
	hints_free(&h);
	return r;
}

void hints_free(struct hints *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->h[i].arg);
	free(h->h);
	h->h = NULL;
	h->n = 0;
}
