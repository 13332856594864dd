/* tinyx kconfig --minimize: shrink an app's kernel by trial.
 *
 * Start from the app's request list (kconfig_collect without its min
 * fragment). Candidates are the requests set to y or m that are not required
 * (KREQ_REQUIRED: features the app's binaries use, and fragment paragraphs
 * marked "# tinyx: required"), or the --candidates list. A trial switches a
 * set of candidates off, lets kbuild resolve the dependencies (requests that
 * are not required are not checked, so what depends on a removed option goes
 * off with it), builds the kernel in the reused out-of-tree dir (ccache), and
 * boots it with the app's rootfs under the probe: initrd, and the squashfs disk
 * when the image has one (a Xen image boots under Xen, as the probe does it).
 * It passes when every boot serves and the console shows the init's marker.
 *
 * Search: delta debugging. Try to remove the whole candidate group; on
 * failure halve it and try each half, down to single options. A removal that
 * passes is kept for every later trial. The narrow candidates go first, then
 * the wide ones (more than 5% of the objects depend on them: each trial of
 * them is a near-full rebuild) as a second group, cheapest first.
 *
 * Compression (kvm, whose kernel is a bzImage): then the modes that can make
 * the bzImage smaller than the app's own (of xz, zstd, gzip, lz4, smallest
 * first, those before the app's own: zstd's is xz) are
 * tried on the minimized config; the first that serves and whose boot to
 * service is not slower than the app's full kernel's is kept. "Slower" is
 * the owner's rule: slower with 95 % confidence by a one-sided paired sign
 * test over final_runs boots of each, in turn (slower_by_sign_test). The
 * minimized kernel itself is timed against the full one the same way and
 * not accepted (no fragment, -ETIME) when it is slower.
 *
 * Every judged config is recorded in CACHE/kmin/APP-TARGET/trials, by the
 * hash of its requests and by the hash of the final .config, so a repeated,
 * interrupted or resumed run never rebuilds or reboots a config it has judged.
 * --budget MIN stops the search (the best config so far is the result).
 *
 * Output: CACHE/kmin/APP-TARGET/APP.TARGET.min.config, a fragment with
 * "# CONFIG_X is not set" for every request that the best config turned off;
 * copied to opts->out when given. kconfig_collect applies
 * kconfig-fragments/apps/APP.TARGET.min.config when it is there. */
#ifndef TINYX_KMIN_H
#define TINYX_KMIN_H

#include "lib/util.h"

/* The owner's "at least 10 pairs": with fewer than 5 the sign test can show
 * nothing slower (a --runs below 10 is for tests) */
#define KMIN_PAIRS 10

struct kmin_opts {
	const char *app, *target;
	double budget_min;	   /* stop searching after this many minutes; <= 0: 60 */
	const char *candidates;	   /* "A,B,C" (without CONFIG_) or NULL: every candidate */
	int trial_timeout_s;	   /* per boot; default 20 */
	int final_runs;		   /* pairs booted in turn for a timing; default KMIN_PAIRS */
	const char *out;	   /* copy the fragment here too, or NULL */
	const char *mirror, *root; /* as for build */
};

struct kmin_result {
	struct strv removed;		      /* candidates switched off, in candidate order */
	struct strv kept;		      /* candidates a trial showed are needed */
	struct strv untried;		      /* candidates the budget left untested */
	struct strv also_off;		      /* requests that went off with the removed ones */
	int options_before, options_after;    /* =y/=m in the final .config */
	int trials;			      /* trials judged (reused ones included) */
	int reused;			      /* trials answered by the record */
	int builds, boots;		      /* kbuild runs and probe boots in this run */
	long long size_before, size_after;    /* kernel file bytes (bzImage / stripped vmlinux) */
	long long size_options;		      /* size_after with the app's own compression */
	double service_before, service_after; /* boot to service, ms: medians of final_runs
						 boots of each, in turn */
	struct sign_test service_test;	      /* the minimized kernel against the full one */
	char compression[8];		      /* the bzImage compression chosen ("zstd"), or "" */
	char compression_from[8];	      /* the app's own ("lz4") */
	double seconds;			      /* wall time */
	int budget_hit;
	char *fragment; /* path of the written fragment */
};

/* 0: r holds the result (r->budget_hit when the budget stopped the search:
 * the best config so far is the result). Else a negative errno with ctx->err
 * set: -ETIMEDOUT when the app's own kernel or the minimized one does not
 * serve (exit 3, as for a build); -ETIME (exit 1) when the set-up (staging,
 * the base image) spent the whole budget before the app's full kernel could
 * be judged; -EINVAL for bad options or candidates; others from the stages it
 * runs (stage, closure, build, kernel, probe). Internally a judgement the
 * budget leaves undone is KMIN_BUDGET (kmin-int.h), never -ETIMEDOUT. */
int kmin_run(struct tx_ctx *ctx, const struct kmin_opts *o, struct kmin_result *r);
void kmin_report_text(const struct kmin_result *r, const struct kmin_opts *o, struct sbuf *out);
void kmin_report_json(const struct kmin_result *r, const struct kmin_opts *o, struct sbuf *out);
void kmin_result_free(struct kmin_result *r);

/* The trial record: a first line naming the pass criterion (a record judged
 * by another one is set aside), then lines "in IHASH CHASH" (CHASH "-": the requests cannot be
 * met), "cfg CHASH pass|fail BYTES MS" and "sign CHASH REFHASH pass|fail MS REFMS"
 * (a compression trial's boot to service against the app's full kernel,
 * medians of boots in turn; pass: not slower by the sign test; the "time"
 * lines of older versions, medians compared, are skipped). Unknown or
 * malformed lines are skipped. Exposed for the fuzzer and the unit tests. */
struct kmin_rec {
	char kind;	   /* 'i', 'c' or 't' */
	char key[65];	   /* IHASH or CHASH */
	char val[65];	   /* 'i': CHASH or "-"; 't': REFHASH */
	int pass;	   /* 'c', 't' */
	long long bytes;   /* 'c' */
	double service_ms; /* 'c', 't' */
	double ref_ms;	   /* 't' */
};
struct kmin_recs {
	struct kmin_rec *r;
	size_t n;
};
void kmin_recs_parse(const char *text, size_t len, struct kmin_recs *out);
const struct kmin_rec *kmin_recs_find(const struct kmin_recs *rs, char kind, const char *key);
/* The last 't' record of key timed against ref. */
const struct kmin_rec *kmin_recs_find_time(const struct kmin_recs *rs, const char *key,
					   const char *ref);
void kmin_recs_free(struct kmin_recs *rs);

#endif
