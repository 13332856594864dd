/* Tinyx: for OSv's libc/locale/duplocale.c (the musl_0.9.12 submodule is
 * not in the pinned tree): a copy of the locale, freed by freelocale. */
#include "locale_impl.h"
#include "libc.h"
#include <stdlib.h>
#include <string.h>

locale_t __duplocale(locale_t old)
{
	locale_t new = calloc(1, sizeof *new);

	if (new && old != LC_GLOBAL_LOCALE)
		memcpy(new, old, sizeof *new);
	return new;
}

weak_alias(__duplocale, duplocale);
