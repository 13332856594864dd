/* A tiny unit-test harness: CHECK() counts, main() ends with the plain
 * "N passed, N failed" line, and the exit code says whether all passed. */
#ifndef TINYX_T_H
#define TINYX_T_H
#include <stdio.h>
#include <string.h>

static int t_pass, t_fail;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (cond) {                                                                        \
			t_pass++;                                                                  \
		} else {                                                                           \
			t_fail++;                                                                  \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *t_a = (a), *t_b = (b);                                                 \
		if (t_a && t_b && !strcmp(t_a, t_b)) {                                             \
			t_pass++;                                                                  \
		} else {                                                                           \
			t_fail++;                                                                  \
			fprintf(stderr, "%s:%d: '%s' != '%s'\n", __FILE__, __LINE__,               \
				t_a ? t_a : "(null)", t_b ? t_b : "(null)");                       \
		}                                                                                  \
	} while (0)

static int t_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);
	return t_fail ? 1 : 0;
}
#endif
