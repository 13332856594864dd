/* libFuzzer target: unit files, command lines, tmpfiles.d, unit discovery,
 * EnvironmentFile contents and $NAME expansion. */
#include "formats/sdunit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct sd_unit u = {0};
	struct tmpfiles t = {0};
	struct strv argv = {0}, files = {0}, units = {0}, env = {0}, out = {0};
	char *text = xstrndup((const char *)data, size);

	if (sd_unit_parse(&ctx, "x.service", (const char *)data, size, &u) == 0) {
		for (size_t i = 0; i < u.exec_start.n; i++)
			sd_split_cmdline(&ctx, u.exec_start.v[i], &argv);
	}
	sd_unit_free(&u);
	strv_free(&argv);
	tmpfiles_parse(&ctx, "x.conf", (const char *)data, size, &t);
	tmpfiles_free(&t);
	sd_split_cmdline(&ctx, text, &argv);
	/* the same bytes as an EnvironmentFile, expanded into the words */
	sd_env_file_parse((const char *)data, size, &env);
	sd_expand_argv(&argv, &env, &out);
	strv_free(&out);
	strv_free(&env);
	strv_free(&argv);
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		strv_push(&files, l);
	sd_find_units(&ctx, NULL, &files, &units);
	strv_free(&units);
	strv_free(&files);
	free(text);
	return 0;
}
