/* DHCPv4 messages (RFC 2131, options RFC 2132) for the guest init's client
 * (src/guest/dhcp.c): the request it sends and the reply it reads, as pure
 * functions on bytes. Shared like appconf.c: plain C on libc, no I/O, no
 * allocation, no printf (the static init stays small). Addresses are in
 * network byte order, as in struct in_addr. A reply is untrusted data: every
 * length is checked against the buffer (tests/fuzz/fuzz-dhcp.c). */
#ifndef TINYX_DHCP_H
#define TINYX_DHCP_H

#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_MIN_LEN 240 /* the fixed BOOTP part and the magic cookie */
#define DHCP_MAX_DNS 3	 /* as many as resolv.conf's "nameserver" lines count */
#define DHCP_INFINITE 0xffffffffu

enum dhcp_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
};

/* Why dhcp_parse() refused a message (negative). */
enum dhcp_err {
	DHCP_E_SHORT = -1,    /* shorter than DHCP_MIN_LEN */
	DHCP_E_NOTREPLY = -2, /* not a BOOTREPLY for Ethernet, or no magic cookie */
	DHCP_E_NOTOURS = -3,  /* another transaction or another client's */
	DHCP_E_OPTIONS = -4,  /* an option runs past the end, or a bad length */
	DHCP_E_NOTYPE = -5,   /* no message type, or not OFFER, ACK or NAK */
	DHCP_E_ADDR = -6,     /* OFFER or ACK with an address no host can have */
};

/* What an OFFER or ACK gives. A field the server did not send is 0 (mask:
 * the classful default; t1, t2: lease/2 and lease*7/8, as RFC 2131 4.4.5). */
struct dhcp_lease {
	int type; /* enum dhcp_type */
	uint32_t addr, mask, router, server;
	uint32_t dns[DHCP_MAX_DNS];
	int ndns;
	uint32_t lease, t1, t2; /* seconds; DHCP_INFINITE: no end */
	uint16_t mtu;		/* 0: none (or below the minimum of 576) */
	char domain[64];	/* the search domain: [A-Za-z0-9.-] only, else "" */
};

/* What the client asks for. */
struct dhcp_req {
	int type; /* DHCP_DISCOVER, DHCP_REQUEST or DHCP_RELEASE */
	uint32_t xid;
	uint8_t mac[6];
	uint16_t secs;
	uint32_t ciaddr;      /* our address while renewing/rebinding, else 0 */
	uint32_t reqaddr;     /* option 50 (SELECTING, INIT-REBOOT), 0: none */
	uint32_t server;      /* option 54 (SELECTING), 0: none */
	const char *hostname; /* option 12 when not NULL or empty */
};

/* The message for r in buf: its length, 0 when cap is too small (it needs at
 * most DHCP_MIN_LEN + 32 + the hostname's length, capped at 63). The
 * broadcast flag is set unless ciaddr is: replies then come as broadcasts,
 * which a UDP socket sees before the interface has an address. */
size_t dhcp_build(uint8_t *buf, size_t cap, const struct dhcp_req *r);

/* Read a server's reply to the transaction xid of the client mac: its type
 * (DHCP_OFFER, DHCP_ACK or DHCP_NAK) with *out filled, or a dhcp_err. A
 * repeated option: the last one counts. The sname and file fields are not
 * read for options (option 52, overload, is ignored). */
int dhcp_parse(const uint8_t *p, size_t n, uint32_t xid, const uint8_t mac[6],
	       struct dhcp_lease *out);

/* The prefix length of a contiguous mask, -1 when it is not contiguous. */
int dhcp_prefix(uint32_t mask);

/* "a.b.c.d" of addr into buf (at least 16 bytes); returns buf. */
char *dhcp_ntoa(uint32_t addr, char *buf);

/* The text of /etc/resolv.conf for l: "search D" when it has a domain, then
 * one "nameserver A" line per server. Its length; 0 when there is no server
 * (then nothing is written) or cap is too small (256 is enough). */
size_t dhcp_resolv(const struct dhcp_lease *l, char *buf, size_t cap);

#endif
