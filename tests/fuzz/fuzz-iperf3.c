/* libFuzzer target: the iperf3 server's JSON report (probex_iperf3_parse).
 * A parsed throughput is always positive and finite. */
#include "probe/probex.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	double mbps = -1;

	if (probex_iperf3_parse((const char *)data, size, &mbps) == 0 &&
	    (!(mbps > 0) || !isfinite(mbps)))
		abort();
	return 0;
}
