/* Tinyx: for OSv's libc/network/freeaddrinfo.c (musl_0.9.12 is not in the
 * tree). OSv's getaddrinfo returns its list in one calloc'd block. */
#include <netdb.h>
#include <stdlib.h>

void freeaddrinfo(struct addrinfo *p)
{
	free(p);
}
