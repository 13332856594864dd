/* The kconfig stage's kbuild runs: allnoconfig with the requests as
 * KCONFIG_ALLCONFIG, then olddefconfig, in an out-of-tree build dir.
 *
 * Why allnoconfig + KCONFIG_ALLCONFIG rather than merge_config.sh + olddefconfig:
 * with merge_config, every symbol a request makes visible comes back with its
 * Kconfig default (NET brings IPV6, WIRELESS, ~80 NET_VENDOR_* menus, PCI brings
 * PCIEASPM and quirks, ...): measured on the kvm fragments, 609 '=y' symbols
 * against 438 with allnoconfig, which keeps everything not asked for off. This is
 * what toybox's mkroot does with its microconfig. */
#include "kernel/kconfig-int.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define CONFIG_MAX (16u << 20)

/* Last non-empty line of a log, for one-line errors. */
static char *log_tail(const char *path)
{
	char *text = NULL, *e, *s;
	size_t len = 0;

	if (read_file(path, &text, &len, 64u << 20) || !len) {
		free(text);
		return xstrdup("");
	}
	e = text + len;
	while (e > text && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
		e--;
	*e = 0;
	s = strrchr(text, '\n');
	s = xstrdup(s ? s + 1 : text);
	free(text);
	return s;
}

int kbuild_env_ignored(const char *e)
{
	/* what would send kbuild elsewhere: another .config, arch, output dir,
	 * compiler, or the jobserver of a make that runs tinyx */
	static const char *const drop[] = {
	    "KBUILD_",	      "KCONFIG_",	"ARCH=",      "SRCARCH=",   "O=",
	    "CROSS_COMPILE=", "LLVM=",		"CC=",	      "MAKEFLAGS=", "MFLAGS=",
	    "MAKELEVEL=",     "MAKEOVERRIDES=", "CCACHE_DIR="};

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (!strncmp(e, drop[i], strlen(drop[i])))
			return 1;
	return 0;
}

int kconfig_run_logged(char *const argv[], const char *log)
{
	posix_spawn_file_actions_t fa;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644), err, st;
	size_t n = 0, o = 0;
	char **env;
	pid_t pid;

	if (fd < 0)
		return -errno;
	while (environ[n])
		n++;
	env = xcalloc(n + 1, sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (!kbuild_env_ignored(environ[i]))
			env[o++] = environ[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	posix_spawn_file_actions_adddup2(&fa, fd, 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	close(fd);
	free(env);
	if (err)
		return -err;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int kbuild_config(struct tx_ctx *ctx, const char *srcdir, const char *builddir,
			 const char *allconfig, const char *target)
{
	char *o = xasprintf("O=%s", builddir);
	char *a = allconfig ? xasprintf("KCONFIG_ALLCONFIG=%s", allconfig) : NULL;
	char *log = xasprintf("%s/kconfig.log", builddir);
	/* make -s -C SRC O=BUILD [KCONFIG_ALLCONFIG=FILE] TARGET */
	char *argv[] = {"make",
			"-s",
			"-C",
			(char *)srcdir,
			o,
			a ? a : (char *)target,
			a ? (char *)target : NULL,
			NULL};
	int st;

	st = kconfig_run_logged(argv, log);
	if (st == -ENOENT)
		st = tx_fail(ctx, st, "kconfig",
			     "cannot run 'make' (maybe you need to: apt-get install make)");
	else if (st < 0)
		st = tx_fail(ctx, st, "kconfig", "cannot run 'make': %s", strerror(-st));
	else if (st > 0) {
		char *t = log_tail(log);

		st = tx_fail(ctx, -EIO, "kconfig", "kbuild '%s' failed (exit %d): %s (see '%s')",
			     target, st, t, log);
		free(t);
	}
	free(o);
	free(a);
	free(log);
	return st;
}

int kconfig_make_locked(struct tx_ctx *ctx, const char *srcdir_kernel, const char *builddir,
			const struct kconfig_set *set)
{
	struct sbuf all = {0};
	char *allpath = NULL, *cfgpath = NULL, *log = NULL, *text = NULL;
	size_t len = 0;
	int err = mkdir_p(builddir, 0755);

	if (err)
		return tx_fail(ctx, err, "kconfig", "cannot create '%s': %s", builddir,
			       strerror(-err));
	err = kconfig_allconfig_text(ctx, srcdir_kernel, set, &all);
	if (err)
		goto out;
	allpath = xasprintf("%s/tinyx.allconfig", builddir);
	cfgpath = xasprintf("%s/.config", builddir);
	log = xasprintf("%s/kconfig.log", builddir);
	unlink(log);
	err = write_file_atomic(allpath, all.s, all.len, 0644);
	if (err) {
		err =
		    tx_fail(ctx, err, "kconfig", "cannot write '%s': %s", allpath, strerror(-err));
		goto out;
	}
	tx_info(ctx, "kconfig: allnoconfig + %zu requests, olddefconfig", set->n);
	err = kbuild_config(ctx, srcdir_kernel, builddir, allpath, "allnoconfig");
	if (!err)
		err = kbuild_config(ctx, srcdir_kernel, builddir, NULL, "olddefconfig");
	if (err)
		goto out;
	err = read_file(cfgpath, &text, &len, CONFIG_MAX);
	if (err) {
		err = tx_fail(ctx, err, "kconfig", "cannot read '%s': %s", cfgpath, strerror(-err));
		goto out;
	}
	err = kconfig_check(ctx, text, len, set, srcdir_kernel, builddir);
out:
	free(text);
	free(log);
	free(cfgpath);
	free(allpath);
	sbuf_free(&all);
	return err;
}

int kconfig_make(struct tx_ctx *ctx, const char *srcdir_kernel, const char *builddir,
		 const struct kconfig_set *set)
{
	/* the same lock kernel_build holds: never rewrite .config under a build */
	char *lock = xasprintf("%s.lock", builddir);
	char *parent = path_dirname(builddir);
	int fd, err = mkdir_p(parent, 0755);

	free(parent);
	fd = err ? err : lock_path(lock);
	if (fd < 0) {
		err = tx_fail(ctx, fd, "kconfig", "cannot lock '%s': %s", lock, strerror(-fd));
		free(lock);
		return err;
	}
	free(lock);
	err = kconfig_make_locked(ctx, srcdir_kernel, builddir, set);
	close(fd);
	return err;
}
