/* How an image dir boots on QEMU: the one builder of QEMU's command line
 * and of the guest kernel's command line. The probe runs the argv; the
 * image's run-qemu.sh is the same argv written as shell. */
#ifndef TINYX_QEMU_H
#define TINYX_QEMU_H

#include "formats/imgconf.h"

#define QEMU_DEFAULT "qemu-system-x86_64"
#define GUEST_MB 64 /* the guest RAM an image is built with (image.conf memory_mb) */

struct qemu_boot {
	const struct imgconf *c;
	const char *dir;    /* the image dir (its files are DIR/NAME) */
	const char *qemu;   /* NULL: QEMU_DEFAULT */
	const char *accel;  /* "tcg" or "kvm" */
	int memory_mb;	    /* 0: the image's own */
	int use_disk;	    /* root on the image's disk, not the initrd */
	int disk_initrd;    /* with use_disk: pass the initrd too (a distro's VM) */
	const char *netdev; /* -netdev value, e.g. "tap,id=n0,fd=3" (id must be n0) */
	const char *mac;    /* the NIC's MAC, or NULL */
	/* NICs 1..c->nics-1 (eth1..): their -netdev values, ids n1, n2, ...;
	 * NULL (or a NULL entry): a hub port of its own, attached to nothing
	 * (the guest sees the NIC; what it sends goes nowhere). QEMU gives
	 * them its own MACs (52:54:00:12:34:56 + i). */
	const char *const *netdevs;
	const char *extra; /* appended to the kernel command line, or NULL */
	int interactive;   /* a person's console: -nographic, serial on stdio */
	/* a bootable disk in dir (image/disk.h) that the firmware boots on
	 * -M pc: no -kernel, no -append (its command line is inside), or NULL */
	const char *boot_disk;
	/* with boot_disk: the firmware is UEFI (OVMF) instead of SeaBIOS */
	int uefi;
};

/* UEFI: Debian's OVMF (package ovmf), its code read-only and its variables
 * on a snapshot (QEMU keeps the writes in a temp file it removes): nothing
 * is written and nothing left to clean, the same words in the probe and
 * run-qemu.sh */
#define QEMU_OVMF_CODE "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define QEMU_OVMF_VARS "/usr/share/OVMF/OVMF_VARS_4M.fd"
/* the guest RAM UEFI boots with at least: with OVMF in the guest's RAM the
 * kernel's EFI stub could not place the decompressed kernel at 64 and 68 MB
 * ("EFI stub: ERROR: Failed to decompress kernel"), 72 MB served (nginx);
 * 96 leaves room for a larger kernel */
#define QEMU_UEFI_MIN_MB 96
#ifndef QEMU_UEFI_MACHINE
#define QEMU_UEFI_MACHINE "q35"
/* A launcher script's QEMU (run-qemu.sh): the argv as shell, with words
 * that name the script's variables. QEMU_SH_VAR(name) inside a word is
 * "${name}" (expanded, not quoted); the marks cannot come from an image:
 * image.conf rejects control characters. */
#define QEMU_SH_VAR(name) "\001" name "\002"
/* the -netdev words of NICs 1..7: the variables net1..net7 */
extern const char *const qemu_sh_netdevs[IMGCONF_NICS_MAX - 1];
/* " exec ARGV" of b, as shell, long lines folded */
void qemu_sh_exec(const struct qemu_boot *b, struct sbuf *s);
/* The script's network variables: net (eth0 on the tap named by $TAP, else
 * QEMU's user-mode net) and, with n NICs, net1..net(n-1) (NIC i on the tap
 * named by $TAPi, else attached to nothing). */
void qemu_sh_nets(struct sbuf *s, int n);

#endif
/* The guest RAM b boots with: b's, the image's, at least QEMU_UEFI_MIN_MB
 * under UEFI. */
int qemu_memory_mb(const struct qemu_boot *b);

/* The kernel command line: the image's append, the disk root when booting
 * from disk, extra, and "noapictimer" under TCG (its local APIC timer
 * calibration costs ~0.2 s of boot under the emulator, measured with
 * bench/kernel.sh: the emulator's cost, not the image's). */
char *qemu_append(const struct qemu_boot *b);
/* What qemu_append adds after the image's own words: extra and noapictimer
 * (the probe appends it to a boot disk's command line); "" for none. */
char *qemu_append_extra(const struct qemu_boot *b);
/* The command line inside c's bootable disk: c's append, the root on the
 * disk's partition 2 (image/disk.h); nothing for an emulator or a network. */
char *qemu_disk_cmdline(const struct imgconf *c);
/* The whole argv (argv[0] is the QEMU binary). */
void qemu_argv(const struct qemu_boot *b, struct strv *argv);

/* The guest kernel command line an image is built with (image.conf's append,
 * the libvirt XML's, the xl configs' with console "hvc0"): console=CONSOLE
 * quiet panic=-1 tinyx.hostname=APP, then root (the target's root
 * arguments, "" for none). The network part is the launcher's. */
char *qemu_guest_cmdline(const char *app, const char *console, const char *root);

/* A launcher script's QEMU (run-qemu.sh): the argv as shell, with words
 * that name the script's variables. QEMU_SH_VAR(name) inside a word is
 * "${name}" (expanded, not quoted); the marks cannot come from an image:
 * image.conf rejects control characters. */
#define QEMU_SH_VAR(name) "\001" name "\002"
/* the -netdev words of NICs 1..7: the variables net1..net7 */
extern const char *const qemu_sh_netdevs[IMGCONF_NICS_MAX - 1];
/* " exec ARGV" of b, as shell, long lines folded */
void qemu_sh_exec(const struct qemu_boot *b, struct sbuf *s);
/* The script's network variables: net (eth0 on the tap named by $TAP, else
 * QEMU's user-mode net) and, with n NICs, net1..net(n-1) (NIC i on the tap
 * named by $TAPi, else attached to nothing). */
void qemu_sh_nets(struct sbuf *s, int n);

#endif
