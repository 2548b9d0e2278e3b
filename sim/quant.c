/* Exact-then-histogram percentiles. */
#include "quant.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "um3n.h"

int sim_quant_init(struct sim_quant *q, size_t max_exact)
{
	memset(q, 0, sizeof(*q));
	q->max_exact = max_exact;
	q->exact = true;
	q->hist = malloc(sizeof(*q->hist));
	if (!q->hist)
		return UM3N_ENOMEM;
	sim_hist_init(q->hist);
	return 0;
}

void sim_quant_free(struct sim_quant *q)
{
	free(q->hist);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

/* From now on the histogram answers. */
static void drop_samples(struct sim_quant *q)
{
	free(q->v);
	q->v = NULL;
	q->n = q->cap = 0;
	q->exact = false;
}

void sim_quant_add(struct sim_quant *q, uint64_t v)
{
	assert(q->hist);
	sim_hist_add(q->hist, v);
	if (!q->exact)
		return;
	if (q->n == q->max_exact) {
		drop_samples(q);
		return;
	}
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 1024;
		uint32_t *nv;

		if (cap > q->max_exact)
			cap = q->max_exact;
		nv = realloc(q->v, cap * sizeof(*nv));
		if (!nv) { /* the histogram alone still answers, within its bound */
			drop_samples(q);
			return;
		}
		q->v = nv;
		q->cap = cap;
	}
	q->v[q->n++] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

uint64_t sim_quant_percentile(struct sim_quant *q, double p)
{
	if (!q->hist || q->hist->n == 0)
		return 0;
	if (!q->exact)
		return sim_hist_percentile(q->hist, p);
	assert(q->n == q->hist->n);
	return sim_quant_select_kth(q->v, q->n, sim_hist_rank(p, q->n) - 1);
}

static void swap_u32(uint32_t *a, uint32_t *b)
{
	uint32_t t = *a;

	*a = *b;
	*b = t;
}

/* The k-th smallest of v[0, n) (Hoare quickselect, median-of-three pivot):
 * O(n) instead of sorting every sample; v is permuted. */
uint32_t sim_quant_select_kth(uint32_t *v, size_t n, size_t k)
{
	long lo = 0, hi = (long)n - 1, kk = (long)k;

	while (lo < hi) {
		long mid = lo + (hi - lo) / 2, i = lo, j = hi;
		uint32_t pivot;

		if (v[mid] < v[lo])
			swap_u32(&v[mid], &v[lo]);
		if (v[hi] < v[lo])
			swap_u32(&v[hi], &v[lo]);
		if (v[hi] < v[mid])
			swap_u32(&v[hi], &v[mid]);
		pivot = v[mid];
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				swap_u32(&v[i], &v[j]);
				i++;
				j--;
			}
		}
		if (kk <= j)
			hi = j;
		else if (kk >= i)
			lo = i;
		else
			return v[kk];
	}
	return v[kk];
}
