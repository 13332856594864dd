/* The Xen kit: what the Xen probe boots under QEMU before the guest.
 *
 *   xen          Debian's hypervisor (xen-hypervisor-4.17-amd64), gunzipped:
 *                a multiboot image QEMU's -kernel loads
 *   vmlinuz      the dom0 kernel, Debian's linux-image-amd64 (XEN_DOM0 and
 *                HVC_XEN built in)
 *   modules/     the dom0 modules (Xen devices, netback, bridge, virtio NIC)
 *                with their modules.dep dependencies, and modules.list in
 *                load order
 *   dom0-initrd  a Tinyx image of the Xen tools (xen-utils-4.17 staged,
 *                analysed and assembled by tinyx itself; hints and overlay in
 *                rootfs-overlays/xen-utils-4.17/) plus those modules and
 *                /etc/tinyx/dom0.conf for the dom0 role of the init
 *
 * The packages come through `apt-get download` and `dpkg-deb -x` into the
 * cache: the host's /boot and boot setup are never touched. The hypervisor is
 * taken at the version of the staged tools. Cached in CACHE/xen/kit-KEY (KEY:
 * the package versions) and CACHE/xen/dom0-KEY (KEY: the kit, the staged root,
 * the init binary and the overlay files), each built in a temp dir and renamed. */
#ifndef TINYX_XENKIT_H
#define TINYX_XENKIT_H

#include "lib/util.h"

#define XENKIT_TOOLS_PKG "xen-utils-4.17"
#define XENKIT_HYP_PKG "xen-hypervisor-4.17-amd64"
#define XENKIT_KERNEL_PKG "linux-image-amd64"

struct xenkit {
	char *xen;	   /* hypervisor image */
	char *dom0_kernel; /* vmlinuz */
	char *dom0_initrd; /* compressed cpio */
	char *versions;	   /* "xen-hypervisor-4.17-amd64 4.17..., linux-image-... 6.1..." */
};

/* Make (or reuse) the kit and the dom0 image. 0 or -errno with ctx->err,
 * e.g. "xenkit: no package 'xen-utils-4.17' in the apt index (maybe run
 * apt-get update)". */
int xenkit_get(struct tx_ctx *ctx, struct xenkit *k);
void xenkit_free(struct xenkit *k);

/* The modules to load from modules.dep text (the "path: dep dep" lines of
 * the kernel's modules.dep) for the wanted module names: each module after
 * its dependencies, each once. Paths as in modules.dep. -ENOENT names a
 * wanted module that is not there; -EINVAL a malformed line or a loop. */
int xenkit_module_order(struct tx_ctx *ctx, const char *dep_text, const char *const *wanted,
			struct strv *out);

#endif
