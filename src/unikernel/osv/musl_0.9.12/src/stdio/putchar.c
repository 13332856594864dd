/* Tinyx: for OSv's libc/stdio/putchar.c (musl_0.9.12 is not in the tree). */
#include <stdio.h>

int putchar(int c)
{
	return putc(c, stdout);
}
