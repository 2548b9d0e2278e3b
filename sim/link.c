/* One direction of a simulated link: serialiser, delay, jitter, losses. */
#include "link.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static uint64_t capacity_at(const struct sim_link *l, uint64_t t_us)
{
	if (l->conf.trace)
		return sim_trace_capacity_at(l->conf.trace, t_us);
	return t_us * l->conf.rate_bps;
}

static uint64_t time_for(const struct sim_link *l, uint64_t ubits)
{
	if (l->conf.trace)
		return sim_trace_time_for(l->conf.trace, ubits);
	return (ubits + l->conf.rate_bps - 1) / l->conf.rate_bps;
}

static int by_start(const void *a, const void *b)
{
	const struct sim_outage *x = a, *y = b;

	if (x->start_us != y->start_us)
		return x->start_us < y->start_us ? -1 : 1;
	return x->end_us < y->end_us ? -1 : x->end_us > y->end_us;
}

/* The union of the outages as sorted disjoint spans: a packet overlaps some
 * outage exactly when it overlaps some span (touching ones are merged, so
 * "to >= start" of the next still counts as in the former's union). */
static int build_spans(struct sim_link *l, const struct sim_outage *o, size_t n)
{
	size_t k = 0;

	if (n == 0)
		return 0;
	l->span = malloc(n * sizeof(*l->span));
	if (!l->span)
		return UM3N_ENOMEM;
	memcpy(l->span, o, n * sizeof(*o));
	qsort(l->span, n, sizeof(*l->span), by_start);
	for (size_t i = 1; i < n; i++) {
		if (l->span[i].start_us <= l->span[k].end_us) {
			if (l->span[i].end_us > l->span[k].end_us)
				l->span[k].end_us = l->span[i].end_us;
		} else {
			l->span[++k] = l->span[i];
		}
	}
	l->n_span = k + 1;
	return 0;
}

void sim_link_free(struct sim_link *l)
{
	free(l->span);
	l->span = NULL;
	l->n_span = l->span_cur = 0;
}

int sim_link_init(struct sim_link *l, const struct sim_link_conf *conf)
{
	const uint32_t probs[] = {conf->loss_ppb, conf->ge_p_gb_ppb, conf->ge_p_bg_ppb,
				  conf->ge_loss_good_ppb, conf->ge_loss_bad_ppb};

	memset(l, 0, sizeof(*l));
	if (!conf->trace && conf->rate_bps == 0)
		return UM3N_EINVAL;
	assert(conf->outages || conf->n_outages == 0);
	for (size_t i = 0; i < sizeof(probs) / sizeof(probs[0]); i++)
		if (probs[i] > SIM_PPB)
			return UM3N_EINVAL;
	for (size_t i = 0; i < conf->n_outages; i++)
		if (conf->outages[i].end_us <= conf->outages[i].start_us)
			return UM3N_EINVAL;
	l->conf = *conf;
	l->conf.outages = NULL; /* the spans stand for them */
	if (build_spans(l, conf->outages, conf->n_outages))
		return UM3N_ENOMEM;
	/* Separate streams: a change in traffic changes how many loss draws are
	 * made but never shifts the jitter sequence, and vice versa. */
	um3n_prng_seed(&l->loss_rng, conf->seed ^ 0x6c6f7373ULL);
	um3n_prng_seed(&l->jitter_rng, conf->seed ^ 0x6a697474ULL);
	return 0;
}

static bool chance(struct um3n_prng *rng, uint32_t ppb)
{
	if (ppb == 0)
		return false;
	if (ppb >= SIM_PPB)
		return true;
	return um3n_prng_below(rng, SIM_PPB) < ppb;
}

static bool ge_enabled(const struct sim_link_conf *c)
{
	return c->ge_p_gb_ppb || c->ge_loss_good_ppb;
}

/* One Gilbert-Elliott step per packet: move between Good and Bad, then lose
 * the packet with the loss probability of the state we are in. */
static bool ge_lost(struct sim_link *l)
{
	const struct sim_link_conf *c = &l->conf;

	if (l->ge_bad) {
		if (chance(&l->loss_rng, c->ge_p_bg_ppb))
			l->ge_bad = false;
	} else if (chance(&l->loss_rng, c->ge_p_gb_ppb)) {
		l->ge_bad = true;
	}
	return chance(&l->loss_rng, l->ge_bad ? c->ge_loss_bad_ppb : c->ge_loss_good_ppb);
}

bool sim_link_in_outage(const struct sim_link *l, uint64_t t_us)
{
	size_t lo = 0, hi = l->n_span; /* the first span starting after t_us */

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->span[mid].start_us <= t_us)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && t_us < l->span[lo - 1].end_us;
}

/* from_us does not decrease between calls (it is the submit time): spans
 * that ended before it are passed for good. */
static bool outage_overlaps(struct sim_link *l, uint64_t from_us, uint64_t to_us)
{
	while (l->span_cur < l->n_span && l->span[l->span_cur].end_us <= from_us)
		l->span_cur++;
	return l->span_cur < l->n_span && to_us >= l->span[l->span_cur].start_us;
}

uint64_t sim_link_backlog(struct sim_link *l, uint64_t now_us)
{
	while (l->ring_count && l->ring_end_us[l->ring_head] <= now_us) {
		l->backlog_bytes -= l->ring_len[l->ring_head];
		l->ring_head = (l->ring_head + 1) % SIM_LINK_RING;
		l->ring_count--;
	}
	return l->backlog_bytes;
}

uint64_t sim_link_tx_time_us(const struct sim_link *l, uint64_t t_us, uint32_t len)
{
	uint64_t start = capacity_at(l, t_us);

	return time_for(l, start + (uint64_t)len * SIM_UBITS_PER_BYTE) - t_us;
}

/* Capacity not used while the link idles is gone: the serialiser starts from
 * max(its cursor, the capacity available now). Partial mahimahi opportunities
 * carry over to the next packet, as in mahimahi's own queue. */
static uint64_t serialise(struct sim_link *l, uint64_t now_us, uint32_t len)
{
	uint64_t avail = capacity_at(l, now_us);

	if (l->cursor_ubits < avail)
		l->cursor_ubits = avail;
	l->cursor_ubits += (uint64_t)len * SIM_UBITS_PER_BYTE;
	return time_for(l, l->cursor_ubits);
}

static void backlog_push(struct sim_link *l, uint64_t tx_end_us, uint32_t len)
{
	size_t slot = (l->ring_head + l->ring_count) % SIM_LINK_RING;

	l->ring_end_us[slot] = tx_end_us;
	l->ring_len[slot] = len;
	l->ring_count++;
	l->backlog_bytes += len;
}

static uint64_t jittered_arrival(struct sim_link *l, uint64_t tx_end_us)
{
	uint64_t arrive = tx_end_us + l->conf.delay_us;

	if (l->conf.jitter_us)
		arrive += um3n_prng_below(&l->jitter_rng, (uint64_t)l->conf.jitter_us + 1);
	if (!l->conf.allow_reorder && arrive < l->last_arrive_us)
		arrive = l->last_arrive_us; /* FIFO: wait behind the previous packet */
	l->last_arrive_us = arrive;
	return arrive;
}

int sim_link_submit(struct sim_link *l, uint64_t now_us, uint32_t len,
		    enum sim_link_verdict *verdict, uint64_t *arrive_us)
{
	uint64_t backlog = sim_link_backlog(l, now_us), tx_end;
	bool lost;

	l->stats.sent_pkts++;
	l->stats.sent_bytes += len;
	*arrive_us = 0;
	if ((l->conf.queue_bytes && backlog + len > l->conf.queue_bytes) ||
	    l->ring_count == SIM_LINK_RING) {
		l->stats.drop_queue++;
		*verdict = SIM_LINK_DROP_QUEUE;
		return 0;
	}
	/* Draw the loss before anything else so the random sequence depends only
	 * on the number of packets that reached the serialiser. */
	lost = chance(&l->loss_rng, l->conf.loss_ppb);
	if (ge_enabled(&l->conf) && ge_lost(l))
		lost = true;
	tx_end = serialise(l, now_us, len);
	backlog_push(l, tx_end, len);
	if (outage_overlaps(l, now_us, tx_end + l->conf.delay_us)) {
		l->stats.drop_outage++;
		*verdict = SIM_LINK_DROP_OUTAGE;
		return 0;
	}
	if (lost) {
		l->stats.drop_loss++;
		*verdict = SIM_LINK_DROP_LOSS;
		return 0;
	}
	*arrive_us = jittered_arrival(l, tx_end);
	l->stats.deliver_pkts++;
	l->stats.deliver_bytes += len;
	*verdict = SIM_LINK_DELIVER;
	return 0;
}

const char *sim_link_verdict_name(enum sim_link_verdict v)
{
	switch (v) {
	case SIM_LINK_DELIVER: return "deliver";
	case SIM_LINK_DROP_QUEUE: return "drop-queue";
	case SIM_LINK_DROP_LOSS: return "drop-loss";
	case SIM_LINK_DROP_OUTAGE: return "drop-outage";
	}
	return "?";
}
