/* The direct QEMU boot and the table of backends; see backend.h. */
#include "probe/backend.h"
#include "image/disk.h"
#include "image/qemu.h"
#include "lib/cleanup.h"
#include "probe/netns.h"
#include "probe/probex.h"
#include "xen/xenprobe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* --firmware uefi under TCG: OVMF takes 6 to 20 s to start the loader here
 * (2 cores shared), the app answers 10 to 30 s after QEMU starts */
#define UEFI_TIMEOUT_S 90

/* --boot-disk: the image's bootable disk as the firmware boots it, in a
 * copy (raw, in a temp dir) whose command line has the words the direct
 * boot puts after the image's own on -append (the address, noapictimer) */
static int boot_copy(struct tx_ctx *ctx, const struct probe_opts *o, struct qemu_boot *b,
		     char **tmp)
{
	int has_uefi = 0;
	const char *td = getenv("TMPDIR");
	char *src = xasprintf("%s/%s", o->dir, b->c->boot_disk), *x = qemu_append_extra(b), *to;
	int r = 0;

	*tmp = xasprintf("%s/tinyx-bootdisk.XXXXXX", td && *td ? td : "/tmp");
	if (!mkdtemp(*tmp)) {
		r = tx_fail(ctx, -errno, "probe", "cannot make a temp dir '%s'", *tmp);
		free(*tmp);
		*tmp = NULL;
	} else
		tx_tmp_register(*tmp);
	to = r == 0 ? xasprintf("%s/boot.img", *tmp) : NULL;
	if (r == 0)
		r = disk_probe_copy(ctx, src, x, *tmp, to, &has_uefi);
	if (r == 0 && b->uefi && !has_uefi)
		r = tx_fail(
		    ctx, -ENOENT, "probe",
		    "the bootable disk has no UEFI loader (its kernel has no EFI stub) '%s'", src);
	b->dir = *tmp;
	b->boot_disk = "boot.img";
	free(src);
	free(x);
	free(to);
	return r;
}

/* The image's own QEMU command (image/qemu.h), its NIC on the namespace's
 * tap, the guest told its address (and the iperf3 server when asked). */
static int qemu_prepare(struct tx_ctx *ctx, struct probe_opts *o, const struct imgconf *c,
			struct probe_result *r, struct strv *argv, void **st)
{
	/* a unikernel of Unikraft's reads its own parameters, up to "--"; OSv
	 * its options, before the command (image/qemu.c puts them first) */
	unsigned mask = NETNS_PREFIX ? 0xffffffffu << (32 - NETNS_PREFIX) : 0;
	char *extra =
	    c->cmdline == IMG_CMDLINE_UNIKRAFT
		? xasprintf("netdev.ip=%s/%d:%s --", NETNS_GUEST_ADDR, NETNS_PREFIX,
			    NETNS_HOST_ADDR)
	    : c->cmdline == IMG_CMDLINE_OSV
		? xasprintf("--ip=eth0,%s,%u.%u.%u.%u --defaultgw=%s", NETNS_GUEST_ADDR, mask >> 24,
			    mask >> 16 & 255, mask >> 8 & 255, mask & 255, NETNS_HOST_ADDR)
		: xasprintf("tinyx.ip=%s/%d tinyx.gw=%s%s", NETNS_GUEST_ADDR, NETNS_PREFIX,
			    NETNS_HOST_ADDR,
			    o->iperf3 ? " tinyx.iperf3=" NETNS_HOST_ADDR "," PROBEX_IPERF3_STR
				      : "");
	struct qemu_boot b = {.c = c,
			      .dir = o->dir,
			      .qemu = o->qemu,
			      .accel = r->accel,
			      .memory_mb = r->memory_mb,
			      .use_disk = o->use_disk,
			      .disk_initrd = o->disk_initrd,
			      .netdev = "tap,id=n0,fd=3",
			      .mac = NETNS_GUEST_MAC,
			      .extra = extra};
	static const char *const fwd_nd[] = {"tap,id=n1,fd=4", NULL};
	char *tmp = NULL;
	int rc = 0;

	if (o->forward && (c->nics < 2 || c->cmdline != IMG_CMDLINE_LINUX)) {
		free(extra);
		return tx_fail(ctx, -EINVAL, "probe",
			       "--forward needs a Linux image with two NICs (tinyx build --nics "
			       "2) '%s'",
			       o->dir);
	}
	if (o->forward)
		b.netdevs = fwd_nd; /* eth1 on the server net's tap (fwd.h) */
	if (o->boot_disk) {
		b.uefi = o->uefi;
		b.boot_disk = c->boot_disk;
		if (o->uefi && o->timeout_s <= 0)
			o->timeout_s = UEFI_TIMEOUT_S;
		r->memory_mb = qemu_memory_mb(&b);
		snprintf(r->machine, sizeof(r->machine), "%s", o->uefi ? QEMU_UEFI_MACHINE : "pc");
		snprintf(r->firmware, sizeof(r->firmware), "%s", o->uefi ? "uefi" : "bios");
		rc = boot_copy(ctx, o, &b, &tmp);
	}
	if (rc == 0)
		qemu_argv(&b, argv);
	free(extra);
	*st = tmp;
	return rc;
}

/* the boot copy's temp dir */
static void qemu_cleanup(void *st)
{
	rm_rf(st);
	tx_tmp_release(st);
	free(st);
}

const struct probe_backend probe_backend_qemu = {
    .name = "qemu", .prepare = qemu_prepare, .cleanup = qemu_cleanup};

static const struct {
	enum img_target target;
	int on_qemu; /* -1: either */
	const struct probe_backend *be;
} backends[] = {
    {IMG_KVM, -1, &probe_backend_qemu},
    {IMG_XEN, 1, &probe_backend_qemu}, /* the Xen image's files on QEMU microvm */
    {IMG_XEN, 0, &xenprobe_backend},   /* under the real hypervisor */
};

const struct probe_backend *probe_backend_for(enum img_target t, int on_qemu)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backends[i].target == t &&
		    (backends[i].on_qemu < 0 || backends[i].on_qemu == !!on_qemu))
			return backends[i].be;
	return &probe_backend_qemu;
}
