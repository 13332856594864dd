/* The per-app hint file (rootfs-overlays/APP/hints): what the analysis cannot
 * see, one hint a line, each with a comment saying why:
 *   include PATH      a file or tree the app reads (dlopen, data)
 *   exclude PATH      a path of the app's packages the image does not need
 *   exec ARGS         the command the init runs (instead of the unit's)
 *   user NAME         an account the app needs
 *   service http|tcp PORT   what the build's verification checks
 * '#' at the start of a line or after a blank starts a comment. */
#ifndef TINYX_HINTS_H
#define TINYX_HINTS_H

#include "lib/util.h"

enum hint_kind { HINT_INCLUDE, HINT_EXCLUDE, HINT_EXEC, HINT_USER, HINT_SERVICE };

struct hint {
	enum hint_kind kind;
	char *arg; /* the rest of the line, trimmed */
	int line;
};

struct hints {
	struct hint *h;
	size_t n;
	char service[8]; /* "http", "tcp", or "none" */
	int port;	 /* 1..65535, 0 with "none" */
};

/* Parse text (len bytes, need not end in NUL); name is used in messages.
 * 0, or -EINVAL with ctx->err naming the line. */
int hints_parse(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		struct hints *out);
/* Read DIR/rootfs-overlays/APP/hints; a missing file is no hints (0). */
int hints_load(struct tx_ctx *ctx, const char *projdir, const char *app, struct hints *out);
void hints_free(struct hints *h);
/* Only the service line of DIR/rootfs-overlays/APP/hints (what the build's
 * and the comparison's checks probe): service "http" or "tcp" and its port,
 * "none" and 0 when the file is missing or says none. 0, or -errno with
 * ctx->err for an unreadable or corrupt file (then "none" and 0 too). */
int hints_service(struct tx_ctx *ctx, const char *projdir, const char *app, char service[8],
		  int *port);

#endif
