/* The stage stage: a cached debootstrap root for an app. */
#ifndef TINYX_STAGE_H
#define TINYX_STAGE_H

#include "lib/util.h"

struct stage_opts {
	const char *suite;  /* default "bookworm" */
	const char *mirror; /* NULL: read from the host's apt sources */
	const char *arch;   /* default: dpkg --print-architecture */
	const char *extra;  /* extra packages, comma separated, or NULL */
};

/* Make (or reuse) the root for app; *root_out is the cached root dir. */
int stage_root(struct tx_ctx *ctx, const char *app, const struct stage_opts *o, char **root_out);

#endif
