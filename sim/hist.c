/* Log-bucketed histogram: bucket arithmetic and nearest-rank percentiles. */
#include "hist.h"

#include <assert.h>
#include <string.h>

void sim_hist_init(struct sim_hist *h) { memset(h, 0, sizeof(*h)); }

size_t sim_hist_index(uint64_t v)
{
	unsigned e, g;

	if (v < SIM_HIST_LINEAR)
		return (size_t)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	g = e - SIM_HIST_SUB_BITS; /* >= 1: the bucket width is 2^g */
	return ((size_t)g << SIM_HIST_SUB_BITS) + (size_t)(v >> g);
}

uint64_t sim_hist_bucket_width(size_t idx)
{
	assert(idx < SIM_HIST_BUCKETS);
	if (idx < SIM_HIST_LINEAR)
		return 1;
	return UINT64_C(1) << ((idx >> SIM_HIST_SUB_BITS) - 1);
}

uint64_t sim_hist_bucket_low(size_t idx)
{
	unsigned g;

	assert(idx < SIM_HIST_BUCKETS);
	if (idx < SIM_HIST_LINEAR)
		return idx;
	g = (unsigned)(idx >> SIM_HIST_SUB_BITS) - 1;
	return (uint64_t)(idx - ((size_t)g << SIM_HIST_SUB_BITS)) << g;
}

void sim_hist_add(struct sim_hist *h, uint64_t v)
{
	size_t i = sim_hist_index(v);

	assert(i < SIM_HIST_BUCKETS);
	if (h->n == 0 || v < h->min)
		h->min = v;
	if (h->n == 0 || v > h->max)
		h->max = v;
	h->counts[i]++;
	h->n++;
}

void sim_hist_merge(struct sim_hist *dst, const struct sim_hist *src)
{
	if (src->n == 0)
		return;
	if (dst->n == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->n == 0 || src->max > dst->max)
		dst->max = src->max;
	for (size_t i = 0; i < SIM_HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->n += src->n;
}

size_t sim_hist_rank(double p, size_t n)
{
	size_t rank = (size_t)(p * (double)n + 0.999999);

	assert(n > 0);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return rank;
}

uint64_t sim_hist_percentile(const struct sim_hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (h->n == 0)
		return 0;
	rank = sim_hist_rank(p, (size_t)h->n);
	if (rank == 1)
		return h->min;
	if (rank == h->n)
		return h->max;
	for (size_t i = 0; i < SIM_HIST_BUCKETS; i++) {
		uint64_t mid;

		seen += h->counts[i];
		if (seen < rank)
			continue;
		/* Half a width above the bucket's start: at most width / 2 from any
		 * value in it, and width <= value / 128. */
		mid = sim_hist_bucket_low(i) + sim_hist_bucket_width(i) / 2;
		if (mid < h->min)
			mid = h->min;
		if (mid > h->max)
			mid = h->max;
		return mid;
	}
	assert(0 && "counts add up to n");
	return h->max;
}
