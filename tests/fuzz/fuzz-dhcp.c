/* libFuzzer target: the guest init's reading of a DHCP server's reply
 * (formats/dhcp.c). The transaction and client are taken from the input
 * itself (so the options are reached), unless the hops byte is odd (then
 * the reply is another client's). A lease read has a usable address, a
 * contiguous mask, T1 <= T2 <= lease, at most DHCP_MAX_DNS servers, a
 * domain of [A-Za-z0-9.-], and a resolv.conf text that fits. */
#include "formats/dhcp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_lease(const struct dhcp_lease *l)
{
	char text[256], a[16];
	size_t n;

	if (dhcp_prefix(l->mask) < 1 || l->ndns < 0 || l->ndns > DHCP_MAX_DNS)
		abort();
	if (!l->addr || l->t1 > l->t2 || l->t2 > l->lease)
		abort();
	if (strnlen(l->domain, sizeof(l->domain)) == sizeof(l->domain) ||
	    strspn(l->domain, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
		strlen(l->domain))
		abort();
	n = dhcp_resolv(l, text, sizeof(text));
	if (n && (n >= sizeof(text) || text[n - 1] != '\n' || strlen(text) != n))
		abort();
	if (strlen(dhcp_ntoa(l->addr, a)) > 15)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_lease l;
	uint32_t xid = 0;
	uint8_t mac[6] = {0}, out[DHCP_MIN_LEN + 32 + 64];
	int t;

	if (size >= DHCP_MIN_LEN) {
		xid = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 | (uint32_t)data[6] << 8 |
		      data[7];
		memcpy(mac, data + 28, 6);
		if (data[3] & 1)
			xid ^= 1;
	}
	t = dhcp_parse(data, size, xid, mac, &l);
	if (t == DHCP_OFFER || t == DHCP_ACK)
		check_lease(&l);
	else if (t != DHCP_NAK && (t >= 0 || t < DHCP_E_ADDR))
		abort();
	/* what a renewal would send back, with the input's bytes as the name */
	if (t == DHCP_ACK) {
		char host[64];
		size_t hn = size < 63 ? size : 63;
		struct dhcp_req r = {.type = DHCP_REQUEST, .xid = xid, .ciaddr = l.addr};

		memcpy(host, data, hn);
		host[hn] = 0;
		r.hostname = host;
		memcpy(r.mac, mac, 6);
		if (!dhcp_build(out, sizeof(out), &r) || out[DHCP_MIN_LEN + 2] != DHCP_REQUEST)
			abort();
	}
	return 0;
}
