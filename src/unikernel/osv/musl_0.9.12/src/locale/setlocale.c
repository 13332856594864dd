/* Tinyx: for OSv's libc/locale/setlocale.c (the musl_0.9.12 submodule is
 * not in the pinned tree). OSv has one locale, C with UTF-8 text: a query
 * or any name gets it. */
#include <locale.h>

char *setlocale(int category, const char *locale)
{
	(void)category;
	(void)locale;
	return (char *)"C.UTF-8";
}
