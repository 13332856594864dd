/* tinyx build APP: the whole pipeline, into OUT/APP/ whole or not at all.
 *
 *   stage -> closure -> kernel (per target) -> rootfs (initrd, ext4)
 *         -> OUT/APP.tmp.PID/{manifest.txt, kvm/, xen/} -> verify (boot) -> rename */
#include "image/build.h"
#include "image/qemu.h"
#include "formats/appspec.h"
#include "closure/closure.h"
#include "image/cpio.h"
#include "image/ext4.h"
#include "formats/hints.h"
#include "kernel/kernel.h"
#include "probe/probe.h"
#include "image/rootfs.h"
#include "stage/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


struct timing {
	const char *name;
	double ms;
};

struct target_res {
	const char *name;
	struct kernel_out k;
	long long kernel_bytes, initrd_bytes, ext4_bytes;
	char kernel_sha[65], initrd_sha[65], ext4_sha[65];
	int verified;
	struct probe_result pr;
};

struct bctx {
	struct tx_ctx *ctx;
	const struct build_opts *o;
	char *root, *tmp, *final, *work;
	struct manifest m;
	struct app_spec spec;
	char service[8];
	int port;
	struct timing t[16];
	int nt;
	struct target_res tr[2];
	int ntr;
	long long epoch;
	char initrd_sha[65], ext4_sha[65];
	long long initrd_bytes, ext4_bytes;
};

static void timed(struct bctx *b, const char *name, double t0)
{
	if (b->nt < 16) {
		b->t[b->nt].name = name;
		b->t[b->nt].ms = now_ms() - t0;
		b->nt++;
	}
}

/* The library's copy, with the build's error line. */
static int copy_to(struct tx_ctx *ctx, const char *from, const char *to, mode_t mode)
{
	int r = copy_file(from, to, mode);

	if (r < 0)
		return tx_fail(ctx, r, "build", "cannot copy '%s' to '%s': %s", from, to,
			       strerror(-r));
	return 0;
}

static int put_text(struct tx_ctx *ctx, const char *path, const char *text, mode_t mode)
{
	int r = write_file_atomic(path, text, strlen(text), mode);

	if (r < 0)
		return tx_fail(ctx, r, "build", "cannot write '%s'", path);
	return 0;
}

/* The kernel command line of a target (the probe adds the network part). */
static char *cmdline(const struct bctx *b, const char *target)
{
	/* both boot on QEMU's 8250 here; Xen's own config (APP.cfg) says hvc0 */
	(void)target;
	return xasprintf("console=ttyS0 quiet panic=-1 tinyx.hostname=%s", b->o->app);
}

/* image.conf: how the probe boots the image dir (src/imgconf.h). */
static int write_imageconf(struct bctx *b, const char *dir, const char *target, const char *what,
			   const char *note)
{
	char *append = cmdline(b, target), *p = xasprintf("%s/image.conf", dir);
	struct sbuf s = {0};
	int r;

	sbuf_printf(&s,
		    "# tinyx image: %s for %s (%s)\n"
		    "target=%s\nmachine=microvm\nkernel=kernel\ninitrd=initrd\n%s"
		    "append=%s\nmemory_mb=%d\nvcpus=1\nnet=virtio-mmio\nport=%d\nservice=%s\n",
		    b->o->app, !strcmp(target, "kvm") ? "KVM" : "Xen", what, target,
		    !strcmp(target, "kvm") ? "disk=rootfs.ext4\n" : "", append, GUEST_MB, b->port,
		    b->service);
	if (note)
		sbuf_printf(&s, "note=%s\n", note);
	r = put_text(b->ctx, p, s.s, 0644);
	sbuf_free(&s);
	free(append);
	free(p);
	return r;
}

static int write_kvm(struct bctx *b, struct target_res *t, const char *dir)
{
	struct tx_ctx *ctx = b->ctx;
	char *p, *append = cmdline(b, "kvm");
	struct sbuf s = {0};
	int r;

	p = xasprintf("%s/kernel", dir);
	r = copy_to(ctx, t->k.bzimage, p, 0644);
	free(p);
	if (r < 0)
		goto out;
	r = write_imageconf(b, dir, "kvm", "bzImage; boots on -M microvm or pc", NULL);
	if (r < 0)
		goto out;
	/* run-qemu.sh boots the image as built; networking is the user's
	 * choice: a tap (TAP=name) or QEMU's user-mode net (the default). */
	sbuf_printf(
	    &s,
	    "#!/bin/sh\n"
	    "# Boot %s as built: QEMU microvm, serial console on stdio.\n"
	    "# TAP=tap0 ./run-qemu.sh     to use a tap device instead of user-mode net\n"
	    "# DISK=1 ./run-qemu.sh       to boot rootfs.ext4 as root instead of the initrd\n"
	    "#                            (writes go to a snapshot; KEEP=1 to keep them)\n"
	    "# IP=ADDR/PREFIX GW=ADDR     static guest address (default 10.0.2.15/24, gw "
	    "10.0.2.2)\n"
	    "set -eu\n"
	    "cd \"$(dirname \"$0\")\"\n"
	    "accel=tcg tcg=noapictimer\n"
	    "[ -w /dev/kvm ] && [ \"${KVM:-0}\" = 1 ] && accel=kvm tcg=\n"
	    "if [ -n \"${TAP:-}\" ]; then net=\"tap,id=n0,ifname=$TAP,script=no,downscript=no\"\n"
	    "else net=\"user,id=n0\"; fi\n"
	    "snap=on; [ \"${KEEP:-0}\" = 1 ] && snap=off\n"
	    "ip=\"tinyx.ip=${IP:-10.0.2.15/24} tinyx.gw=${GW:-10.0.2.2} $tcg\"\n"
	    "if [ \"${DISK:-0}\" = 1 ]; then\n"
	    "  exec qemu-system-x86_64 -M microvm,acpi=off -accel $accel -m %d -nodefaults "
	    "-no-user-config \\\n"
	    "    -nographic -no-reboot -kernel kernel -append \"%s root=/dev/vda rw "
	    "rootfstype=ext4 init=/init $ip\" \\\n"
	    "    -drive id=d0,file=rootfs.ext4,format=raw,if=none,snapshot=$snap -device "
	    "virtio-blk-device,drive=d0 \\\n"
	    "    -netdev \"$net\" -device virtio-net-device,netdev=n0 -serial stdio\n"
	    "fi\n"
	    "exec qemu-system-x86_64 -M microvm,acpi=off -accel $accel -m %d -nodefaults "
	    "-no-user-config \\\n"
	    "  -nographic -no-reboot -kernel kernel -initrd initrd -append \"%s $ip\" \\\n"
	    "  -netdev \"$net\" -device virtio-net-device,netdev=n0 -serial stdio\n",
	    b->o->app, GUEST_MB, append, GUEST_MB, append);
	p = xasprintf("%s/run-qemu.sh", dir);
	r = put_text(ctx, p, s.s, 0755);
	free(p);
	if (r < 0)
		goto out;
	s.len = 0;
	/* libvirt wants absolute paths: where the image will be once published */
	char *absout = realpath(b->o->out, NULL);
	char *imgdir = xasprintf("%s/%s/kvm", absout ? absout : b->o->out, b->o->app);
	free(absout);
	sbuf_printf(&s,
		    "<!-- tinyx image %s: a libvirt domain (virsh define %s.xml) -->\n"
		    "<domain type='kvm'>\n"
		    "  <name>tinyx-%s</name>\n"
		    "  <memory unit='MiB'>%d</memory>\n"
		    "  <vcpu>1</vcpu>\n"
		    "  <os>\n"
		    "    <type arch='x86_64' machine='pc'>hvm</type>\n"
		    "    <kernel>%s/kernel</kernel>\n"
		    "    <initrd>%s/initrd</initrd>\n"
		    "    <cmdline>%s</cmdline>\n"
		    "  </os>\n"
		    "  <devices>\n"
		    "    <interface type='network'><source network='default'/><model "
		    "type='virtio'/></interface>\n"
		    "    <serial type='pty'><target port='0'/></serial>\n"
		    "    <console type='pty'><target type='serial' port='0'/></console>\n"
		    "  </devices>\n"
		    "</domain>\n",
		    b->o->app, b->o->app, b->o->app, GUEST_MB, imgdir, imgdir, append);
	free(imgdir);
	p = xasprintf("%s/%s.xml", dir, b->o->app);
	r = put_text(ctx, p, s.s, 0644);
	free(p);
out:
	sbuf_free(&s);
	free(append);
	return r;
}

/* DIR/APP{suffix}.cfg: an xl domain config of the given type. */
static int xl_config(struct tx_ctx *ctx, const struct bctx *b, const char *dir, const char *type,
		     const char *suffix, struct sbuf *s)
{
	char *p;
	int r;

	s->len = 0;
	sbuf_printf(s,
		    "# tinyx image %s: an xl domain config (xl create %s%s.cfg, from this dir)\n"
		    "# a static address: add tinyx.ip=ADDR/PREFIX tinyx.gw=GW to cmdline\n"
		    "name = \"tinyx-%s%s\"\n"
		    "type = \"%s\"\n"
		    "kernel = \"kernel\"\n"
		    "ramdisk = \"initrd\"\n"
		    "cmdline = \"console=hvc0 quiet panic=-1 tinyx.hostname=%s\"\n"
		    "memory = %d\n"
		    "vcpus = 1\n"
		    "vif = [ 'bridge=xenbr0' ]\n"
		    "on_crash = \"destroy\"\n",
		    b->o->app, b->o->app, suffix, b->o->app, suffix, type, b->o->app, GUEST_MB);
	p = xasprintf("%s/%s%s.cfg", dir, b->o->app, suffix);
	r = put_text(ctx, p, s->s, 0644);
	free(p);
	return r;
}

static int write_xen(struct bctx *b, struct target_res *t, const char *dir)
{
	struct tx_ctx *ctx = b->ctx;
	char *p;
	struct sbuf s = {0};
	int r = 0;

	/* Symbols are of no use to Xen's loader: strip them (the PVH note
	 * stays, and is checked again). */
	p = xasprintf("%s/kernel", dir);
	{
		char *argv[] = {"strip", "--strip-all", "-o", p, t->k.vmlinux, NULL};
		int st = run_cmd(ctx, argv, NULL, 1);

		if (st != 0)
			r = copy_to(ctx, t->k.vmlinux, p, 0644);
		if (r == 0)
			r = kernel_check_pvh(ctx, p, NULL);
		chmod(p, 0644);
	}
	free(p);
	if (r < 0)
		goto out;
	/* Verified here through the PVH entry on QEMU microvm: the entry Xen
	 * uses for PVH guests, not Xen's front-end drivers. */
	r = write_imageconf(b, dir, "xen", "PVH vmlinux",
			    "verified through the PVH entry on QEMU microvm; Xen front-end "
			    "drivers not exercised");
	if (r < 0)
		goto out;
	/* PVH (the default), and the same kernel as a PV guest (CONFIG_XEN_PV): PV
	 * needs no hardware virtualization on the host (`--xen-cfg APP-pv.cfg`) */
	r = xl_config(ctx, b, dir, "pvh", "", &s);
	if (r == 0)
		r = xl_config(ctx, b, dir, "pv", "-pv", &s);
out:
	sbuf_free(&s);
	return r;
}

/* The service to check: from the hints ("service http 80"), else none.
 * The closure has read the same file already: an error here cannot be new. */
static int read_service(struct bctx *b)
{
	struct hints h;
	int r = hints_load(b->ctx, b->ctx->srcdir, b->o->app, &h);

	strcpy(b->service, r == 0 ? h.service : "none");
	b->port = r == 0 ? h.port : 0;
	hints_free(&h);
	return r;
}

static int make_rootfs(struct bctx *b)
{
	struct tx_ctx *ctx = b->ctx;
	struct rootfs_opts ro = {0};
	char *init = xasprintf("%s/build/tinyx-init", ctx->srcdir);
	char *initrd = xasprintf("%s/initrd", b->work);
	char *ext4 = xasprintf("%s/rootfs.ext4", b->work);
	char *stg = xasprintf("%s/ext4-staging", b->work);
	double t0 = now_ms();
	int r;

	ro.busybox = "/bin/busybox";
	ro.init = init;
	ro.projdir = ctx->srcdir;
	ro.spec = &b->spec;
	ro.debug_shell = b->o->debug_shell;
	ro.with_busybox = 1;
	ro.workdir = b->work;
	ro.hostname = b->o->app;
	if (!path_exists(init)) {
		r = tx_fail(ctx, -ENOENT, "rootfs", "no guest init '%s' (maybe run make)", init);
		goto out;
	}
	r = rootfs_assemble(ctx, &b->m, &ro);
	if (r < 0)
		goto out;
	manifest_sort(&b->m);
	r = cpio_write(ctx, &b->m, initrd, ROOTFS_COMPRESSOR, b->epoch);
	if (r < 0)
		goto out;
	timed(b, "initrd", t0);
	t0 = now_ms();
	r = ext4_write(ctx, &b->m, stg, ext4, b->epoch);
	if (r < 0)
		goto out;
	timed(b, "ext4", t0);
	b->initrd_bytes = file_size(initrd);
	b->ext4_bytes = file_size(ext4);
	sha256_file(initrd, b->initrd_sha);
	sha256_file(ext4, b->ext4_sha);
	tx_info(ctx, "rootfs: %zu entries, initrd %.2f MB, ext4 %.2f MB", b->m.n,
		b->initrd_bytes / 1e6, b->ext4_bytes / 1e6);
out:
	rm_rf(stg);
	free(stg);
	free(init);
	free(initrd);
	free(ext4);
	return r;
}

static int emit_target(struct bctx *b, struct target_res *t)
{
	struct tx_ctx *ctx = b->ctx;
	char *dir = xasprintf("%s/%s", b->tmp, t->name);
	char *from, *to;
	int r = mkdir_p(dir, 0755);

	if (r < 0) {
		r = tx_fail(ctx, r, "build", "cannot create '%s'", dir);
		goto out;
	}
	from = xasprintf("%s/initrd", b->work);
	to = xasprintf("%s/initrd", dir);
	r = copy_to(ctx, from, to, 0644);
	free(from);
	free(to);
	if (r == 0 && !strcmp(t->name, "kvm")) {
		from = xasprintf("%s/rootfs.ext4", b->work);
		to = xasprintf("%s/rootfs.ext4", dir);
		r = copy_to(ctx, from, to, 0644);
		free(from);
		free(to);
	}
	if (r == 0)
		r = !strcmp(t->name, "kvm") ? write_kvm(b, t, dir) : write_xen(b, t, dir);
	if (r == 0) {
		char *k = xasprintf("%s/kernel", dir);
		t->kernel_bytes = file_size(k);
		sha256_file(k, t->kernel_sha);
		free(k);
	}
out:
	free(dir);
	return r;
}

static int verify_target(struct bctx *b, struct target_res *t)
{
	struct tx_ctx *ctx = b->ctx;
	struct probe_opts po = {0};
	char *dir = xasprintf("%s/%s", b->tmp, t->name);
	double t0 = now_ms();
	int r;

	po.dir = dir;
	po.runs = 1;
	po.timeout_s = 60;
	po.accel = "auto"; /* KVM only where it really runs guests */
	/* the build checks the Xen kernel through its PVH entry (seconds); the
	 * full check under Xen is `tinyx probe out/APP/xen` (a minute, and the
	 * Xen kit) */
	po.xen_pvh_entry = 1;
	tx_info(ctx, "verify: booting the %s image under QEMU and waiting for %s", t->name,
		b->port ? "its service" : "its init");
	r = probe_run(ctx, &po, &t->pr);
	timed(b, !strcmp(t->name, "kvm") ? "verify-kvm" : "verify-xen", t0);
	if (r < 0) {
		char msg[sizeof(ctx->err)];

		/* the probe's message already ends with the console tail */
		snprintf(msg, sizeof(msg), "%s", ctx->err);
		tx_fail(ctx, -ETIMEDOUT, "build", "the %s image did not serve: %s", t->name, msg);
		free(dir);
		return -ETIMEDOUT;
	}
	t->verified = 1;
	free(dir);
	return 0;
}

static void write_json(struct bctx *b, struct sbuf *s)
{
	time_t now = time(NULL);
	char when[64];

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	sbuf_puts(s, "{\n  \"app\": ");
	sbuf_json_str(s, b->o->app);
	sbuf_printf(s,
		    ",\n  \"manifest_entries\": %zu,\n  \"manifest_file_bytes\": %lld,\n"
		    "  \"rootfs\": {\"initrd_bytes\": %lld, \"initrd_sha256\": \"%s\", "
		    "\"ext4_bytes\": %lld, \"ext4_sha256\": \"%s\"},\n  \"targets\": {",
		    b->m.n, manifest_total_size(&b->m), b->initrd_bytes, b->initrd_sha,
		    b->ext4_bytes, b->ext4_sha);
	for (int i = 0; i < b->ntr; i++) {
		struct target_res *t = &b->tr[i];

		sbuf_printf(s,
			    "%s\n    \"%s\": {\"kernel_bytes\": %lld, \"kernel_sha256\": \"%s\", "
			    "\"kernel_config_hash\": \"%s\", \"kernel_cached\": %s, "
			    "\"total_bytes\": %lld, \"verified\": %s",
			    i ? "," : "", t->name, t->kernel_bytes, t->kernel_sha, t->k.hash,
			    t->k.cached ? "true" : "false", t->kernel_bytes + b->initrd_bytes,
			    t->verified ? "true" : "false");
		if (t->verified)
			sbuf_printf(s,
				    ", \"verified_at\": \"%s\", \"boot_ms\": {\"console\": %.1f, "
				    "\"init\": %.1f, \"network\": %.1f, \"service\": %.1f}",
				    when, t->pr.console.median, t->pr.init.median,
				    t->pr.network.median, t->pr.service.median);
		sbuf_puts(s, "}");
	}
	sbuf_puts(s, "\n  },\n  \"timings_ms\": {");
	for (int i = 0; i < b->nt; i++)
		sbuf_printf(s, "%s\"%s\": %.0f", i ? ", " : "", b->t[i].name, b->t[i].ms);
	sbuf_puts(s, "}\n}\n");
}

static void summary(struct bctx *b)
{
	printf("\n%-6s %12s %12s %12s %9s %9s %9s %9s\n", "target", "kernel", "rootfs", "total",
	       "verified", "init ms", "net ms", "serve ms");
	for (int i = 0; i < b->ntr; i++) {
		struct target_res *t = &b->tr[i];

		printf("%-6s %12lld %12lld %12lld %9s", t->name, t->kernel_bytes, b->initrd_bytes,
		       t->kernel_bytes + b->initrd_bytes, t->verified ? "yes" : "no");
		if (t->verified)
			printf(" %9.0f %9.0f %9.0f\n", t->pr.init.median, t->pr.network.median,
			       t->pr.service.median);
		else
			printf(" %9s %9s %9s\n", "-", "-", "-");
	}
	printf("images in %s\n", b->final);
}

/* The manifest as published: no build paths in it (the same bytes from any
 * checkout, out dir or pid). Sources in the project dir are named relative
 * to it; generated files lived in the work dir, gone by now: no src. */
static void manifest_published(struct bctx *b, struct sbuf *s)
{
	size_t pl = strlen(b->ctx->srcdir), wl = strlen(b->work);
	char **saved = xcalloc(b->m.n ? b->m.n : 1, sizeof(*saved));

	for (size_t i = 0; i < b->m.n; i++) {
		struct ment *e = &b->m.e[i];

		saved[i] = e->src;
		if (!e->src)
			continue;
		if (!strncmp(e->src, b->work, wl) && e->src[wl] == '/')
			e->src = NULL;
		else if (!strncmp(e->src, b->ctx->srcdir, pl) && e->src[pl] == '/')
			e->src += pl + 1;
	}
	manifest_text(&b->m, s);
	for (size_t i = 0; i < b->m.n; i++)
		b->m.e[i].src = saved[i];
	free(saved);
}

/* Temp dirs of builds that died (killed, power cut): OUT/.APP.tmp.PID and
 * OUT/APP.old.PID whose PID is gone. */
static void clean_stale_tmp(const char *out, const char *app)
{
	char *tmp = xasprintf(".%s.tmp.", app), *old = xasprintf("%s.old.", app);
	struct strv dead = {0};

	stale_pid_entries(out, tmp, &dead);
	stale_pid_entries(out, old, &dead);
	for (size_t i = 0; i < dead.n; i++)
		rm_rf(dead.v[i]);
	strv_free(&dead);
	free(tmp);
	free(old);
}

/* Put the finished tmp dir in place of OUT/APP. */
static int publish(struct bctx *b)
{
	char *old = xasprintf("%s.old.%d", b->final, (int)getpid());
	int had = path_exists(b->final);

	if (had && rename(b->final, old) < 0) {
		int e = -errno;
		free(old);
		return tx_fail(b->ctx, e, "build", "cannot replace '%s'", b->final);
	}
	if (rename(b->tmp, b->final) < 0) {
		int e = -errno;
		if (had)
			rename(old, b->final);
		free(old);
		return tx_fail(b->ctx, e, "build", "cannot create '%s'", b->final);
	}
	if (had)
		rm_rf(old);
	free(old);
	return 0;
}

int build_run(struct tx_ctx *ctx, const struct build_opts *o)
{
	struct bctx b = {.ctx = ctx, .o = o};
	struct stage_opts so = {.mirror = o->mirror};
	const char *env = getenv("SOURCE_DATE_EPOCH");
	double t0 = now_ms(), tall = t0;
	struct stat st;
	int r;

	if (!valid_pkg_name(o->app))
		return tx_fail(ctx, -EINVAL, "build", "invalid package name '%s'", o->app);
	if (stat(o->out, &st) == 0 && !S_ISDIR(st.st_mode))
		return tx_fail(ctx, -ENOTDIR, "build", "output path is not a directory '%s'",
			       o->out);
	/* every timestamp in the images: SOURCE_DATE_EPOCH, else a fixed one
	 * (not 0: e2fsprogs reads a fake time of 0 as "use the clock") */
	b.epoch = env && *env ? strtoll(env, NULL, 10) : 1;
	if (b.epoch <= 0)
		b.epoch = 1;
	if (o->root) {
		if (!is_dir(o->root))
			return tx_fail(ctx, -ENOENT, "build", "no root tree at '%s'", o->root);
		b.root = xstrdup(o->root);
	} else {
		r = stage_root(ctx, o->app, &so, &b.root);
		if (r < 0)
			return r;
	}
	timed(&b, "stage", t0);

	t0 = now_ms();
	manifest_init(&b.m, o->app, b.root);
	r = closure_build(ctx, o->app, b.root, ctx->srcdir, &b.m, &b.spec);
	if (r < 0)
		goto out;
	timed(&b, "closure", t0);
	tx_info(ctx, "closure: %zu entries, %.2f MB of files, %zu kernel features", b.m.n,
		manifest_total_size(&b.m) / 1e6, b.m.nf);
	r = read_service(&b);
	if (r < 0)
		goto out;

	if (!strcmp(o->target, "all") || !strcmp(o->target, "kvm"))
		b.tr[b.ntr++].name = "kvm";
	if (!strcmp(o->target, "all") || !strcmp(o->target, "xen"))
		b.tr[b.ntr++].name = "xen";
	for (int i = 0; i < b.ntr; i++) {
		t0 = now_ms();
		r = kernel_build(ctx, o->app, b.tr[i].name, b.m.f, b.m.nf, ctx->srcdir, &b.tr[i].k);
		if (r < 0)
			goto out;
		timed(&b, !strcmp(b.tr[i].name, "kvm") ? "kernel-kvm" : "kernel-xen", t0);
		tx_info(ctx, "kernel: %s %s (%s)", b.tr[i].name,
			b.tr[i].k.cached ? "reused from the cache" : "built", b.tr[i].k.hash);
	}

	r = mkdir_p(o->out, 0755);
	if (r < 0) {
		r = tx_fail(ctx, r, "build", "cannot create output dir '%s'", o->out);
		goto out;
	}
	clean_stale_tmp(o->out, o->app);
	b.final = xasprintf("%s/%s", o->out, o->app);
	b.tmp = xasprintf("%s/.%s.tmp.%d", o->out, o->app, (int)getpid());
	b.work = xasprintf("%s/.work", b.tmp);
	rm_rf(b.tmp);
	tx_tmp_register(b.tmp);
	r = mkdir_p(b.work, 0755);
	if (r < 0) {
		r = tx_fail(ctx, r, "build", "cannot create '%s'", b.work);
		goto out;
	}
	r = make_rootfs(&b);
	if (r < 0)
		goto out;
	{
		struct sbuf s = {0};
		char *p = xasprintf("%s/manifest.txt", b.tmp);

		manifest_published(&b, &s);
		r = put_text(ctx, p, s.s ? s.s : "", 0644);
		free(p);
		sbuf_free(&s);
		if (r < 0)
			goto out;
	}
	for (int i = 0; i < b.ntr; i++) {
		r = emit_target(&b, &b.tr[i]);
		if (r < 0)
			goto out;
	}
	rm_rf(b.work);
	if (o->verify) {
		for (int i = 0; i < b.ntr; i++) {
			r = verify_target(&b, &b.tr[i]);
			if (r < 0)
				goto out;
		}
	}
	timed(&b, "total", tall);
	{
		struct sbuf s = {0};
		char *p = xasprintf("%s/build.json", b.tmp);

		write_json(&b, &s);
		r = put_text(ctx, p, s.s, 0644);
		free(p);
		sbuf_free(&s);
		if (r < 0)
			goto out;
	}
	r = publish(&b);
	if (r == 0 && !o->no_summary)
		summary(&b);
out:
	if (b.tmp && path_exists(b.tmp))
		rm_rf(b.tmp);
	if (b.tmp)
		tx_tmp_release(b.tmp);
	for (int i = 0; i < b.ntr; i++) {
		kernel_out_free(&b.tr[i].k);
		probe_result_free(&b.tr[i].pr);
	}
	manifest_free(&b.m);
	appspec_free(&b.spec);
	free(b.root);
	free(b.tmp);
	free(b.final);
	free(b.work);
	return r;
}
