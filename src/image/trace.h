/* The trace boot (trace.c): the files the app opens at run time. */
#ifndef TINYX_TRACE_H
#define TINYX_TRACE_H

#include "image/bctx.h"

/* Boot b's app on its whole staged root with kernel (whose cache hash is
 * kernel_hash), or take the cached trace (*cached 1), and push to add the
 * in-root paths it opened or ran that the image lacks, to opened (NULL: not
 * wanted) every in-root path it opened or ran; *used_kb: the
 * guest's memory in use once the app served (-1: unknown); rng (a buffer of
 * rng_cap bytes): how the app waited for the kernel's RNG ("getrandom()",
 * "/dev/random"), "" when it did not. 0 or -errno with ctx->err; a trace
 * boot whose app did not serve keeps what it saw. */
int image_trace(struct bctx *b, const char *kernel, const char *kernel_hash, struct strv *add,
		struct strv *opened, int *cached, long long *used_kb, char *rng, size_t rng_cap);

#endif
