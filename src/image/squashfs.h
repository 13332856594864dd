/* The disk root writer: a compressed, read-only squashfs made from a manifest
 * without root privileges. The guest reads it on demand (nothing is unpacked
 * into RAM) and its init puts a tmpfs overlay on top for what the app writes. */
#ifndef TINYX_SQUASHFS_H
#define TINYX_SQUASHFS_H

#include "formats/manifest.h"

/* The compression of the root, chosen by measurement (nginx, TCG microvm,
 * bench/versus.sh): zstd -19 unpacks fastest of what the kernel reads (xz:
 * 7 % smaller, 0.43 s slower to HTTP 200); 128 KB blocks need 19 MB of guest
 * RAM where 1 MB blocks need 25 (the kernel caches whole blocks) for 4 %
 * more bytes (4.80 vs 4.62 MB) and no measurable boot time. */

/* Write the manifest's paths as squashfs to out_path: every dir, symlink and
 * device node, and every owner, mode and time, comes from a pseudo file
 * definition (mksquashfs -pf), the files' bytes from copies numbered in
 * staging_dir_tmp (a path this function owns: removed first and at the end).
 * Every time is epoch. Same manifest and contents, same bytes. out_path
 * appears whole or not at all. */
int squashfs_write(struct tx_ctx *ctx, const struct manifest *m, const char *staging_dir_tmp,
		   const char *out_path, long long epoch);

/* How squashfs_write writes (mksquashfs's options), one line appended to s:
 * a cache key's part. */
void squashfs_recipe(struct sbuf *s);

#endif
