/* The kernel's PVH entry note (see kernel.h: kernel_check_pvh). */
#include "kernel/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

/* XEN_ELFNOTE_PHYS32_ENTRY (the 32-bit PVH entry point) among the notes in
 * d: 0 and *entry, or -ENOENT. */
static int note_entry(Elf_Data *d, uint64_t *entry)
{
	for (size_t off = 0, name, desc;;) {
		GElf_Nhdr nh;
		size_t next = gelf_getnote(d, off, &nh, &name, &desc);

		if (!next)
			return -ENOENT;
		if (nh.n_type == 18 && nh.n_namesz == 4 &&
		    !memcmp((char *)d->d_buf + name, "Xen", 4) && nh.n_descsz >= 4) {
			uint32_t v;

			memcpy(&v, (char *)d->d_buf + desc, 4);
			*entry = v;
			return 0;
		}
		off = next;
	}
}

/* The note, from the program headers, else from the sections. */
static int find_pvh(Elf *e, uint64_t *entry)
{
	size_t nph = 0;
	Elf_Scn *scn = NULL;

	if (elf_getphdrnum(e, &nph) == 0)
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			Elf_Data *d;

			if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE)
				continue;
			d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
			if (d && !note_entry(d, entry))
				return 0;
		}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		if ((d = elf_getdata(scn, NULL)) && !note_entry(d, entry))
			return 0;
	}
	return -ENOENT;
}

int kernel_check_pvh(struct tx_ctx *ctx, const char *path, uint64_t *entry)
{
	uint64_t ent = 0;
	Elf *e;
	int fd, err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return tx_fail(ctx, -EIO, "kernel", "libelf is out of date");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tx_fail(ctx, -errno, "kernel", "cannot open '%s': %s", path,
			       strerror(errno));
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		err = tx_fail(ctx, -ENOEXEC, "kernel", "'%s' is not an ELF file", path);
	} else {
		err = find_pvh(e, &ent);
		if (err)
			tx_fail(ctx, err, "kernel",
				"'%s' has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); "
				"maybe CONFIG_PVH is missing from the target fragment",
				path);
	}
	if (e)
		elf_end(e);
	close(fd);
	if (!err && entry)
		*entry = ent;
	return err;
}
