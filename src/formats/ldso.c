/* ld.so.conf parsing and the default library dirs. */
#include "formats/ldso.h"
#include "formats/elfread.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
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

static int has_glob_meta(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Expand one include pattern inside root and parse every file it names. */
static int include_glob(struct tx_ctx *ctx, const char *root, const char *conf_path,
			const char *pat, struct strv *dirs, int depth)
{
	char *full, *dir, *hostpat, *rdir = NULL;
	const char *base;
	size_t rl = strlen(root);
	glob_t g;
	int err = 0, gr;

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (pat[0] == '/') {
		full = path_normalize(pat);
	} else {
		char *cd = path_dirname(conf_path), *j = xasprintf("%s/%s", cd, pat);

		full = path_normalize(j);
		free(cd);
		free(j);
	}
	dir = path_dirname(full);
	base = path_basename(full);
	if (!*base) {
		free(dir);
		free(full);
		return 0;
	}
	/* resolve the fixed part inside root, so an absolute symlink such as
	 * /etc/ld.so.conf.d -> /somewhere is read from the root tree */
	if (!has_glob_meta(dir)) {
		if (root_realpath(root, dir, &rdir, NULL) < 0) {
			free(dir);
			free(full);
			return 0; /* like ldconfig: an include matching nothing is fine */
		}
		free(dir);
		dir = rdir;
	}
	{
		char *hd = root_join(root, dir);

		hostpat =
		    !strcmp(dir, "/") ? xasprintf("%s%s", hd, base) : xasprintf("%s/%s", hd, base);
		free(hd);
	}
	gr = glob(hostpat, 0, NULL, &g);
	for (size_t i = 0; gr == 0 && i < g.gl_pathc && !err; i++) {
		const char *match = g.gl_pathv[i];
		char *real = NULL, *host, *text;
		size_t len;
		struct stat st;

		if (strncmp(match, root, rl) || (rl > 1 && match[rl] != '/'))
			continue;
		/* re-resolve inside root: never read a file outside it */
		if (root_realpath(root, rl > 1 ? match + rl : match, &real, NULL) < 0)
			continue;
		host = root_join(root, real);
		if (stat(host, &st) == 0 && S_ISREG(st.st_mode) &&
		    read_file(host, &text, &len, LDSO_MAX_CONF) == 0) {
			err = ldso_parse(ctx, root, real, text, len, dirs, depth + 1);
			free(text);
		}
		free(host);
		free(real);
	}
	if (gr == 0)
		globfree(&g);
	free(hostpat);
	free(dir);
	free(full);
	return err;
}

int ldso_parse(struct tx_ctx *ctx, const char *root, const char *conf_path, const char *text,
	       size_t len, struct strv *dirs, int depth)
{
	size_t pos = 0;
	int err = 0;

	if (depth > LDSO_MAX_DEPTH)
		return tx_fail(ctx, -ELOOP, NULL, "too many nested includes in '%s'", conf_path);
	while (pos < len && !err) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *line = xstrndup(text + pos, ll), *s, *e, *hash;

		pos += ll + 1;
		hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		s = line;
		while (isspace((unsigned char)*s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = 0;
		if (!strncmp(s, "include", 7) && isspace((unsigned char)s[7])) {
			char *save = NULL;

			for (char *t = strtok_r(s + 7, " \t\v\f\r", &save); t && !err;
			     t = strtok_r(NULL, " \t\v\f\r", &save))
				err = include_glob(ctx, root, conf_path, t, dirs, depth);
		} else if (!strncmp(s, "hwcap", 5) && isspace((unsigned char)s[5])) {
			/* obsolete hwcap lines: nothing to search */
		} else if (*s == '/') {
			/* libc5-era "dir=TYPE" suffixes are dropped, as ldconfig does */
			char *eq = strchr(s, '=');

			if (eq)
				*eq = 0;
			add_dir(dirs, s);
		}
		/* anything else (a relative dir) is ignored, as ldconfig does */
		free(line);
	}
	return err;
}

int ldso_dirs_for(struct tx_ctx *ctx, const char *root, int machine, int elfclass,
		  struct strv *dirs)
{
	const char *triplet = ldso_multiarch(machine, elfclass);
	char *real = NULL;
	int err = 0;

	if (root_realpath(root, "/etc/ld.so.conf", &real, NULL) == 0) {
		char *host = root_join(root, real), *text;
		size_t len;
		struct stat st;

		if (stat(host, &st) == 0 && S_ISREG(st.st_mode)) {
			err = read_file(host, &text, &len, LDSO_MAX_CONF);
			if (err)
				err = tx_fail(ctx, err, NULL, "cannot read '%s': %s", host,
					      strerror(-err));
			else {
				err = ldso_parse(ctx, root, "/etc/ld.so.conf", text, len, dirs, 0);
				free(text);
			}
		}
		free(host);
		free(real);
	}
	if (err)
		return err;
	if (triplet) {
		char *a = xasprintf("/lib/%s", triplet), *b = xasprintf("/usr/lib/%s", triplet);

		add_dir(dirs, a);
		add_dir(dirs, b);
		free(a);
		free(b);
	}
	add_dir(dirs, "/lib");
	add_dir(dirs, "/usr/lib");
	if (elfclass == ELFCLASS64) {
		add_dir(dirs, "/lib64");
		add_dir(dirs, "/usr/lib64");
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
