/* The image targets: what `tinyx build` writes to OUT/APP/NAME/ for each.
 *
 * Adding a target: src/image/target-NAME.c (its struct and launch writer),
 * kconfig-fragments/NAME.config, one line in image_targets[] (target.c),
 * and its value of image.conf's target= (formats/imgconf.c). */
#ifndef TINYX_TARGET_H
#define TINYX_TARGET_H

#include "formats/imgconf.h"
#include "kernel/kernel.h"

#include <sys/types.h>

struct image_target;

/* What a target's launch writer gets: the dir being made and the build's facts. */
struct target_job {
	struct tx_ctx *ctx;
	const struct image_target *t;
	const char *app;
	const char *dir;	    /* the target dir being filled */
	const char *final_dir;	    /* where it will be once published (absolute if it can) */
	const struct imgconf *conf; /* what its image.conf says */
};

struct image_target {
	const char *name;     /* "kvm": its dir, --target, build.json, timing names */
	const char *title;    /* "KVM": for people */
	enum img_target conf; /* image.conf's target= */
	const char *fragment; /* its kconfig fragment, in kconfig-fragments/ */
	int has_disk;	      /* ships rootfs.squashfs (image.conf disk=) besides the initrd */
	/* its initrd is rootfs.squashfs, which the kernel copies to /dev/ram0
	 * and mounts as the root (image_root_args) */
	int ramdisk_root;
	const char *what; /* image.conf's comment: what the kernel is */
	const char *note; /* image.conf's note=, or NULL */
	/* The build verifies the image on QEMU microvm (the probe's
	 * xen_on_qemu: seconds), not under Xen: the full check under Xen is
	 * `tinyx probe` (a minute, and the Xen kit). */
	int on_qemu;
	/* Write the files that launch the image (the kernel, initrd, disk and
	 * image.conf are there already); 0 or -errno with ctx->err. */
	int (*write_launch)(const struct target_job *j);
	/* a bootable disk too (image/disk.h: APP.qcow2 and/or APP.img, per
	 * build --format), named in image.conf's boot_disk */
	int boot_disk;
};

extern const struct image_target target_kvm, target_xen;
/* Every target, in build order; NULL-terminated. */
extern const struct image_target *const image_targets[];

/* The target called NAME, or NULL. */
const struct image_target *image_target_find(const char *name);
/* "kvm, xen" (with sep ", "): for usage and error messages; owned. */
char *image_target_names(const char *sep);

/* Fill c (imgconf_init'ed by this call) with what a build of APP for t says:
 * the target, its files, the guest command line on ttyS0, GUEST_MB (the
 * caller raises it with image_guest_mb), the
 * service to check (svc "http", "tcp" or "none") and its port. */
void image_target_conf(const struct image_target *t, const char *app, const char *svc, int port,
		       struct imgconf *c);

/* The kernel arguments that make a ramdisk_root target's initrd its root;
 * "" for another target. */
const char *image_root_args(const struct image_target *t);

/* The guest RAM in MB an image needs, from its initrd and the size of its
 * files: while the kernel unpacks the initramfs, the compressed archive and
 * the files are both in RAM (twice the files, to be safe with the page
 * cache), plus 24 MB for the kernel and the app; in 16 MB steps, at least
 * GUEST_MB. A root that does not fit makes the kernel say "Initramfs
 * unpacking failed" and the app missing: the probe fails such a boot. */
int image_guest_mb(long long initrd_bytes, long long files_bytes);

/* PATH with mode, or ctx->err naming it ("build: cannot write 'PATH'"). */
int target_put(struct tx_ctx *ctx, const char *path, const char *text, mode_t mode);

#endif
