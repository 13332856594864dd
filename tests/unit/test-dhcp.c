/* The guest init's DHCP messages (formats/dhcp.c): the requests it builds,
 * and its reading of server replies, good and hostile. */
#include <arpa/inet.h>

#include "formats/dhcp.h"
#include "t.h"

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
#define XID 0x1234abcdu

static uint32_t ip(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1 ? a.s_addr : 0;
}

/* A server's reply: the BOOTP part for XID and mac, then opts (nopts bytes,
 * without the end option: the caller adds it when it wants one). */
static size_t reply(uint8_t *b, const char *yiaddr, const uint8_t *opts, size_t nopts)
{
	uint32_t y = ip(yiaddr);

	memset(b, 0, DHCP_MIN_LEN);
	b[0] = 2;
	b[1] = 1;
	b[2] = 6;
	b[4] = XID >> 24;
	b[5] = (XID >> 16) & 0xff;
	b[6] = (XID >> 8) & 0xff;
	b[7] = XID & 0xff;
	memcpy(b + 16, &y, 4);
	memcpy(b + 28, mac, 6);
	b[236] = 99;
	b[237] = 130;
	b[238] = 83;
	b[239] = 99;
	memcpy(b + DHCP_MIN_LEN, opts, nopts);
	return DHCP_MIN_LEN + nopts;
}

/* the option bytes of a message built by dhcp_build: code -> value */
static const uint8_t *opt(const uint8_t *b, size_t n, uint8_t code, uint8_t *len)
{
	for (size_t i = DHCP_MIN_LEN; i + 1 < n && b[i] != 255; i += 2 + b[i + 1])
		if (b[i] == code) {
			*len = b[i + 1];
			return b + i + 2;
		}
	return NULL;
}

static void test_build(void)
{
	uint8_t b[600], len = 0;
	const uint8_t *v;
	struct dhcp_req r = {.type = DHCP_DISCOVER, .xid = XID, .secs = 3, .hostname = "nginx"};
	size_t n;

	memcpy(r.mac, mac, 6);
	n = dhcp_build(b, sizeof(b), &r);
	CHECK(n > DHCP_MIN_LEN && b[n - 1] == 255);
	CHECK(b[0] == 1 && b[1] == 1 && b[2] == 6);
	CHECK(b[4] == 0x12 && b[5] == 0x34 && b[6] == 0xab && b[7] == 0xcd);
	CHECK(b[8] == 0 && b[9] == 3);	    /* secs */
	CHECK(b[10] == 0x80 && b[11] == 0); /* broadcast flag */
	CHECK(!memcmp(b + 28, mac, 6));
	CHECK(b[236] == 99 && b[237] == 130 && b[238] == 83 && b[239] == 99);
	CHECK((v = opt(b, n, 53, &len)) && len == 1 && v[0] == DHCP_DISCOVER);
	CHECK((v = opt(b, n, 12, &len)) && len == 5 && !memcmp(v, "nginx", 5));
	CHECK((v = opt(b, n, 55, &len)) && len == 8 && v[0] == 1 && v[1] == 3 && v[2] == 6);
	CHECK(!opt(b, n, 50, &len) && !opt(b, n, 54, &len));
	CHECK(dhcp_build(b, DHCP_MIN_LEN + 30, &r) == 0); /* too small: nothing */

	/* SELECTING: the offered address and the server chosen */
	r = (struct dhcp_req){.type = DHCP_REQUEST,
			      .xid = XID,
			      .reqaddr = ip("10.203.0.58"),
			      .server = ip("10.203.0.1")};
	n = dhcp_build(b, sizeof(b), &r);
	CHECK((v = opt(b, n, 53, &len)) && v[0] == DHCP_REQUEST);
	CHECK((v = opt(b, n, 50, &len)) && len == 4 && !memcmp(v, "\x0a\xcb\x00\x3a", 4));
	CHECK((v = opt(b, n, 54, &len)) && len == 4 && !memcmp(v, "\x0a\xcb\x00\x01", 4));
	CHECK(!opt(b, n, 12, &len)); /* no hostname */

	/* RENEWING: ciaddr, no broadcast flag, no 50/54 */
	r = (struct dhcp_req){.type = DHCP_REQUEST, .xid = XID, .ciaddr = ip("10.203.0.58")};
	n = dhcp_build(b, sizeof(b), &r);
	CHECK(b[10] == 0 && !memcmp(b + 12, "\x0a\xcb\x00\x3a", 4));
	CHECK(!opt(b, n, 50, &len) && !opt(b, n, 54, &len));

	/* a long hostname is cut at 63 bytes */
	char longname[100];
	memset(longname, 'h', sizeof(longname) - 1);
	longname[99] = 0;
	r = (struct dhcp_req){.type = DHCP_DISCOVER, .hostname = longname};
	n = dhcp_build(b, sizeof(b), &r);
	CHECK((v = opt(b, n, 12, &len)) && len == 63);
}

static void test_parse_offer(void)
{
	static const uint8_t o[] = {
	    53,	 1,   2,   54,	4,   10,  203, 0,  1, 1, 4,   255, 255, 255, 0, 3,  4,	10, 203,
	    0,	 1,   6,   12,	10,  203, 0,   1,  0, 0, 0,   0,   8,	8,   8, 8,  15, 8,  'e',
	    'x', 'a', 'm', 'p', 'l', 'e', 0,   26, 2, 5, 220, 51,  4,	0,   0, 14, 16, 0,  255};
	uint8_t b[600];
	struct dhcp_lease l;
	char a[16], text[256];
	size_t n = reply(b, "10.203.0.58", o, sizeof(o));

	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_OFFER);
	CHECK_STR(dhcp_ntoa(l.addr, a), "10.203.0.58");
	CHECK_STR(dhcp_ntoa(l.server, a), "10.203.0.1");
	CHECK_STR(dhcp_ntoa(l.router, a), "10.203.0.1");
	CHECK(dhcp_prefix(l.mask) == 24);
	CHECK(l.ndns == 2); /* 0.0.0.0 is no server */
	CHECK_STR(dhcp_ntoa(l.dns[1], a), "8.8.8.8");
	CHECK_STR(l.domain, "example"); /* the trailing NUL some servers count */
	CHECK(l.mtu == 1500);
	CHECK(l.lease == 3600 && l.t1 == 1800 && l.t2 == 3150);
	CHECK(dhcp_resolv(&l, text, sizeof(text)) > 0);
	CHECK_STR(text, "search example\nnameserver 10.203.0.1\nnameserver 8.8.8.8\n");
	CHECK(dhcp_resolv(&l, text, 20) == 0 && text[0] == 0); /* too small: nothing */
	/* the same without an end option, and with pads: read to the end */
	static const uint8_t o2[] = {0, 0, 53, 1, 5, 0, 51, 4, 0xff, 0xff, 0xff, 0xff};
	n = reply(b, "192.168.1.9", o2, sizeof(o2));
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_ACK);
	CHECK(l.lease == DHCP_INFINITE && l.t1 == DHCP_INFINITE && l.t2 == DHCP_INFINITE);
	CHECK(dhcp_prefix(l.mask) == 24); /* no mask: classful (C) */
	CHECK(l.router == 0 && l.ndns == 0 && l.mtu == 0 && !l.domain[0]);
	CHECK(dhcp_resolv(&l, text, sizeof(text)) == 0);
}

static void test_parse_fixups(void)
{
	uint8_t b[600];
	struct dhcp_lease l;
	/* T1 after T2, T2 after the lease: the defaults */
	static const uint8_t t[] = {53, 1, 5, 51, 4,  0, 0, 0, 100, 58, 4,
				    0,	0, 0, 90, 59, 4, 0, 0, 1,   0,	255};
	size_t n = reply(b, "10.0.0.5", t, sizeof(t));

	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_ACK);
	CHECK(l.lease == 100 && l.t2 == 87 && l.t1 == 50);
	CHECK(dhcp_prefix(l.mask) == 8); /* classful (A) */
	/* non-contiguous mask, small MTU, a domain with a bad byte, a repeated
	 * type (the last counts), four DNS servers (three kept) */
	static const uint8_t u[] = {53, 1, 2,	1,   4,	  255, 0,  255, 0, 26, 2,  1, 0,
				    15, 3, 'a', ';', 'b', 6,   16, 1,	1, 1,  1,  2, 2,
				    2,	2, 3,	3,   3,	  3,   4,  4,	4, 4,  53, 1, 5};
	n = reply(b, "172.16.3.4", u, sizeof(u));
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_ACK);
	CHECK(dhcp_prefix(l.mask) == 16 && l.mtu == 0 && !l.domain[0] && l.ndns == 3);
	CHECK(l.lease == 3600); /* none given: an hour */
	static const uint8_t nak[] = {53, 1, 6, 255};
	n = reply(b, "0.0.0.0", nak, sizeof(nak));
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_NAK);
}

static void test_parse_reject(void)
{
	uint8_t b[600], other[6] = {1, 2, 3, 4, 5, 6};
	struct dhcp_lease l;
	static const uint8_t ok[] = {53, 1, 2, 255};
	size_t n = reply(b, "10.0.0.5", ok, sizeof(ok));

	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_OFFER);
	CHECK(dhcp_parse(b, DHCP_MIN_LEN - 1, XID, mac, &l) == DHCP_E_SHORT);
	CHECK(dhcp_parse(b, n, XID + 1, mac, &l) == DHCP_E_NOTOURS);
	CHECK(dhcp_parse(b, n, XID, other, &l) == DHCP_E_NOTOURS);
	b[0] = 1; /* a request (another client's broadcast) */
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_E_NOTREPLY);
	b[0] = 2;
	b[239] = 0; /* no cookie: plain BOOTP */
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_E_NOTREPLY);

	static const uint8_t runs_over[] = {53, 1, 2, 6, 8, 1, 1, 1, 1};
	n = reply(b, "10.0.0.5", runs_over, sizeof(runs_over));
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_E_OPTIONS);
	static const uint8_t no_len[] = {53, 1, 2, 3};
	n = reply(b, "10.0.0.5", no_len, sizeof(no_len));
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_E_OPTIONS);
	static const uint8_t bad_type_len[] = {53, 2, 2, 2, 255};
	n = reply(b, "10.0.0.5", bad_type_len, sizeof(bad_type_len));
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_E_OPTIONS);
	static const uint8_t short_router[] = {53, 1, 2, 3, 3, 1, 2, 3, 255};
	n = reply(b, "10.0.0.5", short_router, sizeof(short_router));
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_E_OPTIONS);
	static const uint8_t bad_lease[] = {53, 1, 2, 51, 2, 1, 2, 255};
	n = reply(b, "10.0.0.5", bad_lease, sizeof(bad_lease));
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_E_OPTIONS);
	static const uint8_t no_type[] = {1, 4, 255, 255, 255, 0, 255};
	n = reply(b, "10.0.0.5", no_type, sizeof(no_type));
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_E_NOTYPE);
	static const uint8_t discover[] = {53, 1, 1, 255};
	n = reply(b, "10.0.0.5", discover, sizeof(discover));
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_E_NOTYPE);
	/* addresses no host can have */
	const char *bad[] = {"0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = reply(b, bad[i], ok, sizeof(ok));
		CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_E_ADDR);
	}
	static const uint8_t mcast_router[] = {53, 1, 5, 3, 4, 239, 1, 1, 1, 255};
	n = reply(b, "10.0.0.5", mcast_router, sizeof(mcast_router));
	CHECK(dhcp_parse(b, n, XID, mac, &l) == DHCP_E_ADDR);
}

static void test_text(void)
{
	char a[16];

	CHECK_STR(dhcp_ntoa(ip("0.0.0.0"), a), "0.0.0.0");
	CHECK_STR(dhcp_ntoa(ip("255.255.255.255"), a), "255.255.255.255");
	CHECK_STR(dhcp_ntoa(ip("10.2.30.100"), a), "10.2.30.100");
	CHECK(dhcp_prefix(ip("255.255.255.255")) == 32);
	CHECK(dhcp_prefix(ip("255.255.254.0")) == 23);
	CHECK(dhcp_prefix(0) == 0);
	CHECK(dhcp_prefix(ip("255.0.255.0")) == -1);
	CHECK(dhcp_prefix(ip("0.255.255.255")) == -1);
}

int main(void)
{
	RUN(test_build);
	RUN(test_parse_offer);
	RUN(test_parse_fixups);
	RUN(test_parse_reject);
	RUN(test_text);
	return t_done("test-dhcp");
}
