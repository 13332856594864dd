/* The Tinyx images of tinyx compare: the app's images as `tinyx build` makes
 * them, with iperf3 added (the throughput client, started by the init only
 * when the kernel command line asks: tinyx.iperf3=), so every system compared
 * carries the same client.
 *
 *   DIR/tinyx-kvm/      bzImage + initrd (BusyBox, as built)      microvm
 *   DIR/tinyx-kvm-disk/ bzImage + rootfs.ext4 of the same files, booted as the
 *                       root disk (no initramfs unpacked in RAM)
 *   DIR/tinyx-xen-pvh/  the Xen kernel (PVH vmlinux) + that initrd, booted
 *                       through its PVH entry on QEMU microvm
 *   DIR/tinyx-min/      bzImage + an initrd without BusyBox: the app, its
 *                       libraries, iperf3 and the init only
 *
 * The kernels are the app's own (cached by config hash): iperf3 must imply no
 * kernel option the app does not (checked; an error names the option). */
#ifndef TINYX_CMPIMG_H
#define TINYX_CMPIMG_H

#include "lib/util.h"

#define CMPIMG_CLIENT "iperf3"

struct cmpimg_out {
	char *root;		 /* the staged root (app + iperf3), also the container's */
	long long busybox_bytes; /* BusyBox's size in the full image */
};

/* Build the three dirs under dir (replaced whole). */
int cmpimg_build(struct tx_ctx *ctx, const char *app, const char *dir, struct cmpimg_out *out);
void cmpimg_out_free(struct cmpimg_out *out);

/* The app's service from its hints ("service http 80"): "http", "tcp" or
 * "none", and the port (0 for none). */
void cmpimg_service(struct tx_ctx *ctx, const char *app, char svc[8], int *port);

#endif
