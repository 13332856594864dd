/* Tinyx: for OSv's libc/stdio/getchar.c (musl_0.9.12 is not in the tree). */
#include <stdio.h>

int getchar(void)
{
	return getc(stdin);
}
