/* The Tinyx images of tinyx compare: the app's images as `tinyx build` makes
 * them, with iperf3 added (the throughput client, started by the init only
 * when the kernel command line asks: tinyx.iperf3=), so every system compared
 * carries the same client.
 *
 *   DIR/tinyx-kvm/      bzImage + rootfs.squashfs (BusyBox, as built), booted
 *                       as the read-only root disk: the default image
 *   DIR/tinyx-kvm-initrd/ bzImage + an initrd of the same files  microvm
 *   DIR/tinyx-xen-pvh/  the kernel's vmlinux + the squashfs as its ramdisk
 *                       (the Xen image's root), booted through its PVH
 *                       entry (Xen's) on QEMU microvm
 *   DIR/tinyx-min/      bzImage + an initrd without BusyBox: the app, its
 *                       libraries, iperf3 and the init only
 *
 * The kernels are the app's own (cached by config hash): iperf3 must imply no
 * kernel option the app does not (checked; an error names the option).
 * The Tinyx rows of the table (system.h): cmpimg_prepare makes the four dirs
 * and the staged root once, cmpimg_measure boots the row's dir. */
#ifndef TINYX_CMPIMG_H
#define TINYX_CMPIMG_H

#include "formats/imgconf.h"
#include "lib/util.h"

#define CMPIMG_CLIENT "iperf3"

/* The app's service from its hints ("service http 80"): *svc (when not
 * NULL) and the port, 0 for none. */
int cmpimg_service(struct tx_ctx *ctx, const char *app, enum img_service *svc, int *port);

/* The service a system without the Tinyx init (the Debian VM, the
 * container: no "ready" lines) is checked on, from what a Tinyx image
 * answered (the probe's check, "http 200 on tcp/80, dns answer on udp/53"):
 * the first port that answered HTTP 200, else the first TCP port (checked
 * by a connect). 0, or -ENOENT when the check names no TCP port. */
int cmpimg_check_service(const char *check, enum img_service *svc, int *port);

/* DIR/image.conf of c, with the app's service: how the probe boots a
 * compared image dir (the one place the comparison writes one). */
int cmpimg_write_conf(struct tx_ctx *ctx, const char *app, const char *dir, struct imgconf *c);

#endif
