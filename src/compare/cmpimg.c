/* The Tinyx images of tinyx compare; see cmpimg.h. */
#include "compare/cmpimg.h"
#include "image/qemu.h"
#include "closure/closure.h"
#include "image/cpio.h"
#include "image/ext4.h"
#include "kernel/kernel.h"
#include "image/rootfs.h"
#include "stage/stage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE "compare"

/* The service to check, from the app's hints ("service http 80"). */
void cmpimg_service(struct tx_ctx *ctx, const char *app, char svc[8], int *port)
{
	char *file = xasprintf("%s/rootfs-overlays/%s/hints", ctx->srcdir, app), *text = NULL;

	strcpy(svc, "none");
	*port = 0;
	if (read_file(file, &text, NULL, 1 << 20) == 0) {
		for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
			char proto[8];
			int p;

			if (sscanf(l, "service %7s %d", proto, &p) == 2 && p > 0 && p < 65536 &&
			    (!strcmp(proto, "http") || !strcmp(proto, "tcp"))) {
				strcpy(svc, proto);
				*port = p;
			}
		}
	}
	free(text);
	free(file);
}

/* The app's closure with the client's merged in; the app's kernel features
 * stay the only ones in m->f (the kernel is the app's). */
static int closure_with_client(struct tx_ctx *ctx, const char *app, const char *root,
			       struct manifest *m, struct app_spec *spec)
{
	struct manifest c;
	int r;

	manifest_init(m, app, root);
	r = closure_build(ctx, app, root, ctx->srcdir, m, spec);
	if (r < 0)
		return r;
	manifest_init(&c, CMPIMG_CLIENT, root);
	r = closure_build(ctx, CMPIMG_CLIENT, root, ctx->srcdir, &c, NULL);
	for (size_t i = 0; r == 0 && i < c.nf; i++) {
		size_t j = 0;

		while (j < m->nf && strcmp(m->f[j].option, c.f[i].option))
			j++;
		if (j == m->nf)
			r = tx_fail(ctx, -EINVAL, STAGE,
				    "%s needs kernel option '%s' (for %s) that the %s kernel lacks",
				    CMPIMG_CLIENT, c.f[i].option, c.f[i].symbol, app);
	}
	for (size_t i = 0; r == 0 && i < c.n; i++)
		manifest_add(m, &c.e[i]);
	manifest_free(&c);
	return r;
}

static int make_initrd(struct tx_ctx *ctx, const char *app, const char *root, int busybox,
		       const char *work, const char *out, const char *ext4)
{
	struct manifest m;
	struct app_spec spec = {0};
	struct rootfs_opts ro = {0};
	char *init = xasprintf("%s/build/tinyx-init", ctx->srcdir);
	int r = closure_with_client(ctx, app, root, &m, &spec);

	ro.busybox = "/bin/busybox";
	ro.init = init;
	ro.projdir = ctx->srcdir;
	ro.spec = &spec;
	ro.with_busybox = busybox;
	ro.workdir = work;
	ro.hostname = app;
	if (r == 0)
		r = rootfs_assemble(ctx, &m, &ro);
	if (r == 0) {
		manifest_sort(&m);
		r = cpio_write(ctx, &m, out, ROOTFS_COMPRESSOR, 1);
	}
	if (r == 0 && ext4) {
		char *stg = xasprintf("%s/ext4-staging", work);
		r = ext4_write(ctx, &m, stg, ext4, 1);
		rm_rf(stg);
		free(stg);
	}
	manifest_free(&m);
	appspec_free(&spec);
	free(init);
	return r;
}

static int copy_to(struct tx_ctx *ctx, const char *from, const char *to, int strip)
{
	char *cp[] = {"cp", (char *)from, (char *)to, NULL};
	char *st[] = {"strip", "--strip-all", "-o", (char *)to, (char *)from, NULL};

	if (run_cmd(ctx, strip ? st : cp, NULL, 1) != 0)
		return tx_fail(ctx, -EIO, STAGE, "cannot copy '%s'", from);
	chmod(to, 0644);
	return 0;
}

static int write_conf(struct tx_ctx *ctx, const char *dir, const char *app, const char *target,
		      const char *what)
{
	char svc[8], *p = xasprintf("%s/image.conf", dir), *text;
	int port, r;

	cmpimg_service(ctx, app, svc, &port);
	text = xasprintf("# tinyx compare: %s, %s\ntarget=%s\nmachine=microvm\nkernel=kernel\n"
			 "initrd=initrd\nappend=console=ttyS0 quiet panic=-1 tinyx.hostname=%s\n"
			 "memory_mb=%d\nvcpus=1\nnet=virtio-mmio\nport=%d\nservice=%s\n",
			 app, what, target, app, GUEST_MB, port, svc);
	r = write_file_atomic(p, text, strlen(text), 0644);
	if (r < 0)
		tx_fail(ctx, r, STAGE, "cannot write '%s'", p);
	free(text);
	free(p);
	return r;
}

static int one_dir(struct tx_ctx *ctx, const char *app, const char *dir, const char *name,
		   const char *kernel, int strip, const char *initrd, const char *target,
		   const char *what)
{
	char *d = xasprintf("%s/%s", dir, name), *k = xasprintf("%s/kernel", d);
	char *i = xasprintf("%s/initrd", d);
	int r = mkdir_p(d, 0755);

	if (r < 0)
		r = tx_fail(ctx, r, STAGE, "cannot create '%s'", d);
	if (r == 0)
		r = copy_to(ctx, kernel, k, strip);
	if (r == 0)
		r = copy_to(ctx, initrd, i, 0);
	if (r == 0)
		r = write_conf(ctx, d, app, target, what);
	free(d);
	free(k);
	free(i);
	return r;
}

int cmpimg_build(struct tx_ctx *ctx, const char *app, const char *dir, struct cmpimg_out *out)
{
	struct stage_opts so = {.extra = CMPIMG_CLIENT};
	struct kernel_out kk = {0}, kx = {0};
	struct manifest m;
	struct app_spec spec = {0};
	char *work = xasprintf("%s/.work", dir), *full = NULL, *min = NULL, *disk = NULL;
	struct stat st;
	int r;

	memset(out, 0, sizeof(*out));
	out->busybox_bytes = stat("/bin/busybox", &st) == 0 ? (long long)st.st_size : -1;
	r = stage_root(ctx, app, &so, &out->root);
	if (r < 0)
		goto done;
	/* the kernels: the app's own features only (iperf3's are checked to be a subset) */
	r = closure_with_client(ctx, app, out->root, &m, &spec);
	if (r == 0)
		r = kernel_build(ctx, app, "kvm", m.f, m.nf, ctx->srcdir, &kk);
	if (r == 0)
		r = kernel_build(ctx, app, "xen", m.f, m.nf, ctx->srcdir, &kx);
	manifest_free(&m);
	appspec_free(&spec);
	if (r < 0)
		goto done;
	rm_rf(dir);
	r = mkdir_p(work, 0755);
	if (r < 0) {
		r = tx_fail(ctx, r, STAGE, "cannot create '%s'", work);
		goto done;
	}
	full = xasprintf("%s/initrd-full", work);
	min = xasprintf("%s/initrd-min", work);
	disk = xasprintf("%s/rootfs.ext4", work);
	tx_info(ctx, "compare: tinyx images of %s with %s (initrd with and without BusyBox)", app,
		CMPIMG_CLIENT);
	r = make_initrd(ctx, app, out->root, 1, work, full, disk);
	if (r == 0)
		r = make_initrd(ctx, app, out->root, 0, work, min, NULL);
	if (r == 0)
		r = one_dir(ctx, app, dir, "tinyx-kvm", kk.bzimage, 0, full, "kvm",
			    "bzImage + initrd with BusyBox");
	if (r == 0)
		r = one_dir(ctx, app, dir, "tinyx-kvm-disk", kk.bzimage, 0, full, "kvm",
			    "bzImage + rootfs.ext4 as root (no initrd)");
	if (r == 0) {
		char *to = xasprintf("%s/tinyx-kvm-disk/rootfs.ext4", dir);
		char *conf = xasprintf("%s/tinyx-kvm-disk/image.conf", dir);
		char *text = NULL;

		r = copy_to(ctx, disk, to, 0);
		/* the probe boots it with --disk: the initrd stays unused */
		if (r == 0 && read_file(conf, &text, NULL, 1 << 16) == 0) {
			char *t2 = xasprintf("%sdisk=rootfs.ext4\n", text);
			r = write_file_atomic(conf, t2, strlen(t2), 0644);
			free(t2);
		}
		free(text);
		free(to);
		free(conf);
	}
	if (r == 0)
		r = one_dir(ctx, app, dir, "tinyx-xen-pvh", kx.vmlinux, 1, full, "xen",
			    "the Xen kernel through its PVH entry on QEMU microvm");
	if (r == 0)
		r = one_dir(ctx, app, dir, "tinyx-min", kk.bzimage, 0, min, "kvm",
			    "bzImage + initrd without BusyBox");
	rm_rf(work);
done:
	kernel_out_free(&kk);
	kernel_out_free(&kx);
	free(work);
	free(full);
	free(min);
	free(disk);
	return r;
}

void cmpimg_out_free(struct cmpimg_out *out)
{
	free(out->root);
	out->root = NULL;
}
