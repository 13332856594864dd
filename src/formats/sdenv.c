/* systemd's environment: EnvironmentFile= contents and the $NAME / ${NAME}
 * expansion of Exec*= words (sdunit.h). Debian's units take their options
 * this way: ExecStart=/usr/sbin/named -f $OPTIONS with
 * EnvironmentFile=-/etc/default/named. */
#include "formats/sdunit.h"
#include "formats/text.h"

static int name_char(char c, int first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/* The value after '=' (n bytes), unquoted, into out. */
static void env_value(const char *v, size_t n, struct sbuf *out)
{
	char q = n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0] ? v[0] : 0;

	if (q) {
		v++;
		n -= 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (q != '\'' && v[i] == '\\' && i + 1 < n)
			i++;
		sbuf_printf(out, "%c", v[i]);
	}
}

void sd_env_file_parse(const char *text, size_t len, struct strv *env)
{
	const char *p = text, *end = text + len, *l;
	size_t n;

	while (p < end && (l = fmt_line(&p, end, &n))) {
		struct sbuf e = {0};
		size_t k = 0;

		l = fmt_trim(l, &n);
		if (!n || *l == '#' || *l == ';' || !name_char(*l, 1))
			continue;
		while (k < n && name_char(l[k], 0))
			k++;
		if (k >= n || l[k] != '=')
			continue;
		sbuf_printf(&e, "%.*s=", (int)k, l);
		env_value(l + k + 1, n - k - 1, &e);
		strv_push(env, e.s);
		sbuf_free(&e);
	}
}

/* The value of NAME (n bytes) in env, the last setting; NULL when unset. */
static const char *env_get(const struct strv *env, const char *name, size_t n)
{
	const char *v = NULL;

	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], name, n) && env->v[i][n] == '=')
			v = env->v[i] + n + 1;
	return v;
}

/* One word with ${NAME} and $$ replaced. */
static char *expand_braces(const char *w, const struct strv *env)
{
	struct sbuf out = {0};

	sbuf_puts(&out, "");
	for (const char *p = w; *p; p++) {
		const char *close = p[0] == '$' && p[1] == '{' ? strchr(p + 2, '}') : NULL;

		if (p[0] == '$' && p[1] == '$') {
			sbuf_puts(&out, "$");
			p++;
		} else if (close) {
			const char *v = env_get(env, p + 2, (size_t)(close - p - 2));

			sbuf_puts(&out, v ? v : "");
			p = close;
		} else {
			sbuf_printf(&out, "%c", *p);
		}
	}
	return out.s;
}

void sd_expand_argv(const struct strv *argv, const struct strv *env, struct strv *out)
{
	for (size_t i = 0; i < argv->n; i++) {
		const char *w = argv->v[i], *v, *word;
		size_t n = 0, wl;

		while (w[0] == '$' && name_char(w[1 + n], n == 0))
			n++;
		if (!n || w[1 + n]) {
			strv_push_own(out, expand_braces(w, env));
			continue;
		}
		/* "$NAME" alone: its value's words */
		v = env_get(env, w + 1, n);
		while (v && (word = fmt_word(&v, &wl)))
			strv_push_own(out, xasprintf("%.*s", (int)wl, word));
	}
}
