/* ELF reader: program headers first, so sstrip'd files work. libelf decodes
 * (byte order, class); every offset and count from the file is checked here
 * before use, and elf_getdata_rawchunk() checks ranges again. */
#include "formats/elfread.h"
#include "formats/text.h"

#include <fcntl.h>
#include <gelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct seg {
	uint64_t vaddr, off, filesz;
};

struct rd {
	struct tx_ctx *ctx;
	const char *name;
	Elf *elf;
	size_t len;
	struct seg *load;
	size_t nload;
	const char *str; /* dynamic string table (raw bytes in the image) */
	size_t strsz;
};

static int bad(struct rd *r, const char *what)
{
	return tx_fail(r->ctx, -EINVAL, NULL, "cannot read ELF '%s': %s", r->name, what);
}

/* Map a virtual address to a file offset through the PT_LOAD segments:
 * 0, or -EINVAL when no segment holds it. */
static int va_to_off(const struct rd *r, uint64_t va, uint64_t *off)
{
	for (size_t i = 0; i < r->nload; i++) {
		const struct seg *s = &r->load[i];

		if (va >= s->vaddr && va - s->vaddr < s->filesz) {
			uint64_t o = s->off + (va - s->vaddr);

			if (o < s->off || o >= r->len)
				return -EINVAL;
			*off = o;
			return 0;
		}
	}
	return -EINVAL;
}

/* count items of type t at file offset off, converted; NULL when out of range. */
static Elf_Data *chunk(const struct rd *r, uint64_t off, uint64_t count, Elf_Type t)
{
	size_t sz = gelf_fsize(r->elf, t, 1, EV_CURRENT);

	if (!sz || off > r->len || count > (r->len - off) / sz || count == 0)
		return NULL;
	return elf_getdata_rawchunk(r->elf, (int64_t)off, (size_t)(count * sz), t);
}

static const char *dstr(const struct rd *r, uint64_t off)
{
	if (!r->str || off >= r->strsz || !memchr(r->str + off, 0, r->strsz - off))
		return NULL;
	return r->str + off;
}

/* Number of symbols from DT_GNU_HASH: past the highest bucket's chain end.
 * 0 exact; 1 a lower bound only (nothing hashed); -EINVAL corrupt. */
static int gnu_hash_nsyms(struct rd *r, uint64_t off, uint64_t *nsyms)
{
	Elf_Data *d = chunk(r, off, 4, ELF_T_WORD);
	uint32_t nbuckets, symoffset, bloomsz, maxb = 0;
	uint64_t wordsz = gelf_getclass(r->elf) == ELFCLASS64 ? 8 : 4, boff, coff, avail;
	const uint32_t *w;

	if (!d)
		return -EINVAL;
	w = d->d_buf;
	nbuckets = w[0];
	symoffset = w[1];
	bloomsz = w[2];
	if (bloomsz > r->len / wordsz || nbuckets > r->len / 4)
		return -EINVAL;
	boff = off + 16 + (uint64_t)bloomsz * wordsz;
	if (boff > r->len)
		return -EINVAL;
	if (nbuckets) {
		d = chunk(r, boff, nbuckets, ELF_T_WORD);
		if (!d)
			return -EINVAL;
		w = d->d_buf;
		for (uint32_t i = 0; i < nbuckets; i++)
			if (w[i] > maxb)
				maxb = w[i];
	}
	if (maxb == 0) {
		/* nothing hashed (an executable exporting nothing): the
		 * table only says there are at least symoffset symbols */
		*nsyms = symoffset;
		return 1;
	}
	if (maxb < symoffset)
		return -EINVAL;
	coff = boff + (uint64_t)nbuckets * 4;
	if (coff > r->len)
		return -EINVAL;
	avail = (r->len - coff) / 4;
	if ((uint64_t)(maxb - symoffset) >= avail)
		return -EINVAL;
	d = chunk(r, coff, avail, ELF_T_WORD);
	if (!d)
		return -EINVAL;
	w = d->d_buf;
	for (uint64_t j = maxb - symoffset; j < avail; j++) {
		if (w[j] & 1) {
			*nsyms = symoffset + j + 1;
			return 0;
		}
	}
	return -EINVAL;
}

/* The dynamic tags read besides DT_NEEDED, as indexes into struct dyninfo. */
enum { D_STRTAB, D_STRSZ, D_SYMTAB, D_HASH, D_GNU_HASH, D_RPATH, D_RUNPATH, D_SONAME, D_N };
static const int64_t dyn_tags[D_N] = {DT_STRTAB,   DT_STRSZ, DT_SYMTAB,	 DT_HASH,
				      DT_GNU_HASH, DT_RPATH, DT_RUNPATH, DT_SONAME};

struct dyninfo {
	int has[D_N];
	uint64_t v[D_N];
	uint64_t *needed;
	size_t nneeded;
};

static int read_dynamic(struct rd *r, const GElf_Phdr *ph, struct dyninfo *di)
{
	size_t dsz = gelf_fsize(r->elf, ELF_T_DYN, 1, EV_CURRENT);
	uint64_t n = dsz ? ph->p_filesz / dsz : 0;
	Elf_Data *d;

	if (n == 0)
		return 0;
	d = chunk(r, ph->p_offset, n, ELF_T_DYN);
	if (!d)
		return bad(r, "dynamic segment out of bounds");
	di->needed = xcalloc(n, sizeof(*di->needed));
	for (uint64_t i = 0; i < n; i++) {
		GElf_Dyn dyn;

		if (!gelf_getdyn(d, (int)i, &dyn))
			return bad(r, "bad dynamic entry");
		if (dyn.d_tag == DT_NULL)
			return 0;
		if (dyn.d_tag == DT_NEEDED)
			di->needed[di->nneeded++] = dyn.d_un.d_val;
		/* the names (rpath, runpath, soname) keep their first value,
		 * the others their last */
		for (int k = 0; k < D_N; k++) {
			if (dyn.d_tag == dyn_tags[k] && !(k >= D_RPATH && di->has[k])) {
				di->has[k] = 1;
				di->v[k] = dyn.d_un.d_val;
			}
		}
	}
	return 0;
}

/* How many dynamic symbols: DT_HASH's nchain, else walk DT_GNU_HASH, else
 * the .dynsym section header, else the gap between DT_SYMTAB and DT_STRTAB
 * (where linkers put them). *guessed is set for the last one: the caller
 * then stops at the first entry that does not look like a symbol. */
static int count_syms(struct rd *r, const struct dyninfo *di, uint64_t symoff, uint64_t *nsyms,
		      int *guessed)
{
	uint64_t off, atleast = 0;

	*nsyms = 0;
	*guessed = 0;
	if (di->has[D_HASH] && va_to_off(r, di->v[D_HASH], &off) == 0) {
		Elf_Data *d = chunk(r, off, 2, ELF_T_WORD);

		if (!d)
			return bad(r, "hash table out of bounds");
		*nsyms = ((const uint32_t *)d->d_buf)[1];
		return 0;
	}
	if (di->has[D_GNU_HASH] && va_to_off(r, di->v[D_GNU_HASH], &off) == 0) {
		int g = gnu_hash_nsyms(r, off, nsyms);

		if (g < 0)
			return bad(r, "corrupt GNU hash table");
		if (g == 0)
			return 0;
		atleast = *nsyms;
	}
	for (Elf_Scn *scn = elf_nextscn(r->elf, NULL); scn; scn = elf_nextscn(r->elf, scn)) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM && sh.sh_entsize) {
			*nsyms = sh.sh_size / sh.sh_entsize;
			return 0;
		}
	}
	if (di->has[D_STRTAB] && va_to_off(r, di->v[D_STRTAB], &off) == 0 && off > symoff) {
		size_t ssz = gelf_fsize(r->elf, ELF_T_SYM, 1, EV_CURRENT);

		*nsyms = ssz ? (off - symoff) / ssz : 0;
		*guessed = 1;
	}
	if (*nsyms < atleast) {
		*nsyms = atleast;
		*guessed = 0;
	}
	return 0;
}

static int read_imports(struct rd *r, const struct dyninfo *di, struct elf_info *out)
{
	uint64_t symoff, nsyms;
	Elf_Data *d;
	int err, guessed;

	if (!di->has[D_SYMTAB] || va_to_off(r, di->v[D_SYMTAB], &symoff) < 0)
		return 0;
	err = count_syms(r, di, symoff, &nsyms, &guessed);
	if (err)
		return err;
	if (nsyms <= 1)
		return 0;
	if (nsyms > INT32_MAX)
		return bad(r, "symbol count out of bounds");
	d = chunk(r, symoff, nsyms, ELF_T_SYM);
	if (!d)
		return bad(r, "symbol table out of bounds");
	for (uint64_t i = 1; i < nsyms; i++) {
		GElf_Sym sym;
		const char *s, *at;

		if (!gelf_getsym(d, (int)i, &sym))
			return bad(r, "bad symbol entry");
		s = dstr(r, sym.st_name);
		if (!s && guessed)
			break; /* past the real table */
		if (sym.st_shndx != SHN_UNDEF || sym.st_name == 0)
			continue;
		if (!s)
			return bad(r, "symbol name out of bounds");
		at = strchr(s, '@');
		if (at == s || !*s)
			continue;
		strv_pushn(&out->imports, s, at ? (size_t)(at - s) : strlen(s));
	}
	strv_sort_uniq(&out->imports);
	return 0;
}

static int dyn_string(struct rd *r, int has, uint64_t off, char **out)
{
	const char *s;

	if (!has)
		return 0;
	s = dstr(r, off);
	if (!s)
		return bad(r, "dynamic string out of bounds");
	*out = xstrdup(s);
	return 0;
}

/* The program headers: PT_LOAD segments into r->load, PT_INTERP into out,
 * the first PT_DYNAMIC into *dyn (*has_dyn set). */
static int read_phdrs(struct rd *r, const char *img, const GElf_Ehdr *eh, struct elf_info *out,
		      GElf_Phdr *dyn, int *has_dyn)
{
	size_t phnum;

	if (elf_getphdrnum(r->elf, &phnum) < 0)
		return bad(r, "bad program header count");
	/* libelf quietly clamps the count to what fits in the file: a
	 * truncated table is corrupt, not empty */
	if (eh->e_phnum != PN_XNUM && phnum != eh->e_phnum)
		return bad(r, "program headers out of bounds");
	if (phnum && (eh->e_phoff > r->len || phnum > (r->len - eh->e_phoff) / 32))
		return bad(r, "program headers out of bounds");
	r->load = xcalloc(phnum ? phnum : 1, sizeof(*r->load));
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(r->elf, (int)i, &ph))
			return bad(r, "program headers out of bounds");
		if (ph.p_type == PT_LOAD) {
			if (ph.p_offset > r->len || ph.p_filesz > r->len - ph.p_offset)
				return bad(r, "loadable segment out of bounds");
			r->load[r->nload++] = (struct seg){ph.p_vaddr, ph.p_offset, ph.p_filesz};
		} else if (ph.p_type == PT_INTERP && !out->interp) {
			size_t n;

			if (ph.p_offset > r->len || ph.p_filesz > r->len - ph.p_offset ||
			    ph.p_filesz == 0)
				return bad(r, "interpreter path out of bounds");
			n = strnlen(img + ph.p_offset, ph.p_filesz);
			if (n == 0)
				return bad(r, "empty interpreter path");
			out->interp = xstrndup(img + ph.p_offset, n);
		} else if (ph.p_type == PT_DYNAMIC && !*has_dyn) {
			*has_dyn = 1;
			*dyn = ph;
		}
	}
	return 0;
}

/* What the dynamic table names: needed libraries, rpath, runpath, soname,
 * imported symbols. */
static int read_dyn_names(struct rd *r, const char *img, const struct dyninfo *di,
			  struct elf_info *out)
{
	char **names[] = {&out->rpath, &out->runpath, &out->soname};
	int err = 0;

	if (di->has[D_STRTAB]) {
		uint64_t off;

		if (va_to_off(r, di->v[D_STRTAB], &off) < 0)
			return bad(r, "string table address not in a loadable segment");
		r->str = img + off;
		r->strsz = r->len - off;
		if (di->v[D_STRSZ] && di->v[D_STRSZ] < r->strsz)
			r->strsz = di->v[D_STRSZ];
	}
	for (size_t i = 0; i < di->nneeded; i++) {
		const char *s = dstr(r, di->needed[i]);

		if (!s || !*s)
			return bad(r, "needed library name out of bounds");
		strv_push(&out->needed, s);
	}
	for (int k = D_RPATH; k < D_N && !err; k++)
		err = dyn_string(r, di->has[k], di->v[k], names[k - D_RPATH]);
	return err ? err : read_imports(r, di, out);
}

static int parse(struct rd *r, char *img, struct elf_info *out)
{
	GElf_Ehdr eh;
	GElf_Phdr dynph = {0};
	struct dyninfo di = {0};
	int err, has_dyn = 0;

	r->elf = elf_memory(img, r->len);
	if (!r->elf || elf_kind(r->elf) != ELF_K_ELF || !gelf_getehdr(r->elf, &eh))
		return bad(r, "truncated or invalid ELF header");
	out->elfclass = gelf_getclass(r->elf);
	out->machine = eh.e_machine;
	err = read_phdrs(r, img, &eh, out, &dynph, &has_dyn);
	if (err || !has_dyn)
		return err;
	out->is_dynamic = 1;
	err = read_dynamic(r, &dynph, &di);
	if (!err)
		err = read_dyn_names(r, img, &di, out);
	free(di.needed);
	return err;
}

static int read_image(struct tx_ctx *ctx, const char *name, char *img, size_t len,
		      struct elf_info *out)
{
	struct rd r = {.ctx = ctx, .name = name, .len = len};
	int err;

	memset(out, 0, sizeof(*out));
	if (len < SELFMAG || memcmp(img, ELFMAG, SELFMAG))
		return 1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return tx_fail(ctx, -EINVAL, NULL, "cannot read ELF '%s': %s", name,
			       elf_errmsg(-1));
	err = parse(&r, img, out);
	if (r.elf)
		elf_end(r.elf);
	free(r.load);
	if (err)
		elf_info_free(out);
	return err;
}

int elf_read_mem(struct tx_ctx *ctx, const char *name, const void *data, size_t len,
		 struct elf_info *out)
{
	/* libelf may convert in place: work on a private copy */
	char *img = xmalloc(len);
	int err;

	memcpy(img, data, len);
	err = read_image(ctx, name, img, len, out);
	free(img);
	return err;
}

int elf_read(struct tx_ctx *ctx, const char *path, struct elf_info *out)
{
	struct stat st;
	unsigned char mag[SELFMAG];
	void *img;
	int fd, err;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return tx_fail(ctx, err, NULL, "cannot read ELF '%s': %s", path, strerror(-err));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return tx_fail(ctx, -EINVAL, NULL, "cannot read ELF '%s': not a regular file",
			       path);
	}
	if (st.st_size < SELFMAG || pread(fd, mag, SELFMAG, 0) != SELFMAG ||
	    memcmp(mag, ELFMAG, SELFMAG)) {
		close(fd);
		return 1;
	}
	img = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	err = -errno;
	close(fd);
	if (img == MAP_FAILED)
		return tx_fail(ctx, err, NULL, "cannot read ELF '%s': %s", path, strerror(-err));
	err = read_image(ctx, path, img, (size_t)st.st_size, out);
	munmap(img, (size_t)st.st_size);
	return err;
}

void elf_info_free(struct elf_info *e)
{
	fmt_free_strs(&e->interp, &e->rpath, &e->runpath, &e->soname, NULL);
	fmt_free_lists(&e->needed, &e->imports, NULL);
	memset(e, 0, sizeof(*e));
}
