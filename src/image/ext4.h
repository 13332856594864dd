/* The disk image writer: an ext4 file system made from a manifest without root
 * privileges and without a loop mount. */
#ifndef TINYX_EXT4_H
#define TINYX_EXT4_H

#include "formats/manifest.h"

/* Materialise the manifest's paths into staging_dir_tmp (a path this function
 * owns: removed first and at the end), run `mke2fs -t ext4 -d` on it (no
 * journal, fixed UUID and directory hash seed derived from the content,
 * E2FSPROGS_FAKE_TIME=epoch), then set every owner, mode and time and make the
 * device nodes with `debugfs -w -f`, and check the result with `e2fsck -fn`.
 * The size is the content plus slack. Same manifest and contents, same bytes.
 * out_path appears whole or not at all. */
int ext4_write(struct tx_ctx *ctx, const struct manifest *m, const char *staging_dir_tmp,
	       const char *out_path, long long epoch);

#endif
