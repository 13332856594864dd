/* The kernel stage: unpack linux-source once, make the .config, build through
 * ccache out of tree, cache the result by the hash of the final .config. */
#include "kernel/kernel.h"
#include "kernel/kconfig-int.h"
#include "lib/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* bump when the build recipe changes what comes out for the same .config
 * (part of the kernel's cache key) */
#define RECIPE "tinyx-kernel-3"
/* At -Os (tinyconfig's choice) gcc writes every memset and memcpy that it
 * does not do by a few moves as an inline 'rep stosb' / 'rep movsb', one
 * byte per step. Where the CPU has fast string instructions (ERMS) that is
 * fine; under emulation (QEMU TCG) each step is a turn of the emulator's
 * loop: the 4.2 MB of init memory and section gaps the kernel poisons at the
 * end of boot took about 0.13 s alone (sampled with QEMU's monitor: 23 % of
 * the boot before /init in free_reserved_area). With 'libcall' they call the
 * kernel's memset/memcpy instead, which the boot-time alternatives make
 * 'rep stosb' on ERMS CPUs and an unrolled loop elsewhere: the right one for
 * each CPU, and the calls are smaller code than the inline prefixes. (At -Os
 * gcc ignores -mmemset-strategy; -mstringop-strategy it obeys.) */
#define KCFLAGS "KCFLAGS=-mstringop-strategy=libcall"

struct tool {
	const char *name, *pkg;
};

static int in_path(const char *name)
{
	const char *path = getenv("PATH");
	int found = 0;

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; !found && p;) {
		const char *c = strchr(p, ':');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		char *f = xasprintf("%.*s/%s", (int)n, n ? p : ".", name);

		found = access(f, X_OK) == 0;
		free(f);
		p = c ? c + 1 : NULL;
	}
	return found;
}

static int need_tools(struct tx_ctx *ctx, const struct tool *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!in_path(t[i].name))
			return tx_fail(ctx, -ENOENT, "kernel",
				       "cannot find '%s' (maybe you need to: apt-get install %s)",
				       t[i].name, t[i].pkg);
	return 0;
}

/* ---- the source ---- */

static int valid_version(const char *v)
{
	size_t n = strlen(v);

	return n && n <= 64 && *v != '.' &&
	       strspn(v, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+~-") == n;
}

static char *source_version(struct tx_ctx *ctx)
{
	char *argv[] = {"dpkg-query", "-W", "-f=${Version}", KERNEL_SOURCE_PKG, NULL};
	char *out = NULL;
	struct stat st;

	if (run_capture(ctx, argv, &out, 256) == 0 && valid_version(out))
		return out;
	free(out);
	/* not installed through dpkg: name the tarball by its size and time */
	if (stat(KERNEL_TARBALL, &st) < 0)
		return xstrdup("6.1-unknown");
	return xasprintf("6.1-%lld-%lld", (long long)st.st_size, (long long)st.st_mtime);
}

/* Fill tmp with the source (arg: the cache entry's path, for the message). */
static int unpack(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	char *argv[] = {"tar", "-xf", KERNEL_TARBALL, "-C", (char *)tmp, "--strip-components=1",
			NULL};
	char *mk = xasprintf("%s/Makefile", tmp);
	int err;

	tx_info(ctx, "kernel: unpacking %s into %s", KERNEL_TARBALL, (const char *)arg);
	err = run_cmd(ctx, argv, NULL, 0);
	if (err == 0 && !path_exists(mk))
		err = 1;
	if (err)
		err = tx_fail(ctx, err < 0 ? err : -EIO, "kernel",
			      "cannot unpack '%s' into '%s'%s%s", KERNEL_TARBALL, (const char *)arg,
			      err < 0 ? ": " : "", err < 0 ? strerror(-err) : "");
	free(mk);
	return err;
}

int kernel_source(struct tx_ctx *ctx, char **srcdir_out, char **version_out)
{
	static const struct tool tools[] = {{"tar", "tar"}, {"xz", "xz-utils"}};
	struct tx_cache_entry e = {.stage = "kernel", .fill = unpack};
	char *version, *dir;
	int err = 0;

	if (!path_exists(KERNEL_TARBALL))
		return tx_fail(
		    ctx, -ENOENT, "kernel",
		    "kernel source '%s' not found (maybe you need to: apt-get install %s)",
		    KERNEL_TARBALL, KERNEL_SOURCE_PKG);
	version = source_version(ctx);
	dir = xasprintf("%s/linux/%s", ctx->cache, version);
	e.dir = dir; /* whole when it exists: the unpack is renamed into place */
	e.arg = dir;
	if (!tx_cache_has(&e))
		err = need_tools(ctx, tools, 2);
	if (!err)
		err = tx_cache_get(ctx, &e);
	if (err < 0) {
		free(dir);
		free(version);
		return err;
	}
	*srcdir_out = dir;
	*version_out = version;
	return 0;
}

/* ---- building ---- */

static void hash_hex(const char *tag, const char *version, const char *text, size_t len,
		     char out[65])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, tag, strlen(tag) + 1);
	sha256_update(&s, version, strlen(version) + 1);
	sha256_update(&s, text, len);
	sha256_hex(&s, out);
}

/* Fill out from CACHE/kernels/HASH when it holds a complete kernel. */
static int cached_kernel(struct tx_ctx *ctx, const char *hash, struct kernel_out *out)
{
	out->bzimage = xasprintf("%s/kernels/%s/bzImage", ctx->cache, hash);
	out->vmlinux = xasprintf("%s/kernels/%s/vmlinux", ctx->cache, hash);
	out->config = xasprintf("%s/kernels/%s/config", ctx->cache, hash);
	if (!path_exists(out->bzimage) || !path_exists(out->vmlinux) || !path_exists(out->config)) {
		kernel_out_free(out);
		return 0;
	}
	snprintf(out->hash, sizeof(out->hash), "%.64s", hash);
	return 1;
}

struct kb_progress {
	struct tx_ctx *ctx;
	const char *target;
	unsigned count, files; /* kbuild's steps; of them, files compiled */
	long about;	       /* files a build from scratch compiles, or 0 */
	double t0;
};

/* Show kbuild's progress: the files it compiles, of about how many when it
 * builds from scratch, and the time so far. */
static void kb_line(void *arg, const char *line)
{
	struct kb_progress *p = arg;
	size_t n = strlen(line);
	int w = (int)(n - 2 > 50 ? 50 : n - 2), secs;
	char of[64] = "";

	if (n < 4 || strncmp(line, "  ", 2) || line[2] == ' ')
		return;
	p->count++;
	p->files += !strncmp(line, "  CC ", 5) || !strncmp(line, "  AS ", 5);
	if (!p->ctx->verbose)
		return;
	secs = (int)((now_ms() - p->t0) / 1000);
	progress_tail(of, sizeof(of), p->files, p->about, p->t0);
	if (p->ctx->tty)
		fprintf(stderr, "\r\033[Ktinyx: kernel: [%s] %u files%s (%d:%02d) %.*s", p->target,
			p->files, of, secs / 60, secs % 60, w, line + 2);
	else if (p->count % 100 == 0)
		fprintf(stderr, "tinyx: kernel: [%s] %u files compiled%s (%d:%02d)\n", p->target,
			p->files, of, secs / 60, secs % 60);
}

struct store {
	const char *builddir, *config;
	size_t clen;
};

/* Fill tmp with the kernel kbuild made in s->builddir and its .config. */
static int fill_kernel(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	static const char *const files[][2] = {{"arch/x86/boot/bzImage", "bzImage"},
					       {"vmlinux", "vmlinux"}};
	const struct store *s = arg;
	char *cf = xasprintf("%s/config", tmp);
	int err = 0;

	for (size_t i = 0; i < 2 && !err; i++) {
		char *from = xasprintf("%s/%s", s->builddir, files[i][0]);
		char *to = xasprintf("%s/%s", tmp, files[i][1]);

		if ((err = copy_file(from, to, 0644)))
			tx_fail(ctx, err, "kernel", "cannot copy the kernel from '%s': %s",
				s->builddir, strerror(-err));
		free(from);
		free(to);
	}
	if (!err && (err = write_file_atomic(cf, s->config, s->clen, 0644)))
		tx_fail(ctx, err, "kernel", "cannot write '%s': %s", cf, strerror(-err));
	free(cf);
	return err;
}

/* Store the results as CACHE/kernels/HASH: whole when the dir exists (a
 * temp dir renamed into place, under HASH.lock). */
static int store_kernel(struct tx_ctx *ctx, const char *builddir, const char *hash,
			const char *config, size_t clen)
{
	struct store s = {builddir, config, clen};
	char *dir = xasprintf("%s/kernels/%s", ctx->cache, hash);
	struct tx_cache_entry e = {.dir = dir, .stage = "kernel", .fill = fill_kernel, .arg = &s};
	int err = tx_cache_get(ctx, &e);

	free(dir);
	return err < 0 ? err : 0;
}

/* The tools kbuild needs for config (its compressor too). */
static int build_tools(struct tx_ctx *ctx, const char *config)
{
	static const struct tool tools[] = {{"make", "make"},	{"gcc", "gcc"}, {"flex", "flex"},
					    {"bison", "bison"}, {"bc", "bc"},	{"perl", "perl"}};
	static const struct {
		const char *opt, *name, *pkg;
	} comp[] = {
	    {"CONFIG_KERNEL_ZSTD=y", "zstd", "zstd"}, {"CONFIG_KERNEL_LZ4=y", "lz4", "lz4"},
	    {"CONFIG_KERNEL_XZ=y", "xz", "xz-utils"}, {"CONFIG_KERNEL_LZMA=y", "lzma", "xz-utils"},
	    {"CONFIG_KERNEL_LZO=y", "lzop", "lzop"},  {"CONFIG_KERNEL_BZIP2=y", "bzip2", "bzip2"},
	    {"CONFIG_KERNEL_GZIP=y", "gzip", "gzip"}};
	int err = need_tools(ctx, tools, sizeof(tools) / sizeof(tools[0]));

	for (size_t i = 0; !err && i < sizeof(comp) / sizeof(comp[0]); i++)
		if (strstr(config, comp[i].opt))
			err = need_tools(ctx, &(struct tool){comp[i].name, comp[i].pkg}, 1);
	if (!err && !path_exists("/usr/include/gelf.h"))
		err =
		    tx_fail(ctx, -ENOENT, "kernel",
			    "cannot find 'gelf.h' (maybe you need to: apt-get install libelf-dev)");
	return err;
}

static int kbuild(struct tx_ctx *ctx, const char *srcdir, const char *builddir, const char *target,
		  const char *config)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char *o = xasprintf("O=%s", builddir), *jobs = xasprintf("-j%ld", cpus > 0 ? cpus : 1L);
	char *log = xasprintf("%s/build.log", builddir);
	char *ccache = xasprintf("CCACHE_DIR=%s/ccache", ctx->cache);
	int have_ccache = in_path("ccache");
	char *argv[] = {"make",	 "-C",	    (char *)srcdir,
			o,	 jobs,	    have_ccache ? "CC=ccache gcc" : "CC=gcc",
			KCFLAGS, "bzImage", NULL};
	/* fixed so that the same .config gives the same bytes (uname -v, /proc/version);
	 * ccache's depend mode keys a result by the compiler's own -MMD list (kbuild
	 * passes -Wp,-MMD), so a miss compiles without a preprocessor run first */
	char *env[] = {"KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970",
		       "KBUILD_BUILD_USER=tinyx",
		       "KBUILD_BUILD_HOST=tinyx",
		       "KBUILD_BUILD_VERSION=1",
		       ccache,
		       "CCACHE_DEPEND=1",
		       NULL};
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	char *done = xasprintf("%s/vmlinux.o", builddir);
	struct kb_progress p = {ctx, target, 0, 0, 0, now_ms()};
	char **envp;
	int st = build_tools(ctx, config);

	/* from scratch: say of about how many; a config change rebuilds what it touches */
	if (!path_exists(done))
		p.about = kernel_estimate_files(srcdir, config);

	if (!st) {
		if (!have_ccache)
			tx_info(ctx, "kernel: no ccache: every build compiles from scratch "
				     "(maybe you want: apt-get install ccache)");
		tx_info(ctx, "kernel: [%s] building bzImage and vmlinux (%s, %s, log in %s)",
			target, jobs, p.about ? "from scratch" : "incremental", log);
		s.envp = envp = kconfig_env(env);
		st = tx_run_lines(ctx, &s, log, kb_line, &p);
		free(envp);
		if (ctx->verbose && ctx->tty && p.count)
			fputc('\n', stderr);
		if (st < 0)
			st = tx_fail(ctx, st, "kernel", "cannot run 'make': %s", strerror(-st));
		else if (st > 0) {
			/* the first error line names the problem better than make's last words */
			char *e = kconfig_log_line(log, 0);

			st = tx_fail(ctx, -EIO, "kernel",
				     "kbuild failed for '%s' (exit %d): %.300s (see '%s')", target,
				     st, e, log);
			free(e);
		}
	}
	free(done);
	free(ccache);
	free(o);
	free(jobs);
	free(log);
	return st;
}

/* Lock CACHE/kbuild/TARGET and make its .config from set: *config (owned),
 * *clen and hash (the kernel cache key). Returns the lock fd (>= 0). */
static int configure_locked(struct tx_ctx *ctx, const char *target, const char *srcdir,
			    const char *version, const struct kconfig_set *set, char **config,
			    size_t *clen, char hash[65])
{
	char *builddir = xasprintf("%s/kbuild/%s", ctx->cache, target);
	int fd = kconfig_lock(ctx, "kernel", builddir, ".lock"), err;

	*config = NULL;
	if (fd >= 0 && (err = kconfig_make_locked(ctx, srcdir, builddir, set, config, clen))) {
		close(fd);
		fd = err;
	}
	if (fd >= 0)
		hash_hex(RECIPE, version, *config, *clen, hash);
	free(builddir);
	return fd;
}

int kernel_configure(struct tx_ctx *ctx, const char *target, const struct kconfig_set *set,
		     char **config, size_t *clen, char hash[65])
{
	char *srcdir = NULL, *version = NULL;
	int fd = kernel_source(ctx, &srcdir, &version);

	*config = NULL;
	if (!fd)
		fd = configure_locked(ctx, target, srcdir, version, set, config, clen, hash);
	if (fd >= 0)
		close(fd);
	free(srcdir);
	free(version);
	return fd < 0 ? fd : 0;
}

/* The kernel is stored under the hash of the .config kconfig made; kbuild's
 * syncconfig must have left that .config as it was, or the stored config
 * would not be the kernel's. */
static int same_config(struct tx_ctx *ctx, const char *builddir, const char *hash,
		       const char *config, size_t clen)
{
	char *path = xasprintf("%s/.config", builddir), *text = NULL;
	size_t len = 0;
	int err = read_file(path, &text, &len, 16u << 20);

	if (err)
		err = tx_fail(ctx, err, "kernel", "cannot read '%s': %s", path, strerror(-err));
	else if (len != clen || memcmp(text, config, len)) {
		char *stamp = xasprintf("%s/tinyx.configured", builddir);

		unlink(stamp); /* the next run makes the config anew */
		free(stamp);
		err = tx_fail(ctx, -EIO, "kernel",
			      "kbuild changed the .config of '%.12s' while it built (a new "
			      "compiler?); run again '%s'",
			      hash, path);
	}
	free(text);
	free(path);
	return err;
}

/* kbuild config in CACHE/kbuild/TARGET (the caller holds its lock), check
 * the PVH note, store the kernel as HASH and fill out from there. */
static int build_store(struct tx_ctx *ctx, const char *srcdir, const char *target, const char *hash,
		       const char *config, size_t clen, struct kernel_out *out)
{
	char *builddir = xasprintf("%s/kbuild/%s", ctx->cache, target);
	char *vm = xasprintf("%s/vmlinux", builddir);
	uint64_t entry = 0;
	int err = kbuild(ctx, srcdir, builddir, target, config);

	if (!err)
		err = same_config(ctx, builddir, hash, config, clen);
	if (!err)
		err = kernel_check_pvh(ctx, vm, &entry);
	if (!err)
		err = store_kernel(ctx, builddir, hash, config, clen);
	if (!err && !cached_kernel(ctx, hash, out))
		err = tx_fail(ctx, -EIO, "kernel", "cannot find the stored kernel '%s'", hash);
	if (!err)
		tx_info(ctx, "kernel: [%s] PVH entry 0x%llx", target, (unsigned long long)entry);
	free(vm);
	free(builddir);
	return err;
}

/* One kbuild per config, whatever kbuild dir it is in (make check's
 * prefetch builds in a dir of its own while a test may come to the same
 * config in the shared one): CACHE/kernels/HASH.kbuild is held while
 * HASH builds. Returns its fd; the caller looks in the store again. */
static int build_lock(struct tx_ctx *ctx, const char *hash)
{
	char *dir = xasprintf("%s/kernels", ctx->cache);
	char *path = xasprintf("%s/%s.kbuild", dir, hash);
	int fd = mkdir_p(dir, 0755), r;

	if (fd) {
		fd = tx_fail(ctx, fd, "kernel", "cannot create '%s': %s", dir, strerror(-fd));
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fd = tx_fail(ctx, -errno, "kernel", "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		goto out;
	tx_info(ctx, "kernel: waiting for another build of '%.12s' to end", hash);
	while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		r = -errno;
		close(fd);
		fd = tx_fail(ctx, r, "kernel", "cannot lock '%s': %s", path, strerror(-r));
	}
out:
	free(path);
	free(dir);
	return fd;
}

int kernel_build_set(struct tx_ctx *ctx, const char *target, const struct kconfig_set *set,
		     struct kernel_out *out)
{
	struct sbuf all = {0};
	char *srcdir = NULL, *version = NULL, *index = NULL, *idxdir = NULL, *config = NULL;
	char *prev = NULL, ihash[65], hash[65];
	double t0 = now_ms();
	size_t clen = 0;
	int err, fd = -1, bfd = -1;

	memset(out, 0, sizeof(*out));
	err = kernel_source(ctx, &srcdir, &version);
	if (!err)
		err = kconfig_allconfig_text(ctx, srcdir, set, &all);
	if (err)
		goto out;
	/* the same requests made this kernel before: no kbuild at all */
	hash_hex(RECIPE "-input", version, all.s, all.len, ihash);
	idxdir = xasprintf("%s/kernels/by-input", ctx->cache);
	index = xasprintf("%s/%s", idxdir, ihash);
	if (!read_file(index, &prev, NULL, 128) && kconfig_hex64(prev, strcspn(prev, "\n"))) {
		prev[64] = 0;
		out->cached = cached_kernel(ctx, prev, out);
	}
	if (!out->cached) {
		fd = configure_locked(ctx, target, srcdir, version, set, &config, &clen, hash);
		if (fd < 0) {
			err = fd;
			goto out;
		}
		out->cached = cached_kernel(ctx, hash, out);
		if (!out->cached && (bfd = build_lock(ctx, hash)) < 0) {
			err = bfd;
			goto out;
		}
		if (!out->cached)
			out->cached = cached_kernel(ctx, hash, out);
		if (!out->cached &&
		    (err = build_store(ctx, srcdir, target, hash, config, clen, out)))
			goto out;
		/* remember which kernel these requests made */
		if (!mkdir_p(idxdir, 0755))
			write_file_atomic(index, hash, 64, 0644);
	}
	if (out->cached)
		tx_info(ctx, "kernel: [%s] cached %s", target, out->hash);
	out->seconds = (now_ms() - t0) / 1000.0;
out:
	if (bfd >= 0)
		close(bfd);
	if (fd >= 0)
		close(fd);
	if (err)
		kernel_out_free(out);
	sbuf_free(&all);
	free(srcdir);
	free(version);
	free(index);
	free(idxdir);
	free(config);
	free(prev);
	return err;
}

int kernel_build(struct tx_ctx *ctx, const char *app, const char *target, const struct feature *f,
		 size_t nf, const char *projdir, int kflags, struct kernel_out *out)
{
	struct kconfig_set set = {0};
	int err;

	memset(out, 0, sizeof(*out));
	err = kconfig_collect(ctx, projdir, app, target, f, nf, kflags, &set);
	if (!err)
		err = kernel_build_set(ctx, target, &set, out);
	kconfig_set_free(&set);
	return err;
}

void kernel_out_free(struct kernel_out *out)
{
	free(out->bzimage);
	free(out->vmlinux);
	free(out->config);
	out->bzimage = out->vmlinux = out->config = NULL;
}

int kernel_strip_to(struct tx_ctx *ctx, const char *from, const char *to)
{
	char *argv[] = {"strip", "--strip-all", "-o", (char *)to, (char *)from, NULL};
	int r = run_cmd(ctx, argv, NULL, 1) == 0 ? 0 : copy_file(from, to, 0644);

	if (r < 0)
		return tx_fail(ctx, r, "kernel", "cannot copy '%s' to '%s': %s", from, to,
			       strerror(-r));
	chmod(to, 0644);
	return 0;
}
