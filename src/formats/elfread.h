/* ELF reader for the dependency walk. (Not "elf.h": with -Isrc that name
 * would shadow the system <elf.h> that <gelf.h> includes.)
 *
 * Reads through the program headers (PT_INTERP, PT_DYNAMIC, with dynamic
 * table addresses mapped to file offsets through PT_LOAD), so files without
 * section headers (sstrip'd) work. libelf (elfutils) does the decoding; every
 * offset and size taken from the file is checked against the file size. */
#ifndef TINYX_ELFREAD_H
#define TINYX_ELFREAD_H

#include "lib/util.h"

struct elf_info {
	int elfclass;	     /* ELFCLASS32 or ELFCLASS64 */
	int machine;	     /* e_machine (EM_X86_64, ...) */
	int is_dynamic;	     /* has a PT_DYNAMIC segment */
	char *interp;	     /* PT_INTERP, or NULL */
	struct strv needed;  /* DT_NEEDED, in file order */
	char *rpath;	     /* DT_RPATH, or NULL */
	char *runpath;	     /* DT_RUNPATH, or NULL */
	char *soname;	     /* DT_SONAME, or NULL */
	struct strv imports; /* undefined dynamic symbol names, sorted uniq */
};

/* 0 ok; 1 not an ELF file (no ELF magic, including an empty file: no error
 * set); <0 corrupt or unreadable, with ctx->err naming the file. */
int elf_read(struct tx_ctx *ctx, const char *path, struct elf_info *out);
/* The same on a buffer; name is used in messages. */
int elf_read_mem(struct tx_ctx *ctx, const char *name, const void *data, size_t len,
		 struct elf_info *out);
void elf_info_free(struct elf_info *e);

#endif
