/* /etc/network/interfaces, the subset in ifaces.h. */
#include "formats/ifaces.h"

#include <arpa/inet.h>
#include <string.h>

#define MAX_LINE 512
#define MAX_WORDS 16

struct st {
	struct ifaces *f;
	struct ifaces_error *e;
	int line;
	struct ifaces_if *cur; /* the stanza being read, or NULL */
	int v6;		       /* its family */
	int first;	       /* its first address's index in cur->addr */
	int netmask;	       /* its netmask as a prefix, -1 when none */
	char autos[IFACES_MAX_IF][IFACES_NAME];
	int autoline[IFACES_MAX_IF], nauto;
};

static int fail(struct st *s, const char *problem, const char *word)
{
	size_t n = 0;

	s->e->line = s->line;
	s->e->problem = problem;
	for (; word && word[n] && n + 1 < sizeof(s->e->word); n++)
		s->e->word[n] = (word[n] > 0x20 && word[n] < 0x7f) ? word[n] : '?';
	s->e->word[n] = 0;
	return -1;
}

static int valid_ifname(const char *w)
{
	size_t n = strlen(w);

	if (!n || n >= IFACES_NAME || !strcmp(w, ".") || !strcmp(w, ".."))
		return 0;
	return strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* A decimal 0..max, whole word. */
static int dec(const char *w, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (!*w || strlen(w) > 9)
		return -1;
	for (; *w; w++) {
		if (*w < '0' || *w > '9')
			return -1;
		v = v * 10 + (unsigned)(*w - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* ADDR or ADDR/PREFIX (prefix_ok), "default" when def_ok (prefix 0). */
static int parse_ip(const char *w, int v6, int prefix_ok, int def_ok, uint8_t *a, int *prefix,
		    int *has)
{
	char buf[64];
	const char *slash = strchr(w, '/');
	size_t n = slash ? (size_t)(slash - w) : strlen(w);
	unsigned p = v6 ? 128 : 32;

	memset(a, 0, 16);
	*has = 0;
	if (def_ok && !strcmp(w, "default")) {
		*prefix = 0;
		*has = 1;
		return 0;
	}
	if (n >= sizeof(buf) || (slash && !prefix_ok))
		return -1;
	memcpy(buf, w, n);
	buf[n] = 0;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, a) != 1)
		return -1;
	if (slash && dec(slash + 1, v6 ? 128 : 32, &p) < 0)
		return -1;
	*has = slash != NULL;
	*prefix = (int)p;
	return 0;
}

/* netmask 255.255.255.0 (contiguous) or a prefix length. */
static int parse_mask(const char *w, int v6, int *prefix)
{
	unsigned p;
	struct in_addr m;
	uint32_t h;

	if (dec(w, v6 ? 128 : 32, &p) == 0) {
		*prefix = (int)p;
		return 0;
	}
	if (v6 || inet_pton(AF_INET, w, &m) != 1)
		return -1;
	h = ntohl(m.s_addr);
	if (h & (~h >> 1))
		return -1; /* not contiguous: a 1 right of a 0 */
	for (p = 0; h; h <<= 1)
		p++;
	*prefix = (int)p;
	return 0;
}

static struct ifaces_if *get_if(struct st *s, const char *name)
{
	struct ifaces *f = s->f;

	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->ifs[i].name, name))
			return &f->ifs[i];
	if (f->n >= IFACES_MAX_IF)
		return NULL;
	memset(&f->ifs[f->n], 0, sizeof(f->ifs[0]));
	strcpy(f->ifs[f->n].name, name);
	return &f->ifs[f->n++];
}

/* The stanza that ends: its netmask goes to its addresses without /P. */
static int end_stanza(struct st *s)
{
	struct ifaces_if *c = s->cur;
	enum ifaces_method m;

	if (!c)
		return 0;
	m = s->v6 ? c->inet6 : c->inet;
	for (int i = s->first; i < c->naddr; i++)
		if (!c->addr[i].has_prefix && s->netmask >= 0)
			c->addr[i].prefix = s->netmask;
	if (m == IFM_STATIC && s->first == c->naddr) {
		s->line = s->v6 ? c->line6 : c->line4;
		return fail(s, "static stanza without an address", c->name);
	}
	s->cur = NULL;
	return 0;
}

static const struct {
	const char *name;
	enum ifaces_method m;
	int v4, v6;
} methods[] = {{"static", IFM_STATIC, 1, 1},
	       {"dhcp", IFM_DHCP, 1, 0},
	       {"manual", IFM_MANUAL, 1, 1},
	       {"loopback", IFM_LOOPBACK, 1, 1},
	       {"auto", IFM_AUTO, 0, 1}};

static int iface_line(struct st *s, char **w, int n)
{
	int v6, k;
	struct ifaces_if *c;
	enum ifaces_method *m;

	if (end_stanza(s) < 0)
		return -1;
	if (n != 4)
		return fail(s, "want 'iface NAME inet|inet6 METHOD'", n > 4 ? w[4] : "");
	if (!valid_ifname(w[1]))
		return fail(s, "bad interface name", w[1]);
	if (strcmp(w[2], "inet") && strcmp(w[2], "inet6"))
		return fail(s, "unknown address family (inet or inet6)", w[2]);
	v6 = w[2][4] == '6';
	for (k = 0; k < (int)(sizeof(methods) / sizeof(methods[0])); k++)
		if (!strcmp(methods[k].name, w[3]) && (v6 ? methods[k].v6 : methods[k].v4))
			break;
	if (k == (int)(sizeof(methods) / sizeof(methods[0])))
		return fail(s,
			    v6 ? "unknown inet6 method (static, manual, auto, loopback)"
			       : "unknown inet method (static, dhcp, manual, loopback)",
			    w[3]);
	c = get_if(s, w[1]);
	if (!c)
		return fail(s, "too many interfaces", w[1]);
	m = v6 ? &c->inet6 : &c->inet;
	if (*m != IFM_NONE)
		return fail(s, "second stanza for this interface and family", w[1]);
	*m = methods[k].m;
	*(v6 ? &c->line6 : &c->line4) = s->line;
	s->cur = c;
	s->v6 = v6;
	s->first = c->naddr;
	s->netmask = -1;
	return 0;
}

static int auto_line(struct st *s, char **w, int n)
{
	if (end_stanza(s) < 0)
		return -1;
	if (n < 2)
		return fail(s, "no interface named", w[0]);
	for (int i = 1; i < n; i++) {
		int dup = 0;

		if (!valid_ifname(w[i]))
			return fail(s, "bad interface name", w[i]);
		for (int k = 0; k < s->nauto; k++)
			dup |= !strcmp(s->autos[k], w[i]);
		if (dup)
			continue;
		if (s->nauto >= IFACES_MAX_IF)
			return fail(s, "too many interfaces", w[i]);
		strcpy(s->autos[s->nauto], w[i]);
		s->autoline[s->nauto++] = s->line;
	}
	return 0;
}

/* [up|post-up] ip [-4|-6] route add DST [via GW] [dev IF] [metric N] */
static int route_line(struct st *s, char **w, int n)
{
	struct ifaces_if *c = s->cur;
	struct ifaces_route r = {.v6 = s->v6, .line = s->line};
	int i = 2, has;

	if (i < n && (!strcmp(w[i], "-4") || !strcmp(w[i], "-6")))
		r.v6 = w[i++][1] == '6';
	if (n < i + 3 || strcmp(w[1], "ip") || strcmp(w[i], "route") || strcmp(w[i + 1], "add"))
		return fail(s, "commands are not run: only 'ip route add DST via GW' is read",
			    w[1]);
	if (parse_ip(w[i + 2], r.v6, 1, 1, r.dst, &r.prefix, &has) < 0)
		return fail(s, "bad route destination", w[i + 2]);
	for (i += 3; i < n; i += 2) {
		unsigned v;
		int p, h;

		if (i + 1 >= n)
			return fail(s, "route option without a value", w[i]);
		if (!strcmp(w[i], "via") && parse_ip(w[i + 1], r.v6, 0, 0, r.gw, &p, &h) == 0)
			r.has_gw = 1;
		else if (!strcmp(w[i], "dev") && !strcmp(w[i + 1], c->name))
			continue;
		else if (!strcmp(w[i], "metric") && dec(w[i + 1], 1u << 30, &v) == 0)
			r.metric = (int)v;
		else
			return fail(s, "bad route option (via GW, dev THIS-IF, metric N)",
				    w[i + 1]);
	}
	if (c->nroute >= IFACES_MAX_ROUTE)
		return fail(s, "too many routes on this interface", w[0]);
	c->route[c->nroute++] = r;
	return 0;
}

static int add_addr(struct st *s, const char *w)
{
	struct ifaces_if *c = s->cur;
	struct ifaces_addr *a;

	if (c->naddr >= IFACES_MAX_ADDR)
		return fail(s, "too many addresses on this interface", w);
	a = &c->addr[c->naddr];
	if (parse_ip(w, s->v6, 1, 0, a->a, &a->prefix, &a->has_prefix) < 0)
		return fail(s, s->v6 ? "bad IPv6 address" : "bad IPv4 address", w);
	a->v6 = s->v6;
	c->naddr++;
	return 0;
}

static int add_gw(struct st *s, const char *w)
{
	struct ifaces_if *c = s->cur;
	uint8_t a[16];
	int p, h;

	if (parse_ip(w, s->v6, 0, 0, a, &p, &h) < 0)
		return fail(s, "bad gateway", w);
	if (s->v6 ? c->has_gw6 : c->has_gw4)
		return fail(s, "second gateway", w);
	if (s->v6) {
		memcpy(c->gw6, a, 16);
		c->has_gw6 = 1;
	} else {
		memcpy(c->gw4, a, 4);
		c->has_gw4 = 1;
	}
	return 0;
}

static int option_line(struct st *s, char **w, int n)
{
	struct ifaces_if *c = s->cur;
	enum ifaces_method m;
	unsigned v;

	if (!c)
		return fail(s, "option outside an iface stanza", w[0]);
	m = s->v6 ? c->inet6 : c->inet;
	if (!strcmp(w[0], "down") || !strcmp(w[0], "pre-down") || !strcmp(w[0], "post-down"))
		return 0;
	if (!strcmp(w[0], "up") || !strcmp(w[0], "post-up"))
		return n < 2 ? fail(s, "no command", w[0]) : route_line(s, w, n);
	if (n != 2)
		return fail(s, "want one value", n > 2 ? w[2] : w[0]);
	if (!strcmp(w[0], "mtu")) {
		if (dec(w[1], 65535, &v) < 0 || v < 68)
			return fail(s, "mtu must be 68..65535", w[1]);
		if (c->mtu && c->mtu != v)
			return fail(s, "second mtu", w[1]);
		c->mtu = v;
		return 0;
	}
	if (m != IFM_STATIC)
		return fail(s, "option only for a static stanza", w[0]);
	if (!strcmp(w[0], "address"))
		return add_addr(s, w[1]);
	if (!strcmp(w[0], "gateway"))
		return add_gw(s, w[1]);
	if (!strcmp(w[0], "netmask")) {
		if (parse_mask(w[1], s->v6, &s->netmask) < 0)
			return fail(s, "bad netmask", w[1]);
		return 0;
	}
	return fail(s, "option not supported (address, netmask, gateway, mtu, up ip route add)",
		    w[0]);
}

static int do_line(struct st *s, char *line)
{
	char *w[MAX_WORDS];
	int n = 0;

	for (char *p = line; *p;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		if (n == MAX_WORDS)
			return fail(s, "too many words", p);
		w[n++] = p;
		p += strcspn(p, " \t");
		if (*p)
			*p++ = 0;
	}
	if (!n || w[0][0] == '#')
		return 0;
	for (char *p = line; p < w[n - 1] + strlen(w[n - 1]); p++)
		if ((unsigned char)*p < 0x20 && *p && *p != '\t')
			return fail(s, "control character", "");
	if (!strcmp(w[0], "iface"))
		return iface_line(s, w, n);
	if (!strcmp(w[0], "auto") || !strcmp(w[0], "allow-hotplug") || !strcmp(w[0], "allow-auto"))
		return auto_line(s, w, n);
	if (!strcmp(w[0], "source") || !strcmp(w[0], "source-directory") ||
	    !strcmp(w[0], "mapping") || !strncmp(w[0], "allow-", 6))
		return fail(s, "not supported: put every stanza in this file", w[0]);
	if (!strcmp(w[0], "pre-up"))
		return fail(s, "commands are not run: only 'up ip route add DST via GW' is read",
			    w[0]);
	return option_line(s, w, n);
}

/* Each auto name has a stanza; mark it. */
static int check_autos(struct st *s)
{
	for (int k = 0; k < s->nauto; k++) {
		struct ifaces_if *c = NULL;

		for (int i = 0; i < s->f->n; i++)
			if (!strcmp(s->f->ifs[i].name, s->autos[k]))
				c = &s->f->ifs[i];
		if (!c) {
			s->line = s->autoline[k];
			return fail(s, "auto names an interface without an iface stanza",
				    s->autos[k]);
		}
		c->autoup = 1;
	}
	return 0;
}

int ifaces_parse(const char *text, size_t len, struct ifaces *out, struct ifaces_error *e)
{
	struct st s = {.f = out, .e = e};
	char line[MAX_LINE + 1];
	size_t at = 0;

	memset(out, 0, sizeof(*out));
	memset(e, 0, sizeof(*e));
	if (len > IFACES_MAX_BYTES)
		return fail(&s, "file too large", "");
	if (memchr(text, 0, len))
		return fail(&s, "NUL byte", "");
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;

		s.line++;
		if (n > MAX_LINE)
			return fail(&s, "line too long", "");
		memcpy(line, text + at, n);
		line[n] = 0;
		if (n && line[n - 1] == '\r')
			line[n - 1] = 0;
		if (do_line(&s, line) < 0)
			return -1;
		at += n + (nl != NULL);
	}
	return end_stanza(&s) < 0 ? -1 : check_autos(&s);
}

const struct ifaces_if *ifaces_find(const struct ifaces *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->ifs[i].name, name))
			return &f->ifs[i];
	return NULL;
}

int ifaces_has_inet6(const struct ifaces *f)
{
	for (int i = 0; i < f->n; i++) {
		const struct ifaces_if *c = &f->ifs[i];

		if (c->has_gw6)
			return 1;
		for (int k = 0; k < c->naddr; k++)
			if (c->addr[k].v6)
				return 1;
		for (int k = 0; k < c->nroute; k++)
			if (c->route[k].v6)
				return 1;
	}
	return 0;
}

/* Decimal v at p; the end. */
static char *put_dec(char *p, unsigned v)
{
	char t[10];
	int n = 0;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 10);
	while (n)
		*p++ = t[--n];
	return p;
}

/* RFC 5952 text (the longest run of two or more zero groups as "::"),
 * without inet_ntop: musl's uses snprintf, which would bring printf's ~10 KB
 * into the static init. */
static char *put_ip6(char *p, const uint8_t *a)
{
	int best = -1, bestn = 1;

	for (int i = 0; i < 8;) {
		int n = 0;

		while (i + n < 8 && !a[2 * (i + n)] && !a[2 * (i + n) + 1])
			n++;
		if (n > bestn) {
			best = i;
			bestn = n;
		}
		i += n ? n : 1;
	}
	for (int i = 0; i < 8; i++) {
		unsigned g = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		int lead = 1;

		if (i == best) {
			*p++ = ':';
			if (i == 0)
				*p++ = ':';
			i += bestn - 1;
			continue;
		}
		if (i)
			*p++ = ':';
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = (g >> sh) & 15;

			if (d || !lead || !sh) {
				*p++ = "0123456789abcdef"[d];
				lead = 0;
			}
		}
	}
	return p;
}

const char *ifaces_ip_text(int v6, const uint8_t *a, char *buf, size_t cap)
{
	char t[48], *p = t;

	if (v6)
		p = put_ip6(p, a);
	else
		for (int i = 0; i < 4; i++) {
			if (i)
				*p++ = '.';
			p = put_dec(p, a[i]);
		}
	*p = 0;
	if ((size_t)(p - t) >= cap)
		*(p = t) = 0;
	memcpy(buf, t, (size_t)(p - t) + 1);
	return buf;
}

const char *ifaces_addr_text(const struct ifaces_addr *a, char *buf, size_t cap)
{
	char t[56], *p;

	ifaces_ip_text(a->v6, a->a, t, sizeof(t));
	p = t + strlen(t);
	*p++ = '/';
	p = put_dec(p, (unsigned)a->prefix);
	*p = 0;
	if ((size_t)(p - t) >= cap)
		*(p = t) = 0;
	memcpy(buf, t, (size_t)(p - t) + 1);
	return buf;
}
