/* The Xen target: the bzImage (libxenguest unpacks it; its vmlinux has the
 * PVH entry and XEN_PV), with rootfs.squashfs as its ramdisk and root; xl
 * configs launch it as a PVH guest and as a PV guest. */
#include "image/qemu.h"
#include "image/target.h"

#include <stdlib.h>

/* DIR/APP{suffix}.cfg: an xl domain config of the given type. */
static int xl_config(const struct target_job *j, const char *type, const char *suffix)
{
	const char *app = j->app;
	char *cmdline = qemu_guest_cmdline(app, "hvc0", image_root_args(j->t)), *p, *text;
	struct sbuf vif = {0};
	int r;

	for (int i = 0; i < j->conf->nics || i == 0; i++) /* eth0.. each a vif on xenbr0 */
		sbuf_printf(&vif, "%s'bridge=xenbr0'", i ? ", " : "");
	text =
	    xasprintf("# tinyx image %s: an xl domain config (xl create %s%s.cfg, from this dir)\n"
		      "# a static address: add tinyx.ip=ADDR/PREFIX tinyx.gw=GW to cmdline\n"
		      "name = \"tinyx-%s%s\"\n"
		      "type = \"%s\"\n"
		      "kernel = \"%s\"\n"
		      "ramdisk = \"%s\"\n"
		      "cmdline = \"%s\"\n"
		      "memory = %d\n"
		      "vcpus = %d\n"
		      "vif = [ %s ]\n"
		      "on_crash = \"destroy\"\n",
		      app, app, suffix, app, suffix, type, j->conf->kernel, j->conf->initrd,
		      cmdline, j->conf->memory_mb, j->conf->vcpus, vif.s);
	p = xasprintf("%s/%s%s.cfg", j->dir, app, suffix);
	r = target_put(j->ctx, p, text, 0644);
	free(p);
	free(text);
	free(cmdline);
	sbuf_free(&vif);
	return r;
}

/* PVH (the default), and the same kernel as a PV guest (CONFIG_XEN_PV): PV
 * needs no hardware virtualization on the host (`--xen-cfg APP-pv.cfg`). */
static int write_xen(const struct target_job *j)
{
	int r = xl_config(j, "pvh", "");

	return r < 0 ? r : xl_config(j, "pv", "-pv");
}

static const char xen_note[] = "verified on QEMU microvm (the same kernel and root); under Xen "
			       "by tinyx probe";

/* the fields in struct image_target's order */
const struct image_target target_xen = {
    "xen", "Xen",     IMG_XEN, "vm.config", 0, 1, "bzImage; boots as Xen PVH or PV", xen_note,
    1,	   write_xen, 0};
