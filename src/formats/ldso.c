/* ld.so.conf parsing and the default library dirs. */
#include "formats/ldso.h"
#include "formats/elfread.h"
#include "formats/text.h"

#include <elf.h>
#include <glob.h>
#include <sys/stat.h>

#define LDSO_MAX_DEPTH 16
#define LDSO_MAX_CONF (1 << 20)

struct arch {
	int machine, elfclass;
	const char *triplet, *platform;
};

static const struct arch arches[] = {
    {EM_X86_64, ELFCLASS64, "x86_64-linux-gnu", "x86_64"},
    {EM_X86_64, ELFCLASS32, "x86_64-linux-gnux32", "x86_64"},
    {EM_386, ELFCLASS32, "i386-linux-gnu", "i686"},
    {EM_AARCH64, ELFCLASS64, "aarch64-linux-gnu", "aarch64"},
    {EM_ARM, ELFCLASS32, "arm-linux-gnueabihf", "v7l"},
    {EM_RISCV, ELFCLASS64, "riscv64-linux-gnu", "riscv64"},
    {EM_PPC64, ELFCLASS64, "powerpc64le-linux-gnu", "power8"},
    {EM_S390, ELFCLASS64, "s390x-linux-gnu", "z900"},
};

static const struct arch *find_arch(int machine, int elfclass)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (arches[i].machine == machine && arches[i].elfclass == elfclass)
			return &arches[i];
	return NULL;
}

const char *ldso_multiarch(int machine, int elfclass)
{
	const struct arch *a = find_arch(machine, elfclass);

	return a ? a->triplet : NULL;
}

const char *ldso_platform(int machine, int elfclass)
{
	const struct arch *a = find_arch(machine, elfclass);

	return a ? a->platform : NULL;
}

static void add_dir(struct strv *dirs, const char *dir)
{
	char *n = path_normalize(dir);

	if (strv_contains(dirs, n))
		free(n);
	else
		strv_push_own(dirs, n);
}

/* Parse the in-root file PATH (resolved inside root) as the ld.so.conf named
 * as (NULL: its resolved path). A missing or not regular file adds nothing;
 * an unreadable one is an error only with report. */
static int parse_conf(struct tx_ctx *ctx, const char *root, const char *path, const char *as,
		      struct strv *dirs, int depth, int report)
{
	char *real = NULL, *host, *text;
	size_t len;
	struct stat st;
	int err = 0;

	if (root_realpath(root, path, &real, NULL) < 0)
		return 0;
	host = root_join(root, real);
	if (stat(host, &st) == 0 && S_ISREG(st.st_mode)) {
		err = read_file(host, &text, &len, LDSO_MAX_CONF);
		if (err == 0) {
			err = ldso_parse(ctx, root, as ? as : real, text, len, dirs, depth);
			free(text);
		} else if (report) {
			err = tx_fail(ctx, err, NULL, "cannot read '%s': %s", host, strerror(-err));
		} else {
			err = 0;
		}
	}
	free(host);
	free(real);
	return err;
}

/* Expand one include pattern inside root and parse every file it names. */
static int include_glob(struct tx_ctx *ctx, const char *root, const char *conf_path,
			const char *pat, struct strv *dirs, int depth)
{
	char *cd = path_dirname(conf_path), *rdir = NULL, *hd, *hostpat;
	char *j = pat[0] == '/' ? xstrdup(pat) : xasprintf("%s/%s", cd, pat);
	char *full = path_normalize(j), *dir = path_dirname(full);
	const char *base = path_basename(full);
	size_t rl = strlen(root);
	glob_t g;
	int err = 0;

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	/* resolve the fixed part inside root, so an absolute symlink such as
	 * /etc/ld.so.conf.d -> /somewhere is read from the root tree; like
	 * ldconfig, an include matching nothing is fine */
	if (*base && (strpbrk(dir, "*?[") || root_realpath(root, dir, &rdir, NULL) == 0)) {
		const char *fixed = rdir ? rdir : dir;

		hd = root_join(root, fixed);
		hostpat = xasprintf("%s%s%s", hd, strcmp(fixed, "/") ? "/" : "", base);
		if (glob(hostpat, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc && !err; i++) {
				const char *match = g.gl_pathv[i];

				/* only a match inside root, resolved again there:
				 * never read a file outside it */
				if (!strncmp(match, root, rl) && (rl <= 1 || match[rl] == '/'))
					err = parse_conf(ctx, root, rl > 1 ? match + rl : match,
							 NULL, dirs, depth + 1, 0);
			}
			globfree(&g);
		}
		free(hd);
		free(hostpat);
	}
	fmt_free_strs(&cd, &j, &full, &dir, &rdir, NULL);
	return err;
}

int ldso_parse(struct tx_ctx *ctx, const char *root, const char *conf_path, const char *text,
	       size_t len, struct strv *dirs, int depth)
{
	struct fmt_lines it = {.p = text, .end = text + len};
	int err = 0;

	if (depth > LDSO_MAX_DEPTH)
		return tx_fail(ctx, -ELOOP, NULL, "too many nested includes in '%s'", conf_path);
	while (!err && fmt_next(&it)) {
		char *s;

		it.line[strcspn(it.line, "#")] = 0;
		s = fmt_strip(it.line);
		if (!strncmp(s, "include", 7) && fmt_is_ws(s[7])) {
			char *save = NULL;

			for (char *t = strtok_r(s + 7, " \t\v\f\r", &save); t && !err;
			     t = strtok_r(NULL, " \t\v\f\r", &save))
				err = include_glob(ctx, root, conf_path, t, dirs, depth);
		} else if (!strncmp(s, "hwcap", 5) && fmt_is_ws(s[5])) {
			/* obsolete hwcap lines: nothing to search */
		} else if (*s == '/') {
			/* libc5-era "dir=TYPE" suffixes are dropped, as ldconfig does */
			char *eq = strchr(s, '=');

			if (eq)
				*eq = 0;
			add_dir(dirs, s);
		}
		/* anything else (a relative dir) is ignored, as ldconfig does */
	}
	free(it.line);
	return err;
}

int ldso_dirs_for(struct tx_ctx *ctx, const char *root, int machine, int elfclass,
		  struct strv *dirs)
{
	static const char *const defaults[] = {"/lib/%s",  "/usr/lib/%s", "/lib",
					       "/usr/lib", "/lib64",	  "/usr/lib64"};
	const char *triplet = ldso_multiarch(machine, elfclass);
	int err = parse_conf(ctx, root, "/etc/ld.so.conf", "/etc/ld.so.conf", dirs, 0, 1);

	if (err)
		return err;
	/* the multiarch dirs (when the triplet is known), then the 64-bit ones */
	for (size_t i = triplet ? 0 : 2; i < (elfclass == ELFCLASS64 ? 6u : 4u); i++) {
		char *d = xasprintf(defaults[i], triplet);

		add_dir(dirs, d);
		free(d);
	}
	return 0;
}

static void host_machine(int *machine, int *elfclass)
{
#if defined(__x86_64__) && defined(__ILP32__)
	*machine = EM_X86_64, *elfclass = ELFCLASS32;
#elif defined(__x86_64__)
	*machine = EM_X86_64, *elfclass = ELFCLASS64;
#elif defined(__i386__)
	*machine = EM_386, *elfclass = ELFCLASS32;
#elif defined(__aarch64__)
	*machine = EM_AARCH64, *elfclass = ELFCLASS64;
#elif defined(__arm__)
	*machine = EM_ARM, *elfclass = ELFCLASS32;
#elif defined(__riscv) && __riscv_xlen == 64
	*machine = EM_RISCV, *elfclass = ELFCLASS64;
#else
	*machine = EM_X86_64, *elfclass = ELFCLASS64;
#endif
}

int ldso_dirs(struct tx_ctx *ctx, const char *root, struct strv *dirs)
{
	static const char *const probes[] = {"/bin/sh", "/usr/bin/env", "/sbin/ldconfig"};
	int machine, elfclass;

	host_machine(&machine, &elfclass);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct tx_ctx tmp = {0};
		struct elf_info e;
		char *real = NULL, *host;
		int r;

		if (root_realpath(root, probes[i], &real, NULL) < 0)
			continue;
		host = root_join(root, real);
		r = elf_read(&tmp, host, &e);
		free(host);
		free(real);
		if (r == 0) {
			machine = e.machine;
			elfclass = e.elfclass;
			elf_info_free(&e);
			break;
		}
	}
	return ldso_dirs_for(ctx, root, machine, elfclass, dirs);
}
