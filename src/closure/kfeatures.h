/* Kernel features implied by imported libc symbols. (Not "features.h": with
 * -Isrc that name would shadow glibc's <features.h>.)
 *
 * One table maps a dynamic symbol an ELF file imports (epoll_create1, eventfd,
 * setgroups, ...) to the kconfig option (without CONFIG_) the kernel needs for
 * it to work. The kconfig stage turns the options on and reports which symbol
 * asked for each. */
#ifndef TINYX_KFEATURES_H
#define TINYX_KFEATURES_H

#include <stddef.h>

struct feature_rule {
	const char *symbol; /* exact name, or a prefix when it ends in '*' */
	const char *option; /* kconfig symbol without CONFIG_ (a 6.1 option) */
};

/* Store in options[] (at most max, no duplicates) every option the symbol
 * implies; "@version" suffixes are ignored. Returns the count stored. */
size_t features_for_symbol(const char *symbol, const char **options, size_t max);
/* The whole table (for the report and the tests). */
const struct feature_rule *features_table(size_t *n);

#endif
