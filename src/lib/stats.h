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

/* The tail of a progress line for done steps of about total, begun at t0
 * (now_ms): " of about TOTAL, ~T left" (T at the rate so far, "40 s" or
 * "3 min") once done is 5 % of total, " of about TOTAL" before, "" when
 * total is 0 (unknown); always NUL-terminated in buf[n]. */
void progress_tail(char *buf, size_t n, long done, long total, double t0);

#endif
