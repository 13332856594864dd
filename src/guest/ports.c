/* The app's sockets as the kernel lists them: listening TCP sockets
 * (/proc/net/tcp, tcp6: state 0A) and bound, unconnected UDP sockets
 * (udp, udp6: state 07), each port once, marked local when every socket on
 * it is bound to a loopback address (the app serves only its own machine).
 * UDP ports in the kernel's ephemeral range are the app's own queries
 * (a resolver's outgoing sockets), not a service: they are left out, and
 * so is UDP port 68 while the init's DHCP client runs (its socket, which
 * would otherwise read as the app's first port). */
#include <stdlib.h>
#include <string.h>

#include "formats/dhcp.h"
#include "guest/init.h"
#include "guest/ports.h"
#include "guest/util.h"

/* The kernel prints each 32-bit word of the address as the host holds it. */
static int hex_word(const char *s, unsigned *w)
{
	unsigned long v;
	char b[9];

	memcpy(b, s, 8);
	b[8] = 0;
	if (num(b, 16, 0xffffffffUL, &v))
		return -1;
	*w = (unsigned)v;
	return 0;
}

/* "ADDR:PORT" (8 or 32 hex digits): the port, and whether ADDR is loopback
 * (127.0.0.0/8, ::1, ::ffff:127.x) with its text in addr. -1: unreadable. */
static int parse_local(char *tok, unsigned long *port, int *local, char *addr, size_t cap)
{
	char *colon = strchr(tok, ':');
	size_t len = colon ? (size_t)(colon - tok) : 0;
	unsigned w[4] = {0};
	unsigned char b[4];

	if ((len != 8 && len != 32) || num(colon + 1, 16, 65535, port))
		return -1;
	for (size_t i = 0; i < len / 8; i++)
		if (hex_word(tok + 8 * i, &w[i]))
			return -1;
	memcpy(b, &w[len / 8 - 1], 4); /* v4, or the last word of v6 */
	if (len == 8 || (!w[0] && !w[1] && (w[2] == 0xffff0000U || w[2] == 0x0000ffffU))) {
		*local = b[0] == 127;
		fmt(addr, cap, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	} else {
		*local =
		    !w[0] && !w[1] && !w[2] && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 1;
		fmt(addr, cap, "::1");
	}
	return 0;
}

static void add(struct gport *p, int *n, int max, int udp, unsigned port, int local,
		const char *addr)
{
	for (int i = 0; i < *n; i++)
		if (p[i].udp == udp && p[i].port == port) {
			p[i].local &= local;
			return;
		}
	if (*n >= max)
		return;
	p[*n] = (struct gport){
	    .udp = (unsigned char)udp, .local = (unsigned char)local, .port = (unsigned short)port};
	fmt(p[*n].addr, sizeof(p[*n].addr), "%s", addr);
	(*n)++;
}

static void ephemeral(unsigned long *lo, unsigned long *hi)
{
	char *s = slurp("/proc/sys/net/ipv4/ip_local_port_range", 64, NULL);

	*lo = 32768;
	*hi = 60999;
	if (s) {
		char *p = s + strcspn(s, " \t");

		*p++ = 0;
		p[strcspn(p, "\n")] = 0;
		if (num(s, 10, 65535, lo) || num(p + strspn(p, " \t"), 10, 65535, hi))
			*lo = *hi = 0;
	}
	free(s);
}

static void scan_file(const char *file, int udp, struct gport *p, int *n, int max)
{
	char *text = slurp(file, 1 << 18, NULL), *line, *next;
	unsigned long lo, hi;

	ephemeral(&lo, &hi);
	for (line = text ? strchr(text, '\n') : NULL; line; line = next) {
		/* "  sl  local_address rem_address   st ..." */
		char *tok[4], *q = line + 1, addr[16];
		unsigned long port;
		int k = 0, local;

		next = strchr(q, '\n');
		if (next)
			*next = 0;
		for (; k < 4; k++) {
			q += strspn(q, " ");
			tok[k] = q;
			q += strcspn(q, " ");
			if (!*q)
				break;
			*q++ = 0;
		}
		if (k < 4 || strcmp(tok[3], udp ? "07" : "0A") ||
		    parse_local(tok[1], &port, &local, addr, sizeof(addr)) || !port ||
		    (udp && port >= lo && port <= hi) ||
		    (udp && dhcp_pid > 0 && port == DHCP_CLIENT_PORT))
			continue;
		add(p, n, max, udp, (unsigned)port, local, addr);
	}
	free(text);
}

int ports_scan(struct gport *p, int max)
{
	static const char *files[] = {"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp",
				      "/proc/net/udp6"};
	int n = 0;

	for (int f = 0; f < 4; f++)
		scan_file(files[f], f >= 2, p, &n, max);
	return n;
}
