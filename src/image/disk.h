/* A bootable disk image: the KVM image's kernel, root and command line in
 * one file that firmware boots with no -kernel (a cloud's uploaded image):
 *
 *   sector 0   MBR: syslinux's mbr.bin, disk id DISK_ID, two partitions
 *   1 MiB      partition 1, active: FAT (mkfs.fat --invariant) holding
 *                /kernel           the bzImage as it is
 *                /syslinux.cfg     the kernel command line
 *                /ldlinux.sys, /ldlinux.c32   syslinux (BIOS: SeaBIOS)
 *              and, only when the kernel is an EFI application too (its
 *              EFI stub, CONFIG_EFI_STUB: it boots from UEFI then), the
 *              partition typed 0xEF (EFI system) and systemd-boot:
 *                /EFI/BOOT/BOOTX64.EFI (systemd-bootx64.efi)
 *                /loader/loader.conf, /loader/entries/tinyx.conf (the same
 *                command line on its options line)
 *   next MiB   partition 2: rootfs.squashfs, its bytes as they are
 *   then zeros to a whole MiB (clouds and converters want MiB sizes)
 *
 * The kernel finds its root by PARTUUID (DISK_ROOT_ARGS), on any bus. Only
 * tools that work on plain files (mkfs.fat, mtools, syslinux's mtools
 * installer, qemu-img): no mount, no root. The ids are fixed and every time
 * is SOURCE_DATE_EPOCH (the build's epoch, clamped to the FAT's 1980..2107):
 * the same inputs give the same bytes, raw and qcow2. */
#ifndef TINYX_DISK_H
#define TINYX_DISK_H

#include "lib/util.h"

#define DISK_ID "54494e58" /* the MBR disk signature, "TINX" */
#define DISK_ROOT_ARGS "root=PARTUUID=" DISK_ID "-02 ro rootfstype=squashfs"

/* --format: which files `tinyx build` writes (bits) */
#define DISK_QCOW2 1 /* APP.qcow2 (the default) */
#define DISK_RAW 2   /* APP.img */

struct disk_in {
	const char *kernel;  /* the bzImage */
	const char *root;    /* the squashfs root */
	const char *cmdline; /* the kernel command line */
	const char *work;    /* a dir for the FAT and syslinux.cfg while they are made */
	long long epoch;     /* every time in the FAT */
};

struct disk_info {
	int uefi;	     /* the UEFI loader is in (the kernel has an EFI stub) */
	long long fat_bytes; /* partition 1 */
};

/* "qcow2", "raw", "both" or "none" as DISK_* bits (none: 0); -1 for
 * anything else. NULL: DISK_QCOW2. */
int disk_formats(const char *s);
/* "qcow2" for NAME.qcow2, "raw" for NAME.img, else NULL. */
const char *disk_kind(const char *name);

/* 1 when the bzImage at kernel is an x86-64 EFI application too (its EFI
 * stub, CONFIG_EFI_STUB): the disk gets the UEFI loader then. */
int disk_kernel_efi(const char *kernel);
/* Write the raw disk to path (whole or not at all). */
int disk_write(struct tx_ctx *ctx, const struct disk_in *in, const char *path,
	       struct disk_info *info);
/* qemu-img convert from (kind disk_kind(from)) to (kind disk_kind(to)). */
int disk_convert(struct tx_ctx *ctx, const char *from, const char *to);
/* The probe's boot copy: DISK (qcow2 or raw) as raw at OUT, with WORDS
 * appended to the command line in syslinux.cfg (APPEND) and, when the disk
 * has it, systemd-boot's entry (options): the address the probe gives the
 * guest, like -append does for a direct boot. WORK holds each config while
 * it is edited. *uefi: 1 when the disk has the UEFI loader's entry. The MBR
 * is read as untrusted input. */
int disk_probe_copy(struct tx_ctx *ctx, const char *disk, const char *words, const char *work,
		    const char *out, int *uefi);

#endif
