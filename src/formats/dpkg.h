/* The dpkg database of a root tree: var/lib/dpkg/status and info/NAME.list. */
#ifndef TINYX_DPKG_H
#define TINYX_DPKG_H

#include "lib/util.h"

struct dpkg_pkg {
	char *name, *arch, *version;
	char *source; /* Source: without version; defaults to name */
	char *status;
	int installed; /* the last word of Status is "installed" */
	int essential;
	char *priority;
	/* one string per comma group, alternatives kept as "a|b", with version
	 * constraints and arch qualifiers stripped */
	struct strv depends;
	struct strv predepends;
	struct strv provides;  /* names only */
	struct strv conffiles; /* absolute paths (obsolete ones included) */
};

struct dpkg_db {
	struct dpkg_pkg *p;
	size_t n;
};

/* Parse RFC822-style stanzas (continuation lines, the multi-line Conffiles
 * field). name is the file name used in messages. Appends to db. */
int dpkg_parse_status(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		      struct dpkg_db *db);
/* Load ROOT/var/lib/dpkg/status. */
int dpkg_load(struct tx_ctx *ctx, const char *root, struct dpkg_db *db);
void dpkg_free(struct dpkg_db *db);
/* The installed package of that name ("name:arch" accepted), else the first
 * installed package that Provides it; NULL when none. */
struct dpkg_pkg *dpkg_find(struct dpkg_db *db, const char *name);
/* Files of p from ROOT/var/lib/dpkg/info/NAME.list or NAME:ARCH.list:
 * absolute paths, "/." dropped. Appends to files. */
int dpkg_pkg_files(struct tx_ctx *ctx, const char *root, const struct dpkg_pkg *p,
		   struct strv *files);
/* The installed set reachable from name through Depends and Pre-Depends; for
 * "a|b" the first alternative that is installed (directly or via Provides).
 * out is sorted and unique and includes name's package. -ENOENT when name is
 * not installed. */
int dpkg_depends_closure(struct dpkg_db *db, const char *name, struct strv *out);
/* name plus every package in its dependency closure built from the same
 * Source (nginx -> nginx, nginx-common). */
int dpkg_same_source_closure(struct dpkg_db *db, const char *name, struct strv *out);

#endif
