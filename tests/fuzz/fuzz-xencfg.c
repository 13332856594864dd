/* libFuzzer target: the xl config readers of the Xen probe and the Xen
 * kit's modules.dep reader. A value never holds its quote or a newline; a
 * module order never names a module twice. */
#include "xen/xenkit.h"
#include "xen/xenprobe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct strv out = {0};
	char *text = malloc(size + 1);
	const char *const keys[] = {"type", "cmdline", "vif", "kernel", ""};
	const char *const want[] = {"xen-evtchn", "bridge", "a", NULL};

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *a = xenprobe_cfg_string(text, keys[i]),
		     *b = xenprobe_cfg_first(text, keys[i]);
		if ((a && strchr(a, '\n')) || (b && strchr(b, '\n')))
			abort();
		free(a);
		free(b);
	}
	if (xenkit_module_order(&ctx, text, want, &out) == 0) {
		for (size_t i = 0; i < out.n; i++)
			for (size_t j = i + 1; j < out.n; j++)
				if (!strcmp(out.v[i], out.v[j]))
					abort();
	}
	strv_free(&out);
	free(text);
	return 0;
}
