/* The standard Debian VM: a debootstrap root with the app, systemd, udev,
 * ifupdown and Debian's own kernel (linux-image-cloud-amd64) and initramfs,
 * on an ext4 disk, booted on QEMU -M pc with the kernel and initramfs of its
 * /boot. tinyx compare's "debian-vm" row (debvm.c) and `tinyx debian-vm`
 * (debvm-job.c: the same, doing an image's job) are made of these parts. */
#ifndef TINYX_DEBVM_H
#define TINYX_DEBVM_H

#include "formats/imgconf.h"
#include "lib/util.h"

#include <sys/types.h>

#define DEBVM_PKGS                                                                                 \
	"systemd,systemd-sysv,udev,linux-image-cloud-amd64,initramfs-tools,ifupdown,iproute2,"     \
	"iperf3"
#define DEBVM_MB 512
#define DEBVM_APPEND "console=ttyS0 quiet systemd.show_status=1 net.ifnames=0 init=/sbin/init"

/* DIR/REL with text (parents made; a symlink there is replaced). */
int debvm_put(struct tx_ctx *ctx, const char *dir, const char *rel, const char *text, mode_t mode);
/* Each file of f[0..n) as debvm_put writes it; stops at the first error. */
struct debvm_file {
	const char *rel, *text;
	mode_t mode;
};
int debvm_put_files(struct tx_ctx *ctx, const char *dir, const struct debvm_file *f, size_t n);
/* /etc/systemd/system/UNIT wanted by multi-user.target in the root DIR. */
int debvm_enable(struct tx_ctx *ctx, const char *dir, const char *unit);
/* root's Debian kernel and initramfs as DIR/kernel and DIR/initrd, and
 * DIR/image.conf of c (which names them by the default names). */
int debvm_boot_files(struct tx_ctx *ctx, const char *root, const char *dir,
		     const struct imgconf *c);
/* DIR/disk.ext4: a copy of root, custom(ctx, copy, arg) applied to it, sized
 * to what it holds plus a quarter and 64 MB free. */
int debvm_disk(struct tx_ctx *ctx, const char *root, const char *dir,
	       int (*custom)(struct tx_ctx *ctx, const char *copy, void *arg), void *arg);

/* `tinyx debian-vm`: the standard Debian VM doing the job of a Tinyx image
 * built with the same app, --add, --overlay and --nics, as the image dir
 * OUT/debian-vm/APP (kernel, initrd, disk.ext4, image.conf, run-qemu.sh
 * with the Tinyx image's contract: TAP, TAPi, IP, GW, KVM). */
struct debvm_job {
	const char *app, *add, *out, *mirror;
	const char *const *overlays;
	int noverlays, nics;
	int stage_only; /* only stage (or find cached) its Debian root */
};
/* 0, or -errno with ctx->err; *dir_out: the image dir (stage_only: the
 * staged root). */
int debvm_job_run(struct tx_ctx *ctx, const struct debvm_job *o, char **dir_out);

#endif
