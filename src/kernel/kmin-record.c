/* The minimizer's trial record (see kmin.h): a pure parser, fuzzed. */
#include "kernel/kconfig-int.h"
#include "kernel/kmin-int.h"

#include <stdlib.h>
#include <string.h>

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

void kmin_recs_add_line(struct kmin_recs *out, const char *l, size_t n)
{
	const char *w[7];
	size_t wl[7], k = words(l, n, w, wl, 6);
	struct kmin_rec r = {0};
	long long ms = 0, ref = 0;

#define IS(i, s) (wl[i] == sizeof(s) - 1 && !memcmp(w[i], s, wl[i]))
	if (k < 3 || !kconfig_hex64(w[1], wl[1]))
		return;
	if (k == 3 && IS(0, "in") && (kconfig_hex64(w[2], wl[2]) || IS(2, "-"))) {
		r.kind = 'i';
		memcpy(r.val, w[2], wl[2]);
	} else if (k == 5 && IS(0, "cfg") && (IS(2, "pass") || IS(2, "fail")) &&
		   !parse_num(w[3], wl[3], 1LL << 40, &r.bytes) &&
		   !parse_num(w[4], wl[4], 1LL << 30, &ms)) {
		r.kind = 'c';
		r.pass = w[2][0] == 'p';
	} else if (k == 6 && IS(0, "sign") && kconfig_hex64(w[2], wl[2]) &&
		   (IS(3, "pass") || IS(3, "fail")) && !parse_num(w[4], wl[4], 1LL << 30, &ms) &&
		   !parse_num(w[5], wl[5], 1LL << 30, &ref)) {
		r.kind = 't';
		r.pass = w[3][0] == 'p';
		memcpy(r.val, w[2], 64);
	} else {
		return;
	}
#undef IS
	r.service_ms = (double)ms;
	r.ref_ms = (double)ref;
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
			kmin_recs_add_line(out, p, (size_t)(nl - p));
		p = nl + 1;
	}
}

/* The last record of kind for key (and ref, when not NULL): a later
 * judgement replaces an earlier one. */
static const struct kmin_rec *find(const struct kmin_recs *rs, char kind, const char *key,
				   const char *ref)
{
	for (size_t i = rs->n; i-- > 0;)
		if (rs->r[i].kind == kind && !strcmp(rs->r[i].key, key) &&
		    (!ref || !strcmp(rs->r[i].val, ref)))
			return &rs->r[i];
	return NULL;
}

const struct kmin_rec *kmin_recs_find(const struct kmin_recs *rs, char kind, const char *key)
{
	return find(rs, kind, key, NULL);
}

const struct kmin_rec *kmin_recs_find_time(const struct kmin_recs *rs, const char *key,
					   const char *ref)
{
	return find(rs, 't', key, ref);
}

void kmin_recs_free(struct kmin_recs *rs)
{
	free(rs->r);
	rs->r = NULL;
	rs->n = 0;
}
