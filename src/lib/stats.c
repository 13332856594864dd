#include "lib/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double median_of(double *v, size_t n, size_t *k)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] >= 0)
			v[m++] = v[i];
	if (k)
		*k = m;
	if (!m)
		return -1;
	qsort(v, m, sizeof(*v), cmp_double);
	return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}

int slower_by_sign_test(const double *a, const double *b, size_t n, struct sign_test *st)
{
	struct sign_test t = {0, 0, 0, 1.0};
	int m;

	for (size_t i = 0; i < n; i++)
		if (a[i] >= 0 && b[i] >= 0)
			b[i] > a[i] ? t.slower++ : b[i] < a[i] ? t.faster++ : t.ties++;
	m = t.slower + t.faster;
	if (m > 0) {
		/* the binomial tail in logs: 2^-m underflows a double past m = 1074 */
		t.p = 0;
		for (int k = t.slower; k <= m; k++)
			t.p += exp(lgamma(m + 1.0) - lgamma(k + 1.0) - lgamma(m - k + 1.0) -
				   m * log(2.0));
		if (t.p > 1)
			t.p = 1;
	}
	if (st)
		*st = t;
	return t.p < SIGN_TEST_ALPHA;
}

void progress_tail(char *buf, size_t n, long done, long total, double t0)
{
	double left = done > 0 ? (now_ms() - t0) / 1000 * (double)(total - done) / (double)done : 0;

	if (total <= 0)
		snprintf(buf, n, "%s", "");
	else if (done * 20 < total || done >= total)
		snprintf(buf, n, " of about %ld", total);
	else if (left < 90)
		snprintf(buf, n, " of about %ld, ~%.0f s left", total, left);
	else
		snprintf(buf, n, " of about %ld, ~%.0f min left", total, left / 60 + 0.5);
}
