/* The shared library closure: a breadth-first walk with ld.so's rules. */
#ifndef TINYX_LIBDEPS_H
#define TINYX_LIBDEPS_H

#include "formats/manifest.h"

/* Walk the ELF files elves (in-root absolute paths, already in m) in m->root:
 * add their interpreters (reason interp-of=PATH) and every library they need,
 * directly or not (reason needed-by=PATH), with the symlinks on the way;
 * libgcc_s.so.1 when an object imports pthread_cancel or pthread_exit (glibc
 * dlopens it); and the kernel features their imports imply. dirs is the
 * ld.so.conf + default search list (ldso_dirs). Returns 0 or -errno with
 * ctx->err ("cannot find 'libx.so.1' needed by '/usr/bin/y'"). */
int libdeps_walk(struct tx_ctx *ctx, struct manifest *m, const struct strv *dirs,
		 const struct strv *elves);

#endif
