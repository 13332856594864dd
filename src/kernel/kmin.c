/* tinyx kconfig --minimize (see kmin.h). */
#include "kernel/kmin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "formats/appspec.h"
#include "image/build.h"
#include "closure/closure.h"
#include "kernel/kconfig.h"
#include "kernel/kernel.h"
#include "probe/probe.h"
#include "stage/stage.h"

#define RECS_MAX (64u << 20)
/* what a pass means: the app serves and the console shows the init, from the
 * initrd and (when the image has one) the disk */
#define KMIN_CRITERION "serve+init-marker/initrd+disk/1"

/* ---- the trial record ---- */

static int hex64(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Split l (n bytes) at spaces into at most max words. */
static size_t words(const char *l, size_t n, const char *w[], size_t wl[], size_t max)
{
	size_t k = 0, i = 0;

	while (i < n && k < max) {
		while (i < n && l[i] == ' ')
			i++;
		if (i >= n)
			break;
		w[k] = l + i;
		while (i < n && l[i] != ' ')
			i++;
		wl[k] = (size_t)(l + i - w[k]);
		k++;
	}
	while (i < n && l[i] == ' ')
		i++;
	return i < n ? max + 1 : k; /* max + 1: too many words */
}

static int parse_num(const char *s, size_t n, long long max, long long *v)
{
	long long x = 0;

	if (!n || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	if (x > max)
		return -1;
	*v = x;
	return 0;
}

static int pass_word(const char *w, size_t n)
{
	return n == 4 && (!memcmp(w, "pass", 4) || !memcmp(w, "fail", 4));
}

static void rec_line(const char *l, size_t n, struct kmin_recs *out)
{
	const char *w[7];
	size_t wl[7], k = words(l, n, w, wl, 6);
	struct kmin_rec r = {0};
	long long v;

	if (k == 3 && wl[0] == 2 && !memcmp(w[0], "in", 2) && hex64(w[1], wl[1]) &&
	    (hex64(w[2], wl[2]) || (wl[2] == 1 && w[2][0] == '-'))) {
		r.kind = 'i';
		memcpy(r.val, w[2], wl[2]);
	} else if (k == 5 && wl[0] == 3 && !memcmp(w[0], "cfg", 3) && hex64(w[1], wl[1]) &&
		   pass_word(w[2], wl[2])) {
		r.kind = 'c';
		r.pass = w[2][0] == 'p';
		if (parse_num(w[3], wl[3], 1LL << 40, &r.bytes) ||
		    parse_num(w[4], wl[4], 1LL << 30, &v))
			return;
		r.service_ms = (double)v;
	} else if (k == 6 && wl[0] == 4 && !memcmp(w[0], "time", 4) && hex64(w[1], wl[1]) &&
		   hex64(w[2], wl[2]) && pass_word(w[3], wl[3])) {
		r.kind = 't';
		r.pass = w[3][0] == 'p';
		memcpy(r.val, w[2], 64);
		if (parse_num(w[4], wl[4], 1LL << 30, &v))
			return;
		r.service_ms = (double)v;
		if (parse_num(w[5], wl[5], 1LL << 30, &v))
			return;
		r.ref_ms = (double)v;
	} else {
		return;
	}
	memcpy(r.key, w[1], 64);
	out->r = xrealloc(out->r, (out->n + 1) * sizeof(*out->r));
	out->r[out->n++] = r;
}

void kmin_recs_parse(const char *text, size_t len, struct kmin_recs *out)
{
	const char *p = text, *end = text + len;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			break; /* a line cut short by a crash: ignore it */
		if (!memchr(p, '\0', (size_t)(nl - p)))
			rec_line(p, (size_t)(nl - p), out);
		p = nl + 1;
	}
}

const struct kmin_rec *kmin_recs_find(const struct kmin_recs *rs, char kind, const char *key)
{
	/* the last word wins: a later judgement replaces an earlier one */
	for (size_t i = rs->n; i-- > 0;)
		if (rs->r[i].kind == kind && !strcmp(rs->r[i].key, key))
			return &rs->r[i];
	return NULL;
}

void kmin_recs_free(struct kmin_recs *rs)
{
	free(rs->r);
	rs->r = NULL;
	rs->n = 0;
}

/* ---- one run ---- */

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

/* bzImage compression modes that can beat lz4's size, smallest first
 * (measured on nginx's kernel: xz 1.43 MB, zstd 1.64 MB, gzip 1.77 MB, lz4 2.0 MB) */
static const char *const comp_modes[] = {"XZ", "ZSTD", "GZIP"};
static const char *const comp_all[] = {"GZIP", "BZIP2", "LZMA", "XZ", "LZO", "LZ4", "ZSTD"};

static void record(struct km *k, const char *line)
{
	size_t n = strlen(line);

	if (write(k->recfd, line, n) != (ssize_t)n)
		tx_info(k->ctx, "kconfig: cannot append to '%s': %s", k->recpath, strerror(errno));
	rec_line(line, n - 1, &k->recs);
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
	if (k->comp) {
		char *opt = xasprintf("KERNEL_%s", k->comp),
		     *from = xasprintf("KERNEL_%s", k->comp_from);

		kconfig_set_add(set, from, "n", "tinyx kconfig --minimize");
		kconfig_set_add(set, opt, "y", "tinyx kconfig --minimize");
		free(from);
		free(opt);
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

static int cfg_count_on(const char *cfg, size_t len)
{
	int n = 0;

	for (const char *p = cfg; p && p < cfg + len;) {
		const char *nl = memchr(p, '\n', (size_t)(cfg + len - p));
		size_t l = (size_t)((nl ? nl : cfg + len) - p);

		if (l > 9 && !memcmp(p, "CONFIG_", 7) && l >= 2 && p[l - 2] == '=' &&
		    (p[l - 1] == 'y' || p[l - 1] == 'm'))
			n++;
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

/* The trial image dir: every file of the base image linked, but the kernel. */
static int trial_image(struct km *k, const struct kernel_out *kout, const char *dir)
{
	char *kpath = xasprintf("%s/kernel", dir);
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
	if (err) {
		err = tx_fail(k->ctx, err, "kconfig", "cannot make the trial image '%s': %s", dir,
			      strerror(-err));
	} else if (!strcmp(k->o->target, "xen")) {
		char *argv[] = {"strip", "--strip-all", "-o", kpath, kout->vmlinux, NULL};

		err = run_cmd(k->ctx, argv, NULL, 1);
		if (err)
			err = tx_fail(k->ctx, err, "kconfig", "cannot strip '%s'", kout->vmlinux);
	} else if (symlink(kout->bzimage, kpath) < 0) {
		err = tx_fail(k->ctx, -errno, "kconfig", "cannot link '%s': %s", kpath,
			      strerror(errno));
	}
	free(kpath);
	return err;
}

/* Boot dir once (initrd, then the disk when there is one). 1 served, 0 not,
 * < 0 cannot probe at all. *service_ms: the initrd boot's. */
static int boot_ok(struct km *k, const char *dir, int runs, double *service_ms)
{
	for (int disk = 0; disk <= k->has_disk; disk++) {
		struct probe_opts po = {.dir = dir,
					.runs = disk ? 1 : runs,
					.timeout_s = k->o->trial_timeout_s,
					.use_disk = disk};
		struct probe_result pr = {0};
		int err;

		k->r->boots += po.runs;
		err = probe_run(k->ctx, &po, &pr);
		/* serving is not enough: the console must show the init too */
		if (!err && pr.init.n < po.runs)
			err = tx_fail(k->ctx, -EIO, "kconfig", "no init marker on the console '%s'",
				      dir);
		if (!disk && service_ms)
			*service_ms = pr.service.n ? pr.service.median : -1;
		probe_result_free(&pr);
		if (err == -EINVAL || err == -ENOENT)
			return err; /* a broken image dir, not a broken kernel */
		if (err) {
			tx_info(k->ctx, "kconfig: %s boot failed: %s", disk ? "disk" : "initrd",
				k->ctx->err);
			k->ctx->err[0] = 0;
			return 0;
		}
	}
	return 1;
}

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

/* Judge the config with off[] switched off: 1 pass, 0 fail, < 0 error.
 * cfg_hash (when not NULL) gets the .config hash of a config that passes. */
static int trial(struct km *k, const char *off, const char *what, char cfg_hash[65])
{
	struct kconfig_set set = {0};
	struct kernel_out kout = {0};
	const struct kmin_rec *rec;
	char ih[65], ch[65], line[256];
	char *cfg = NULL;
	size_t clen = 0;
	double t0 = now_ms(), svc = -1;
	int err, ok;

	k->r->trials++;
	trial_set(k, off, &set);
	input_hash(k, &set, ih);
	rec = kmin_recs_find(&k->recs, 'i', ih);
	if (rec && rec->val[0] == '-') {
		k->r->reused++;
		kconfig_set_free(&set);
		return 0;
	}
	if (rec && (rec = kmin_recs_find(&k->recs, 'c', rec->val))) {
		k->r->reused++;
		if (cfg_hash)
			memcpy(cfg_hash, rec->key, 65);
		kconfig_set_free(&set);
		return rec->pass;
	}
	if (now_ms() > k->deadline) {
		kconfig_set_free(&set);
		return -ETIME;
	}
	tx_info(k->ctx, "kconfig: trial %d: %s", k->r->trials, what);
	err = kernel_configure(k->ctx, k->o->target, &set, &cfg, &clen, ch);
	if (err == -EINVAL && memchr(off, 1, k->cand.n)) {
		/* a required option went off with the removed ones */
		tx_info(k->ctx, "kconfig: trial %d: cannot be met: %s", k->r->trials, k->ctx->err);
		k->ctx->err[0] = 0;
		snprintf(line, sizeof(line), "in %s -\n", ih);
		record(k, line);
		kconfig_set_free(&set);
		return 0;
	}
	free(cfg);
	if (err)
		goto out;
	if (cfg_hash)
		memcpy(cfg_hash, ch, 65);
	snprintf(line, sizeof(line), "in %s %s\n", ih, ch);
	record(k, line);
	if ((rec = kmin_recs_find(&k->recs, 'c', ch))) {
		k->r->reused++;
		err = rec->pass;
		goto out;
	}
	err = kernel_build_set(k->ctx, k->o->target, &set, &kout);
	if (err)
		goto out;
	if (!kout.cached)
		k->r->builds++;
	err = trial_image(k, &kout, k->trialdir);
	if (err)
		goto out;
	ok = boot_ok(k, k->trialdir, 1, &svc);
	if (ok < 0) {
		err = ok;
		goto out;
	}
	{
		char *kp = xasprintf("%s/kernel", k->trialdir);

		snprintf(line, sizeof(line), "cfg %s %s %lld %lld\n", ch, ok ? "pass" : "fail",
			 file_size(kp) > 0 ? file_size(kp) : 0, svc > 0 ? (long long)svc : 0);
		free(kp);
	}
	record(k, line);
	tx_info(k->ctx, "kconfig: trial %d: %s in %.0f s", k->r->trials,
		ok ? "serves: removed" : "fails: kept for now", (now_ms() - t0) / 1000.0);
	err = ok;
out:
	kernel_out_free(&kout);
	kconfig_set_free(&set);
	return err;
}

/* Try to remove cand[lo, hi) on top of what is removed already. */
static int search(struct km *k, size_t lo, size_t hi)
{
	char *off = xmalloc(k->cand.n);
	struct sbuf what = {0};
	int r;

	memcpy(off, k->removed, k->cand.n);
	for (size_t c = lo; c < hi; c++)
		off[c] = 1;
	sbuf_printf(&what, "without %zu of %zu: ", hi - lo, k->cand.n);
	{
		char *sub = xcalloc(1, k->cand.n);

		for (size_t c = lo; c < hi; c++)
			sub[c] = 1;
		list_off(k, sub, &what, 6);
		free(sub);
	}
	r = trial(k, off, what.s, NULL);
	sbuf_free(&what);
	if (r == 1)
		memcpy(k->removed, off, k->cand.n);
	free(off);
	if (r < 0 && r != -ETIME)
		return r;
	if (r == -ETIME) {
		k->r->budget_hit = 1;
		for (size_t c = lo; c < hi; c++)
			strv_push(&k->r->untried, k->cand.v[c]);
		return 0;
	}
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
struct costscan {
	const struct strv *cand;
	int *cost;
	int objects;
};

static int cost_file(struct costscan *cs, const char *path)
{
	char *text = NULL;
	size_t len = 0;

	if (read_file(path, &text, &len, 4u << 20))
		return 0;
	cs->objects++;
	for (size_t c = 0; c < cs->cand->n; c++) {
		char *needle = xasprintf("include/config/%s)", cs->cand->v[c]);

		if (strstr(text, needle))
			cs->cost[c]++;
		free(needle);
	}
	free(text);
	return 0;
}

static int costs(struct km *k, int *cost)
{
	char *dir = xasprintf("%s/kbuild/%s", k->ctx->cache, k->o->target);
	struct costscan cs = {.cand = &k->cand, .cost = cost};
	struct strv files = {0};
	char *argv[] = {"find", dir, "-name", "*.o.cmd", NULL};
	char *out = NULL;
	int err = run_capture_q(k->ctx, argv, &out, 64u << 20, 1);

	if (!err) {
		for (char *p = out, *nl; p && *p; p = nl ? nl + 1 : NULL) {
			nl = strchr(p, '\n');
			if (nl)
				*nl = 0;
			if (*p)
				strv_push(&files, p);
		}
		for (size_t i = 0; i < files.n; i++)
			cost_file(&cs, files.v[i]);
	}
	free(out);
	free(dir);
	strv_free(&files);
	return cs.objects;
}

/* Narrow candidates first, in request order; then the wide ones (more than
 * WIDE_SHARE of the objects depend on them), cheapest first. Returns the
 * number of narrow ones. */
#define WIDE_SHARE 0.05
static size_t order_candidates(struct km *k)
{
	int *cost = xcalloc(k->cand.n ? k->cand.n : 1, sizeof(int));
	int objects = costs(k, cost);
	size_t narrow = 0, n = k->cand.n;
	char **v = xcalloc(n ? n : 1, sizeof(char *));
	int *vc = xcalloc(n ? n : 1, sizeof(int));
	int limit = (int)(objects * WIDE_SHARE);

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

/* ---- set-up ---- */

static int app_requests(struct km *k)
{
	struct stage_opts so = {.mirror = k->o->mirror};
	struct manifest m;
	struct app_spec spec = {0};
	char *root = NULL;
	int err;

	if (k->o->root)
		root = xstrdup(k->o->root);
	else if ((err = stage_root(k->ctx, k->o->app, &so, &root)))
		return err;
	manifest_init(&m, k->o->app, root);
	err = closure_build(k->ctx, k->o->app, root, k->ctx->srcdir, &m, &spec);
	if (!err)
		err = kconfig_collect(k->ctx, k->ctx->srcdir, k->o->app, k->o->target, m.f, m.nf,
				      KCOLLECT_NO_MIN, &k->base);
	manifest_free(&m);
	appspec_free(&spec);
	free(root);
	return err;
}

static int pick_candidates(struct km *k)
{
	if (!k->o->candidates) {
		for (size_t i = 0; i < k->base.n; i++) {
			const struct kconfig_req *q = &k->base.r[i];

			if (!(q->flags & KREQ_REQUIRED) &&
			    (!strcmp(q->value, "y") || !strcmp(q->value, "m")))
				strv_push(&k->cand, q->option);
		}
	} else {
		const char *p = k->o->candidates;

		while (*p) {
			const char *e = strchr(p, ',');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			char *opt = xstrndup(p, n);
			const struct kconfig_req *q;

			if (!strncmp(opt, "CONFIG_", 7))
				memmove(opt, opt + 7, strlen(opt + 7) + 1);
			q = kconfig_set_find(&k->base, opt);
			if (!q || (strcmp(q->value, "y") && strcmp(q->value, "m"))) {
				tx_fail(k->ctx, -EINVAL, "kconfig",
					"candidate is not an option '%s' requests as y or m '%s'",
					k->o->app, opt);
				free(opt);
				return -EINVAL;
			}
			if (q->flags & KREQ_REQUIRED) {
				tx_fail(k->ctx, -EINVAL, "kconfig",
					"candidate is required (%s) '%s'", q->why, opt);
				free(opt);
				return -EINVAL;
			}
			if (!strv_contains(&k->cand, opt))
				strv_push(&k->cand, opt);
			free(opt);
			p = e ? e + 1 : p + n;
		}
	}
	if (!k->cand.n)
		return tx_fail(k->ctx, -EINVAL, "kconfig", "no candidate options for '%s'",
			       k->o->app);
	k->removed = xcalloc(1, k->cand.n);
	return 0;
}

/* The base image: the app's rootfs and image.conf, from an unverified build
 * into the work dir. */
static int base_image(struct km *k)
{
	struct build_opts bo = {.app = k->o->app,
				.target = k->o->target,
				.out = NULL,
				.mirror = k->o->mirror,
				.root = k->o->root,
				.verify = 0,
				.no_summary = 1};
	char *out = xasprintf("%s/base", k->work);
	int err;

	bo.out = out;
	err = build_run(k->ctx, &bo);
	k->basedir = xasprintf("%s/%s/%s", out, k->o->app, k->o->target);
	free(out);
	if (!err) {
		char *disk = xasprintf("%s/rootfs.ext4", k->basedir);

		k->has_disk = path_exists(disk);
		free(disk);
	}
	return err;
}

/* The fragment: every request that is on in base_cfg and off in best_cfg. */
static int write_fragment(struct km *k, const char *base_cfg, size_t blen, const char *best_cfg,
			  size_t len)
{
	struct sbuf f = {0};
	int err;

	sbuf_printf(&f,
		    "# kconfig-fragments/apps/%s.%s.min.config: written by\n"
		    "# 'tinyx kconfig %s --target %s --minimize'. Each option below was on\n"
		    "# in the app's kernel; without them the kernel was built and booted with\n"
		    "# the app's rootfs (initrd%s) and the app served. Applied after\n"
		    "# apps/%s.config. Delete the file to get the full kernel back.\n",
		    k->o->app, k->o->target, k->o->app, k->o->target,
		    k->has_disk ? " and ext4 disk" : "", k->o->app);
	for (size_t i = 0; i < k->base.n; i++) {
		const struct kconfig_req *q = &k->base.r[i];

		if (kconfig_is_on(base_cfg, blen, q->option) &&
		    !kconfig_is_on(best_cfg, len, q->option)) {
			int cand = strv_contains(&k->r->removed, q->option);

			sbuf_printf(&f, "# CONFIG_%s is not set\n", q->option);
			if (!cand && !(k->comp && !strncmp(q->option, "KERNEL_", 7) &&
				       !strcmp(q->option + 7, k->comp_from)))
				strv_push(&k->r->also_off, q->option);
		}
	}
	if (k->comp)
		sbuf_printf(
		    &f,
		    "# bzImage compression %s instead of %s: %lld bytes instead of %lld;\n"
		    "# boot to service %.0f ms, the full kernel %.0f ms (medians, in turn)\n"
		    "CONFIG_KERNEL_%s=y\n",
		    k->r->compression, k->r->compression_from, k->r->size_after, k->r->size_options,
		    k->r->service_after, k->r->service_before, k->comp);
	k->r->fragment = xasprintf("%s/%s.%s.min.config", k->work, k->o->app, k->o->target);
	err = write_file_atomic(k->r->fragment, f.s, f.len, 0644);
	if (err)
		tx_fail(k->ctx, err, "kconfig", "cannot write '%s': %s", k->r->fragment,
			strerror(-err));
	if (!err && k->o->out) {
		err = write_file_atomic(k->o->out, f.s, f.len, 0644);
		if (err)
			tx_fail(k->ctx, err, "kconfig", "cannot write '%s': %s", k->o->out,
				strerror(-err));
	}
	sbuf_free(&f);
	return err;
}

/* Build (or take from the cache) the kernel of off[] (and k->comp) and make
 * its image dir; *size its bytes, hash (when not NULL) its .config hash, *cfg
 * (when not NULL) its text. */
static int prepare(struct km *k, const char *off, const char *dir, long long *size, char hash[65],
		   char **cfg, size_t *clen)
{
	struct kconfig_set set = {0};
	struct kernel_out kout = {0};
	char *kp = xasprintf("%s/kernel", dir);
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
		*size = file_size(kp);
		if (hash)
			memcpy(hash, kout.hash, 65);
	}
	free(kp);
	kernel_out_free(&kout);
	kconfig_set_free(&set);
	return err;
}

/* Boot the image dirs a and b in turn from their initrds, runs times each:
 * *ma and *mb get the medians of their boot to service. Booting in turn
 * spreads the machine's load over both. 1 when every boot served, 0 when one
 * did not, < 0 when it cannot probe at all. */
static int paired(struct km *k, const char *a, const char *b, int runs, double *ma, double *mb)
{
	double *v[2] = {xcalloc((size_t)runs, sizeof(double)),
			xcalloc((size_t)runs, sizeof(double))};
	int ok = 1;

	for (int i = 0; i < runs && ok == 1; i++)
		for (int j = 0; j < 2 && ok == 1; j++) {
			struct probe_opts po = {
			    .dir = j ? b : a, .runs = 1, .timeout_s = k->o->trial_timeout_s};
			struct probe_result pr = {0};
			int err = probe_run(k->ctx, &po, &pr);

			k->r->boots++;
			if (!err && pr.service.n == 1) {
				v[j][i] = pr.service.median;
			} else if (err == -EINVAL || err == -ENOENT) {
				ok = err;
			} else {
				tx_info(k->ctx, "kconfig: '%s' did not serve: %s", po.dir,
					k->ctx->err);
				k->ctx->err[0] = 0;
				ok = 0;
			}
			probe_result_free(&pr);
		}
	if (ok == 1) {
		*ma = median_of(v[0], (size_t)runs, NULL);
		*mb = median_of(v[1], (size_t)runs, NULL);
	}
	free(v[0]);
	free(v[1]);
	return ok;
}

static int final_runs(const struct km *k)
{
	return k->o->final_runs > 0 ? k->o->final_runs : 5;
}

/* Is the kernel with .config hash `hash` (k->comp on the minimized config) no
 * slower to serve than the full kernel in fulldir (hash fullhash)? From the
 * record, or boots in turn. 1 yes, 0 no, -ETIME out of budget, < 0 error. */
static int no_slower(struct km *k, const char *hash, const char *fulldir, const char *fullhash,
		     double *ms, double *ref_ms)
{
	char line[320];
	long long size;
	int ok;

	for (size_t i = k->recs.n; i-- > 0;) { /* the last judgement wins */
		const struct kmin_rec *t = &k->recs.r[i];

		if (t->kind == 't' && !strcmp(t->key, hash) && !strcmp(t->val, fullhash)) {
			*ms = t->service_ms;
			*ref_ms = t->ref_ms;
			return t->pass;
		}
	}
	if (now_ms() > k->deadline)
		return -ETIME;
	ok = prepare(k, k->removed, k->trialdir, &size, NULL, NULL, NULL);
	if (ok)
		return ok;
	tx_info(k->ctx, "kconfig: timing %s against the full kernel (%d boots each, in turn)",
		k->comp, final_runs(k));
	ok = paired(k, fulldir, k->trialdir, final_runs(k), ref_ms, ms);
	if (ok < 0)
		return ok;
	ok = ok && *ms <= *ref_ms;
	snprintf(line, sizeof(line), "time %s %s %s %lld %lld\n", hash, fullhash,
		 ok ? "pass" : "fail", (long long)(*ms > 0 ? *ms : 0),
		 (long long)(*ref_ms > 0 ? *ref_ms : 0));
	record(k, line);
	return ok;
}

static void lower(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < n; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] - 'A' + 'a' : src[i]);
	dst[i] = 0;
}

/* The bzImage compression, on top of the removals (see kmin.h). */
static int compression(struct km *k, const char *fulldir, const char *fullhash)
{
	for (size_t i = 0; i < k->base.n && !k->comp_from; i++)
		for (size_t m = 0; m < sizeof(comp_all) / sizeof(comp_all[0]); m++)
			if (!strncmp(k->base.r[i].option, "KERNEL_", 7) &&
			    !strcmp(k->base.r[i].option + 7, comp_all[m]) &&
			    !strcmp(k->base.r[i].value, "y"))
				k->comp_from = comp_all[m];
	if (strcmp(k->o->target, "kvm") || !k->comp_from)
		return 0; /* Xen boots the uncompressed vmlinux */
	lower(k->r->compression_from, sizeof(k->r->compression_from), k->comp_from);
	for (size_t m = 0; m < sizeof(comp_modes) / sizeof(comp_modes[0]); m++) {
		char what[96], hash[65];
		double ms = -1, ref = -1;
		int r;

		if (!strcmp(comp_modes[m], k->comp_from))
			continue;
		k->comp = comp_modes[m];
		snprintf(what, sizeof(what), "compression %s instead of %s", k->comp, k->comp_from);
		r = trial(k, k->removed, what, hash);
		if (r == 1)
			r = no_slower(k, hash, fulldir, fullhash, &ms, &ref);
		if (r == 1) {
			tx_info(k->ctx,
				"kconfig: %s: serves in %.0f ms, the full kernel in %.0f ms: kept",
				k->comp, ms, ref);
			lower(k->r->compression, sizeof(k->r->compression), k->comp);
			return 0;
		}
		k->comp = NULL;
		if (r == -ETIME) {
			k->r->budget_hit = 1;
			return 0;
		}
		if (r < 0)
			return r;
		if (ms > 0)
			tx_info(k->ctx,
				"kconfig: %s: serves in %.0f ms, the full kernel in %.0f ms: "
				"slower, not kept",
				comp_modes[m], ms, ref);
	}
	return 0;
}

int kmin_run(struct tx_ctx *ctx, const struct kmin_opts *o, struct kmin_result *r)
{
	struct km k = {.ctx = ctx, .o = o, .r = r, .recfd = -1};
	char *text = NULL, *lock = NULL, *base_cfg = NULL, *best_cfg = NULL, *dir = NULL;
	char *none = NULL, *fulldir = NULL, fullhash[65];
	size_t len = 0, blen = 0;
	double t0 = now_ms();
	int err, ok, lfd = -1;

	memset(r, 0, sizeof(*r));
	if (!valid_pkg_name(o->app))
		return tx_fail(ctx, -EINVAL, "kconfig", "invalid package name '%s'", o->app);
	if (strcmp(o->target, "kvm") && strcmp(o->target, "xen"))
		return tx_fail(ctx, -EINVAL, "kconfig", "unknown target '%s' (expected kvm or xen)",
			       o->target);
	k.deadline = t0 + (o->budget_min > 0 ? o->budget_min : 60) * 60000.0;
	k.work = xasprintf("%s/kmin/%s-%s", ctx->cache, o->app, o->target);
	k.recpath = xasprintf("%s/trials", k.work);
	k.trialdir = xasprintf("%s/trial", k.work);
	err = mkdir_p(k.work, 0755);
	if (err) {
		err =
		    tx_fail(ctx, err, "kconfig", "cannot create '%s': %s", k.work, strerror(-err));
		goto out;
	}
	lock = xasprintf("%s/.lock", k.work);
	lfd = lock_path(lock);
	if (lfd < 0) {
		err = tx_fail(ctx, lfd, "kconfig", "cannot lock '%s': %s", lock, strerror(-lfd));
		goto out;
	}
	if (!read_file(k.recpath, &text, &len, RECS_MAX)) {
		static const char head[] =
		    "# tinyx kconfig --minimize trials, pass = " KMIN_CRITERION "\n";

		if (len >= sizeof(head) - 1 && !memcmp(text, head, sizeof(head) - 1)) {
			kmin_recs_parse(text, len, &k.recs);
		} else {
			/* judged by another criterion: start over */
			char *old = xasprintf("%s.old", k.recpath);

			tx_info(ctx, "kconfig: '%s' was judged by another criterion: kept as '%s'",
				k.recpath, old);
			rename(k.recpath, old);
			free(old);
		}
	}
	free(text);
	text = NULL;
	if (k.recs.n)
		tx_info(ctx, "kconfig: %zu recorded trial results in '%s'", k.recs.n, k.recpath);
	k.recfd = open(k.recpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (k.recfd < 0) {
		err = tx_fail(ctx, -errno, "kconfig", "cannot open '%s': %s", k.recpath,
			      strerror(errno));
		goto out;
	}
	if (!k.recs.n && lseek(k.recfd, 0, SEEK_END) == 0)
		record(&k, "# tinyx kconfig --minimize trials, pass = " KMIN_CRITERION "\n");
	err = app_requests(&k);
	if (!err)
		err = pick_candidates(&k);
	if (!err)
		err = base_image(&k);
	if (err)
		goto out;
	tx_info(ctx, "kconfig: minimizing %s's %s kernel: %zu candidate options, budget %.0f min",
		o->app, o->target, k.cand.n, o->budget_min > 0 ? o->budget_min : 60);
	/* the unminimized kernel must serve, or no trial means anything */
	none = xcalloc(1, k.cand.n);
	err = trial(&k, none, "the app's full kernel", NULL);
	if (err == 0)
		err = tx_fail(ctx, -ETIMEDOUT, "kconfig",
			      "the app's own kernel does not serve; nothing to minimize '%s'",
			      o->app);
	else if (err == -ETIME)
		err = tx_fail(ctx, -ETIME, "kconfig", "budget spent before the first trial '%s'",
			      o->app);
	if (err < 0)
		goto out;
	{
		size_t narrow = order_candidates(&k);

		err = narrow ? search(&k, 0, narrow) : 0;
		if (!err && narrow < k.cand.n)
			err = search(&k, narrow, k.cand.n);
	}
	if (err)
		goto out;
	for (size_t c = 0; c < k.cand.n; c++)
		if (k.removed[c])
			strv_push(&r->removed, k.cand.v[c]);
	/* the full kernel: the reference for the compression and the report */
	fulldir = xasprintf("%s/full", k.work);
	err = prepare(&k, none, fulldir, &r->size_before, fullhash, &base_cfg, &blen);
	if (!err)
		err = compression(&k, fulldir, fullhash);
	if (!err) {
		const char *comp = k.comp;

		k.comp = NULL;
		err = prepare(&k, k.removed, k.trialdir, &r->size_options, NULL, NULL, NULL);
		k.comp = comp;
	}
	dir = xasprintf("%s/min", k.work);
	if (!err)
		err = prepare(&k, k.removed, dir, &r->size_after, NULL, &best_cfg, &len);
	if (err)
		goto out;
	/* the result, checked as a trial is; then both kernels timed in turn */
	tx_info(ctx,
		"kconfig: verifying the minimized kernel, then timing it against the full one "
		"(%d boots each, in turn)",
		final_runs(&k));
	ok = boot_ok(&k, dir, 1, NULL);
	if (ok == 1)
		ok =
		    paired(&k, fulldir, dir, final_runs(&k), &r->service_before, &r->service_after);
	if (ok <= 0) {
		err = ok ? ok
			 : tx_fail(ctx, -ETIMEDOUT, "kconfig",
				   "the minimized kernel of '%s' does not serve '%s'", o->app, dir);
		goto out;
	}
	r->options_before = cfg_count_on(base_cfg, blen);
	r->options_after = cfg_count_on(best_cfg, len);
	err = write_fragment(&k, base_cfg, blen, best_cfg, len);
out:
	r->seconds = (now_ms() - t0) / 1000.0;
	if (k.recfd >= 0)
		close(k.recfd);
	if (lfd >= 0)
		close(lfd);
	free(lock);
	free(none);
	free(dir);
	free(fulldir);
	free(base_cfg);
	free(best_cfg);
	free(k.work);
	free(k.recpath);
	free(k.basedir);
	free(k.trialdir);
	free(k.removed);
	strv_free(&k.cand);
	kconfig_set_free(&k.base);
	kmin_recs_free(&k.recs);
	return err;
}

/* ---- reports ---- */

static void json_list(struct sbuf *b, const char *key, const struct strv *v)
{
	sbuf_printf(b, "\"%s\":[", key);
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			sbuf_puts(b, ",");
		sbuf_json_str(b, v->v[i]);
	}
	sbuf_puts(b, "]");
}

void kmin_report_json(const struct kmin_result *r, const struct kmin_opts *o, struct sbuf *b)
{
	sbuf_puts(b, "{\"app\":");
	sbuf_json_str(b, o->app);
	sbuf_puts(b, ",\"target\":");
	sbuf_json_str(b, o->target);
	sbuf_puts(b, ",");
	json_list(b, "removed", &r->removed);
	sbuf_puts(b, ",");
	json_list(b, "kept", &r->kept);
	sbuf_puts(b, ",");
	json_list(b, "untried", &r->untried);
	sbuf_puts(b, ",");
	json_list(b, "also_off", &r->also_off);
	sbuf_puts(b, ",\"compression\":{\"from\":");
	sbuf_json_str(b, r->compression_from);
	sbuf_puts(b, ",\"to\":");
	sbuf_json_str(b, r->compression[0] ? r->compression : r->compression_from);
	sbuf_printf(b,
		    "},\"options\":{\"before\":%d,\"after\":%d},\"trials\":%d,\"reused\":%d,"
		    "\"builds\":%d,\"boots\":%d,\"kernel_bytes\":{\"before\":%lld,\"options\":%lld,"
		    "\"after\":%lld},"
		    "\"service_ms\":{\"before\":%.0f,\"after\":%.0f},\"seconds\":%.1f,"
		    "\"budget_hit\":%s,\"fragment\":",
		    r->options_before, r->options_after, r->trials, r->reused, r->builds, r->boots,
		    r->size_before, r->size_options, r->size_after, r->service_before,
		    r->service_after, r->seconds, r->budget_hit ? "true" : "false");
	sbuf_json_str(b, r->fragment ? r->fragment : "");
	sbuf_puts(b, "}\n");
}

static void text_list(struct sbuf *b, const char *title, const struct strv *v)
{
	sbuf_printf(b, "%-10s %zu", title, v->n);
	for (size_t i = 0; i < v->n; i++)
		sbuf_printf(b, "%s%s", i ? " " : ": ", v->v[i]);
	sbuf_puts(b, "\n");
}

void kmin_report_text(const struct kmin_result *r, const struct kmin_opts *o, struct sbuf *b)
{
	double pct = r->size_before > 0
			 ? 100.0 * (double)(r->size_before - r->size_after) / (double)r->size_before
			 : 0;
	double opct = r->size_before > 0 ? 100.0 * (double)(r->size_before - r->size_options) /
					       (double)r->size_before
					 : 0;

	sbuf_printf(b, "kconfig --minimize %s (%s)\n", o->app, o->target);
	text_list(b, "removed", &r->removed);
	text_list(b, "also off", &r->also_off);
	text_list(b, "kept", &r->kept);
	if (r->untried.n)
		text_list(b, "untried", &r->untried);
	sbuf_printf(b, "options    %d -> %d enabled in .config\n", r->options_before,
		    r->options_after);
	sbuf_printf(b, "kernel     %lld -> %lld bytes (%.1f%% smaller)\n", r->size_before,
		    r->size_after, pct);
	sbuf_printf(b, "           %lld bytes (%.1f%% smaller) with the removals alone (%s)\n",
		    r->size_options, opct, r->compression_from[0] ? r->compression_from : "-");
	sbuf_printf(b, "compress   %s\n",
		    r->compression[0] ? r->compression
				      : (r->compression_from[0] ? "unchanged (no mode was smaller "
								  "and no slower)"
								: "- (an uncompressed vmlinux)"));
	sbuf_printf(b, "service    %.0f -> %.0f ms boot to service (medians, booted in turn)\n",
		    r->service_before, r->service_after);
	sbuf_printf(b, "trials     %d (%d from the record), %d kernel builds, %d boots, %.0f s%s\n",
		    r->trials, r->reused, r->builds, r->boots, r->seconds,
		    r->budget_hit ? " (budget reached)" : "");
	sbuf_printf(b, "fragment   %s\n", r->fragment ? r->fragment : "-");
}

void kmin_result_free(struct kmin_result *r)
{
	strv_free(&r->removed);
	strv_free(&r->kept);
	strv_free(&r->untried);
	strv_free(&r->also_off);
	free(r->fragment);
	r->fragment = NULL;
}
