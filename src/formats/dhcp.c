/* DHCPv4 messages: see dhcp.h. */
#include "formats/dhcp.h"

#include <string.h>

#define OFF_OP 0
#define OFF_XID 4
#define OFF_SECS 8
#define OFF_FLAGS 10
#define OFF_CIADDR 12
#define OFF_YIADDR 16
#define OFF_CHADDR 28
#define OFF_COOKIE 236
#define OPT_END 255

static const uint8_t cookie[4] = {99, 130, 83, 99};

/* network-order bytes <-> a value in network order (memory order kept) */
static uint32_t get_addr(const uint8_t *p)
{
	uint32_t a;

	memcpy(&a, p, 4);
	return a;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint8_t *put_opt(uint8_t *o, uint8_t code, const void *v, uint8_t len)
{
	o[0] = code;
	o[1] = len;
	memcpy(o + 2, v, len);
	return o + 2 + len;
}

size_t dhcp_build(uint8_t *buf, size_t cap, const struct dhcp_req *r)
{
	/* what the client applies: mask, router, DNS, domain, MTU, lease, T1, T2 */
	static const uint8_t want[] = {1, 3, 6, 15, 26, 51, 58, 59};
	size_t hlen = r->hostname ? strnlen(r->hostname, 63) : 0;
	uint8_t t = (uint8_t)r->type, *o;

	if (cap < DHCP_MIN_LEN + 32 + hlen)
		return 0;
	memset(buf, 0, DHCP_MIN_LEN);
	buf[OFF_OP] = 1; /* BOOTREQUEST */
	buf[1] = 1;	 /* Ethernet */
	buf[2] = 6;
	put_be32(buf + OFF_XID, r->xid);
	buf[OFF_SECS] = (uint8_t)(r->secs >> 8);
	buf[OFF_SECS + 1] = (uint8_t)r->secs;
	if (!r->ciaddr && r->type != DHCP_RELEASE)
		buf[OFF_FLAGS] = 0x80; /* broadcast */
	memcpy(buf + OFF_CIADDR, &r->ciaddr, 4);
	memcpy(buf + OFF_CHADDR, r->mac, 6);
	memcpy(buf + OFF_COOKIE, cookie, 4);
	o = put_opt(buf + DHCP_MIN_LEN, 53, &t, 1);
	if (r->reqaddr)
		o = put_opt(o, 50, &r->reqaddr, 4);
	if (r->server)
		o = put_opt(o, 54, &r->server, 4);
	if (r->type != DHCP_RELEASE) {
		o = put_opt(o, 55, want, sizeof(want));
		if (hlen)
			o = put_opt(o, 12, r->hostname, (uint8_t)hlen);
	}
	*o++ = OPT_END;
	return (size_t)(o - buf);
}

/* A usable unicast host address (network order). */
static int host_addr(uint32_t a)
{
	uint8_t b[4];

	memcpy(b, &a, 4);
	return b[0] != 0 && b[0] != 127 && b[0] < 224 && a != DHCP_INFINITE;
}

static uint32_t classful(uint32_t addr)
{
	uint8_t b[4];

	memcpy(b, &addr, 4);
	put_be32(b, b[0] < 128 ? 0xff000000u : b[0] < 192 ? 0xffff0000u : 0xffffff00u);
	return get_addr(b);
}

int dhcp_prefix(uint32_t mask)
{
	uint8_t b[4];
	uint32_t m;
	int n = 0;

	memcpy(b, &mask, 4);
	m = get_be32(b);
	while (m & 0x80000000u) {
		m <<= 1;
		n++;
	}
	return m ? -1 : n;
}

static void set_domain(struct dhcp_lease *l, const uint8_t *v, size_t len)
{
	while (len && v[len - 1] == 0) /* some servers count a trailing NUL */
		len--;
	l->domain[0] = 0;
	if (!len || len >= sizeof(l->domain) || v[0] == '.' || v[0] == '-')
		return;
	for (size_t i = 0; i < len; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '.' || v[i] == '-'))
			return;
	memcpy(l->domain, v, len);
	l->domain[len] = 0;
}

/* One option; 0, or DHCP_E_OPTIONS for a length its kind cannot have. */
static int take_opt(struct dhcp_lease *l, uint8_t code, const uint8_t *v, size_t len)
{
	switch (code) {
	case 53:
		if (len != 1)
			return DHCP_E_OPTIONS;
		l->type = v[0];
		return 0;
	case 1:
	case 3:
	case 54:
		if (len < 4 || len % 4)
			return DHCP_E_OPTIONS;
		*(code == 1 ? &l->mask : code == 3 ? &l->router : &l->server) = get_addr(v);
		return 0;
	case 6:
		if (len < 4 || len % 4)
			return DHCP_E_OPTIONS;
		l->ndns = 0;
		for (size_t i = 0; i + 4 <= len && l->ndns < DHCP_MAX_DNS; i += 4)
			if (host_addr(get_addr(v + i)))
				l->dns[l->ndns++] = get_addr(v + i);
		return 0;
	case 15:
		set_domain(l, v, len);
		return 0;
	case 26:
		if (len != 2)
			return DHCP_E_OPTIONS;
		l->mtu = (uint16_t)(v[0] << 8 | v[1]);
		if (l->mtu < 576)
			l->mtu = 0;
		return 0;
	case 51:
	case 58:
	case 59:
		if (len != 4)
			return DHCP_E_OPTIONS;
		*(code == 51 ? &l->lease : code == 58 ? &l->t1 : &l->t2) = get_be32(v);
		return 0;
	default:
		return 0;
	}
}

/* Fill in what the server left out, and keep T1 <= T2 <= lease. */
static int finish(struct dhcp_lease *l)
{
	if (l->type == DHCP_NAK)
		return DHCP_NAK;
	if (l->type != DHCP_OFFER && l->type != DHCP_ACK)
		return DHCP_E_NOTYPE;
	if (!host_addr(l->addr) || (l->router && !host_addr(l->router)))
		return DHCP_E_ADDR;
	if (!l->mask || dhcp_prefix(l->mask) < 1 || dhcp_prefix(l->mask) > 32)
		l->mask = classful(l->addr);
	if (!l->lease)
		l->lease = 3600; /* none given: an hour, renewed after half */
	if (l->lease != DHCP_INFINITE) {
		if (!l->t2 || l->t2 > l->lease)
			l->t2 = (uint32_t)((uint64_t)l->lease * 7 / 8);
		if (!l->t1 || l->t1 > l->t2)
			l->t1 = l->lease / 2 < l->t2 ? l->lease / 2 : l->t2;
	} else {
		l->t1 = l->t2 = DHCP_INFINITE;
	}
	return l->type;
}

int dhcp_parse(const uint8_t *p, size_t n, uint32_t xid, const uint8_t mac[6],
	       struct dhcp_lease *out)
{
	size_t i = DHCP_MIN_LEN;

	memset(out, 0, sizeof(*out));
	if (n < DHCP_MIN_LEN)
		return DHCP_E_SHORT;
	if (p[OFF_OP] != 2 || p[1] != 1 || p[2] != 6 || memcmp(p + OFF_COOKIE, cookie, 4))
		return DHCP_E_NOTREPLY;
	if (get_be32(p + OFF_XID) != xid || memcmp(p + OFF_CHADDR, mac, 6))
		return DHCP_E_NOTOURS;
	out->addr = get_addr(p + OFF_YIADDR);
	while (i < n && p[i] != OPT_END) {
		int r;

		if (p[i] == 0) { /* pad */
			i++;
			continue;
		}
		if (i + 2 > n || i + 2 + p[i + 1] > n)
			return DHCP_E_OPTIONS;
		r = take_opt(out, p[i], p + i + 2, p[i + 1]);
		if (r)
			return r;
		i += 2 + (size_t)p[i + 1];
	}
	return finish(out);
}

char *dhcp_ntoa(uint32_t addr, char *buf)
{
	uint8_t b[4];
	char *o = buf;

	memcpy(b, &addr, 4);
	for (int i = 0; i < 4; i++) {
		if (b[i] >= 100)
			*o++ = (char)('0' + b[i] / 100);
		if (b[i] >= 10)
			*o++ = (char)('0' + b[i] / 10 % 10);
		*o++ = (char)('0' + b[i] % 10);
		*o++ = i < 3 ? '.' : 0;
	}
	return buf;
}

static size_t put_line(char *buf, size_t at, size_t cap, const char *kw, const char *v)
{
	size_t k = strlen(kw), n = strlen(v);

	if (at == (size_t)-1 || at + k + n + 2 >= cap)
		return (size_t)-1;
	memcpy(buf + at, kw, k);
	memcpy(buf + at + k, v, n);
	buf[at + k + n] = '\n';
	buf[at + k + n + 1] = 0;
	return at + k + n + 1;
}

size_t dhcp_resolv(const struct dhcp_lease *l, char *buf, size_t cap)
{
	size_t at = 0;
	char a[16];

	if (!l->ndns || !cap)
		return 0;
	buf[0] = 0;
	if (l->domain[0])
		at = put_line(buf, at, cap, "search ", l->domain);
	for (int i = 0; i < l->ndns && i < DHCP_MAX_DNS; i++)
		at = put_line(buf, at, cap, "nameserver ", dhcp_ntoa(l->dns[i], a));
	if (at == (size_t)-1) {
		buf[0] = 0;
		return 0;
	}
	return at;
}
