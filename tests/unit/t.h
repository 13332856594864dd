/* A tiny unit-test harness: CHECK() counts, main() ends with the plain
 * "N passed, N failed" line, and the exit code says whether all passed.
 *
 * Named cases: RUN(test_parse) sets the case name to "test_parse" and calls
 * it; TCASE("json report") names the checks that follow (for a main() that
 * holds several topics). A failure prints
 *   FILE:LINE: [case] check failed: EXPR
 * and t_done() lists the cases that failed before the closing line.
 *
 * Golden files: CHECK_GOLDEN(text, "name.json") compares the whole text with
 * tests/unit/golden/name.json, found by walking up from the working dir and
 * from the test binary's dir (so any cwd inside the tree works); with
 * UPDATE_GOLDEN=1 in the environment it writes the file instead. */
#ifndef TINYX_T_H
#define TINYX_T_H
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int t_pass, t_fail;
static const char *t_case = "main";
static char t_failed_cases[1024];

#define TCASE(name) (t_case = (name))
#define RUN(fn) (t_case = #fn, fn(), t_case = "main")

/* count a failure, note its case (once in a row) and return the case name */
static inline const char *t_failed(void)
{
	static const char *last;
	size_t n = strlen(t_failed_cases);

	t_fail++;
	if (last != t_case && n + strlen(t_case) + 3 < sizeof(t_failed_cases))
		snprintf(t_failed_cases + n, sizeof(t_failed_cases) - n, "%s%s", n ? ", " : "",
			 t_case);
	last = t_case;
	return t_case;
}

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (cond) {                                                                        \
			t_pass++;                                                                  \
		} else {                                                                           \
			fprintf(stderr, "%s:%d: [%s] check failed: %s\n", __FILE__, __LINE__,      \
				t_failed(), #cond);                                                \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *t_a = (a), *t_b = (b);                                                 \
		if (t_a && t_b && !strcmp(t_a, t_b)) {                                             \
			t_pass++;                                                                  \
		} else {                                                                           \
			fprintf(stderr, "%s:%d: [%s] '%s' != '%s'\n", __FILE__, __LINE__,          \
				t_failed(), t_a ? t_a : "(null)", t_b ? t_b : "(null)");           \
		}                                                                                  \
	} while (0)

/* the dir holding tests/unit/t.h, walking up from start; 0 when found */
static inline int t_find_tree(const char *start, char *out, size_t size)
{
	char d[PATH_MAX], p[PATH_MAX + 32];

	if (!realpath(start, d))
		return -1;
	for (;;) {
		snprintf(p, sizeof(p), "%s/tests/unit/t.h", d);
		if (access(p, R_OK) == 0) {
			snprintf(out, size, "%s", d);
			return 0;
		}
		char *slash = strrchr(d, '/');

		if (!slash || slash == d)
			return -1;
		*slash = 0;
	}
}

/* PATH of tests/unit/golden/NAME; 0 when the tree was found */
static inline int t_golden_path(const char *name, char *path, size_t size)
{
	char tree[PATH_MAX], exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (t_find_tree(".", tree, sizeof(tree)) != 0) {
		if (n <= 0)
			return -1;
		exe[n] = 0;
		*strrchr(exe, '/') = 0;
		if (t_find_tree(exe, tree, sizeof(tree)) != 0)
			return -1;
	}
	snprintf(path, size, "%s/tests/unit/golden/%s", tree, name);
	return 0;
}

static inline char *t_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			char *t = realloc(s, cap = 2 * cap + 4096 + 1);

			if (!t)
				break;
			s = t;
		}
		n = fread(s + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	if (s)
		s[len] = 0;
	return s;
}

/* the first line where a and b differ, shown on stderr */
static inline void t_show_diff(const char *a, const char *b)
{
	int line = 1;

	while (*a && *a == *b) {
		line += *a == '\n';
		a++, b++;
	}
	while (line > 1 && a[-1] != '\n')
		a--, b--;
	fprintf(stderr, "  line %d: got  '%.*s'\n", line, (int)strcspn(a, "\n"), a);
	fprintf(stderr, "  line %d: want '%.*s'\n", line, (int)strcspn(b, "\n"), b);
}

static inline void t_golden(const char *file, int line, const char *got, const char *name)
{
	char path[PATH_MAX + 64];
	char *want;
	const char *upd = getenv("UPDATE_GOLDEN");

	if (!got || t_golden_path(name, path, sizeof(path)) != 0) {
		fprintf(stderr, "%s:%d: [%s] golden %s: %s\n", file, line, t_failed(), name,
			got ? "cannot find tests/unit/ above the cwd or the binary" : "no output");
		return;
	}
	if (upd && *upd && strcmp(upd, "0")) {
		FILE *f = fopen(path, "wb");

		if (!f || fputs(got, f) == EOF || fclose(f) != 0) {
			fprintf(stderr, "%s:%d: [%s] cannot write '%s'\n", file, line, t_failed(),
				path);
			return;
		}
		fprintf(stderr, "%s:%d: [%s] wrote %s\n", file, line, t_case, path);
		t_pass++;
		return;
	}
	want = t_slurp(path);
	if (want && !strcmp(got, want)) {
		t_pass++;
	} else {
		fprintf(stderr, "%s:%d: [%s] output differs from %s%s\n", file, line, t_failed(),
			path, want ? "" : " (missing)");
		if (want)
			t_show_diff(got, want);
		fprintf(stderr, "  (UPDATE_GOLDEN=1 make unit rewrites it; review the diff)\n");
	}
	free(want);
}

#define CHECK_GOLDEN(got, name) t_golden(__FILE__, __LINE__, (got), (name))

static inline int t_done(const char *name)
{
	if (t_failed_cases[0])
		printf("%s: failed cases: %s\n", name, t_failed_cases);
	printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);
	return t_fail ? 1 : 0;
}
#endif
