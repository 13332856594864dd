/* probe --min-mem: the smallest guest RAM that still boots and serves. */
#include "probe/probe.h"
#include "formats/imgconf.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* *yes: whether the image serves with mb MB. Not booting is an answer (no);
 * any other error (a broken image dir, no namespace) ends the search. */
static int serves(struct tx_ctx *ctx, const struct probe_opts *o, int mb, int *yes, int tries[2],
		  double cost[2][2])
{
	struct probe_opts t = *o;
	struct probe_result r;
	int verbose = ctx->verbose, rc;
	double t0 = now_ms();

	t.runs = 1;
	t.extras = t.iperf3 = 0;
	t.keep_console = 0;
	t.memory_mb = mb;
	ctx->verbose = 0; /* one line per try is enough */
	rc = probe_run(ctx, &t, &r);
	ctx->verbose = verbose;
	probe_result_free(&r);
	*yes = rc == 0;
	if (rc < 0 && rc != -ETIMEDOUT && rc != -PROBE_EDIED)
		return rc;
	cost[*yes][0] += now_ms() - t0;
	cost[*yes][1]++;
	tx_info(ctx, "min-mem: try %d of at most %d: %d MB %s", ++tries[0], tries[1], mb,
		*yes ? "serves" : "does not serve");
	return 0;
}

int probe_min_mem_split(int lo, int hi, double serve_ms, double fail_ms)
{
	double best = 0.5, least = -1;
	int mid;

	if (serve_ms > 0 && fail_ms > 0)
		for (int i = 0; i <= 12; i++) {
			double p = MINMEM_SPLIT_MIN + i * (1 - 2 * MINMEM_SPLIT_MIN) / 12;
			double h = -(p * log(p) + (1 - p) * log(1 - p));
			double c = (p * serve_ms + (1 - p) * fail_ms) / h;

			if (least < 0 || c < least - 1e-9) {
				least = c;
				best = p;
			}
		}
	mid = lo + (int)lround((hi - lo) * best);
	return mid <= lo ? lo + 1 : mid >= hi ? hi - 1 : mid;
}

int probe_min_mem(struct tx_ctx *ctx, const struct probe_opts *o, int lo, int hi, int timeout_s,
		  int *mb)
{
	struct probe_opts t = *o;
	int yes, rc, tries[2] = {0, 0};	      /* done, at most: the guess and a search */
	double cost[2][2] = {{0, 0}, {0, 0}}; /* [does not serve, serves]: ms, tries */

	*mb = -1;
	t.timeout_s = timeout_s;
	if (lo < IMGCONF_MEM_MIN - 1)
		lo = IMGCONF_MEM_MIN - 1; /* the probe boots nothing smaller */
	if (hi <= lo || hi > IMGCONF_MEM_MAX)
		return tx_fail(ctx, -EINVAL, "probe", "bad min-mem bracket %d..%d MB", lo, hi);
	/* the worst case: each try leaves 1 - MINMEM_SPLIT_MIN of the bracket */
	for (int w = hi - IMGCONF_MEM_MIN + 1, m; w > 1; w = w - m > m ? w - m : m, tries[1]++) {
		m = (int)lround(w * MINMEM_SPLIT_MIN);
		m = m < 1 ? 1 : m > w - 1 ? w - 1 : m;
	}
	tries[1] += lo >= IMGCONF_MEM_MIN;
	/* a guessed bottom is tried once: if it serves, search below it */
	yes = 0;
	rc = lo >= IMGCONF_MEM_MIN ? serves(ctx, &t, lo, &yes, tries, cost) : 0;
	if (rc < 0)
		return rc;
	if (yes) {
		hi = lo;
		lo = IMGCONF_MEM_MIN - 1;
	}
	/* invariant: hi serves, lo does not (or is below what can be tried);
	 * to 1 MB, or 2 % above 50 MB: a Debian VM's try is half a minute */
	while (hi - lo > 1 && hi - lo > hi / 50) {
		int mid = probe_min_mem_split(lo, hi, cost[1][1] ? cost[1][0] / cost[1][1] : 0,
					      cost[0][1] ? cost[0][0] / cost[0][1] : 0);

		rc = serves(ctx, &t, mid, &yes, tries, cost);
		if (rc < 0)
			return rc;
		if (yes)
			hi = mid;
		else
			lo = mid;
	}
	ctx->err[0] = 0;
	*mb = hi;
	return 0;
}
