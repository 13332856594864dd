/* The standard VM of tinyx compare; see debvm.h. */
#include "compare/debvm.h"
#include "compare/cmpimg.h"
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
#define DEBVM_VERSION "1" /* bump when what is added to the root changes */

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
    "     END { print \"tinyx: mem used \" t - a \" KB\" }' /proc/meminfo >/dev/console\n";

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
    "\t\techo 'tinyx: iperf3 done' >/dev/console; exit 0\n"
    "\tfi\n"
    "\ti=$((i + 1)); sleep 0.2\n"
    "done\n"
    "echo 'tinyx: iperf3 failed' >/dev/console\n";

static int put(struct tx_ctx *ctx, const char *dir, const char *rel, const char *text, mode_t mode)
{
	char *p = xasprintf("%s/%s", dir, rel), *d = path_dirname(p);
	int r = mkdir_p(d, 0755);

	if (r == 0) {
		unlink(p); /* a symlink in the root is replaced, not followed */
		r = write_file_atomic(p, text, strlen(text), mode);
	}
	if (r < 0)
		tx_fail(ctx, r, STAGE, "cannot write '%s'", p);
	free(d);
	free(p);
	return r;
}

static int enable(struct tx_ctx *ctx, const char *dir, const char *unit)
{
	char *w = xasprintf("%s/etc/systemd/system/multi-user.target.wants", dir);
	char *l = xasprintf("%s/%s", w, unit), *t = xasprintf("/etc/systemd/system/%s", unit);
	int r = mkdir_p(w, 0755);

	if (r == 0 && symlink(t, l) < 0 && errno != EEXIST)
		r = -errno;
	if (r < 0)
		tx_fail(ctx, r, STAGE, "cannot enable '%s'", unit);
	free(w);
	free(l);
	free(t);
	return r;
}

/* The files added to the copy of the staged root. */
static int customise(struct tx_ctx *ctx, const char *app, const char *dir)
{
	char *mu = xasprintf(mem_unit, app), *iu = xasprintf(iperf3_unit, app);
	char *host = xasprintf("%s-debian\n", app);
	int r = put(ctx, dir, "etc/network/interfaces", interfaces, 0644);

	if (r == 0)
		r = put(ctx, dir, "etc/fstab", fstab, 0644);
	if (r == 0)
		r = put(ctx, dir, "etc/hostname", host, 0644);
	if (r == 0)
		r = put(ctx, dir, "etc/systemd/system/tinyx-mem.service", mu, 0644);
	if (r == 0)
		r = put(ctx, dir, "etc/systemd/system/tinyx-iperf3.service", iu, 0644);
	if (r == 0)
		r = put(ctx, dir, "usr/local/sbin/tinyx-iperf3", iperf3_script, 0755);
	if (r == 0)
		r = put(ctx, dir, "usr/local/sbin/tinyx-mem", mem_script, 0755);
	if (r == 0)
		r = enable(ctx, dir, "tinyx-mem.service");
	if (r == 0)
		r = enable(ctx, dir, "tinyx-iperf3.service");
	free(mu);
	free(iu);
	free(host);
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

static int make_image(struct tx_ctx *ctx, const char *app, const char *root, const char *tmp)
{
	char *copy = xasprintf("%s/root", tmp), *disk = xasprintf("%s/disk.ext4", tmp);
	char *kernel = boot_file(root, "vmlinuz-"), *initrd = boot_file(root, "initrd.img-");
	char *du_out = NULL, *size = NULL, *conf = NULL, svc[8];
	int r = 0, port;

	if (!kernel || !initrd) {
		r = tx_fail(ctx, -ENOENT, STAGE, "no Debian kernel and initramfs in '%s/boot'",
			    root);
		goto out;
	}
	{
		char *cp[] = {"cp", "-a", (char *)root, copy, NULL};
		if (run_cmd(ctx, cp, NULL, 1) != 0) {
			r = tx_fail(ctx, -EIO, STAGE, "cannot copy the root '%s'", root);
			goto out;
		}
	}
	r = customise(ctx, app, copy);
	if (r < 0)
		goto out;
	{
		/* the disk: what the root holds, plus a quarter and 64 MB free */
		char *du[] = {"du", "-s", "-m", copy, NULL};
		long mb;

		if (run_capture(ctx, du, &du_out, 4096) != 0 || (mb = atol(du_out)) <= 0) {
			r = tx_fail(ctx, -EIO, STAGE, "cannot size '%s'", copy);
			goto out;
		}
		size = xasprintf("%ldM", mb + mb / 4 + 64);
	}
	{
		char *mk[] = {"mke2fs", "-q", "-F", "-t", "ext4", "-L",
			      "root",	"-d", copy, disk, size,	  NULL};
		if (run_cmd(ctx, mk, NULL, 1) != 0) {
			r = tx_fail(ctx, -EIO, STAGE, "mke2fs failed for '%s'", disk);
			goto out;
		}
	}
	{
		char *k = xasprintf("%s/kernel", tmp), *i = xasprintf("%s/initrd", tmp);
		char *c1[] = {"cp", kernel, k, NULL}, *c2[] = {"cp", initrd, i, NULL};

		if (run_cmd(ctx, c1, NULL, 1) != 0 || run_cmd(ctx, c2, NULL, 1) != 0)
			r = tx_fail(ctx, -EIO, STAGE, "cannot copy the Debian kernel '%s'", kernel);
		free(k);
		free(i);
		if (r < 0)
			goto out;
	}
	cmpimg_service(ctx, app, svc, &port);
	conf = xasprintf("# tinyx compare: %s on a standard Debian VM (systemd, Debian's kernel "
			 "and initramfs, ext4 disk)\n"
			 "target=kvm\nmachine=pc\nkernel=kernel\ninitrd=initrd\ndisk=disk.ext4\n"
			 "append=console=ttyS0 quiet systemd.show_status=1 net.ifnames=0 "
			 "init=/sbin/init\n"
			 "memory_mb=%d\nvcpus=1\nnet=virtio-pci\nport=%d\nservice=%s\n"
			 "note=Debian's linux-image-cloud-amd64 and its initramfs\n",
			 app, DEBVM_MB, port, svc);
	{
		char *p = xasprintf("%s/image.conf", tmp);
		r = write_file_atomic(p, conf, strlen(conf), 0644);
		if (r < 0)
			tx_fail(ctx, r, STAGE, "cannot write '%s'", p);
		free(p);
	}
out:
	rm_rf(copy);
	free(copy);
	free(disk);
	free(kernel);
	free(initrd);
	free(du_out);
	free(size);
	free(conf);
	return r;
}

int debvm_image(struct tx_ctx *ctx, const char *app, char **dir_out)
{
	struct stage_opts so = {.extra = DEBVM_PKGS};
	char *root = NULL, *dir = NULL, *tmp = NULL, *lock = NULL, *conf = NULL, *base;
	int r, lfd = -1;
	double t0 = now_ms();

	*dir_out = NULL;
	r = stage_root(ctx, app, &so, &root);
	if (r < 0)
		return r;
	base = strrchr(root, '/');
	dir = xasprintf("%s/debvm/%s-v%s", ctx->cache, base ? base + 1 : root, DEBVM_VERSION);
	conf = xasprintf("%s/image.conf", dir);
	if (path_exists(conf))
		goto done;
	lock = xasprintf("%s.lock", dir);
	{
		char *parent = path_dirname(dir);
		mkdir_p(parent, 0755);
		free(parent);
	}
	lfd = lock_path(lock);
	if (lfd < 0) {
		r = tx_fail(ctx, lfd, STAGE, "cannot lock '%s'", lock);
		goto out;
	}
	if (path_exists(conf))
		goto done;
	tx_info(ctx, "compare: debian-vm: an ext4 disk from the Debian root (once, cached)");
	tmp = xasprintf("%s.tmp.%d", dir, (int)getpid());
	rm_rf(tmp);
	r = mkdir_p(tmp, 0755);
	if (r == 0)
		r = make_image(ctx, app, root, tmp);
	if (r == 0) {
		rm_rf(dir);
		if (rename(tmp, dir) < 0)
			r = tx_fail(ctx, -errno, STAGE, "cannot create '%s'", dir);
	}
	if (r < 0) {
		rm_rf(tmp);
		goto out;
	}
	tx_info(ctx, "compare: debian-vm image ready in %.1f s", (now_ms() - t0) / 1000);
done:
	*dir_out = dir;
	dir = NULL;
	r = 0;
out:
	if (lfd >= 0)
		close(lfd);
	free(root);
	free(dir);
	free(tmp);
	free(lock);
	free(conf);
	return r;
}
