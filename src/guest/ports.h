/* The ports the app serves (ports.c). */
#ifndef TINYX_GUEST_PORTS_H
#define TINYX_GUEST_PORTS_H

#include <stddef.h>

struct gport {
	unsigned char udp, local; /* local: only on loopback addresses */
	unsigned short port;
	char addr[16]; /* a loopback address it is bound to, when local */
	unsigned char said;
};

/* The listening TCP and bound UDP ports, in /proc's order: their count. */
int ports_scan(struct gport *p, int max);

#endif
