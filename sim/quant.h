/* Percentiles of a sample set of any size: exact (nearest rank over every
 * sample) while the set holds at most max_exact samples, from a log-bucketed
 * histogram (hist.h: within 1/256 of the exact value) beyond. Both are kept
 * up to max_exact, so the switch costs nothing; the samples are freed then
 * and memory stays at the histogram's 59 kB (issue 19). */
#ifndef SIM_QUANT_H
#define SIM_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"

#define SIM_QUANT_EXACT_MAX ((size_t)1 << 18) /* default: 1 MB of samples */

struct sim_quant {
	struct sim_hist *hist;
	uint32_t *v; /* the samples while exact (saturated at UINT32_MAX) */
	size_t n, cap, max_exact;
	bool exact;
};

/* Errors: UM3N_ENOMEM. */
int sim_quant_init(struct sim_quant *q, size_t max_exact);
void sim_quant_free(struct sim_quant *q);
/* Counts v (q initialised). Out of memory for the samples, the set goes over
 * to the histogram early. */
void sim_quant_add(struct sim_quant *q, uint64_t v);
/* Nearest-rank percentile, p in [0, 1]; 0 when empty. The exact path permutes
 * the samples (it selects in place). */
uint64_t sim_quant_percentile(struct sim_quant *q, double p);
static inline size_t sim_quant_count(const struct sim_quant *q)
{
	return q->hist ? (size_t)q->hist->n : 0;
}

/* The k-th smallest (0-based) of v[0, n), k < n; v is permuted. O(n). */
uint32_t sim_quant_select_kth(uint32_t *v, size_t n, size_t k);

#endif
