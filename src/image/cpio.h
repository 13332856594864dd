/* The initramfs writer: a newc cpio archive made from a manifest, without root
 * privileges (owners and modes come from the manifest, not from the files). */
#ifndef TINYX_CPIO_H
#define TINYX_CPIO_H

#include "formats/manifest.h"

/* Write the manifest's paths (dirs, files, symlinks, device nodes; users and
 * groups are skipped) as newc cpio to out_path, compressed by running
 * `compressor` on it: "zstd" (the default the build uses), "lz4" (legacy
 * format, what the kernel reads), "xz" (crc32 check), "gzip" or "none".
 * Entries are sorted by path, inode numbers are assigned in that order, every
 * mtime is epoch (SOURCE_DATE_EPOCH), hard links are never used: the same
 * manifest and contents give the same bytes. File contents come from the
 * entry's src, else from m->root + path. out_path appears whole or not at all. */
int cpio_write(struct tx_ctx *ctx, const struct manifest *m, const char *out_path,
	       const char *compressor, long long epoch);

/* Compress the raw archive at raw into out_path (whole or not at all) as
 * cpio_write does ("none": a copy). */
int cpio_compress(struct tx_ctx *ctx, const char *raw, const char *out_path,
		  const char *compressor);

/* How cpio_write writes with this compressor (its command line), one line
 * appended to s: a cache key's part. */
void cpio_recipe(const char *compressor, struct sbuf *s);

/* The path entries of m (no users or groups, no "/") sorted by path, in a new
 * array of pointers into m (free it); a duplicate or a bad path, a symlink
 * without a target or a device neither c nor b is an error. */
int cpio_sorted_entries(struct tx_ctx *ctx, const struct manifest *m, const struct ment ***out,
			size_t *n);

/* Check a manifest path for the image writers: absolute, normalized, no
 * empty or dot components, no control characters. 0 or -EINVAL. */
int cpio_check_path(const char *path);

#endif
