/* The kernel stage: Debian's linux-source, unpacked once, built out of tree
 * with kbuild through ccache, cached by the hash of the final .config.
 *
 * Cache layout (CACHE = ctx->cache); the source and the kernels are cache
 * entries (lib/cache.h), whole when their dir exists:
 *   CACHE/linux/VERSION/            the unpacked source
 *   CACHE/kbuild/TARGET/            the reused out-of-tree build dir (locked while used)
 *   CACHE/ccache/                   CCACHE_DIR
 *   CACHE/kernels/HASH/{bzImage,vmlinux,config}   HASH = sha256(.config, source version)
 *   CACHE/kernels/by-input/IHASH    HASH of the kernel the same requests made last time,
 *                                   so an unchanged build skips kbuild (IHASH = sha256 of
 *                                   the KCONFIG_ALLCONFIG text and source version) */
#ifndef TINYX_KERNEL_H
#define TINYX_KERNEL_H

#include "kernel/kconfig.h"
#include "formats/manifest.h"

/* Where Debian's linux-source-6.1 puts the tarball. */
#define KERNEL_TARBALL "/usr/src/linux-source-6.1.tar.xz"
#define KERNEL_SOURCE_PKG "linux-source-6.1"

/* Kernel source unpacked once into CACHE/linux/SRCVERSION. SRCVERSION is the Debian package version
 * ("6.1.192-2"). */
int kernel_source(struct tx_ctx *ctx, char **srcdir_out, char **version_out);

struct kernel_out {
	char *bzimage, *vmlinux, *config; /* paths in CACHE/kernels/HASH */
	char hash[65];
	int cached;	/* 1: no kbuild run (cache hit) */
	double seconds; /* wall time of kernel_build */
};

/* Collect the requests (kconfig_collect with kflags, KCOLLECT_*), make and
 * check the .config, build bzImage + vmlinux (or reuse the cached pair), check
 * the PVH note. Progress on stderr when ctx->verbose. */
int kernel_build(struct tx_ctx *ctx, const char *app, const char *target, const struct feature *f,
		 size_t nf, const char *projdir, int kflags, struct kernel_out *out);
void kernel_out_free(struct kernel_out *out);

/* kernel_build for a request set the caller made (kconfig_collect or edited). */
int kernel_build_set(struct tx_ctx *ctx, const char *target, const struct kconfig_set *set,
		     struct kernel_out *out);
/* Only make and check the .config for set (in CACHE/kbuild/TARGET, locked):
 * *config gets its text (owned), hash the key kernel_build_set would store it
 * under. No kbuild. */
int kernel_configure(struct tx_ctx *ctx, const char *target, const struct kconfig_set *set,
		     char **config, size_t *clen, char hash[65]);

/* 0 when the ELF file at path has the PVH entry note (Xen, XEN_ELFNOTE_PHYS32_ENTRY);
 * -ENOENT with ctx->err when not. *entry gets the entry address when not NULL. */
int kernel_check_pvh(struct tx_ctx *ctx, const char *path, uint64_t *entry);

/* An image's kernel file from the vmlinux at from: stripped (a loader needs
 * no symbols: 14 MB -> 2.4 MB here); a plain copy where strip fails. */
int kernel_strip_to(struct tx_ctx *ctx, const char *from, const char *to);

/* About how many files a kbuild of config (the .config's text) from scratch
 * compiles, from the Makefiles in srcdir: for the build's progress only. */
long kernel_estimate_files(const char *srcdir, const char *config);

#endif
