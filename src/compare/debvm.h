/* The standard VM of tinyx compare ("debian-vm"): what a Debian user would
 * run. A debootstrap root with the app, systemd, udev, ifupdown, iperf3 and
 * Debian's own kernel (linux-image-cloud-amd64) and initramfs; an ext4 disk
 * made from it (mke2fs -d); the network configured the Debian way
 * (/etc/network/interfaces, static, eth0 by net.ifnames=0); booted on QEMU
 * -M pc with the kernel and initramfs of its /boot (no boot loader).
 *
 * Two small units stand in for what the Tinyx init prints: the guest's memory
 * in use once the app runs ("tinyx: mem used N KB" on the console), and the
 * iperf3 client when the kernel command line asks (tinyx.iperf3=HOST,SECONDS).
 *
 * The image dir is cached: CACHE/debvm/ROOTNAME-vN/ {kernel, initrd,
 * disk.ext4, image.conf}, made whole or not at all. */
#ifndef TINYX_DEBVM_H
#define TINYX_DEBVM_H

#include "lib/util.h"

#define DEBVM_PKGS                                                                                 \
	"systemd,systemd-sysv,udev,linux-image-cloud-amd64,initramfs-tools,ifupdown,iproute2,"     \
	"iperf3"
#define DEBVM_MB 512
#define DEBVM_INIT_MARKER "Welcome to"

/* The image dir of app's debian-vm in *dir_out (made when not cached). */
int debvm_image(struct tx_ctx *ctx, const char *app, char **dir_out);

#endif
