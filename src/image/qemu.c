#include "image/qemu.h"
#include "image/disk.h"

#include <stdlib.h>

#include <string.h>

static void push2(struct strv *a, const char *opt, const char *val)
{
	strv_push(a, opt);
	strv_push(a, val);
}

/* The disk's file system is its name's extension: a Tinyx root is a
 * read-only squashfs; an ext4 (a distro's VM) is written, to a snapshot. */
static int squashfs_disk(const struct imgconf *c)
{
	const char *dot = c->disk ? strrchr(c->disk, '.') : NULL;

	return dot && !strcmp(dot, ".squashfs");
}

char *qemu_append_extra(const struct qemu_boot *b)
{
	struct sbuf s = {0};

	if (b->extra && *b->extra)
		sbuf_puts(&s, b->extra);
	if (strcmp(b->accel, "kvm") && b->c->cmdline == IMG_CMDLINE_LINUX)
		sbuf_printf(&s, "%snoapictimer", s.len ? " " : "");
	return s.s ? s.s : xstrdup("");
}

/* c's append and the root: on the boot disk's partition, or the disk's */
static void append_root(const struct imgconf *c, int use_disk, int boot_disk, struct sbuf *s)
{
	int sq = squashfs_disk(c);
	const char *init = strstr(c->append, "init=") ? "" : " init=/init";

	sbuf_puts(s, c->append);
	if (c->cmdline != IMG_CMDLINE_LINUX) /* a unikernel finds its own disk */
		return;
	if (boot_disk)
		sbuf_printf(s, "%s" DISK_ROOT_ARGS "%s", s->len ? " " : "", init);
	else if (use_disk)
		sbuf_printf(s, "%sroot=/dev/vda %s rootfstype=%s%s", s->len ? " " : "",
			    sq ? "ro" : "rw", sq ? "squashfs" : "ext4", init);
}

char *qemu_append(const struct qemu_boot *b)
{
	struct sbuf s = {0};
	char *x = qemu_append_extra(b);

	if (b->c->cmdline == IMG_CMDLINE_OSV) { /* OSv's options precede the command */
		sbuf_printf(&s, "%s%s%s", x, *x && *b->c->append ? " " : "", b->c->append);
		free(x);
		return s.s ? s.s : xstrdup("");
	}
	append_root(b->c, b->use_disk, b->boot_disk != NULL, &s);
	if (*x)
		sbuf_printf(&s, "%s%s", s.len ? " " : "", x);
	free(x);
	return s.s ? s.s : xstrdup("");
}

char *qemu_disk_cmdline(const struct imgconf *c)
{
	struct sbuf s = {0};

	append_root(c, 0, 1, &s);
	return s.s ? s.s : xstrdup("");
}

char *qemu_guest_cmdline(const char *app, const char *console, const char *root)
{
	return xasprintf("console=%s quiet panic=-1 tinyx.hostname=%s%s%s", console, app,
			 *root ? " " : "", root);
}

static void push_disk(struct strv *a, const struct qemu_boot *b, int pc)
{
	/* the image in the dir is never written */
	strv_push(a, "-drive");
	strv_push_own(a, xasprintf("file=%s/%s,format=raw,if=none,id=d0,%s", b->dir, b->c->disk,
				   squashfs_disk(b->c) ? "readonly=on" : "snapshot=on"));
	push2(a, "-device", pc ? "virtio-blk-pci,drive=d0" : "virtio-blk-device,drive=d0");
}

static void push_kernel(struct strv *a, const struct qemu_boot *b)
{
	strv_push(a, "-kernel");
	strv_push_own(a, xasprintf("%s/%s", b->dir, b->c->kernel));
	if (!b->use_disk || b->disk_initrd) {
		strv_push(a, "-initrd");
		strv_push_own(a, xasprintf("%s/%s", b->dir, b->c->initrd));
	}
	strv_push(a, "-append");
	strv_push_own(a, qemu_append(b));
}

/* the boot disk, never written: the firmware finds it on virtio-blk */
static void push_boot_disk(struct strv *a, const struct qemu_boot *b)
{
	strv_push(a, "-drive");
	strv_push_own(a, xasprintf("file=%s/%s,format=%s,if=none,id=d0,readonly=on", b->dir,
				   b->boot_disk, disk_kind(b->boot_disk)));
	push2(a, "-device", "virtio-blk-pci,drive=d0");
}

/* eth0 on b->netdev, the others on b->netdevs or on nothing. A boot disk:
 * no PXE option ROM on a NIC (the firmware boots the disk; loading iPXE
 * cost ~0.2 s of the console's start under TCG). */
static void push_nics(struct strv *a, const struct qemu_boot *b, int pci)
{
	const char *dev = pci ? "virtio-net-pci" : "virtio-net-device";
	const char *rom = b->boot_disk ? ",romfile=" : "";

	push2(a, "-netdev", b->netdev);
	strv_push(a, "-device");
	strv_push_own(a, xasprintf("%s,netdev=n0%s%s%s", dev, b->mac ? ",mac=" : "",
				   b->mac ? b->mac : "", rom));
	for (int i = 1; i < b->c->nics; i++) {
		const char *nd = b->netdevs ? b->netdevs[i - 1] : NULL;

		strv_push(a, "-netdev");
		strv_push_own(a, nd ? xstrdup(nd) : xasprintf("hubport,id=n%d,hubid=%d", i, i));
		strv_push(a, "-device");
		strv_push_own(a, xasprintf("%s,netdev=n%d%s", dev, i, rom));
	}
}

int qemu_memory_mb(const struct qemu_boot *b)
{
	int mb = b->memory_mb > 0 ? b->memory_mb : b->c->memory_mb;

	return b->boot_disk && b->uefi && mb < QEMU_UEFI_MIN_MB ? QEMU_UEFI_MIN_MB : mb;
}

/* OVMF's code and variables on the two flash chips (see qemu.h) */
static void push_ovmf(struct strv *a)
{
	push2(a, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" QEMU_OVMF_CODE);
	push2(a, "-drive", "if=pflash,format=raw,unit=1,snapshot=on,file=" QEMU_OVMF_VARS);
}

void qemu_argv(const struct qemu_boot *b, struct strv *a)
{
	const struct imgconf *c = b->c;
	/* firmware boots a disk on pc (microvm's has no disk boot) */
	int pc = c->machine == IMG_PC || b->boot_disk, pci = pc || c->net == IMG_NET_PCI;

	strv_push(a, b->qemu && *b->qemu ? b->qemu : QEMU_DEFAULT);
	/* microvm: acpi=off makes QEMU describe the virtio-mmio devices on the
	 * kernel command line (virtio_mmio.device=...) and in MP tables, which
	 * a kernel without ACPI needs and one with ACPI accepts too */
	push2(a, "-M",
	      b->boot_disk && b->uefi ? QEMU_UEFI_MACHINE
	      : pc		      ? "pc"
				      : "microvm,acpi=off");
	if (b->boot_disk && b->uefi)
		push_ovmf(a);
	push2(a, "-accel", b->accel);
	if (!strcmp(b->accel, "kvm"))
		push2(a, "-cpu", "host");
	strv_push(a, "-m");
	strv_push_own(a, xasprintf("%d", qemu_memory_mb(b)));
	strv_push(a, "-smp");
	strv_push_own(a, xasprintf("%d", c->vcpus));
	strv_push(a, "-nodefaults");
	strv_push(a, "-no-user-config");
	if (b->interactive)
		strv_push(a, "-nographic");
	else
		push2(a, "-display", "none");
	strv_push(a, "-no-reboot");
	if (!b->boot_disk)
		push_kernel(a, b);
	if (b->interactive) {
		push2(a, "-serial", "stdio");
	} else {
		push2(a, "-chardev", "stdio,id=c0,signal=off");
		push2(a, "-serial", "chardev:c0");
	}
	push_nics(a, b, pci);
	/* QEMU's built-in source (the host's getrandom()) behind it */
	if (c->rng == IMG_RNG_VIRTIO)
		push2(a, "-device", pci ? "virtio-rng-pci" : "virtio-rng-device");
	if (b->boot_disk)
		push_boot_disk(a, b);
	else if (b->use_disk)
		push_disk(a, b, pc);
}

const char *const qemu_sh_netdevs[IMGCONF_NICS_MAX - 1] = {
    QEMU_SH_VAR("net1"), QEMU_SH_VAR("net2"), QEMU_SH_VAR("net3"), QEMU_SH_VAR("net4"),
    QEMU_SH_VAR("net5"), QEMU_SH_VAR("net6"), QEMU_SH_VAR("net7")};

/* One word: plain text bare, other text single-quoted, variables "${name}". */
static void sh_word(struct sbuf *s, const char *w)
{
	if (!*w)
		sbuf_sh_word(s, w, 0);
	while (*w) {
		const char *v = strchr(w, '\001'), *e;
		size_t n = v ? (size_t)(v - w) : strlen(w);

		if (n)
			sbuf_sh_word(s, w, n);
		if (!v || !(e = strchr(v, '\002')))
			return;
		sbuf_printf(s, "\"${%.*s}\"", (int)(e - v - 1), v + 1);
		w = e + 1;
	}
}

void qemu_sh_exec(const struct qemu_boot *b, struct sbuf *s)
{
	struct strv argv = {0};
	size_t col = 4;

	qemu_argv(b, &argv);
	sbuf_puts(s, " exec");
	for (size_t i = 0; i < argv.n; i++) {
		size_t at = s->len;

		if (argv.v[i][0] == '-' && col > 60) {
			sbuf_puts(s, " \\\n   ");
			col = 3;
		}
		sbuf_puts(s, " ");
		sh_word(s, argv.v[i]);
		col += s->len - at;
	}
	strv_free(&argv);
}

void qemu_sh_nets(struct sbuf *s, int n)
{
	sbuf_puts(
	    s,
	    "if [ -n \"${TAP:-}\" ]; then net=\"tap,id=n0,ifname=$TAP,script=no,downscript=no\"\n"
	    "else net=\"user,id=n0\"; fi\n");
	if (n > 1)
		sbuf_printf(
		    s,
		    "# %d NICs: NIC i (i 1..%d, the guest's ethi) on the tap named by TAPi\n"
		    "# (e.g. TAP1=tap1) when set, else attached to nothing\n",
		    n, n - 1);
	for (int i = 1; i < n; i++)
		sbuf_printf(s,
			    "if [ -n \"${TAP%d:-}\" ]; then "
			    "net%d=\"tap,id=n%d,ifname=$TAP%d,script=no,downscript=no\"\n"
			    "else net%d=\"hubport,id=n%d,hubid=%d\"; fi\n",
			    i, i, i, i, i, i, i);
}
