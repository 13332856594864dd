/* The bootable disk image; see disk.h. */
#include "image/disk.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define STAGE "disk"
#define MIB (1024LL * 1024)
/* 1 MiB: the usual alignment, free in qcow2 (no data); PART1_LBA_S for mkfs.fat */
#define PART1_LBA 2048
#define PART1_LBA_S "2048"
/* Debian's syslinux and syslinux-common (BIOS) */
#define MBR_BIN "/usr/lib/SYSLINUX/mbr.bin"
/* UEFI: Debian's systemd-boot-efi. systemd-boot starts the kernel as the PE
 * image its EFI stub makes it (LoadImage/StartImage), the command line as
 * its load options: any EFI-stub kernel boots, with or without the
 * deprecated EFI handover protocol that syslinux.efi needs (our kernel has
 * none: CONFIG_EFI_HANDOVER_PROTOCOL is off). 141 KB, against 308 KB for
 * syslinux.efi + ldlinux.e64. */
#define EFI_LOADER "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
/* room for ldlinux.sys (59 KB) and ldlinux.c32 (117 KB), which syslinux
 * --install carries inside itself, the FAT and the root dir */
#define FAT_SLACK (256 * 1024)

int disk_formats(const char *s)
{
	static const char *const names[] = {"none", "qcow2", "raw", "both"};

	for (int i = 0; i < 4; i++)
		if (!strcmp(s ? s : "qcow2", names[i]))
			return i;
	return -1;
}

const char *disk_kind(const char *name)
{
	size_t n = strlen(name);

	if (n > 6 && !strcmp(name + n - 6, ".qcow2"))
		return "qcow2";
	return n > 4 && !strcmp(name + n - 4, ".img") ? "raw" : NULL;
}

/* A path as the tools read it: mtools takes "c:x" for a drive and "F@@N" for
 * an offset, qemu-img "proto:x" for a protocol; "./" first stops both. */
static char *tool_path(const char *p)
{
	return p[0] == '/' ? xstrdup(p) : xasprintf("./%s", p);
}

/* The tools' environment: ours, with the FAT's time, UTC (mtools writes
 * local times) and no user mtools config. */
struct tenv {
	char **v;
	char *own[2];
};

static void tenv_make(struct tenv *e, long long epoch)
{
	static const char *const drop[] = {
	    "SOURCE_DATE_EPOCH=", "TZ=", "MTOOLSRC=", "MTOOLS_SKIP_CHECK="};
	size_t n = 0, o = 0;

	/* FAT dates run from 1980 to 2107; mtools wraps a time outside */
	epoch = epoch < 315532800 ? 315532800 : epoch > 4354819199LL ? 4354819199LL : epoch;
	while (environ[n])
		n++;
	e->v = xcalloc(n + 5, sizeof(*e->v));
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		while (k < 4 && strncmp(environ[i], drop[k], strlen(drop[k])))
			k++;
		if (k == 4)
			e->v[o++] = environ[i];
	}
	e->v[o++] = e->own[0] = xasprintf("SOURCE_DATE_EPOCH=%lld", epoch);
	e->v[o++] = "TZ=UTC0";
	e->v[o++] = "MTOOLSRC=/dev/null";
	e->v[o++] = e->own[1] = xstrdup("MTOOLS_SKIP_CHECK=1");
}

static void tenv_free(struct tenv *e)
{
	free(e->v);
	free(e->own[0]);
	free(e->own[1]);
}

/* Run argv (NULL-terminated) with env; a failure names the tool and what
 * it said (its output goes to LOG, then away). */
static int tool(struct tx_ctx *ctx, const struct tenv *e, const char *log, char *const argv[])
{
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	char *text = NULL;
	int r;

	s.envp = e->v;
	r = tx_run_lines(ctx, &s, log, NULL, NULL);
	if (r != 0) {
		read_file(log, &text, NULL, 2048);
		if (text)
			text[strcspn(text, "\n")] = 0;
		r = tx_fail(ctx, r < 0 ? r : -EIO, STAGE, "%s failed (status %d) '%s': %s", argv[0],
			    r, argv[1], text ? text : "");
	}
	unlink(log);
	free(text);
	return r;
}

/* "MZ", and at the offset in 0x3c a PE header for machine 0x8664; a Linux
 * boot header too */
int disk_kernel_efi(const char *kernel)
{
	unsigned char h[0x400];
	int fd = open(kernel, O_RDONLY | O_CLOEXEC), ok = 0;
	uint32_t pe;

	if (fd < 0)
		return 0;
	if (read(fd, h, sizeof(h)) == (ssize_t)sizeof(h) && !memcmp(h, "MZ", 2) &&
	    !memcmp(h + 0x202, "HdrS", 4)) {
		pe = h[0x3c] | h[0x3d] << 8 | (uint32_t)h[0x3e] << 16 | (uint32_t)h[0x3f] << 24;
		ok = pe <= sizeof(h) - 6 && !memcmp(h + pe, "PE\0\0", 4) && h[pe + 4] == 0x64 &&
		     h[pe + 5] == 0x86;
	}
	close(fd);
	return ok;
}

static void syslinux_cfg(const char *cmdline, struct sbuf *s)
{
	sbuf_printf(s,
		    "# tinyx: boot the kernel at once, console on the first serial port too\n"
		    "SERIAL 0 115200\nDEFAULT tinyx\nPROMPT 0\nTIMEOUT 0\n"
		    "LABEL tinyx\n  LINUX /kernel\n  APPEND %s\n",
		    cmdline);
}

/* systemd-boot's: boot the one entry at once (no menu unless a key is held),
 * no command line editing from the console */
#define LOADER_CONF "timeout 0\ndefault tinyx.conf\neditor no\n"
#define SDBOOT_ENTRY "loader/entries/tinyx.conf"

static void sdboot_entry(const char *cmdline, struct sbuf *s)
{
	sbuf_printf(s, "title Tinyx\nlinux /kernel\noptions %s\n", cmdline);
}

/* mtools on the FAT: mcopy FROM ::TO (or mmd ::DIR when from is NULL) */
static int fat_put(struct tx_ctx *ctx, const struct tenv *e, const char *log, const char *fat,
		   const char *from, const char *to)
{
	char *f = from ? tool_path(from) : NULL, *t = xasprintf("::%s", to);
	char *cp[] = {"mcopy", "-o", "-i", (char *)fat, f, t, NULL};
	char *md[] = {"mmd", "-i", (char *)fat, t, NULL};
	int r = tool(ctx, e, log, from ? cp : md);

	free(f);
	free(t);
	return r;
}

/* text into the FAT at to, through the file tmp */
static int fat_put_text(struct tx_ctx *ctx, const struct tenv *e, const char *log, const char *fat,
			const char *tmp, const char *text, const char *to)
{
	int r = write_file_atomic(tmp, text, strlen(text), 0644);

	if (r < 0)
		return tx_fail(ctx, r, STAGE, "cannot write '%s'", tmp);
	r = fat_put(ctx, e, log, fat, tmp, to);
	unlink(tmp);
	return r;
}

/* UEFI's files: systemd-boot where firmware looks on a removable disk, its
 * config and the one entry, with the same command line as syslinux.cfg */
static int fat_uefi(struct tx_ctx *ctx, const struct tenv *e, const char *log, const char *fat,
		    const char *tmp, const char *cmdline)
{
	static const char *const dirs[] = {"EFI", "EFI/BOOT", "loader", "loader/entries"};
	struct sbuf s = {0};
	int r = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && r == 0; i++)
		r = fat_put(ctx, e, log, fat, NULL, dirs[i]);
	if (r == 0)
		r = fat_put(ctx, e, log, fat, EFI_LOADER, "EFI/BOOT/BOOTX64.EFI");
	if (r == 0)
		r = fat_put_text(ctx, e, log, fat, tmp, LOADER_CONF, "loader/loader.conf");
	sdboot_entry(cmdline, &s);
	if (r == 0)
		r = fat_put_text(ctx, e, log, fat, tmp, s.s, SDBOOT_ENTRY);
	sbuf_free(&s);
	return r;
}

/* The files of partition 1 into the FAT at fat (made here). */
static int fat_fill(struct tx_ctx *ctx, const struct tenv *e, const struct disk_in *in,
		    const char *fat, int uefi, long long kb)
{
	char *log = xasprintf("%s/disk-tool.log", in->work), *k = tool_path(in->kernel);
	char *tmp = xasprintf("%s/disk-cfg.txt", in->work), size[24];
	/* -h: the sectors before the partition, which its boot sector records */
	char *mkfs[] = {"mkfs.fat", "-C",	 "--invariant", "-n", "TINYX",
			"-h",	    PART1_LBA_S, (char *)fat,	size, NULL};
	char *sl[] = {"syslinux", "--install", (char *)fat, NULL};
	struct sbuf s = {0};
	int r;

	snprintf(size, sizeof(size), "%lld", kb);
	syslinux_cfg(in->cmdline, &s);
	unlink(fat);
	r = tool(ctx, e, log, mkfs);
	if (r == 0)
		r = fat_put(ctx, e, log, fat, k, "kernel");
	if (r == 0)
		r = fat_put_text(ctx, e, log, fat, tmp, s.s, "syslinux.cfg");
	if (r == 0)
		r = tool(ctx, e, log, sl);
	if (r == 0 && uefi)
		r = fat_uefi(ctx, e, log, fat, tmp, in->cmdline);
	sbuf_free(&s);
	free(log);
	free(tmp);
	free(k);
	return r;
}

static void le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* CHS of lba on 255 heads, 63 sectors; past cylinder 1023 the "use LBA" tuple */
static void chs(unsigned char *p, uint32_t lba)
{
	uint32_t c = lba / (255 * 63), h = lba / 63 % 255, s = lba % 63 + 1;

	if (c > 1023)
		c = 1023, h = 254, s = 63;
	p[0] = (unsigned char)h;
	p[1] = (unsigned char)(s | ((c >> 2) & 0xc0));
	p[2] = (unsigned char)c;
}

static void mbr_entry(unsigned char *e, int active, unsigned type, uint32_t lba, uint32_t n)
{
	e[0] = active ? 0x80 : 0;
	chs(e + 1, lba);
	e[4] = (unsigned char)type;
	chs(e + 5, lba + n - 1);
	le32(e + 8, lba);
	le32(e + 12, n);
}

/* Copy the file at from to fd at offset off. */
static int put_at(int fd, long long off, const char *from)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), r = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t w = 0, k; w < n; w += k, off += k)
			if ((k = pwrite(fd, buf + w, (size_t)(n - w), off)) <= 0) {
				r = k < 0 ? -errno : -EIO;
				goto out;
			}
	}
	if (n < 0)
		r = -errno;
out:
	close(in);
	return r;
}

/* MBR, FAT and root into the raw disk at tmp, total bytes long. */
static int assemble(const char *tmp, const char *fat, long long fat_bytes, const char *root,
		    long long p2, long long total, unsigned fat_type)
{
	unsigned char mbr[512] = {0};
	long long rb = file_size(root);
	int fd, r = 0, in = open(MBR_BIN, O_RDONLY | O_CLOEXEC);
	ssize_t n = in < 0 ? -1 : read(in, mbr, 441);

	if (in >= 0)
		close(in);
	if (n <= 0 || n > 440) /* boot code only: the table is ours */
		return -ENOEXEC;
	le32(mbr + 440, (uint32_t)strtoul(DISK_ID, NULL, 16));
	mbr_entry(mbr + 446, 1, fat_type, PART1_LBA, (uint32_t)(fat_bytes / 512));
	mbr_entry(mbr + 462, 0, 0x83, (uint32_t)(p2 / 512), (uint32_t)((rb + 511) / 512));
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (pwrite(fd, mbr, 512, 0) != 512)
		r = -EIO;
	if (r == 0)
		r = put_at(fd, PART1_LBA * 512LL, fat);
	if (r == 0)
		r = put_at(fd, p2, root);
	if (r == 0 && ftruncate(fd, total) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* The partition type for the FAT mkfs.fat made (its boot sector says which),
 * or the EFI system partition's when UEFI boots from it. */
static unsigned fat_type(const char *fat, int uefi)
{
	char bs[62] = {0};
	int fd = open(fat, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, bs, sizeof(bs)) != (ssize_t)sizeof(bs))
			bs[54] = 0;
		close(fd);
	}
	return uefi ? 0xef : !memcmp(bs + 54, "FAT12", 5) ? 0x01 : 0x0e;
}

/* tmp renamed to path when r is 0, else removed; r or the rename's error */
static int into_place(struct tx_ctx *ctx, const char *tmp, const char *path, int r)
{
	if (r == 0 && rename(tmp, path) < 0)
		r = tx_fail(ctx, -errno, STAGE, "cannot rename to '%s'", path);
	if (r < 0)
		unlink(tmp);
	return r;
}

int disk_write(struct tx_ctx *ctx, const struct disk_in *in, const char *path,
	       struct disk_info *info)
{
	char *fat = xasprintf("%s/disk-fat.img", in->work);
	char *tmp = xasprintf("%s.tmp", path), *fatp = tool_path(fat);
	long long ks = file_size(in->kernel), rs = file_size(in->root), need, p2;
	struct tenv e;
	int r = 0;

	memset(info, 0, sizeof(*info));
	info->uefi = disk_kernel_efi(in->kernel);
	if (ks < 0 || rs < 0)
		r = tx_fail(ctx, -ENOENT, STAGE, "no kernel or root to put on the disk '%s'",
			    ks < 0 ? in->kernel : in->root);
	if (r == 0 && (strstr(fat, "@@") || strstr(in->kernel, "@@")))
		r = tx_fail(ctx, -EINVAL, STAGE, "a path mtools cannot name '%s'", in->work);
	if (r == 0 && info->uefi && file_size(EFI_LOADER) < 0)
		r = tx_fail(ctx, -ENOENT, STAGE, "no UEFI loader (systemd-boot-efi) '%s'",
			    EFI_LOADER);
	need = ks + FAT_SLACK + (info->uefi ? file_size(EFI_LOADER) : 0);
	info->fat_bytes = (need + MIB - 1) / MIB * MIB;
	p2 = PART1_LBA * 512LL + info->fat_bytes;
	tenv_make(&e, in->epoch);
	if (r == 0)
		r = fat_fill(ctx, &e, in, fatp, info->uefi, info->fat_bytes / 1024);
	if (r == 0 &&
	    (r = assemble(tmp, fat, info->fat_bytes, in->root, p2, (p2 + rs + MIB - 1) / MIB * MIB,
			  fat_type(fat, info->uefi))) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot write '%s': %s", tmp,
			    r == -ENOEXEC ? "no boot code " MBR_BIN : strerror(-r));
	r = into_place(ctx, tmp, path, r);
	unlink(fat);
	tenv_free(&e);
	free(fat);
	free(fatp);
	free(tmp);
	return r;
}

int disk_convert(struct tx_ctx *ctx, const char *from, const char *to)
{
	const char *fk = disk_kind(from), *tk = disk_kind(to);
	char *f = tool_path(from), *t = xasprintf("%s.tmp", to), *tp = tool_path(t);
	char *argv[] = {"qemu-img", "convert", "-f", (char *)fk, "-O", (char *)tk, f, tp, NULL};
	char *out = NULL;
	int r = fk && tk ? run_capture_q(ctx, argv, &out, 4096, 0) : -EINVAL;

	if (r != 0)
		r = tx_fail(ctx, r < 0 ? r : -EIO, STAGE, "qemu-img cannot convert '%s' to '%s'",
			    from, to);
	r = into_place(ctx, t, to, r);
	free(out);
	free(f);
	free(t);
	free(tp);
	return r;
}

/* Partition 1's byte offset, from the MBR of disk (untrusted: checked). */
static int part1_offset(const char *disk, long long *off)
{
	unsigned char m[512];
	long long size = file_size(disk), lba;
	int fd = open(disk, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, m, sizeof(m));

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(m) || m[510] != 0x55 || m[511] != 0xaa)
		return -EINVAL;
	lba = m[454] | m[455] << 8 | m[456] << 16 | (long long)m[457] << 24;
	*off = lba * 512;
	return lba && *off < size ? 0 : -EINVAL;
}

/* 1 when line (n bytes) is KEY and a value: "  APPEND x", "options x" */
static int cfg_key(const char *line, size_t n, const char *key)
{
	size_t b = strspn(line, " \t"), k = strlen(key);

	return n > b + k + 1 && !strncasecmp(line + b, key, k) &&
	       isspace((unsigned char)line[b + k]);
}

/* text with " WORDS" at the end of every line that holds the command line:
 * syslinux's APPEND, systemd-boot's options */
static void cfg_append(const char *text, const char *words, struct sbuf *out)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		sbuf_add(out, text, n);
		if (cfg_key(text, n, "APPEND") || cfg_key(text, n, "options"))
			sbuf_printf(out, " %s", words);
		sbuf_puts(out, "\n");
		text += n + (text[n] == '\n');
	}
}

/* FAT:NAME's command lines with words added, through the local file cfg. */
static int cfg_edit(struct tx_ctx *ctx, const struct tenv *e, const char *fat, const char *name,
		    const char *words, const char *cfg)
{
	char *log = xasprintf("%s.log", cfg), *src = xasprintf("::%s", name), *text = NULL;
	char *get[] = {"mcopy", "-o", "-i", (char *)fat, src, (char *)cfg, NULL};
	struct sbuf s = {0};
	int r = tool(ctx, e, log, get);

	if (r == 0 && (r = read_file(cfg, &text, NULL, 65536)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot read '%s'", cfg);
	if (r == 0) {
		cfg_append(text, words, &s);
		r = write_file_atomic(cfg, s.s ? s.s : "", s.len, 0644);
		if (r < 0)
			r = tx_fail(ctx, r, STAGE, "cannot write '%s'", cfg);
	}
	if (r == 0)
		r = fat_put(ctx, e, log, fat, cfg, name);
	unlink(cfg);
	sbuf_free(&s);
	free(text);
	free(src);
	free(log);
	return r;
}

int disk_probe_copy(struct tx_ctx *ctx, const char *disk, const char *words, const char *work,
		    const char *out, int *uefi)
{
	const char *kind = disk_kind(disk);
	char *cfg = xasprintf("%s/syslinux.cfg", work), *fat = NULL, *op = tool_path(out);
	long long off = 0;
	struct tenv e;
	int r = 0;

	*uefi = 0;
	if (!kind || strstr(out, "@@"))
		return tx_fail(ctx, -EINVAL, STAGE, "not a disk image tinyx can boot '%s'", disk);
	if (!strcmp(kind, "raw") && (r = copy_file(disk, out, 0600)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot copy '%s' to '%s'", disk, out);
	else if (strcmp(kind, "raw"))
		r = disk_convert(ctx, disk, out);
	if (r == 0 && part1_offset(out, &off) < 0)
		r = tx_fail(ctx, -EINVAL, STAGE, "no partition table with a boot partition '%s'",
			    disk);
	fat = xasprintf("%s@@%lld", op, off);
	tenv_make(&e, 0);
	if (r == 0)
		r = cfg_edit(ctx, &e, fat, "syslinux.cfg", words, cfg);
	if (r == 0) { /* UEFI's, when the disk has one */
		char *md[] = {"mdir", "-b", "-i", fat, "::" SDBOOT_ENTRY, NULL};
		struct tx_spawn s = TX_SPAWN_INIT(md);

		s.envp = e.v;
		s.out = s.err = TX_FD_NULL;
		if (tx_run(ctx, &s) == 0) {
			r = cfg_edit(ctx, &e, fat, SDBOOT_ENTRY, words, cfg);
			*uefi = r == 0;
		}
	}
	tenv_free(&e);
	free(cfg);
	free(fat);
	free(op);
	return r;
}
