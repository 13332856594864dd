/* One trial of the minimizer: the request set, the record's answer, the
 * kernel, its image dir, its boots (see kmin.h). */
#include "kernel/kmin-int.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "probe/probe.h"

void km_record(struct km *k, const char *fmt, ...)
{
	char line[320]; /* the longest, a "time" line, takes 180 bytes */
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = (size_t)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (write(k->recfd, line, n) != (ssize_t)n)
		tx_info(k->ctx, "kconfig: cannot append to '%s': %s", k->recpath, strerror(errno));
	kmin_recs_add_line(&k->recs, line, n - 1);
}

/* The trial's request set: the base with the candidates in off[] switched off,
 * and every request that is not required left unchecked. */
static void trial_set(const struct km *k, const char *off, struct kconfig_set *set)
{
	kconfig_set_copy(set, &k->base);
	for (size_t i = 0; i < set->n; i++)
		if (!(set->r[i].flags & KREQ_REQUIRED))
			set->r[i].flags |= KREQ_SOFT;
	for (size_t c = 0; c < k->cand.n; c++) {
		struct kconfig_req *q;

		if (!off[c])
			continue;
		q = (struct kconfig_req *)kconfig_set_find(set, k->cand.v[c]);
		free(q->value);
		q->value = xstrdup("n");
	}
	for (int on = 0; k->comp && on < 2; on++) { /* the app's mode off, then k->comp on */
		char opt[32];

		snprintf(opt, sizeof(opt), "KERNEL_%s", on ? k->comp : k->comp_from);
		kconfig_set_add(set, opt, on ? "y" : "n", "tinyx kconfig --minimize");
	}
}

static void input_hash(const struct km *k, const struct kconfig_set *set, char out[65])
{
	struct sbuf t = {0};
	struct sha256 s;

	kconfig_allconfig_text(k->ctx, NULL, set, &t);
	sha256_init(&s);
	/* the pass criterion's version: a record judged by another one is not reused */
	sha256_update(&s, KMIN_CRITERION, sizeof(KMIN_CRITERION));
	sha256_update(&s, k->o->target, strlen(k->o->target) + 1);
	sha256_update(&s, t.s, t.len);
	sha256_hex(&s, out);
	sbuf_free(&t);
}

/* dir: a link to every file of the base image dir, but the kernel. */
static int link_base(const struct km *k, const char *dir)
{
	DIR *d;
	struct dirent *e;
	int err;

	rm_rf(dir);
	err = mkdir_p(dir, 0755);
	d = err ? NULL : opendir(k->basedir);
	if (!err && !d)
		err = -errno;
	while (!err && (e = readdir(d))) {
		char *from, *to;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "kernel"))
			continue;
		from = xasprintf("%s/%s", k->basedir, e->d_name);
		to = xasprintf("%s/%s", dir, e->d_name);
		if (symlink(from, to) < 0)
			err = -errno;
		free(from);
		free(to);
	}
	if (d)
		closedir(d);
	return err;
}

/* The trial image dir: the base image with the trial's kernel. */
static int trial_image(struct km *k, const struct kernel_out *kout, const char *dir)
{
	char *kpath = xasprintf("%s/kernel", dir);
	int err = link_base(k, dir);

	if (err) {
		err = tx_fail(k->ctx, err, "kconfig", "cannot make the trial image '%s': %s", dir,
			      strerror(-err));
	} else if (symlink(kout->bzimage, kpath) < 0) {
		err = tx_fail(k->ctx, -errno, "kconfig", "cannot link '%s': %s", kpath,
			      strerror(errno));
	}
	free(kpath);
	return err;
}

/* Boot po: 1 served (with the init marker on the console when init), 0 not
 * (said as "kconfig: FAILED: why": a verdict, not an error of the run), < 0
 * cannot probe at all (a broken image dir, not a broken kernel). *ms: the
 * median boot to service, or -1. */
static int boot(struct km *k, const struct probe_opts *po, int init, const char *failed, double *ms)
{
	struct probe_result pr = {0};
	struct tx_errsave before;
	int err;

	k->r->boots += po->runs;
	tx_err_save(k->ctx, &before);
	err = probe_run(k->ctx, po, &pr);
	/* serving is not enough: the console must show the init too */
	if (!err && init && pr.init.n < po->runs)
		err =
		    tx_fail(k->ctx, -EIO, "kconfig", "no init marker on the console '%s'", po->dir);
	*ms = pr.service.n ? pr.service.median : -1;
	probe_result_free(&pr);
	if (err == -EINVAL || err == -ENOENT)
		return err;
	if (err) {
		tx_info(k->ctx, "kconfig: %s: %s", failed, k->ctx->err);
		tx_err_restore(k->ctx, &before);
	}
	return !err;
}

int km_boot_ok(struct km *k, const char *dir, int runs, double *service_ms)
{
	int ok = 1;
	double ms;

	for (int disk = 0; disk <= k->has_disk && ok == 1; disk++) {
		struct probe_opts po = {.dir = dir,
					.runs = disk ? 1 : runs,
					.timeout_s = k->o->trial_timeout_s,
					.use_disk = disk,
					.use_initrd = !disk};

		ok = boot(k, &po, 1, disk ? "disk boot failed" : "initrd boot failed", &ms);
		if (!disk && service_ms)
			*service_ms = ms;
	}
	return ok;
}

/* The record's verdict on the .config hashed ch: 1 (and *pass), else 0. */
static int recorded(struct km *k, const char *ch, char cfg_hash[65], int *pass)
{
	const struct kmin_rec *rec = kmin_recs_find(&k->recs, 'c', ch);

	if (!rec)
		return 0;
	k->r->reused++;
	if (cfg_hash)
		memcpy(cfg_hash, rec->key, 65);
	*pass = rec->pass;
	return 1;
}

int km_trial(struct km *k, const char *off, const char *what, char cfg_hash[65])
{
	struct kconfig_set set = {0};
	struct tx_errsave before;
	const struct kmin_rec *rec;
	char ih[65], ch[65], *cfg = NULL;
	size_t clen = 0;
	double t0 = now_ms(), svc = -1;
	long long size;
	int err = 0;

	k->r->trials++;
	trial_set(k, off, &set);
	input_hash(k, &set, ih);
	rec = kmin_recs_find(&k->recs, 'i', ih);
	if (rec && rec->val[0] == '-') {
		k->r->reused++;
		goto out;
	}
	if (rec && recorded(k, rec->val, cfg_hash, &err))
		goto out;
	err = KMIN_BUDGET;
	if (now_ms() > k->deadline)
		goto out;
	tx_info(k->ctx, "kconfig: trial %d: %s", k->r->trials, what);
	tx_err_save(k->ctx, &before);
	err = kernel_configure(k->ctx, k->o->target, &set, &cfg, &clen, ch);
	free(cfg);
	if (err == -EINVAL && memchr(off, 1, k->cand.n)) {
		/* a required option went off with the removed ones */
		tx_info(k->ctx, "kconfig: trial %d: cannot be met: %s", k->r->trials, k->ctx->err);
		tx_err_restore(k->ctx, &before);
		km_record(k, "in %s -\n", ih);
		err = 0;
		goto out;
	}
	if (err)
		goto out;
	if (cfg_hash)
		memcpy(cfg_hash, ch, 65);
	km_record(k, "in %s %s\n", ih, ch);
	if (recorded(k, ch, cfg_hash, &err))
		goto out;
	err = km_prepare(k, off, k->trialdir, &size, NULL, NULL, NULL);
	if (!err)
		err = km_boot_ok(k, k->trialdir, 1, &svc);
	if (err < 0)
		goto out;
	km_record(k, "cfg %s %s %lld %lld\n", ch, err ? "pass" : "fail", size > 0 ? size : 0,
		  svc > 0 ? (long long)svc : 0);
	tx_info(k->ctx, "kconfig: trial %d: %s in %.0f s", k->r->trials,
		err ? "serves: removed" : "fails: kept for now", (now_ms() - t0) / 1000.0);
out:
	kconfig_set_free(&set);
	return err;
}

int km_prepare(struct km *k, const char *off, const char *dir, long long *size, char hash[65],
	       char **cfg, size_t *clen)
{
	struct kconfig_set set = {0};
	struct kernel_out kout = {0};
	int err;

	trial_set(k, off, &set);
	err = kernel_build_set(k->ctx, k->o->target, &set, &kout);
	if (!err && !kout.cached)
		k->r->builds++;
	if (!err && cfg)
		err = read_file(kout.config, cfg, clen, 16u << 20);
	if (!err)
		err = trial_image(k, &kout, dir);
	if (!err) {
		*size = file_size_at(dir, "kernel");
		if (hash)
			memcpy(hash, kout.hash, 65);
	}
	kernel_out_free(&kout);
	kconfig_set_free(&set);
	return err;
}

/* Booting in turn spreads the machine's load over both. */
int km_paired(struct km *k, const char *a, const char *b, int runs, double *ma, double *mb,
	      struct sign_test *st)
{
	double *v[2] = {xcalloc((size_t)runs, sizeof(double)),
			xcalloc((size_t)runs, sizeof(double))};
	char *failed[2] = {xasprintf("'%s' did not serve", a), xasprintf("'%s' did not serve", b)};
	int ok = 1;

	for (int i = 0; i < runs && ok == 1; i++)
		for (int j = 0; j < 2 && ok == 1; j++) {
			struct probe_opts po = {
			    .dir = j ? b : a, .runs = 1, .timeout_s = k->o->trial_timeout_s};

			ok = boot(k, &po, 0, failed[j], &v[j][i]);
		}
	if (ok == 1) {
		slower_by_sign_test(v[0], v[1], (size_t)runs, st);
		*ma = median_of(v[0], (size_t)runs, NULL);
		*mb = median_of(v[1], (size_t)runs, NULL);
	}
	free(v[0]);
	free(v[1]);
	free(failed[0]);
	free(failed[1]);
	return ok;
}

int km_final_runs(const struct km *k)
{
	return k->o->final_runs > 0 ? k->o->final_runs : KMIN_PAIRS;
}
