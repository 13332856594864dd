/* Time and the statistics the probe, the comparison and the minimizer share. */
#ifndef TINYX_STATS_H
#define TINYX_STATS_H

#include <stddef.h>

/* Monotonic milliseconds. */
double now_ms(void);

/* The median of the measured values in v[0..n) (a negative one means "not
 * measured" and is dropped): they are moved to the front of v and sorted, so
 * v[0] is the smallest and v[*k - 1] the largest; *k (when not NULL) gets
 * their count. -1 when there is none. */
double median_of(double *v, size_t n, size_t *k);

/* "Is b slower than a?" as the minimizer and the benches decide it: a
 * one-sided paired sign test over the pairs (a[i], b[i]) where both were
 * measured (>= 0), ties dropped. b is slower with 95 % confidence when the
 * chance of that many pairs or more with b the slower, were neither slower,
 * is below 0.05 (with 10 pairs: 9 or 10 of them; under 5 pairs never).
 * st (when not NULL) gets the counts and that chance. 1 slower, 0 not shown. */
struct sign_test {
	int slower, faster, ties; /* pairs where b > a, b < a, b == a */
	double p;		  /* P(X >= slower), X ~ Bin(slower + faster, 1/2) */
};
#define SIGN_TEST_ALPHA 0.05
int slower_by_sign_test(const double *a, const double *b, size_t n, struct sign_test *st);

/* The tail of a progress line for done steps of about total, begun at t0
 * (now_ms): " of about TOTAL, ~T left" (T at the rate so far, "40 s" or
 * "3 min") once done is 5 % of total, " of about TOTAL" before, "" when
 * total is 0 (unknown); always NUL-terminated in buf[n]. */
void progress_tail(char *buf, size_t n, long done, long total, double t0);

#endif
