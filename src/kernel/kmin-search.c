/* The minimizer's search: delta debugging over the candidates, narrow ones
 * first, then the bzImage compression (see kmin.h). */
#include "kernel/kmin-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bzImage compression modes, smallest first (nginx's minimized kernel: xz
 * 1.43 MB, zstd 1.64 MB, gzip 1.77 MB, lz4 2.0 MB): only the modes before
 * the app's own can make its kernel smaller */
static const char *const comp_modes[] = {"XZ", "ZSTD", "GZIP", "LZ4"};
static const char *const comp_all[] = {"GZIP", "BZIP2", "LZMA", "XZ", "LZO", "LZ4", "ZSTD"};

static void list_off(const struct km *k, const char *off, struct sbuf *b, size_t max)
{
	size_t shown = 0, n = 0;

	for (size_t c = 0; c < k->cand.n; c++)
		if (off[c])
			n++;
	for (size_t c = 0; c < k->cand.n && shown < max; c++)
		if (off[c])
			sbuf_printf(b, "%s%s", shown++ ? " " : "", k->cand.v[c]);
	if (n > shown)
		sbuf_printf(b, " +%zu", n - shown);
}

/* Try to remove cand[lo, hi) on top of what is removed already; on failure
 * each half. */
static int search(struct km *k, size_t lo, size_t hi)
{
	char *off = xmalloc(k->cand.n), *sub = xcalloc(1, k->cand.n);
	struct sbuf what = {0};
	int r;

	memcpy(off, k->removed, k->cand.n);
	for (size_t c = lo; c < hi; c++)
		off[c] = sub[c] = 1;
	sbuf_printf(&what, "without %zu of %zu: ", hi - lo, k->cand.n);
	list_off(k, sub, &what, 6);
	r = km_trial(k, off, what.s, NULL);
	if (r == 1)
		memcpy(k->removed, off, k->cand.n);
	sbuf_free(&what);
	free(sub);
	free(off);
	if (r == KMIN_BUDGET) {
		k->r->budget_hit = 1;
		for (size_t c = lo; c < hi; c++)
			strv_push(&k->r->untried, k->cand.v[c]);
		return 0;
	}
	if (r < 0)
		return r;
	if (r == 1)
		return 0;
	if (hi - lo == 1) {
		strv_push(&k->r->kept, k->cand.v[lo]);
		return 0;
	}
	r = search(k, lo, lo + (hi - lo) / 2);
	if (!r)
		r = search(k, lo + (hi - lo) / 2, hi);
	return r;
}

/* ---- cost: how much of the kernel a candidate touches ---- */

/* kbuild's fixdep lists, in each OBJ.o.cmd, the include/config/OPTION files
 * an object depends on. Switching an option that hundreds of objects depend on
 * (PRINTK: nearly all) rebuilds nearly everything; one that only its own
 * driver depends on rebuilds a file or two. */
static void cost_file(const struct strv *cand, int *cost, int *objects, const char *path)
{
	char *text = NULL;
	size_t len = 0;

	if (read_file(path, &text, &len, 4u << 20))
		return;
	(*objects)++;
	for (size_t c = 0; c < cand->n; c++) {
		char *needle = xasprintf("include/config/%s)", cand->v[c]);

		if (strstr(text, needle))
			cost[c]++;
		free(needle);
	}
	free(text);
}

/* cost[c]: the objects of the last kbuild that depend on cand.v[c]. Returns
 * the number of objects. */
static int costs(struct km *k, int *cost)
{
	char *dir = xasprintf("%s/kbuild/%s", k->ctx->cache, k->o->target);
	char *argv[] = {"find", dir, "-name", "*.o.cmd", NULL};
	char *out = NULL;
	int objects = 0;

	if (!run_capture_q(k->ctx, argv, &out, 64u << 20, 1))
		for (char *p = strtok(out, "\n"); p; p = strtok(NULL, "\n"))
			cost_file(&k->cand, cost, &objects, p);
	free(out);
	free(dir);
	return objects;
}

/* Narrow candidates first, in request order; then the wide ones (more than
 * WIDE_SHARE of the objects depend on them), cheapest first. Returns the
 * number of narrow ones. */
#define WIDE_SHARE 0.05
static size_t order_candidates(struct km *k)
{
	size_t narrow = 0, n = k->cand.n;
	int *cost = xcalloc(n ? n : 1, sizeof(int)), objects = costs(k, cost);
	char **v = xcalloc(n ? n : 1, sizeof(char *));
	int *vc = xcalloc(n ? n : 1, sizeof(int)), limit = (int)(objects * WIDE_SHARE);

	for (size_t c = 0; c < n; c++)
		if (cost[c] <= limit) {
			vc[narrow] = cost[c];
			v[narrow++] = k->cand.v[c];
		}
	for (size_t c = 0, w = narrow; c < n; c++) {
		size_t j;

		if (cost[c] <= limit)
			continue;
		for (j = w; j > narrow && vc[j - 1] > cost[c]; j--) {
			v[j] = v[j - 1];
			vc[j] = vc[j - 1];
		}
		v[j] = k->cand.v[c];
		vc[j] = cost[c];
		w++;
	}
	memcpy(k->cand.v, v, n * sizeof(char *));
	for (size_t c = narrow; c < n; c++)
		tx_info(k->ctx,
			"kconfig: %s: %d of %d objects depend on it: a wide one, tried after the "
			"others",
			v[c], vc[c], objects);
	free(v);
	free(vc);
	free(cost);
	return narrow;
}

int km_search(struct km *k)
{
	size_t narrow = order_candidates(k);
	int err = narrow ? search(k, 0, narrow) : 0;

	if (!err && narrow < k->cand.n)
		err = search(k, narrow, k->cand.n);
	return err;
}

/* ---- the compression ---- */

/* Is the kernel with .config hash `hash` (k->comp on the minimized config) no
 * slower to serve than the full kernel in fulldir (hash fullhash), i.e. not
 * shown slower with 95 % confidence by the sign test over final_runs pairs
 * booted in turn? From the record, or boots. 1 yes, 0 no, KMIN_BUDGET, < 0
 * error. */
static int no_slower(struct km *k, const char *hash, const char *fulldir, const char *fullhash,
		     double *ms, double *ref_ms)
{
	const struct kmin_rec *t = kmin_recs_find_time(&k->recs, hash, fullhash);
	struct sign_test st;
	long long size;
	int ok;

	if (t) {
		*ms = t->service_ms;
		*ref_ms = t->ref_ms;
		return t->pass;
	}
	if (now_ms() > k->deadline)
		return KMIN_BUDGET;
	ok = km_prepare(k, k->removed, k->trialdir, &size, NULL, NULL, NULL);
	if (ok)
		return ok;
	tx_info(k->ctx, "kconfig: timing %s against the full kernel (%d boots each, in turn)",
		k->comp, km_final_runs(k));
	ok = km_paired(k, fulldir, k->trialdir, km_final_runs(k), ref_ms, ms, &st);
	if (ok < 0)
		return ok;
	if (ok)
		tx_info(k->ctx, "kconfig: %s slower in %d of %d pairs (%d ties), p = %.3f", k->comp,
			st.slower, st.slower + st.faster, st.ties, st.p);
	/* the owner's rule: kept unless slower with 95 % confidence */
	ok = ok && st.p >= SIGN_TEST_ALPHA;
	km_record(k, "sign %s %s %s %lld %lld\n", hash, fullhash, ok ? "pass" : "fail",
		  (long long)(*ms > 0 ? *ms : 0), (long long)(*ref_ms > 0 ? *ref_ms : 0));
	return ok;
}

static void lower(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < n; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] - 'A' + 'a' : src[i]);
	dst[i] = 0;
}

/* The app's own bzImage compression ("LZ4"), or NULL. */
static const char *own_compression(const struct km *k)
{
	for (size_t i = 0; i < k->base.n; i++)
		for (size_t m = 0; m < sizeof(comp_all) / sizeof(comp_all[0]); m++)
			if (!strncmp(k->base.r[i].option, "KERNEL_", 7) &&
			    !strcmp(k->base.r[i].option + 7, comp_all[m]) &&
			    !strcmp(k->base.r[i].value, "y"))
				return comp_all[m];
	return NULL;
}

/* Try mode: 1 kept, 0 not, KMIN_BUDGET, < 0 error. */
static int try_compression(struct km *k, const char *mode, const char *fulldir,
			   const char *fullhash)
{
	char what[96], hash[65];
	double ms = -1, ref = -1;
	int r;

	k->comp = mode;
	snprintf(what, sizeof(what), "compression %s instead of %s", k->comp, k->comp_from);
	r = km_trial(k, k->removed, what, hash);
	if (r == 1)
		r = no_slower(k, hash, fulldir, fullhash, &ms, &ref);
	if (r == 1 || (r == 0 && ms > 0))
		tx_info(k->ctx, "kconfig: %s: serves in %.0f ms, the full kernel in %.0f ms: %s",
			mode, ms, ref, r == 1 ? "kept" : "slower, not kept");
	if (r == 1)
		lower(k->r->compression, sizeof(k->r->compression), k->comp);
	else
		k->comp = NULL;
	return r;
}

int km_compression(struct km *k, const char *fulldir, const char *fullhash)
{
	k->comp_from = own_compression(k);
	if (!k->comp_from)
		return 0;
	lower(k->r->compression_from, sizeof(k->r->compression_from), k->comp_from);
	for (size_t m = 0; m < sizeof(comp_modes) / sizeof(comp_modes[0]); m++) {
		int r;

		if (!strcmp(comp_modes[m], k->comp_from))
			break;
		r = try_compression(k, comp_modes[m], fulldir, fullhash);
		if (r == KMIN_BUDGET) {
			k->r->budget_hit = 1;
			return 0;
		}
		if (r)
			return r < 0 ? r : 0;
	}
	return 0;
}
