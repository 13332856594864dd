/* Library search directories of a root tree, as its ld.so would use them:
 * /etc/ld.so.conf with its includes, then the built-in default dirs. */
#ifndef TINYX_LDSO_H
#define TINYX_LDSO_H

#include "lib/util.h"

/* Parse ld.so.conf text (conf_path is its in-root absolute path; relative
 * 'include' globs are relative to its dir and are expanded inside root).
 * Comments and hwcap lines are ignored; each in-root dir is appended to dirs
 * once. depth is the include depth (0 at the top); too deep an include chain
 * (a loop) is an error. Returns 0 or -errno with ctx->err. */
int ldso_parse(struct tx_ctx *ctx, const char *root, const char *conf_path, const char *text,
	       size_t len, struct strv *dirs, int depth);
/* ROOT/etc/ld.so.conf (+includes), then the defaults for the root's machine
 * (found from the ELF header of its /bin/sh, else the host's): the multiarch
 * dirs, /lib, /usr/lib, and /lib64, /usr/lib64 for 64-bit. */
int ldso_dirs(struct tx_ctx *ctx, const char *root, struct strv *dirs);
/* The same for a given ELF machine (EM_*) and class (ELFCLASS*). */
int ldso_dirs_for(struct tx_ctx *ctx, const char *root, int machine, int elfclass,
		  struct strv *dirs);
/* Debian multiarch triplet ("x86_64-linux-gnu") of an ELF machine and class,
 * or NULL when unknown. */
const char *ldso_multiarch(int machine, int elfclass);
/* The AT_PLATFORM string ld.so substitutes for $PLATFORM ("x86_64"). */
const char *ldso_platform(int machine, int elfclass);

#endif
