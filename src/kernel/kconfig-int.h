/* What the kconfig-*.c files share and nobody else needs. */
#ifndef TINYX_KCONFIG_INT_H
#define TINYX_KCONFIG_INT_H

#include "kernel/kconfig.h"

/* A decimal (maybe negative) or 0x hex number, as a .config writes them. */
int kconfig_valid_number(const char *v, size_t n);
/* "CONFIG_X=v" or "# CONFIG_X is not set", no newline. */
void kconfig_req_line(const struct kconfig_req *r, struct sbuf *out);

/* Run argv with stdout and stderr appended to log, in the environment kbuild
 * gets (kbuild_env_ignored). Returns the exit status or -errno. */
int kconfig_run_logged(char *const argv[], const char *log);

/* Run the kexplain helper (built on first use, see kconfig-explain.c) on
 * builddir/.config for option: *out gets its output (owned). */
int kconfig_kexplain(struct tx_ctx *ctx, const char *srcdir_kernel, const char *builddir,
		     const char *option, char **out);

#endif
