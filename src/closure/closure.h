/* The closure stage: from a staged root to the app's manifest and the spec
 * of how the guest init starts it. */
#ifndef TINYX_CLOSURE_H
#define TINYX_CLOSURE_H

#include "formats/appspec.h"
#include "formats/manifest.h"

/* Analyse root for app (a Debian package name) and fill m (initialised by the
 * caller with manifest_init) and spec (zeroed, may be NULL). projdir is the
 * project dir (hint files under rootfs-overlays/APP/hints). Returns 0 or
 * -errno with ctx->err set. */
int closure_build(struct tx_ctx *ctx, const char *app, const char *root, const char *projdir,
		  struct manifest *m, struct app_spec *spec);
/* What closure_build_ex adds to the app's closure (NULL members: none). */
struct closure_extra {
	/* in-root paths the app opened at run time (the trace boot,
	 * image/trace.h): reason opened-at-runtime, with what they need in
	 * turn (an ELF's libraries, a script's interpreter); paths the root
	 * lacks are passed over */
	const struct strv *runtime;
	/* more packages (build --add): their files and what those need; their
	 * Type=oneshot units run before the app, in this order (spec's pre);
	 * their services are not started (the image runs one service) */
	const struct strv *add;
	/* trim: every in-root path the trace boot saw opened or run; the ELF
	 * files of the packages (the app's, --add's) that are none of them
	 * stay out, unless something else brings them (a library another
	 * program needs, the unit's command, a config naming it). NULL: no
	 * trim */
	const struct strv *opened;
};
int closure_build_ex(struct tx_ctx *ctx, const char *app, const char *root, const char *projdir,
		     const struct closure_extra *x, struct manifest *m, struct app_spec *spec);
/* --add A,B,...: each a package name, into out (appended). 0, or -EINVAL
 * naming the bad one with stage. */
int closure_add_list(struct tx_ctx *ctx, const char *stage, const char *list, struct strv *out);

#endif
