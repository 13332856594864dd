/* Rootfs assembly: what the image holds besides the app's closure. */
#ifndef TINYX_ROOTFS_H
#define TINYX_ROOTFS_H

#include "formats/appspec.h"
#include "formats/manifest.h"

/* The initramfs compressor the build uses (bench/rootfs.sh measures all):
 * zstd -19 gave the smallest initrd for nginx (4.12 MB; xz with the kernel's
 * 1 MiB dictionary 4.23, gzip 5.19, lz4 6.04) and decompresses faster than xz
 * and gzip; it is also the one the kernel helper's configs enable
 * (CONFIG_RD_ZSTD). The kernel must have the matching RD_* option. */
#define ROOTFS_COMPRESSOR "zstd"

struct rootfs_opts {
	const char *busybox;	     /* host path of a static BusyBox; NULL: /bin/busybox */
	const char *init;	     /* host path of build/tinyx-init */
	const char *projdir;	     /* overlays in PROJDIR/rootfs-overlays/; NULL: ctx->srcdir */
	const struct app_spec *spec; /* written to /etc/tinyx/app.conf */
	int debug_shell;	     /* adds /etc/tinyx/debug-shell (needs BusyBox) */
	int with_busybox;	     /* 0: no BusyBox at all (the 'tinyx-min' image) */
	const char *workdir;	     /* generated files go to WORKDIR/rootfs-gen/ and must live
				      * until the images are written; NULL: a new dir in $TMPDIR */
	const char *hostname;	     /* /etc/hostname; NULL: "tinyx" */
	const char *const *overlays; /* the operator's --overlay dirs, last wins */
	int noverlays;
};

/* Add to m: /init; /bin/busybox and the applet links of rootfs_applets (those
 * this BusyBox has) unless with_busybox is 0; the base dirs; /dev/console and
 * /dev/null; generated /etc/tinyx/app.conf, /etc/hostname, /etc/passwd,
 * /etc/group and /etc/shadow (only root and the manifest's users and groups,
 * no password: 'x' and '*'); then the files of rootfs-overlays/common/ and of
 * rootfs-overlays/APP/ (except a top-level file named 'hints') and of the
 * operator's overlays (reason overlay=operator), owned by root
 * with their modes kept. Overlays are untrusted: absolute symlinks, symlinks
 * that leave the root, device nodes, fifos, sockets and unreadable files are
 * errors. Generated and overlay files replace an entry of the same path (an
 * overlay wins over a generated file); dirs, nodes and applets never replace
 * what the manifest has. Nothing is removed. A path under a symlinked dir of
 * the manifest (/bin -> usr/bin) is added at its resolved place. Ends with
 * rootfs_check(). */
int rootfs_assemble(struct tx_ctx *ctx, struct manifest *m, const struct rootfs_opts *o);

/* The content rules: no dpkg or apt state, no apt, no docs, no password in
 * /etc/passwd, /etc/shadow or /etc/gshadow (0 or -EINVAL naming the entry);
 * no private key under /etc or /var but the operator's (-EPERM: a key the
 * package's postinst made in the staged root would be every image's). */
int rootfs_check(struct tx_ctx *ctx, const struct manifest *m);

/* Does a symlink at in-image path (absolute, normalised) with this target
 * stay inside the image root? Absolute and empty targets: no (an overlay link
 * must be relative; resolved on the host at build time an absolute one would
 * name the host's file). 1 yes, 0 no. */
int rootfs_link_inside(const char *path, const char *target);

#endif
