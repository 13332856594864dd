/* Fuzz the fragment parser, the survival check (the input is also read as a
 * .config and as the kexplain helper's answer) and the reports. */
#include "kernel/kconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct kconfig_set set = {0};
	struct sbuf out = {0};
	char *text = xstrndup((const char *)data, size);

	kconfig_parse_fragment(&ctx, "fuzz.config", (const char *)data, size, &set);
	/* requests of every kind, so the check compares against fuzzed values */
	kconfig_set_add(&set, "A", "y", "x:1");
	kconfig_set_add(&set, "B", "n", "x:2");
	kconfig_set_add(&set, "C", "0x10", "x:3");
	kconfig_set_add(&set, "D", "\"s\"", "x:4");
	kconfig_set_add(&set, "E", "m", "x:5");
	kconfig_set_add(&set, "F", "y", "x:6"); /* "symbol F" in the input explains it */
	kconfig_check_explained(&ctx, (const char *)data, size, &set, text);
	kconfig_report_text(&set, &out);
	sbuf_free(&out);
	kconfig_report_json(&set, text, &out);
	sbuf_free(&out);
	kconfig_allconfig_text(&ctx, NULL, &set, &out);
	sbuf_free(&out);
	kconfig_set_free(&set);
	free(text);
	return 0;
}
