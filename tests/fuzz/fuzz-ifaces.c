/* libFuzzer target: /etc/network/interfaces as the build and the guest init
 * read it (formats/ifaces.c). Accepted: every table within its bounds, names
 * valid, prefixes in range, each address's text fits; refused: a line and a
 * problem, and a printable word. */
#include "formats/ifaces.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct ifaces f;

static void check_if(const struct ifaces_if *c)
{
	char buf[64];

	if (!c->name[0] || strnlen(c->name, IFACES_NAME) >= IFACES_NAME)
		abort();
	if (c->naddr < 0 || c->naddr > IFACES_MAX_ADDR || c->nroute < 0 ||
	    c->nroute > IFACES_MAX_ROUTE || (c->mtu && (c->mtu < 68 || c->mtu > 65535)))
		abort();
	for (int i = 0; i < c->naddr; i++) {
		if (c->addr[i].prefix < 0 || c->addr[i].prefix > (c->addr[i].v6 ? 128 : 32))
			abort();
		if (strlen(ifaces_addr_text(&c->addr[i], buf, sizeof(buf))) < 3)
			abort();
	}
	for (int i = 0; i < c->nroute; i++)
		if (c->route[i].prefix < 0 || c->route[i].prefix > (c->route[i].v6 ? 128 : 32))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ifaces_error e;

	if (ifaces_parse((const char *)data, size, &f, &e) == 0) {
		if (f.n < 0 || f.n > IFACES_MAX_IF)
			abort();
		for (int i = 0; i < f.n; i++)
			check_if(&f.ifs[i]);
		ifaces_has_inet6(&f);
		return 0;
	}
	if (!e.problem || e.line < 0 || strnlen(e.word, sizeof(e.word)) >= sizeof(e.word))
		abort();
	for (const char *p = e.word; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			abort();
	return 0;
}
