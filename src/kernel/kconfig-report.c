/* The kconfig stage's reports: the request list as text or JSON. */
#include "kernel/kconfig-int.h"

#include <stdlib.h>
#include <string.h>

void kconfig_report_text(const struct kconfig_set *set, struct sbuf *out)
{
	for (size_t i = 0; i < set->n; i++) {
		size_t start = out->len;

		kconfig_req_line(&set->r[i], out);
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

/* KEY: after a comma but for the first (i == 0) */
static void json_key(struct sbuf *out, size_t i, const char *key)
{
	sbuf_puts(out, i ? "," : "");
	sbuf_json_str(out, key);
	sbuf_puts(out, ":");
}

void kconfig_report_json(const struct kconfig_set *set, const char *config_text, struct sbuf *out)
{
	struct cmap m = {0};

	sbuf_puts(out, "{\"options\":{");
	if (config_text)
		kconfig_lines(config_text, strlen(config_text), 0, &m);
	for (size_t i = 0; i < m.n; i++) {
		char *name = xstrndup(m.e[i].name, m.e[i].nlen);

		json_key(out, i, name);
		json_value(out, m.e[i].val, m.e[i].vlen);
		free(name);
	}
	for (size_t i = 0; !config_text && i < set->n; i++) {
		json_key(out, i, set->r[i].option);
		json_value(out, set->r[i].value, strlen(set->r[i].value));
	}
	sbuf_puts(out, "},\"reasons\":{");
	for (size_t i = 0; i < set->n; i++) {
		json_key(out, i, set->r[i].option);
		sbuf_json_str(out, set->r[i].why);
	}
	sbuf_puts(out, "},\"notes\":[");
	for (size_t i = 0; i < set->notes.n; i++) {
		sbuf_puts(out, i ? "," : "");
		sbuf_json_str(out, set->notes.v[i]);
	}
	sbuf_puts(out, "]}\n");
	free(m.e);
}
