/* Files and paths. Every function returns 0 or a negative errno. */
#ifndef TINYX_FILES_H
#define TINYX_FILES_H

#include <sys/types.h>

struct strv;

/* Read a whole file (at most max bytes, else -EFBIG). Result NUL-terminated. */
int read_file(const char *path, char **out, size_t *len, size_t max);
/* Write atomically: tmp file beside path, fsync-free rename. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Copy a regular file (streamed; -EINVAL for anything else) to dst with
 * mode, never writing through a symlink at dst; a full disk is -ENOSPC, a
 * write that makes no progress -EIO. */
int copy_file(const char *src, const char *dst, mode_t mode);
/* Size in bytes of a regular file, or -1 (missing, not a regular file). */
long long file_size(const char *path);
long long file_size_at(const char *dir, const char *name); /* DIR/NAME */
int mkdir_p(const char *path, mode_t mode);
int rm_rf(const char *path);
int path_exists(const char *path);
int is_dir(const char *path);

/* Join root and an absolute in-root path ("/usr/lib" -> "ROOT/usr/lib"). */
char *root_join(const char *root, const char *abs);
/* Normalize an absolute path lexically: collapse //, ., and .. (never above /). */
char *path_normalize(const char *path);
/* dirname/basename that return new strings. */
char *path_dirname(const char *path);
const char *path_basename(const char *path);

/* Resolve an absolute path inside root, following symlinks (absolute ones
 * relative to root, never escaping it). Returns the final in-root path, and
 * when chain is not NULL the in-root paths of every symlink met on the way. */
int root_realpath(const char *root, const char *path, char **out, struct strv *chain);

/* Entries of dir named PREFIX+PID whose process is gone: the temp dirs of
 * runs that died. Appends their paths (DIR/NAME) to out; a NULL out removes
 * them instead (the mounts below them first). */
void stale_pid_entries(const char *dir, const char *prefix, struct strv *out);

/* Unmount (lazily) every mount point below dir, deepest first. */
void umount_below(const char *dir);

/* Exclusive lock on a lock file (created). Returns fd or -errno. */
int lock_path(const char *path);

#endif
