/* /etc/network/interfaces (ifupdown's format, interfaces(5)): the subset the
 * guest init applies, read by the build (an error names the file and line)
 * and by the init (src/guest/netcfg.c). Shared like dhcp.c: plain C on
 * libc, no I/O, no allocation, no printf. The text is untrusted: at most
 * IFACES_MAX_BYTES, fixed-size tables, every token checked
 * (tests/fuzz/fuzz-ifaces.c).
 *
 *   # a comment (a line whose first word starts with '#')
 *   auto eth0 eth1                 (also allow-hotplug, allow-auto): brought
 *                                  up at boot; a stanza of an interface not
 *                                  named so is not (as ifupdown does)
 *   iface lo inet loopback         accepted (lo is always up)
 *   iface eth0 inet dhcp           the init's DHCP client on eth0
 *   iface eth1 inet static         options follow, one a line:
 *     address 10.0.1.1/24          several lines: several addresses
 *     netmask 255.255.255.0        (or netmask 24) for an address without /P
 *     gateway 10.0.1.254           the default route (one per family)
 *     mtu 1400                     68..65535
 *     up ip route add 10.9.0.0/16 via 10.0.1.254     (also post-up;
 *                                  ip -6 route add ...; [dev IF] [metric N]
 *                                  accepted): a static route, read here,
 *                                  never run as a command
 *   iface eth1 inet6 static        address 2001:db8::1/64, gateway, routes
 *   iface eth2 inet manual         up, no address (also inet6 manual, auto:
 *                                  the kernel's own SLAAC)
 *   down, pre-down, post-down, pre-up lines: accepted, ignored (an init
 *   that never takes an interface down runs no down commands; pre-up and
 *   any other command: an error, the init runs no commands).
 * Not read (an error naming the line): source, source-directory, mapping,
 * line continuations, other options (dns-nameservers, hwaddress, ...). */
#ifndef TINYX_IFACES_H
#define TINYX_IFACES_H

#include <stddef.h>
#include <stdint.h>

#define IFACES_PATH "/etc/network/interfaces"
#define IFACES_MAX_BYTES (64 * 1024)
#define IFACES_MAX_IF 16   /* interfaces with a stanza */
#define IFACES_MAX_ADDR 8  /* addresses per interface (both families) */
#define IFACES_MAX_ROUTE 8 /* routes per interface */
#define IFACES_NAME 16	   /* IFNAMSIZ */

enum ifaces_method { IFM_NONE, IFM_STATIC, IFM_DHCP, IFM_MANUAL, IFM_LOOPBACK, IFM_AUTO };

struct ifaces_addr {
	int v6;		/* 0: IPv4 (4 bytes of a), 1: IPv6 */
	uint8_t a[16];	/* network order */
	int prefix;	/* 0..32 or 0..128 */
	int has_prefix; /* written as A/P (else the stanza's netmask, else 32/128) */
};

struct ifaces_route {
	int v6;
	uint8_t dst[16], gw[16];
	int prefix, has_gw, metric, line;
};

struct ifaces_if {
	char name[IFACES_NAME];
	int autoup;			/* named by auto / allow-hotplug / allow-auto */
	enum ifaces_method inet, inet6; /* IFM_NONE: no stanza of that family */
	int line4, line6;		/* where those stanzas start */
	int naddr;
	struct ifaces_addr addr[IFACES_MAX_ADDR];
	int has_gw4, has_gw6;
	uint8_t gw4[4], gw6[16];
	unsigned mtu; /* 0: the driver's */
	int nroute;
	struct ifaces_route route[IFACES_MAX_ROUTE];
};

struct ifaces {
	int n;
	struct ifaces_if ifs[IFACES_MAX_IF];
};

struct ifaces_error {
	int line;	     /* 0: the whole file (size, NUL) */
	const char *problem; /* a constant phrase, e.g. "bad address" */
	char word[48];	     /* the word at fault, cut, printable; may be "" */
};

/* Parse text (len bytes). 0, or -1 with e filled. */
int ifaces_parse(const char *text, size_t len, struct ifaces *out, struct ifaces_error *e);
/* The interface called name, or NULL. */
const struct ifaces_if *ifaces_find(const struct ifaces *f, const char *name);
/* 1 when any stanza is inet6 with an address, a gateway or a route. */
int ifaces_has_inet6(const struct ifaces *f);
/* "10.0.0.1" (or "2001:db8::1", RFC 5952) into buf (cap >= 46, else ""). */
const char *ifaces_ip_text(int v6, const uint8_t *a, char *buf, size_t cap);
/* "10.0.0.1/24" (or "2001:db8::1/64") into buf (cap >= 50, else ""). */
const char *ifaces_addr_text(const struct ifaces_addr *a, char *buf, size_t cap);

#endif
