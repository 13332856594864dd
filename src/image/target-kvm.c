/* The KVM target: a bzImage for QEMU (-M microvm or pc) or libvirt, with
 * the initrd and rootfs.squashfs; run-qemu.sh and APP.xml launch it. */
#include "image/disk.h"
#include "image/qemu.h"
#include "image/target.h"
#include "lib/sha256.h"

#include <stdlib.h>
#include <string.h>

/* One case arm of run-qemu.sh: the argv the probe would run (image/qemu.h),
 * as shell, with the user's choices as variables. boot: 1 the bootable disk
 * from BIOS, 2 from UEFI. */
static void sh_arm(struct sbuf *s, const struct imgconf *c, int disk, int kvm, int boot)
{
	struct qemu_boot b = {.c = c,
			      .boot_disk = boot ? c->boot_disk : NULL,
			      .uefi = boot == 2,
			      .dir = ".",
			      .accel = kvm ? "kvm" : "tcg",
			      .use_disk = disk,
			      .netdev = QEMU_SH_VAR("net"),
			      .netdevs = qemu_sh_netdevs,
			      .extra = QEMU_SH_VAR("ip"),
			      .interactive = 1};

	if (boot)
		sbuf_printf(s, "%c%d)", boot == 2 ? 'u' : 'b', kvm);
	else
		sbuf_printf(s, "%d%d)", disk, kvm);
	qemu_sh_exec(&b, s);
	sbuf_puts(s, " ;;\n");
}

/* run-qemu.sh boots the image as built; networking is the user's choice: a
 * tap (TAP=name) or QEMU's user-mode net (the default). */
static void run_qemu_sh(const struct target_job *j, struct sbuf *s)
{
	/* the bootable disk boots with its own command line: no address (the
	 * guest's network comes from DHCP, where the init has it) */
	static const char boot_help[] =
	    "# DISK=1 ./run-qemu.sh       boot the bootable disk from the firmware (-M pc,\n"
	    "#                            SeaBIOS, no -kernel), its own command line: no\n"
	    "#                            IP/GW (the address is DHCP's, where the image has it)\n";
	static const char uefi_help[] =
	    "# UEFI=1 DISK=1 ./run-qemu.sh  the same from UEFI (OVMF, Debian's ovmf, -M q35)\n";
	static const char boot_var[] = "[ \"${DISK:-0}\" = 1 ] && disk=b\n";
	static const char uefi_var[] = "[ \"$disk\" = b ] && [ \"${UEFI:-0}\" = 1 ] && disk=u\n";
	int boot = j->conf->boot_disk != NULL;
	char *k = xasprintf("%s/%s", j->dir, j->conf->kernel);
	/* the disk has the UEFI loader when the kernel has an EFI stub */
	int uefi = boot && disk_kernel_efi(k);

	sbuf_printf(s,
		    "#!/bin/sh\n"
		    "# Boot %s as built: QEMU microvm, serial console on stdio.\n"
		    "# TAP=tap0 ./run-qemu.sh     to use a tap device instead of user-mode net\n"
		    "# INITRD=1 ./run-qemu.sh     to boot the initrd (root in RAM) instead of\n"
		    "#                            rootfs.squashfs (read-only, writes go to RAM)\n"
		    "# IP=ADDR/PREFIX GW=ADDR     static guest address (default 10.0.2.15/24, gw "
		    "10.0.2.2)\n"
		    "# KVM=1                      KVM instead of TCG, when /dev/kvm is writable\n"
		    "%s%s"
		    "set -eu\n"
		    "cd \"$(dirname \"$0\")\"\n"
		    "kvm=0; [ -w /dev/kvm ] && [ \"${KVM:-0}\" = 1 ] && kvm=1\n"
		    "disk=1; [ \"${INITRD:-0}\" = 1 ] && disk=0\n"
		    "%s%s"
		    "ip=\"tinyx.ip=${IP:-10.0.2.15/24} tinyx.gw=${GW:-10.0.2.2}\"\n",
		    j->app, boot ? boot_help : "", uefi ? uefi_help : "", boot ? boot_var : "",
		    uefi ? uefi_var : "");
	qemu_sh_nets(s, j->conf->nics);
	sbuf_puts(s, "case \"$disk$kvm\" in\n");
	for (int disk = 0; disk < 2; disk++)
		for (int kvm = 0; kvm < 2; kvm++)
			sh_arm(s, j->conf, disk, kvm, 0);
	for (int kvm = 0; boot && kvm < 2; kvm++)
		sh_arm(s, j->conf, 0, kvm, 1);
	for (int kvm = 0; uefi && kvm < 2; kvm++)
		sh_arm(s, j->conf, 0, kvm, 2);
	sbuf_puts(s, "esac\n");
	free(k);
}

/* The domain's UUID, from its name alone: without one libvirt makes up a
 * random UUID at `virsh define`, and defining the rebuilt image (or the
 * other type's XML) again then fails with "domain 'tinyx-APP' already exists
 * with uuid ..."; with it, a second define updates the domain. The first 16
 * bytes of the name's SHA-256, marked as a version 8 (RFC 9562) UUID. */
static void domain_uuid(const char *app, char out[37])
{
	struct sha256 h;
	char hex[65];
	size_t o = 0;
	int v;

	sha256_init(&h);
	sha256_update(&h, "tinyx-", 6);
	sha256_update(&h, app, strlen(app));
	sha256_hex(&h, hex);
	v = hex[16] <= '9' ? hex[16] - '0' : hex[16] - 'a' + 10;
	hex[12] = '8';		 /* version 8 */
	hex[16] = "89ab"[v & 3]; /* variant 10xx */
	for (int i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[o++] = '-';
		out[o++] = hex[i];
	}
	out[o] = 0;
}

/* libvirt wants absolute paths: where the image will be once published. The
 * root is the image's default: its read-only disk when it has one. Two
 * domains, for the host at hand (the output must not depend on the build
 * host): APP.xml is type 'kvm', which libvirt refuses where there is no KVM;
 * APP-qemu.xml is type 'qemu' (TCG), with the TCG command line. No address
 * on the command line: the guest init takes one by DHCP (libvirt's
 * `default` network serves it; tests/t420 boots it under libvirtd).
 * <acpi/>: without it libvirt runs QEMU with -no-acpi, unlike the probe's
 * -M pc; the kernel then logs "ACPI BIOS Error (bug): A valid RSDP was not
 * found", has no /sys/firmware/acpi, and the init (guest/svc.c) powers off
 * by reboot, which libvirt turns into a restart of the domain. */
static void libvirt_xml(const struct target_job *j, struct sbuf *s, int kvm)
{
	const char *app = j->app, *d = j->final_dir;
	struct qemu_boot b = {
	    .c = j->conf, .accel = kvm ? "kvm" : "tcg", .use_disk = j->conf->disk != NULL};
	char *append = qemu_append(&b); /* our own words: nothing to escape */
	char uuid[37];

	domain_uuid(app, uuid);
	sbuf_printf(s,
		    "<!-- tinyx image %s: a libvirt domain (virsh define %s%s.xml; %s: %s%s.xml)"
		    " -->\n"
		    "<domain type='%s'>\n"
		    "  <name>tinyx-%s</name>\n"
		    "  <uuid>%s</uuid>\n"
		    "  <memory unit='MiB'>%d</memory>\n"
		    "  <vcpu>%d</vcpu>\n"
		    "  <os>\n"
		    "    <type arch='x86_64' machine='pc'>hvm</type>\n"
		    "    <kernel>%s/%s</kernel>\n",
		    app, app, kvm ? "" : "-qemu", kvm ? "without KVM" : "with KVM", app,
		    kvm ? "-qemu" : "", kvm ? "kvm" : "qemu", app, uuid, j->conf->memory_mb,
		    j->conf->vcpus, d, j->conf->kernel);
	if (!b.use_disk)
		sbuf_printf(s, "    <initrd>%s/%s</initrd>\n", d, j->conf->initrd);
	sbuf_printf(s,
		    "    <cmdline>%s</cmdline>\n  </os>\n  <features><acpi/></features>\n"
		    "  <devices>\n",
		    append);
	if (b.use_disk)
		sbuf_printf(s,
			    "    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
			    "<source file='%s/%s'/><target dev='vda' bus='virtio'/><readonly/>"
			    "</disk>\n",
			    d, j->conf->disk);
	for (int i = 0; i < j->conf->nics || i == 0; i++) /* eth0.. on the default network */
		sbuf_puts(s, "    <interface type='network'><source network='default'/><model "
			     "type='virtio'/></interface>\n");
	if (j->conf->rng == IMG_RNG_VIRTIO)
		sbuf_puts(s, "    <rng model='virtio'><backend "
			     "model='random'>/dev/urandom</backend></rng>\n");
	sbuf_puts(s, "    <serial type='pty'><target port='0'/></serial>\n"
		     "    <console type='pty'><target type='serial' port='0'/></console>\n"
		     "  </devices>\n"
		     "</domain>\n");
	free(append);
}

static int write_libvirt(const struct target_job *j)
{
	int r = 0;

	for (int kvm = 1; kvm >= 0 && r == 0; kvm--) {
		struct sbuf s = {0};
		char *p = xasprintf("%s/%s%s.xml", j->dir, j->app, kvm ? "" : "-qemu");

		libvirt_xml(j, &s, kvm);
		r = target_put(j->ctx, p, s.s, 0644);
		free(p);
		sbuf_free(&s);
	}
	return r;
}

static int write_kvm(const struct target_job *j)
{
	struct sbuf s = {0};
	char *p = xasprintf("%s/run-qemu.sh", j->dir);
	int r;

	run_qemu_sh(j, &s);
	r = target_put(j->ctx, p, s.s, 0755);
	free(p);
	sbuf_free(&s);
	return r ? r : write_libvirt(j);
}

/* the fields in struct image_target's order */
const struct image_target target_kvm = {
    "kvm", "KVM",     IMG_KVM, "vm.config", 1, 0, "bzImage; boots on -M microvm or pc", NULL,
    0,	   write_kvm, 1};
