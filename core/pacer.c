/* The sender's own queue for aggregate rules (pacer.h): a FIFO of packet
 * copies whose bytes lie packed in one buffer, released at a rate. */
#include "pacer.h"

#include <assert.h>
#include <string.h>

#include "wire.h"

/* The smallest packet an entry is sized for: an IPv4 header and 8 bytes.
 * Smaller ones are not TCP data, which is what fills the queue; a flood of
 * them runs out of entries before bytes and is dropped the same way. */
#define PACER_MIN_PKT 28

void um3n_pacer_init(struct um3n_pacer *p, const struct um3n_env *env,
		     const struct um3n_pacer_conf *conf)
{
	memset(p, 0, sizeof(*p));
	p->env = env;
	p->conf = conf;
}

void um3n_pacer_fini(struct um3n_pacer *p)
{
	if (p->ents)
		p->env->free(p->env->ctx, p->ents);
	if (p->buf)
		p->env->free(p->env->ctx, p->buf);
	p->ents = NULL;
	p->buf = NULL;
	p->n = 0;
}

/* At the first push: an MN record that never aggregates costs nothing. The
 * buffer holds queue_bytes of packets plus one packet's waste at the wrap
 * (place() never lets the live region wrap twice). */
static int alloc_once(struct um3n_pacer *p)
{
	if (p->buf)
		return UM3N_OK;
	p->cap_ents = p->conf->queue_bytes / PACER_MIN_PKT + 1;
	p->buf_bytes = (size_t)p->conf->queue_bytes + UM3N_PKT_MAX;
	p->ents = p->env->alloc(p->env->ctx, p->cap_ents * sizeof(*p->ents));
	p->buf = p->env->alloc(p->env->ctx, p->buf_bytes);
	if (!p->ents || !p->buf) {
		um3n_pacer_fini(p);
		return UM3N_ENOMEM;
	}
	return UM3N_OK;
}

/* Where len contiguous bytes go after the newest entry without touching the
 * oldest's, or -1. The live bytes run from the head's offset to wpos, once
 * round the end at most. */
static long place(const struct um3n_pacer *p, size_t len)
{
	size_t head_off;

	if (p->n == 0)
		return len <= p->buf_bytes ? 0 : -1;
	head_off = p->ents[p->head].off;
	if (head_off < p->wpos) { /* not wrapped: after wpos, else from the start */
		if (p->wpos + len <= p->buf_bytes)
			return (long)p->wpos;
		return len <= head_off ? 0 : -1;
	}
	return p->wpos + len <= head_off ? (long)p->wpos : -1; /* wrapped: up to the head */
}

int um3n_pacer_push(struct um3n_pacer *p, const uint8_t *pkt, size_t len, uint64_t now_us)
{
	struct um3n_pacer_ent *e;
	long off;

	assert(um3n_pacer_on(p) && len > 0 && len <= UM3N_PKT_MAX);
	if (alloc_once(p) || p->st.bytes + len > p->conf->queue_bytes || p->n == p->cap_ents ||
	    (off = place(p, len)) < 0) {
		p->st.dropped++;
		return UM3N_ENOBUFS;
	}
	if (p->n == 0 && p->next_us + UM3N_PACER_BURST_US < now_us)
		p->next_us = now_us - UM3N_PACER_BURST_US; /* idle: a small burst may go */
	memcpy(p->buf + off, pkt, len);
	e = &p->ents[(p->head + p->n) % p->cap_ents];
	e->off = (uint32_t)off;
	e->len = (uint32_t)len;
	p->wpos = (size_t)off + len;
	p->n++;
	p->st.queued++;
	p->st.bytes += len;
	if (p->st.bytes > p->st.max_bytes)
		p->st.max_bytes = p->st.bytes;
	return UM3N_OK;
}

const uint8_t *um3n_pacer_due(const struct um3n_pacer *p, uint64_t now_us, uint64_t rate_bps,
			      size_t *len)
{
	const struct um3n_pacer_ent *e;

	if (!p->n || !rate_bps || p->next_us > now_us)
		return NULL;
	e = &p->ents[p->head];
	*len = e->len;
	return p->buf + e->off;
}

size_t um3n_pacer_clear(struct um3n_pacer *p)
{
	size_t n = p->n;

	p->st.dropped += n;
	p->st.bytes = 0;
	p->head = 0;
	p->n = 0;
	return n;
}

void um3n_pacer_pop(struct um3n_pacer *p, uint64_t now_us, uint64_t rate_bps, size_t wire_bytes)
{
	assert(p->n && rate_bps);
	p->st.bytes -= p->ents[p->head].len;
	p->head = (p->head + 1) % p->cap_ents;
	p->n--;
	p->st.sent++;
	p->st.rate_kbps = rate_bps / 1000;
	if (p->next_us + UM3N_PACER_BURST_US < now_us)
		p->next_us = now_us - UM3N_PACER_BURST_US;
	p->next_us += (uint64_t)wire_bytes * 8 * 1000000 / rate_bps;
}
