/* The kconfig stage's kbuild runs: allnoconfig with the requests as
 * KCONFIG_ALLCONFIG, in an out-of-tree build dir.
 *
 * Why allnoconfig + KCONFIG_ALLCONFIG rather than merge_config.sh + olddefconfig:
 * with merge_config, every symbol a request makes visible comes back with its
 * Kconfig default (NET brings IPV6, WIRELESS, ~80 NET_VENDOR_* menus, PCI brings
 * PCIEASPM and quirks, ...): measured on the kvm fragments, 609 '=y' symbols
 * against 438 with allnoconfig, which keeps everything not asked for off. This is
 * what toybox's mkroot does with its microconfig. */
#include "kernel/kconfig-int.h"
#include "lib/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#define CONFIG_MAX (16u << 20)

char *kconfig_log_line(const char *path, int last)
{
	char *t = NULL, *e = NULL, *b = NULL;
	size_t len = 0;

	if (read_file(path, &t, &len, 64u << 20)) {
		free(t);
		return xstrdup("");
	}
	if (last) {
		for (e = t + len; e > t && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '); e--)
			;
		*e = 0;
		b = strrchr(t, '\n');
		b = b ? b + 1 : t;
	} else if ((e = strstr(t, "error:")) || (e = strstr(t, "Error "))) {
		for (b = e; b > t && b[-1] != '\n'; b--)
			;
		if ((e = strchr(e, '\n')))
			*e = 0;
	}
	b = xstrdup(b ? b : "");
	free(t);
	return b;
}

int kbuild_env_ignored(const char *e)
{
	/* what would send kbuild elsewhere: another .config, arch, output dir,
	 * compiler, or the jobserver of a make that runs tinyx */
	static const char *const drop[] = {
	    "KBUILD_",	      "KCONFIG_",	"ARCH=",       "SRCARCH=",	"O=",
	    "CROSS_COMPILE=", "LLVM=",		"CC=",	       "MAKEFLAGS=",	"MFLAGS=",
	    "MAKELEVEL=",     "MAKEOVERRIDES=", "CCACHE_DIR=", "CCACHE_DEPEND="};

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (!strncmp(e, drop[i], strlen(drop[i])))
			return 1;
	return 0;
}

char **kconfig_env(char *const extra[])
{
	size_t n = 0, x = 0, o = 0;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[x])
		x++;
	env = xcalloc(n + x + 1, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (!kbuild_env_ignored(environ[i]))
			env[o++] = environ[i];
	for (size_t i = 0; i < x; i++)
		env[o++] = extra[i];
	return env;
}

int kconfig_run_logged(struct tx_ctx *ctx, char *const argv[], const char *log)
{
	struct tx_spawn sp = TX_SPAWN_INIT(argv);
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644), st;
	char **env;

	if (fd < 0)
		return -errno;
	sp.envp = env = kconfig_env(NULL);
	sp.out = sp.err = fd;
	st = tx_run(ctx, &sp);
	close(fd);
	free(env);
	return st;
}

/* make -s -C SRC O=BUILD [KCONFIG_ALLCONFIG=FILE] TARGET, logged in log */
static int kbuild_config(struct tx_ctx *ctx, const char *srcdir, const char *builddir,
			 const char *log, const char *allconfig, const char *target)
{
	char *o = xasprintf("O=%s", builddir);
	char *a = allconfig ? xasprintf("KCONFIG_ALLCONFIG=%s", allconfig) : NULL;
	char *argv[] = {"make",
			"-s",
			"-C",
			(char *)srcdir,
			o,
			a ? a : (char *)target,
			a ? (char *)target : NULL,
			NULL};
	int st = kconfig_run_logged(ctx, argv, log);

	free(o);
	free(a);
	if (st == -ENOENT)
		return tx_fail(ctx, st, "kconfig",
			       "cannot run 'make' (maybe you need to: apt-get install make)");
	if (st < 0)
		return tx_fail(ctx, st, "kconfig", "cannot run 'make': %s", strerror(-st));
	if (st > 0) {
		char *t = kconfig_log_line(log, 1);

		st = tx_fail(ctx, -EIO, "kconfig", "kbuild '%s' failed (exit %d): %s (see '%s')",
			     target, st, t, log);
		free(t);
	}
	return st;
}

/* The stamp beside a .config this stage made: "KEY DIGEST", KEY the source
 * dir and the requests, DIGEST the .config's SHA-256 then. The same requests
 * again (the minimizer asks for a trial's config, then builds it) find the
 * .config as it was and reuse it: one kconfig run instead of two. kbuild's
 * syncconfig rewrites .config only when Kconfig's answers change (a new
 * compiler); then the digest differs and the config is made again. */
#define STAMP "tinyx.configured"

static void stamp_key(const char *srcdir, const struct sbuf *all, char out[65])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, STAMP, sizeof(STAMP));
	sha256_update(&s, srcdir, strlen(srcdir) + 1);
	sha256_update(&s, all->s ? all->s : "", all->len);
	sha256_hex(&s, out);
}

static void digest(const char *text, size_t len, char out[65])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, text, len);
	sha256_hex(&s, out);
}

/* The .config's text when the stamp says it was made from the same
 * requests and it has not changed since, else NULL. */
static char *stamped_config(const char *stamp, const char *cfgpath, const char *key, size_t *len)
{
	char *prev = NULL, *text = NULL, d[65];
	int same = 0;

	if (!read_file(stamp, &prev, NULL, 256) && strlen(prev) >= 129 && !strncmp(prev, key, 64) &&
	    prev[64] == ' ' && !read_file(cfgpath, &text, len, CONFIG_MAX)) {
		digest(text, *len, d);
		same = !strncmp(prev + 65, d, 64);
	}
	free(prev);
	if (same)
		return text;
	free(text);
	return NULL;
}

int kconfig_make_locked(struct tx_ctx *ctx, const char *srcdir_kernel, const char *builddir,
			const struct kconfig_set *set, char **config, size_t *clen)
{
	struct sbuf all = {0};
	char *allpath = xasprintf("%s/tinyx.allconfig", builddir);
	char *cfgpath = xasprintf("%s/.config", builddir);
	char *log = xasprintf("%s/kconfig.log", builddir), *text = NULL;
	char *stamp = xasprintf("%s/" STAMP, builddir), key[65], d[65], line[131];
	size_t len = 0;
	int err = kconfig_allconfig_text(ctx, srcdir_kernel, set, &all);

	if (!err) {
		stamp_key(srcdir_kernel, &all, key);
		text = stamped_config(stamp, cfgpath, key, &len);
	}
	if (!err && !text) {
		unlink(log);
		unlink(stamp);
		if ((err = write_file_atomic(allpath, all.s, all.len, 0644)))
			tx_fail(ctx, err, "kconfig", "cannot write '%s': %s", allpath,
				strerror(-err));
		/* one run: allnoconfig writes every symbol as its dependencies
		 * allow, so an olddefconfig after it changes nothing (kernel_build
		 * checks that kbuild left the .config as it was) */
		if (!err) {
			tx_info(ctx, "kconfig: allnoconfig + %zu requests", set->n);
			err = kbuild_config(ctx, srcdir_kernel, builddir, log, allpath,
					    "allnoconfig");
		}
		if (!err && (err = read_file(cfgpath, &text, &len, CONFIG_MAX)))
			tx_fail(ctx, err, "kconfig", "cannot read '%s': %s", cfgpath,
				strerror(-err));
		if (!err) {
			digest(text, len, d);
			snprintf(line, sizeof(line), "%s %s\n", key, d);
			write_file_atomic(stamp, line, strlen(line), 0644);
		}
	}
	if (!err)
		err = kconfig_check(ctx, text, len, set, srcdir_kernel, builddir);
	if (!err && config) {
		*config = text;
		*clen = len;
		text = NULL;
	}
	free(text);
	free(log);
	free(stamp);
	free(cfgpath);
	free(allpath);
	sbuf_free(&all);
	return err;
}

int kconfig_lock(struct tx_ctx *ctx, const char *stage, const char *builddir, const char *suffix)
{
	char *lock = xasprintf("%s%s", builddir, suffix);
	int fd = mkdir_p(builddir, 0755);

	if (fd)
		fd = tx_fail(ctx, fd, stage, "cannot create '%s': %s", builddir, strerror(-fd));
	else if ((fd = lock_path(lock)) < 0)
		fd = tx_fail(ctx, fd, stage, "cannot lock '%s': %s", lock, strerror(-fd));
	free(lock);
	return fd;
}

int kconfig_make(struct tx_ctx *ctx, const char *srcdir_kernel, const char *builddir,
		 const struct kconfig_set *set)
{
	/* the same lock kernel_build holds: never rewrite .config under a build */
	int fd = kconfig_lock(ctx, "kconfig", builddir, ".lock"), err;

	if (fd < 0)
		return fd;
	err = kconfig_make_locked(ctx, srcdir_kernel, builddir, set, NULL, NULL);
	close(fd);
	return err;
}
