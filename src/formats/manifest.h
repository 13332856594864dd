/* The manifest: every entry an app's image needs, with the reason it is there.
 *
 * Text form, one sorted line per entry (gen_init_cpio in spirit):
 *   file  PATH MODE UID GID  REASON           (contents from the same path in root,
 *                                             or src=HOSTPATH for overlay files)
 *   dir   PATH MODE UID GID  REASON
 *   slink PATH TARGET MODE UID GID  REASON
 *   nod   PATH MODE UID GID c|b MAJ MIN  REASON
 *   user  NAME UID GID HOME SHELL  REASON
 *   group NAME GID MEMBERS  REASON          (MEMBERS: "-" or "user,user")
 * REASON is key=value (pkg=, needed-by=, interp-of=, conffile=, unit=, hint=, ...). */
#ifndef TINYX_MANIFEST_H
#define TINYX_MANIFEST_H

#include "lib/util.h"

enum ment_type { ME_DIR, ME_FILE, ME_SLINK, ME_NOD, ME_USER, ME_GROUP };

struct ment {
	enum ment_type type;
	char *path;    /* absolute in-image path; user/group name for ME_USER/ME_GROUP */
	char *target;  /* symlink target; home for ME_USER; members for ME_GROUP
			* ("a,b", NULL for none) */
	char *shell;   /* ME_USER */
	char *src;     /* host path of the contents (files); NULL: ROOT + path */
	unsigned mode; /* permission bits only */
	unsigned uid, gid;
	long long size; /* files */
	char devtype;	/* 'c' or 'b' */
	unsigned major, minor;
	char *reason;
};

/* A kernel feature implied by an imported symbol. */
struct feature {
	char *option; /* kconfig symbol without CONFIG_, e.g. "EPOLL" */
	char *symbol; /* e.g. "epoll_create1" */
	char *binary; /* in-image path of the ELF that imports it */
};

struct manifest {
	char *app;
	char *root; /* root tree the entries' contents come from */
	struct ment *e;
	size_t n;
	struct feature *f;
	size_t nf;
};

void manifest_init(struct manifest *m, const char *app, const char *root);
void manifest_free(struct manifest *m);
/* Free one entry's strings (to drop it from m: free, then close the gap). */
void manifest_ment_free(struct ment *e);

/* Find an entry by type class (users/groups vs paths) and name. */
struct ment *manifest_find(struct manifest *m, enum ment_type t, const char *path);
/* Add an entry; when the path exists already the first reason is kept and 0 is
 * returned; 1 when it was new. Strings are copied. */
int manifest_add(struct manifest *m, const struct ment *e);
/* Add an in-root path with its owner and mode from the root tree: parents as
 * dirs, every symlink on the way (chains kept), and the final file or dir.
 * Returns 1 if the final entry is new, 0 if known, -errno if it does not exist. */
int manifest_add_path(struct manifest *m, const char *path, const char *reason);
/* Add a feature: 1 new, 0 when the same option, symbol and binary are known. */
int manifest_add_feature(struct manifest *m, const char *option, const char *symbol,
			 const char *binary);
/* path with the symlinks of m in its parent components followed, so that
 * "/bin/busybox" is "/usr/bin/busybox" when /bin -> usr/bin: *out (owned).
 * 0, -ELOOP after 40 links, or -ENOTDIR when a parent is a file of m
 * (*bad: that parent, owned; NULL when not wanted). */
int manifest_resolve_parents(struct manifest *m, const char *path, char **out, char **bad);
/* Sort entries (by path, users and groups last) and features. */
void manifest_sort(struct manifest *m);
long long manifest_total_size(const struct manifest *m);

/* Render. */
void manifest_text(const struct manifest *m, struct sbuf *out);
void manifest_json(const struct manifest *m, struct sbuf *out);
/* Parse the text form (untrusted: fuzzed). Returns 0 or -EINVAL with ctx->err. */
int manifest_parse(struct tx_ctx *ctx, const char *text, size_t len, struct manifest *m);

#endif
