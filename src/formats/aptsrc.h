/* The host's apt sources: where to fetch Debian packages from. */
#ifndef TINYX_APTSRC_H
#define TINYX_APTSRC_H

#include "lib/util.h"

/* deb822 .sources text: the URIs of "Types: deb" stanzas (deb-src only ones
 * and "Enabled: no" ones skipped), several per stanza possible, in order.
 * Appends to uris. */
int aptsrc_parse_deb822(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
			struct strv *uris);
/* One-line sources.list text: "deb [opts] URI suite comps..."; the URIs of
 * deb lines, in order. Appends to uris. */
int aptsrc_parse_list(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		      struct strv *uris);
/* The mirror for suite: ETC_APT/sources.list, then ETC_APT/sources.list.d/
 * *.list and *.sources in name order; the first deb URI whose suites hold
 * suite exactly (so not SUITE-security or SUITE-updates). cdrom: sources and
 * files with other names (.disabled, .save, ...) are ignored. -ENOENT with a
 * hint to pass --mirror when there is none. *mirror is owned by the caller. */
int aptsrc_mirror(struct tx_ctx *ctx, const char *etc_apt, const char *suite, char **mirror);

#endif
