/* libFuzzer target: the probe's --forward ADDR/P. Whatever parses has the
 * VM and two servers, all different, all host addresses of its net. */
#include "probe/fwd.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t addr(const char *s)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		abort();
	return ntohl(in.s_addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tx_ctx ctx = {0};
	struct fwd_net n;
	char *s = malloc(size + 1);
	uint32_t a[3];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (fwd_parse(&ctx, s, &n) == 0) {
		a[0] = addr(n.vm), a[1] = addr(n.srv[0]), a[2] = addr(n.srv[1]);
		if (n.prefix < 8 || n.prefix > 29 || n.mask != 0xffffffffu << (32 - n.prefix))
			abort();
		for (int i = 0; i < 3; i++)
			if ((a[i] & n.mask) != n.net || a[i] == n.net ||
			    a[i] == (n.net | ~n.mask) || a[i] == a[(i + 1) % 3])
				abort();
	} else if (!strstr(ctx.err, "--forward")) {
		abort();
	}
	free(s);
	return 0;
}
