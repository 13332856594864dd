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
