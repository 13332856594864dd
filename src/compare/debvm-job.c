/* tinyx debian-vm: the standard Debian VM doing the job of a Tinyx image,
 * for side-by-side figures (bench/vnf.sh). What a Debian user would run:
 * the app and the --add packages in a debootstrap root with systemd, udev,
 * ifupdown and Debian's kernel (debvm.h), the overlays' files over it (as
 * root's, as in the Tinyx image), the packages' own units enabled as
 * `systemctl enable` does it, the network the Debian way (the overlay's
 * /etc/network/interfaces, systemd-sysctl for /etc/sysctl.d). One small unit
 * stands in for the Tinyx init's per-instance address: tinyx.ip= and
 * tinyx.gw= on the kernel command line give eth0 its address before the
 * network starts, so the same run-qemu.sh variables (IP, GW, TAP, TAPi)
 * boot either VM.
 *
 * OUT/debian-vm/APP is made whole in a temp dir beside it, then renamed. */
#include "closure/closure.h"
#include "compare/debvm.h"
#include "image/qemu.h"
#include "lib/cleanup.h"
#include "stage/overlay.h"
#include "stage/stage.h"

#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE "debian-vm"

static const char ip_unit[] =
    "[Unit]\nDescription=tinyx debian-vm: eth0's address from tinyx.ip= and tinyx.gw=\n"
    "DefaultDependencies=no\n"
    "Before=network-pre.target\nWants=network-pre.target\n"
    "BindsTo=sys-subsystem-net-devices-eth0.device\n"
    "After=sys-subsystem-net-devices-eth0.device\n\n"
    "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/usr/local/sbin/tinyx-ip\n\n"
    "[Install]\nWantedBy=multi-user.target\n";

/* The same contract as the Tinyx init's tinyx.ip=ADDR/P and tinyx.gw=ADDR. */
static const char ip_script[] =
    "#!/bin/sh\n"
    "# tinyx debian-vm: eth0's address from the kernel command line, when given\n"
    "ip= gw=\n"
    "for w in $(cat /proc/cmdline); do\n"
    "\tcase $w in\n"
    "\ttinyx.ip=*) ip=${w#tinyx.ip=} ;;\n"
    "\ttinyx.gw=*) gw=${w#tinyx.gw=} ;;\n"
    "\tesac\n"
    "done\n"
    "[ -n \"$ip\" ] || exit 0\n"
    "ip link set eth0 up && ip addr add \"$ip\" dev eth0 || exit 1\n"
    "[ -z \"$gw\" ] || ip route replace default via \"$gw\"\n";

static const char fstab[] = "/dev/vda / ext4 rw,errors=remount-ro 0 1\n";

struct job_fill {
	const struct debvm_job *o;
	const struct strv *pkgs; /* the app and the --add packages */
};

/* The copy's entries that overlay dir rel (under base) has are root's, as
 * in the Tinyx image (the overlay's owner is whoever wrote the files). No
 * symlink is followed: lchown, and only real dirs are walked. */
static int chown_overlay(struct tx_ctx *ctx, const char *base, const char *rel, const char *copy)
{
	char *d = xasprintf("%s%s", base, rel);
	DIR *dir = opendir(d);
	struct dirent *de;
	int r = dir ? 0 : tx_fail(ctx, -errno, STAGE, "cannot read the overlay dir '%s'", d);

	while (r == 0 && (de = readdir(dir))) {
		char *sub, *p;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = xasprintf("%s/%s", rel, de->d_name);
		p = xasprintf("%s%s", copy, sub);
		if (lchown(p, 0, 0) < 0)
			r = tx_fail(ctx, -errno, STAGE, "cannot make '%s' root's", p);
		else if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			r = chown_overlay(ctx, base, sub, copy);
		free(sub), free(p);
	}
	if (dir)
		closedir(dir);
	free(d);
	return r;
}

/* 1 when the file list's line l is a unit of systemd's unit dirs (not a
 * template) named NAME.service, NAME of [A-Za-z0-9_.-]: *name is NAME.service */
static int unit_path(const char *l, const char **name)
{
	const char *n = strrchr(l, '/');
	size_t len;

	if (!n ||
	    (strncmp(l, "/lib/systemd/system/", 20) &&
	     strncmp(l, "/usr/lib/systemd/system/", 24)) ||
	    n != l + (l[1] == 'u' ? 23 : 19))
		return 0;
	n++;
	len = strlen(n);
	if (len <= 8 || strcmp(n + len - 8, ".service") ||
	    strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != len)
		return 0;
	*name = n;
	return 1;
}

/* The .service units of pkg (its dpkg file list in the root copy) that
 * have an [Install] section with WantedBy=, appended to out. */
static void pkg_units(const char *copy, const char *pkg, struct strv *out)
{
	char *list = xasprintf("%s/var/lib/dpkg/info/%s.list", copy, pkg), *text = NULL;
	size_t len = 0;

	if (read_file(list, &text, &len, 1 << 22) < 0) {
		free(list);
		list = xasprintf("%s/var/lib/dpkg/info/%s:amd64.list", copy, pkg);
		if (read_file(list, &text, &len, 1 << 22) < 0)
			text = NULL;
	}
	for (char *l = text, *nl; l && *l; l = nl ? nl + 1 : l + strlen(l)) {
		const char *name;
		char *unit = NULL, *p;
		size_t ulen = 0;
		struct stat st;

		nl = strchr(l, '\n');
		if (nl)
			*nl = 0;
		if (!unit_path(l, &name))
			continue;
		p = xasprintf("%s%s", copy, l);
		/* a symlink (an alias, a masked unit) is not followed */
		if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    read_file(p, &unit, &ulen, 1 << 20) == 0 && strstr(unit, "[Install]") &&
		    strstr(unit, "WantedBy="))
			strv_push(out, name);
		free(p), free(unit);
	}
	free(text), free(list);
}

/* The copy of the root made the Debian way for the job (debvm_disk's). */
static int customise(struct tx_ctx *ctx, const char *copy, void *arg)
{
	struct job_fill *f = arg;
	char *host = xasprintf("%s-debian\n", f->o->app);
	const struct debvm_file files[] = {
	    {"etc/fstab", fstab, 0644},
	    {"etc/hostname", host, 0644},
	    {"etc/systemd/system/tinyx-ip.service", ip_unit, 0644},
	    {"usr/local/sbin/tinyx-ip", ip_script, 0755},
	};
	struct strv units = {0}, argv = {0};
	int r = 0;

	for (int i = 0; r == 0 && i < f->o->noverlays; i++)
		r = chown_overlay(ctx, f->o->overlays[i], "", copy);
	if (r == 0)
		r = debvm_put_files(ctx, copy, files, sizeof(files) / sizeof(files[0]));
	if (r == 0)
		r = debvm_enable(ctx, copy, "tinyx-ip.service");
	for (size_t i = 0; i < f->pkgs->n; i++)
		pkg_units(copy, f->pkgs->v[i], &units);
	if (r == 0 && units.n) {
		strv_push(&argv, "chroot");
		strv_push(&argv, copy);
		strv_push(&argv, "systemctl");
		strv_push(&argv, "--quiet");
		strv_push(&argv, "enable");
		for (size_t i = 0; i < units.n; i++) {
			strv_push(&argv, units.v[i]);
			tx_info(ctx, "debian-vm: enabling %s", units.v[i]);
		}
		strv_push_own(&argv, NULL);
		if (run_cmd(ctx, argv.v, NULL, 2) != 0)
			r = tx_fail(ctx, -EIO, STAGE, "systemctl enable failed in '%s'", copy);
	}
	strv_free(&units), strv_free(&argv);
	free(host);
	return r;
}

/* run-qemu.sh: the Tinyx image's variables, Debian's boot (kernel and
 * initramfs, the disk as root, written to a snapshot) */
static void run_sh(const char *app, const struct imgconf *c, struct sbuf *s)
{
	sbuf_printf(s,
		    "#!/bin/sh\n"
		    "# Boot the standard Debian VM doing the job of %s's Tinyx image (tinyx\n"
		    "# debian-vm): QEMU -M pc, Debian's kernel and initramfs, disk.ext4 as the\n"
		    "# root (writes go to a snapshot: the file stays as built), serial console\n"
		    "# on stdio.\n"
		    "# TAP=tap0 ./run-qemu.sh     to use a tap device instead of user-mode net\n"
		    "# IP=ADDR/PREFIX GW=ADDR     eth0's address (default 10.0.2.15/24, gw\n"
		    "#                            10.0.2.2), set by its tinyx-ip.service\n"
		    "# KVM=1                      KVM instead of TCG, when /dev/kvm is writable\n"
		    "set -eu\n"
		    "cd \"$(dirname \"$0\")\"\n"
		    "kvm=0; [ -w /dev/kvm ] && [ \"${KVM:-0}\" = 1 ] && kvm=1\n"
		    "ip=\"tinyx.ip=${IP:-10.0.2.15/24} tinyx.gw=${GW:-10.0.2.2}\"\n",
		    app);
	qemu_sh_nets(s, c->nics);
	sbuf_puts(s, "case \"$kvm\" in\n");
	for (int kvm = 0; kvm < 2; kvm++) {
		struct qemu_boot b = {.c = c,
				      .dir = ".",
				      .accel = kvm ? "kvm" : "tcg",
				      .use_disk = 1,
				      .disk_initrd = 1,
				      .netdev = QEMU_SH_VAR("net"),
				      .netdevs = qemu_sh_netdevs,
				      .extra = QEMU_SH_VAR("ip"),
				      .interactive = 1};

		sbuf_printf(s, "%d)", kvm);
		qemu_sh_exec(&b, s);
		sbuf_puts(s, " ;;\n");
	}
	sbuf_puts(s, "esac\n");
}

static int fill(struct tx_ctx *ctx, const char *root, const char *tmp, struct job_fill *f)
{
	struct imgconf c = {.machine = IMG_PC,
			    .kernel = "kernel",
			    .initrd = "initrd",
			    .disk = "disk.ext4",
			    .memory_mb = DEBVM_MB,
			    .vcpus = 1,
			    .net = IMG_NET_PCI,
			    .nics = f->o->nics > 0 ? f->o->nics : 1,
			    /* a virtio RNG, as cloud VMs commonly have: the same
			     * device a Tinyx image gets when its init waits for
			     * the kernel's RNG (WireGuard), never less */
			    .rng = IMG_RNG_VIRTIO,
			    .disk_initrd = 1,
			    .append = DEBVM_APPEND,
			    .note = "the standard Debian VM (tinyx debian-vm): Debian's "
				    "linux-image-cloud-amd64, its initramfs, systemd"};
	struct sbuf s = {0};
	char *p = xasprintf("%s/run-qemu.sh", tmp);
	int r = debvm_boot_files(ctx, root, tmp, &c);

	if (r == 0) {
		tx_info(ctx,
			"debian-vm: the ext4 disk from the root (a copy, the overlays over it)");
		r = debvm_disk(ctx, root, tmp, customise, f);
	}
	if (r == 0) {
		run_sh(f->o->app, &c, &s);
		if (write_file_atomic(p, s.s, s.len, 0755) < 0)
			r = tx_fail(ctx, -EIO, STAGE, "cannot write '%s'", p);
	}
	sbuf_free(&s);
	free(p);
	return r;
}

int debvm_job_run(struct tx_ctx *ctx, const struct debvm_job *o, char **dir_out)
{
	struct strv pkgs = {0};
	struct sbuf extra = {0};
	struct stage_opts so = {.mirror = o->mirror};
	struct job_fill f = {.o = o, .pkgs = &pkgs};
	char *root = NULL, *ovl = NULL, *parent = NULL, *dest = NULL, *tmp = NULL;
	int r = 0;

	*dir_out = NULL;
	if (!valid_pkg_name(o->app))
		return tx_fail(ctx, -EINVAL, STAGE, "invalid package name '%s'", o->app);
	strv_push(&pkgs, o->app);
	r = closure_add_list(ctx, STAGE, o->add, &pkgs);
	/* the overlays before the long steps (overlay_mount checks them too) */
	for (int i = 0; r == 0 && i < o->noverlays; i++)
		r = overlay_check(ctx, o->overlays[i]);
	for (size_t i = 1; r == 0 && i < pkgs.n; i++)
		sbuf_printf(&extra, "%s,", pkgs.v[i]);
	sbuf_puts(&extra, DEBVM_PKGS);
	so.extra = extra.s;
	if (r == 0) {
		tx_info(ctx, "debian-vm: the Debian root of %s with systemd and Debian's kernel",
			o->app);
		r = stage_root(ctx, o->app, &so, &root);
	}
	if (r == 0 && o->stage_only) {
		*dir_out = root;
		strv_free(&pkgs), sbuf_free(&extra);
		return 0;
	}
	if (r == 0)
		r = overlay_mount(ctx, root, o->overlays, o->noverlays, &ovl);
	if (r == 0) {
		parent = xasprintf("%s/debian-vm", o->out);
		dest = xasprintf("%s/%s", parent, o->app);
		tmp = xasprintf("%s/.%s.tmp.%ld", parent, o->app, (long)getpid());
		if (mkdir_p(parent, 0755) < 0 || (rm_rf(tmp), mkdir(tmp, 0755)) < 0)
			r = tx_fail(ctx, -errno, STAGE, "cannot make '%s'", tmp);
	}
	if (r == 0) {
		tx_tmp_register(tmp);
		r = fill(ctx, ovl ? ovl : root, tmp, &f);
		if (r == 0 && (rm_rf(dest), rename(tmp, dest)) < 0)
			r = tx_fail(ctx, -errno, STAGE, "cannot rename '%s' to '%s'", tmp, dest);
		if (r < 0)
			rm_rf(tmp);
		tx_tmp_release(tmp);
	}
	overlay_umount(ovl);
	if (r == 0) {
		*dir_out = dest;
		dest = NULL;
	}
	strv_free(&pkgs), sbuf_free(&extra);
	free(root), free(parent), free(dest), free(tmp);
	return r;
}
