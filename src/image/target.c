/* The target table; see target.h. */
#include "image/target.h"
#include "image/qemu.h"

#include <stdlib.h>
#include <string.h>

const struct image_target *const image_targets[] = {&target_kvm, &target_xen, NULL};

const struct image_target *image_target_find(const char *name)
{
	for (size_t i = 0; name && image_targets[i]; i++)
		if (!strcmp(image_targets[i]->name, name))
			return image_targets[i];
	return NULL;
}

char *image_target_names(const char *sep)
{
	struct sbuf s = {0};

	for (size_t i = 0; image_targets[i]; i++)
		sbuf_printf(&s, "%s%s", i ? sep : "", image_targets[i]->name);
	return s.s;
}

void image_target_conf(const struct image_target *t, const char *app, const char *svc, int port,
		       struct imgconf *c)
{
	int s = img_service_find(svc);

	imgconf_init(c);
	c->target = t->conf;
	c->disk = t->has_disk ? xstrdup("rootfs.squashfs") : NULL;
	if (t->ramdisk_root) {
		free(c->initrd);
		c->initrd = xstrdup("rootfs.squashfs");
	}
	free(c->append);
	c->append = qemu_guest_cmdline(app, "ttyS0", image_root_args(t));
	c->memory_mb = GUEST_MB;
	c->port = port;
	c->service = s < 0 ? IMG_SVC_NONE : (enum img_service)s;
	c->note = t->note ? xstrdup(t->note) : NULL;
	c->comment = xasprintf("tinyx image: %s for %s (%s)", app, t->title, t->what);
}

const char *image_root_args(const struct image_target *t)
{
	return t->ramdisk_root ? "root=/dev/ram0 ro rootfstype=squashfs init=/init" : "";
}

int image_guest_mb(long long initrd_bytes, long long files_bytes)
{
	long long mb = 24 + (initrd_bytes + 2 * files_bytes + (1 << 20) - 1) / (1 << 20);

	mb = (mb + 15) / 16 * 16;
	return mb < GUEST_MB ? GUEST_MB : mb > IMGCONF_MEM_MAX ? IMGCONF_MEM_MAX : (int)mb;
}

int target_put(struct tx_ctx *ctx, const char *path, const char *text, mode_t mode)
{
	int r = write_file_atomic(path, text, strlen(text), mode);

	if (r < 0)
		return tx_fail(ctx, r, "build", "cannot write '%s'", path);
	return 0;
}
