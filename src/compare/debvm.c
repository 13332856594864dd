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
#include "compare/cmpimg.h"
#include "compare/debvm.h"
#include "compare/system.h"
#include "guest/markers.h"
#include "probe/netns.h"
#include "stage/stage.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE "compare"
/* the parts debvm.h shares with tinyx debian-vm say so in their errors */
#define PART "debian-vm"
#define DEBVM_VERSION "2" /* bump when what is added to the root or image.conf changes */
#define DEBVM_INIT_MARKER "Welcome to"

static const char interfaces[] =
    "# tinyx compare: the Debian way (ifupdown), a static address in the probe's\n"
    "# private network namespace\n"
    "auto lo\niface lo inet loopback\n\n"
    "auto eth0\niface eth0 inet static\n"
    "    address " NETNS_GUEST_ADDR "/30\n"
    "    gateway " NETNS_HOST_ADDR "\n";

static const char fstab[] = "/dev/vda / ext4 rw,errors=remount-ro 0 1\n";

/* The guest's memory in use once the app runs, as the Tinyx init says it. */
static const char mem_unit[] =
    "[Unit]\nDescription=tinyx compare: memory in use once the app runs\n"
    "After=%s.service\n\n"
    "[Service]\nType=oneshot\nExecStart=/usr/local/sbin/tinyx-mem\n\n"
    "[Install]\nWantedBy=multi-user.target\n";

static const char mem_script[] =
    "#!/bin/sh\n"
    "# tinyx compare: MemTotal - MemAvailable, as the Tinyx init prints it\n"
    "awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 }\n"
    "     END { print \"" TINYX_MARKER(TINYX_MARK_MEM) " \" t - a \" KB\" }' /proc/meminfo "
						       ">/dev/console\n";

static const char iperf3_unit[] =
    "[Unit]\nDescription=tinyx compare: iperf3 client when tinyx.iperf3= asks\n"
    "After=network-online.target %s.service\nWants=network-online.target\n\n"
    "[Service]\nType=simple\nExecStart=/usr/local/sbin/tinyx-iperf3\n\n"
    "[Install]\nWantedBy=multi-user.target\n";

/* The same contract as the Tinyx init's tinyx.iperf3=HOST,SECONDS. */
static const char iperf3_script[] =
    "#!/bin/sh\n"
    "# tinyx compare: guest -> host throughput when the kernel command line asks\n"
    "arg=$(tr ' ' '\\n' </proc/cmdline | sed -n 's/^tinyx\\.iperf3=//p')\n"
    "[ -n \"$arg\" ] || exit 0\n"
    "host=${arg%%,*} secs=${arg#*,}\n"
    "i=0\n"
    "while [ $i -lt 600 ]; do\n"
    "\tif iperf3 -c \"$host\" -t \"$secs\" >/dev/null 2>&1; then\n"
    "\t\techo '" TINYX_MARKER(TINYX_MARK_IPERF3) " done' >/dev/console; exit 0\n"
						 "\tfi\n"
						 "\ti=$((i + 1)); sleep 0.2\n"
						 "done\n"
						 "echo '" TINYX_MARKER(
						     TINYX_MARK_IPERF3) " failed' >/dev/console\n";

int debvm_put(struct tx_ctx *ctx, const char *dir, const char *rel, const char *text, mode_t mode)
{
	char *p = xasprintf("%s/%s", dir, rel), *d = path_dirname(p);
	int r = mkdir_p(d, 0755);

	if (r == 0) {
		unlink(p); /* a symlink in the root is replaced, not followed */
		r = write_file_atomic(p, text, strlen(text), mode);
	}
	if (r < 0)
		tx_fail(ctx, r, PART, "cannot write '%s'", p);
	free(d);
	free(p);
	return r;
}

int debvm_put_files(struct tx_ctx *ctx, const char *dir, const struct debvm_file *f, size_t n)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++)
		r = debvm_put(ctx, dir, f[i].rel, f[i].text, f[i].mode);
	return r;
}

int debvm_enable(struct tx_ctx *ctx, const char *dir, const char *unit)
{
	char *w = xasprintf("%s/etc/systemd/system/multi-user.target.wants", dir);
	char *l = xasprintf("%s/%s", w, unit), *t = xasprintf("/etc/systemd/system/%s", unit);
	int r = mkdir_p(w, 0755);

	if (r == 0 && symlink(t, l) < 0 && errno != EEXIST)
		r = -errno;
	if (r < 0)
		tx_fail(ctx, r, PART, "cannot enable '%s'", unit);
	free(w), free(l), free(t);
	return r;
}

/* The files added to the copy of the staged root. */
static int customise(struct tx_ctx *ctx, const char *dir, void *arg)
{
	const char *app = arg;
	char *mu = xasprintf(mem_unit, app), *iu = xasprintf(iperf3_unit, app);
	char *host = xasprintf("%s-debian\n", app);
	const struct debvm_file files[] = {
	    {"etc/network/interfaces", interfaces, 0644},
	    {"etc/fstab", fstab, 0644},
	    {"etc/hostname", host, 0644},
	    {"etc/systemd/system/tinyx-mem.service", mu, 0644},
	    {"etc/systemd/system/tinyx-iperf3.service", iu, 0644},
	    {"usr/local/sbin/tinyx-iperf3", iperf3_script, 0755},
	    {"usr/local/sbin/tinyx-mem", mem_script, 0755},
	};
	int r = debvm_put_files(ctx, dir, files, NELEM(files));

	if (r == 0)
		r = debvm_enable(ctx, dir, "tinyx-mem.service");
	if (r == 0)
		r = debvm_enable(ctx, dir, "tinyx-iperf3.service");
	free(mu), free(iu), free(host);
	return r;
}

/* The one file in root/boot whose name starts with prefix. */
static char *boot_file(const char *root, const char *prefix)
{
	char *b = xasprintf("%s/boot", root), *found = NULL;
	DIR *d = opendir(b);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)) && !found)
			found = xasprintf("%s/%s", b, de->d_name);
	if (d)
		closedir(d);
	free(b);
	return found;
}

int debvm_boot_files(struct tx_ctx *ctx, const char *root, const char *dir, const struct imgconf *c)
{
	char *kernel = boot_file(root, "vmlinuz-"), *initrd = boot_file(root, "initrd.img-");
	char *k = xasprintf("%s/kernel", dir), *i = xasprintf("%s/initrd", dir);
	int r = 0;

	if (!kernel || !initrd)
		r = tx_fail(ctx, -ENOENT, PART, "no Debian kernel and initramfs in '%s/boot'",
			    root);
	else if (copy_file(kernel, k, 0644) < 0 || copy_file(initrd, i, 0644) < 0)
		r = tx_fail(ctx, -EIO, PART, "cannot copy the Debian kernel '%s'", kernel);
	if (r == 0)
		r = imgconf_write(ctx, dir, c);
	free(kernel), free(initrd), free(k), free(i);
	return r;
}

/* Debian's kernel and initramfs, and how the probe boots them. */
static int boot_files(struct tx_ctx *ctx, const char *root, const char *tmp)
{
	/* read only (kernel, initrd: the default names) */
	struct imgconf c = {.machine = IMG_PC,
			    .disk = "disk.ext4",
			    .memory_mb = DEBVM_MB,
			    .vcpus = 1,
			    .net = IMG_NET_PCI,
			    .rng = IMG_RNG_VIRTIO,
			    .disk_initrd = 1, /* as tinyx debian-vm's (debvm-job.c) */
			    .append = DEBVM_APPEND,
			    .note = "Debian's linux-image-cloud-amd64 and its initramfs"};

	/* the service: the Tinyx image's (peer) */
	return debvm_boot_files(ctx, root, tmp, &c);
}

int debvm_disk(struct tx_ctx *ctx, const char *root, const char *tmp,
	       int (*custom)(struct tx_ctx *ctx, const char *copy, void *arg), void *arg)
{
	char *copy = xasprintf("%s/root", tmp), *disk = xasprintf("%s/disk.ext4", tmp);
	char *du_out = NULL, *size = NULL;
	char *cp[] = {"cp", "-a", (char *)root, copy, NULL}, *du[] = {"du", "-s", "-m", copy, NULL};
	long mb = 0;
	int r = run_cmd(ctx, cp, NULL, 1) == 0 ? 0 : -EIO;

	if (r < 0)
		r = tx_fail(ctx, r, PART, "cannot copy the root '%s'", root);
	if (r == 0)
		r = custom(ctx, copy, arg);
	if (r == 0 && (run_capture(ctx, du, &du_out, 4096) != 0 || (mb = atol(du_out)) <= 0))
		r = tx_fail(ctx, -EIO, PART, "cannot size '%s'", copy);
	if (r == 0) {
		char *mk[] = {"mke2fs", "-q", "-F", "-t", "ext4", "-L",
			      "root",	"-d", copy, disk, NULL,	  NULL};

		mk[10] = size = xasprintf("%ldM", mb + mb / 4 + 64);
		if (run_cmd(ctx, mk, NULL, 1) != 0)
			r = tx_fail(ctx, -EIO, PART, "mke2fs failed for '%s'", disk);
	}
	rm_rf(copy);
	free(copy), free(disk), free(du_out), free(size);
	return r;
}

struct debvm_fill {
	const char *app, *root;
};

static int fill(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	const struct debvm_fill *f = arg;
	int r;

	tx_info(ctx, "compare: debian-vm: an ext4 disk from the Debian root (once, cached)");
	r = boot_files(ctx, f->root, tmp);
	return r < 0 ? r : debvm_disk(ctx, f->root, tmp, customise, (void *)f->app);
}

int debvm_stage(struct tx_ctx *ctx, const char *app)
{
	return compare_stage_root(ctx, app, DEBVM_PKGS, "debian-vm: root");
}

/* The image dir of app's debian-vm in *dir_out (made when not cached). */
static int debvm_image(struct tx_ctx *ctx, const char *app, char **dir_out)
{
	struct stage_opts so = {.extra = DEBVM_PKGS};
	struct debvm_fill f = {.app = app};
	struct tx_cache_entry e = {.marker = IMGCONF_NAME,
				   .stage = STAGE,
				   .what = "debian-vm image",
				   .fill = fill,
				   .arg = &f};
	char *root = NULL, *dir, *base;
	int r = stage_root(ctx, app, &so, &root);

	*dir_out = NULL;
	if (r < 0)
		return r;
	base = strrchr(root, '/');
	dir = xasprintf("%s/debvm/%s-v%s", ctx->cache, base ? base + 1 : root, DEBVM_VERSION);
	f.root = root;
	e.dir = dir;
	r = tx_cache_get(ctx, &e);
	if (r >= 0)
		*dir_out = dir;
	else
		free(dir);
	free(root);
	return r < 0 ? r : 0;
}

int debvm_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row)
{
	/* systemd under TCG boots in tens of seconds: room for a busy machine */
	struct compare_vm vm = {.timeout_s = 600,
				.init_marker = DEBVM_INIT_MARKER,
				.disk_initrd = 1,
				.min_lo = 64,
				.peer = 1};
	char *d = NULL;
	int r = cmpimg_peer_service(ctx, st);

	if (r == 0) {
		tx_info(ctx, "compare: debian-vm: preparing the image (stage, disk)");
		r = debvm_image(ctx, st->o->app, &d);
	}
	if (r < 0) {
		snprintf(row->note, sizeof(row->note), "%s", ctx->err);
		return r;
	}
	vm.dir = d;
	r = compare_vm_row(ctx, st, row, &vm);
	free(d);
	return r;
}

int debvm_forward(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row)
{
	const struct compare_opts *o = st->o;
	struct debvm_job j = {.app = o->app,
			      .add = o->add,
			      .out = o->out ? o->out : "out",
			      .overlays = o->overlays,
			      .noverlays = o->noverlays,
			      .nics = o->nics ? o->nics : 2};
	struct compare_vm vm = {
	    .timeout_s = 600, .init_marker = DEBVM_INIT_MARKER, .disk_initrd = 1};
	char *d = NULL;
	int r;

	tx_info(ctx, "compare: debian-vm: the Debian VM doing the job (tinyx debian-vm)");
	r = debvm_job_run(ctx, &j, &d);
	if (r < 0) {
		row->measured = 1;
		snprintf(row->note, sizeof(row->note), "%s", ctx->err);
	} else {
		vm.dir = d;
		r = compare_vm_row(ctx, st, row, &vm);
	}
	free(d);
	return r;
}
