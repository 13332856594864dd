/* The parts of tinyx kconfig --minimize (only for src/kernel/kmin*.c):
 * kmin.c the driver, kmin-trial.c one trial, kmin-search.c the delta
 * debugging and the compression, kmin-record.c the trial record,
 * kmin-report.c the fragment and the reports. */
#ifndef TINYX_KMIN_INT_H
#define TINYX_KMIN_INT_H

#include <errno.h>

#include "kernel/kconfig.h"
#include "kernel/kmin.h"

/* what a pass means: the app serves and the console shows the init, from the
 * initrd and (when the image has one) the disk */
#define KMIN_CRITERION "serve+init-marker/initrd+disk/1"
#define KMIN_RECORD_HEAD "# tinyx kconfig --minimize trials, pass = " KMIN_CRITERION "\n"
/* A judgement the budget left undone (no ctx->err): the search makes it
 * budget_hit, kmin_run a message (kmin.h). Never -ETIMEDOUT ("did not serve"). */
#define KMIN_BUDGET (-ETIME)

struct km {
	struct tx_ctx *ctx;
	const struct kmin_opts *o;
	struct kmin_result *r;
	char *work, *recpath, *basedir, *trialdir;
	struct kconfig_set base; /* the app's requests */
	struct strv cand;	 /* candidate options */
	char *removed;		 /* removed[i]: cand.v[i] is off in the best config */
	struct kmin_recs recs;
	int recfd;
	double deadline;
	int has_disk;
	const char *comp;      /* trials use this bzImage compression ("ZSTD"), or NULL */
	const char *comp_from; /* the app's own ("LZ4"), or NULL */
};

void kmin_recs_add_line(struct kmin_recs *rs, const char *line, size_t n); /* no newline */

/* Append a line (printf, with its newline) to the record file and to k->recs. */
void km_record(struct km *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Judge the config with off[] switched off: 1 pass, 0 fail, KMIN_BUDGET,
 * < 0 error. cfg_hash (when not NULL) gets the .config hash of a pass. */
int km_trial(struct km *k, const char *off, const char *what, char cfg_hash[65]);
/* Build (or take from the cache) the kernel of off[] (and k->comp) and make
 * its image dir; *size its bytes, hash (when not NULL) its .config hash, *cfg
 * (when not NULL) its text. */
int km_prepare(struct km *k, const char *off, const char *dir, long long *size, char hash[65],
	       char **cfg, size_t *clen);
/* Boot dir (initrd, then the disk when there is one): 1 served, 0 not, < 0
 * cannot probe at all. *service_ms (when not NULL): the initrd boot's. */
int km_boot_ok(struct km *k, const char *dir, int runs, double *service_ms);
/* Boot the image dirs a and b in turn, runs times each: *ma and *mb get the
 * medians of their boot to service, *st the sign test of b against a (is b
 * slower? stats.h). 1 every boot served, 0 one did not, < 0 cannot probe at
 * all. */
int km_paired(struct km *k, const char *a, const char *b, int runs, double *ma, double *mb,
	      struct sign_test *st);
int km_final_runs(const struct km *k);

int km_search(struct km *k); /* order the candidates, remove what trials allow */
int km_compression(struct km *k, const char *fulldir, const char *fullhash);

int km_count_on(const char *cfg, size_t len); /* =y/=m lines of a .config */
/* The fragment: every request that is on in base_cfg and off in best_cfg. */
int km_write_fragment(struct km *k, const char *base_cfg, size_t blen, const char *best_cfg,
		      size_t len);

#endif
