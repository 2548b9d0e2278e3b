/* A log-bucketed histogram of non-negative integers (after HdrHistogram):
 * fixed size whatever the number of samples, for percentiles of runs of any
 * length (issue 19).
 *
 * Values below 256 have a bucket each. A value v >= 256 with highest set bit
 * e falls in one of 128 buckets of width 2^(e-7) between 2^e and 2^(e+1), so a
 * bucket spans at most 1/128 of any value in it. A percentile is answered with
 * its bucket's midpoint, clamped to the exact minimum and maximum recorded:
 *
 *     |answer - exact| <= exact / 256   (relative error at most 0.39 %)
 *
 * where "exact" is the nearest-rank percentile of the same samples (the rank
 * is the same; only the value within its bucket is unknown). Values 0..255
 * and the minimum and maximum are exact. Merging adds the counts: the result
 * is the histogram of both sample sets. */
#ifndef SIM_HIST_H
#define SIM_HIST_H

#include <stddef.h>
#include <stdint.h>

#define SIM_HIST_SUB_BITS 7 /* 2^7 buckets per power of two above 256 */
#define SIM_HIST_LINEAR (1u << (SIM_HIST_SUB_BITS + 1))
#define SIM_HIST_BUCKETS ((64 - SIM_HIST_SUB_BITS + 1) * (1u << SIM_HIST_SUB_BITS))

struct sim_hist {
	uint64_t n, min, max;
	uint64_t counts[SIM_HIST_BUCKETS];
};

void sim_hist_init(struct sim_hist *h);
void sim_hist_add(struct sim_hist *h, uint64_t v);
/* dst += src (dst may be empty). */
void sim_hist_merge(struct sim_hist *dst, const struct sim_hist *src);
/* Nearest-rank percentile (p in [0, 1]), within the bound above; 0 when empty. */
uint64_t sim_hist_percentile(const struct sim_hist *h, double p);
/* The bucket of v and the smallest value of a bucket (for the tests). */
size_t sim_hist_index(uint64_t v);
uint64_t sim_hist_bucket_low(size_t idx);
uint64_t sim_hist_bucket_width(size_t idx);

/* The rank (1-based) nearest-rank p picks among n samples (n > 0): the rule
 * metrics.c uses for exact percentiles as well. */
size_t sim_hist_rank(double p, size_t n);

#endif
