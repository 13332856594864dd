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

#endif
