/* The direct QEMU boot and the table of backends; see backend.h. */
#include "probe/backend.h"
#include "image/qemu.h"
#include "probe/netns.h"
#include "probe/probex.h"
#include "xen/xenprobe.h"

#include <stdlib.h>

/* The image's own QEMU command (image/qemu.h), its NIC on the namespace's
 * tap, the guest told its address (and the iperf3 server when asked). */
static int qemu_prepare(struct tx_ctx *ctx, struct probe_opts *o, const struct imgconf *c,
			struct probe_result *r, struct strv *argv, void **st)
{
	char *extra = xasprintf(
	    "tinyx.ip=%s/%d tinyx.gw=%s%s", NETNS_GUEST_ADDR, NETNS_PREFIX, NETNS_HOST_ADDR,
	    o->iperf3 ? " tinyx.iperf3=" NETNS_HOST_ADDR "," PROBEX_IPERF3_STR : "");
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

	(void)ctx;
	qemu_argv(&b, argv);
	free(extra);
	*st = NULL;
	return 0;
}

const struct probe_backend probe_backend_qemu = {.name = "qemu", .prepare = qemu_prepare};

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
