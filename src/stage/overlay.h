/* The operator's own configuration (--overlay DIR, repeatable): DIR's files
 * laid over the staged root before the analysis, so the closure (and the
 * image) see the config the app will really run with. */
#ifndef TINYX_STAGE_OVERLAY_H
#define TINYX_STAGE_OVERLAY_H

#include "lib/util.h"

#define OVERLAY_MAX 8

/* DIR's entries as rootfs-overlays/ entries are checked: files, dirs and
 * relative symlinks that stay inside the root; a device, fifo or socket,
 * an absolute or escaping symlink, an unreadable file are errors
 * ("overlay: ..."). */
int overlay_check(struct tx_ctx *ctx, const char *dir);

/* Check each of dirs[0..n) and mount them read-only over root (the last
 * one on top) at a new temp dir: *merged, to pass to overlay_umount. The
 * cached root is not written. n 0: *merged is NULL. Needs root (overlayfs). */
int overlay_mount(struct tx_ctx *ctx, const char *root, const char *const *dirs, int n,
		  char **merged);
void overlay_umount(char *merged);

/* After the analysis of the merged root: owners (and dir modes) are the
 * staged root's, whoever owns the operator's files; what only the overlays
 * have is root's (the image takes every overlay file as root's anyway). */
struct manifest;
void overlay_owners(struct manifest *m, const char *staged);

#endif
