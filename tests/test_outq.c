/* outq.h and resend.h: the output ring (capacity, FIFO, full, wrap, bytes) and the re-send
 * list (per link, since_us, oldest first, once, generation check, callbacks
 * that queue new outputs while the history is being read). */
#include <stdio.h>
#include <string.h>

#include "outq.h"
#include "resend.h"
#include "testutil.h"
#include "tunnel.h"

struct cap_case {
	int num;
	size_t ask, expect; /* expect 0 = UM3N_EINVAL */
};

static const struct cap_case cap_cases[] = {
	{1, 1, 1},       {2, 2, 2}, {3, 3, 4},
	{4, 5, 8},       {5, 8, 8}, {6, 1000, 1024},
	{7, 1025, 2048}, {8, 0, 0}, {9, (1u << 20) + 1, 0},
};

static void test_outq_capacity(void)
{
	struct um3n_env env = test_env(1);

	for (size_t i = 0; i < sizeof(cap_cases) / sizeof(cap_cases[0]); i++) {
		const struct cap_case *c = &cap_cases[i];
		struct um3n_outq q;
		int rc = um3n_outq_init(&q, &env, c->ask, 0);

		CU_ASSERT_EQUAL(rc, c->expect ? 0 : UM3N_EINVAL);
		CU_ASSERT_EQUAL(q.cap, c->expect);
		if (rc == 0) {
			CU_ASSERT_EQUAL(q.mask, c->expect - 1);
			/* exactly cap reservations succeed */
			for (size_t k = 0; k < c->expect; k++) {
				CU_ASSERT_PTR_NOT_NULL(um3n_outq_reserve(&q));
				um3n_outq_commit(&q, UM3N_OUT_TUN, 0, NULL, 1);
			}
			CU_ASSERT_TRUE(um3n_outq_full(&q));
			CU_ASSERT_PTR_NULL(um3n_outq_reserve(&q));
		}
		um3n_outq_fini(&q, &env);
	}
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static void fill(uint8_t *p, size_t len, unsigned tag)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(tag * 31 + i);
}

static bool check_fill(const uint8_t *p, size_t len, unsigned tag)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(tag * 31 + i))
			return false;
	return true;
}

static size_t push(struct um3n_outq *q, unsigned tag)
{
	uint8_t *b = um3n_outq_reserve(q);
	struct um3n_sockaddr to = {.port = (uint16_t)(1000 + tag)};
	size_t len = 20 + tag % 1500;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	um3n_addr_from_v4(&to.ip, 0x0a000000u + tag);
	fill(b, len, tag);
	return um3n_outq_commit(q, tag % 2 ? UM3N_OUT_UDP : UM3N_OUT_TUN, (int)(tag % 3), &to, len);
}

static bool pop_check(struct um3n_outq *q, unsigned tag)
{
	struct um3n_out o;

	if (!um3n_outq_pop(q, &o))
		return false;
	return o.kind == (tag % 2 ? UM3N_OUT_UDP : UM3N_OUT_TUN) && o.link == (int)(tag % 3) &&
	       o.to.port == 1000 + tag && um3n_addr_v4(&o.to.ip) == 0x0a000000u + tag &&
	       o.len == 20 + tag % 1500 && check_fill(o.data, o.len, tag);
}

/* Numbered push/pop schedules on a 4-slot ring: FIFO across wrap-around. */
static void test_outq_fifo_wrap(void)
{
	static const struct {
		int num;
		int push, pop; /* this many pushes, then this many pops */
	} steps[] = {
		{1, 3, 2}, {2, 3, 0}, {3, 0, 4}, {4, 4, 3},
		{5, 1, 2}, {6, 4, 4}, {7, 2, 1}, {8, 0, 1},
	};
	struct um3n_env env = test_env(1);
	struct um3n_outq q;
	struct um3n_out o;
	unsigned next_push = 0, next_pop = 0;

	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 4, 0), 0);
	CU_ASSERT_FALSE(um3n_outq_pop(&q, &o));
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		for (int k = 0; k < steps[i].push; k++)
			push(&q, next_push++);
		for (int k = 0; k < steps[i].pop; k++) {
			bool ok = pop_check(&q, next_pop++);

			if (!ok)
				fprintf(stderr, "\n  fifo step %d pop %d\n", steps[i].num, k);
			CU_ASSERT_TRUE(ok);
		}
		CU_ASSERT_EQUAL(q.count, next_push - next_pop);
	}
	CU_ASSERT_FALSE(um3n_outq_pop(&q, &o));
	CU_ASSERT_EQUAL(next_push, 17);
	um3n_outq_fini(&q, &env);
}

/* Full: reserve gives NULL and nothing already queued is disturbed. */
static void test_outq_full(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_outq q;

	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 8, 0), 0);
	for (unsigned t = 0; t < 8; t++)
		push(&q, t);
	CU_ASSERT_PTR_NULL(um3n_outq_reserve(&q));
	CU_ASSERT_TRUE(pop_check(&q, 0));
	CU_ASSERT_FALSE(um3n_outq_full(&q));
	push(&q, 8);
	CU_ASSERT_PTR_NULL(um3n_outq_reserve(&q));
	for (unsigned t = 1; t <= 8; t++)
		CU_ASSERT_TRUE(pop_check(&q, t));
	um3n_outq_fini(&q, &env);
}

/* What the re-send callback saw. */
struct seen {
	unsigned n;
	unsigned tags[64];
	bool intact[64];
	struct um3n_outq *q;
	unsigned per_call; /* the callback first queues this many new outputs */
	unsigned queued;
};

static unsigned tag_of(const uint8_t *p, size_t len)
{
	/* tags are < 1500, so len = 20 + tag identifies it */
	(void)p;
	return (unsigned)(len - 20);
}

static void on_resend(void *ctx, const uint8_t *dgram, size_t len)
{
	struct seen *s = ctx;
	unsigned tag = tag_of(dgram, len);

	for (unsigned k = 0; k < s->per_call && s->q && um3n_outq_reserve(s->q); k++) {
		/* scribble over whatever slot is next, which may hold the very bytes
		 * handed to us unless they were copied */
		memset(um3n_outq_reserve(s->q), 0xEE, UM3N_PKT_MAX);
		um3n_outq_commit(s->q, UM3N_OUT_UDP, 1, NULL, 100);
		s->queued++;
	}
	if (s->n < 64) {
		s->tags[s->n] = tag;
		s->intact[s->n] = check_fill(dgram, len, tag);
	}
	s->n++;
}

/* Pushes `tag` on `link` at `now_us`, pops it (the driver sends it), and
 * remembers it for re-sending. */
static void send_one(struct um3n_outq *q, struct um3n_resend *r, unsigned tag, int link,
		     uint64_t now_us)
{
	struct um3n_out o;
	size_t slot = push(q, tag);

	um3n_resend_remember(r, q, now_us, link, slot, tag, false);
	CU_ASSERT_TRUE(um3n_outq_pop(q, &o));
}

struct take_case {
	int num;
	int link;
	uint64_t since_us;
	unsigned expect[8];
	unsigned n;
};

/* History (tag:link@time): 0:0@100 1:1@200 2:0@300 3:0@400 4:1@500 5:0@600 */
/* clang-format off */
static const struct take_case take_cases[] = {
	{1, 0, 0, {0, 2, 3, 5}, 4},
	{2, 1, 0, {1, 4}, 2},
	{3, 0, 300, {2, 3, 5}, 3},
	{4, 0, 301, {3, 5}, 2},
	{5, 1, 501, {0}, 0},
	{6, 2, 0, {0}, 0},
};
/* clang-format on */

static void test_resend_take_cases(void)
{
	struct um3n_env env = test_env(1);

	for (size_t i = 0; i < sizeof(take_cases) / sizeof(take_cases[0]); i++) {
		const struct take_case *c = &take_cases[i];
		static const int links[6] = {0, 1, 0, 0, 1, 0};
		struct um3n_outq q;
		struct um3n_resend r;
		struct seen s = {0};
		size_t n;

		CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 16, 0), 0);
		CU_ASSERT_EQUAL_FATAL(um3n_resend_init(&r, &env, 8), 0);
		for (unsigned t = 0; t < 6; t++)
			send_one(&q, &r, t, links[t], 100 * (t + 1));
		n = um3n_resend_take(&r, &q, c->link, c->since_us, UINT64_MAX, on_resend, &s);
		if (n != c->n)
			fprintf(stderr, "\n  take case %d: %zu want %u\n", c->num, n, c->n);
		CU_ASSERT_EQUAL(n, c->n);
		CU_ASSERT_EQUAL(s.n, c->n);
		for (unsigned k = 0; k < s.n && k < c->n; k++) {
			CU_ASSERT_EQUAL(s.tags[k], c->expect[k]);
			CU_ASSERT_TRUE(s.intact[k]);
		}
		/* each once: a second take finds nothing of what the first gave */
		memset(&s, 0, sizeof(s));
		CU_ASSERT_EQUAL(um3n_resend_take(&r, &q, c->link, c->since_us, UINT64_MAX,
						 on_resend, &s),
				0);
		um3n_resend_fini(&r, &env);
		um3n_outq_fini(&q, &env);
	}
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* The ring of history is shorter than the traffic: the list keeps the last
 * `cap` entries (oldest first from there), and entries whose outq slot was
 * reused since are skipped even though the list still has them. */
static void test_resend_wrap_and_generation(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_outq q;
	struct um3n_resend r;
	struct seen s = {0};

	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 8, 0), 0);
	CU_ASSERT_EQUAL_FATAL(um3n_resend_init(&r, &env, 4), 0);
	for (unsigned t = 0; t < 10; t++)
		send_one(&q, &r, t, 0, 1000 + t);
	/* list holds 6..9; all slots still hold them (8-slot ring) */
	CU_ASSERT_EQUAL(um3n_resend_take(&r, &q, 0, 0, UINT64_MAX, on_resend, &s), 4);
	CU_ASSERT_EQUAL(s.tags[0], 6);
	CU_ASSERT_EQUAL(s.tags[3], 9);

	/* now remember 10..13 (slots 2..5), then overwrite slots 2 and 3 with
	 * outputs that are not remembered (e.g. registration messages) */
	for (unsigned t = 10; t < 14; t++)
		send_one(&q, &r, t, 0, 2000 + t);
	for (unsigned t = 14; t < 20; t++) {
		struct um3n_out o;

		push(&q, t);
		CU_ASSERT_TRUE(um3n_outq_pop(&q, &o));
	}
	/* 14..19 went into slots 6,7,0,1,2,3: 10 and 11 are gone */
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(um3n_resend_take(&r, &q, 0, 0, UINT64_MAX, on_resend, &s), 2);
	CU_ASSERT_EQUAL(s.tags[0], 12);
	CU_ASSERT_EQUAL(s.tags[1], 13);
	CU_ASSERT_TRUE(s.intact[0] && s.intact[1]);
	um3n_resend_fini(&r, &env);
	um3n_outq_fini(&q, &env);

	/* a disabled list remembers nothing */
	CU_ASSERT_EQUAL(um3n_resend_init(&r, &env, 0), 0);
	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 4, 0), 0);
	send_one(&q, &r, 1, 0, 1);
	CU_ASSERT_EQUAL(um3n_resend_take(&r, &q, 0, 0, UINT64_MAX, on_resend, &s), 0);
	um3n_resend_fini(&r, &env);
	um3n_outq_fini(&q, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* The failover case: the callback re-queues each datagram (here: scribbles a
 * new output) onto the ring that holds the history it is reading. What it
 * reads must be the original bytes; entries whose slot its own outputs reused
 * are skipped, never delivered corrupted. */
static void test_resend_callback_queues(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_outq q;
	struct um3n_resend r;
	struct seen s = {0};
	size_t n;

	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 4, 0), 0);
	CU_ASSERT_EQUAL_FATAL(um3n_resend_init(&r, &env, 8), 0);
	/* 4 sent and popped: head is back at slot 0, which holds tag 0 */
	for (unsigned t = 0; t < 4; t++)
		send_one(&q, &r, t, 0, 10 + t);
	s.q = &q;
	s.per_call = 1;
	n = um3n_resend_take(&r, &q, 0, 0, UINT64_MAX, on_resend, &s);
	/* each callback writes the slot of the datagram it is being handed */
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(s.queued, 4);
	for (unsigned k = 0; k < s.n && k < 4; k++) {
		CU_ASSERT_EQUAL(s.tags[k], k);
		CU_ASSERT_TRUE(s.intact[k]);
	}

	/* Now two outputs per callback: they land on slots later entries point to. */
	um3n_resend_fini(&r, &env);
	um3n_outq_fini(&q, &env);
	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 4, 0), 0);
	CU_ASSERT_EQUAL_FATAL(um3n_resend_init(&r, &env, 8), 0);
	for (unsigned t = 0; t < 4; t++)
		send_one(&q, &r, t, 0, 10 + t);
	memset(&s, 0, sizeof(s));
	s.q = &q;
	s.per_call = 2;
	n = um3n_resend_take(&r, &q, 0, 0, UINT64_MAX, on_resend, &s);
	/* tag 0 read, its callback fills slots 0, 1 -> tag 1 skipped; tag 2 read,
	 * its callback fills slots 2, 3 -> tag 3 skipped */
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_EQUAL(s.tags[0], 0);
	CU_ASSERT_EQUAL(s.tags[1], 2);
	CU_ASSERT_EQUAL(s.queued, 4);
	for (unsigned k = 0; k < s.n && k < 64; k++)
		CU_ASSERT_TRUE(s.intact[k]);
	um3n_resend_fini(&r, &env);
	um3n_outq_fini(&q, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* By-reference outputs (decapsulated packets): the popped pointer is the
 * caller's buffer, interleaved in order with copied ones; a full ring refuses
 * them; one landing on a remembered slot retires that history entry. */
static void test_outq_push_ref(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_outq q;
	struct um3n_resend r;
	struct seen s = {0};
	uint8_t ext[3][64];
	struct um3n_out o;

	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 4, 0), 0);
	CU_ASSERT_EQUAL_FATAL(um3n_resend_init(&r, &env, 4), 0);
	push(&q, 1);
	CU_ASSERT_TRUE(um3n_outq_push_ref(&q, UM3N_OUT_TUN, 2, ext[0], 10));
	push(&q, 3);
	CU_ASSERT_TRUE(um3n_outq_push_ref(&q, UM3N_OUT_TUN, -1, ext[1], 64));
	CU_ASSERT_FALSE(um3n_outq_push_ref(&q, UM3N_OUT_TUN, 0, ext[2], 1));
	CU_ASSERT_TRUE(pop_check(&q, 1));
	CU_ASSERT_TRUE(um3n_outq_pop(&q, &o));
	CU_ASSERT_PTR_EQUAL(o.data, ext[0]);
	CU_ASSERT_EQUAL(o.len, 10);
	CU_ASSERT_EQUAL(o.link, 2);
	CU_ASSERT_EQUAL(o.kind, UM3N_OUT_TUN);
	/* slot 2 (tag 3) comes back from the ring, not from a stale ext */
	CU_ASSERT_TRUE(pop_check(&q, 3));
	CU_ASSERT_TRUE(um3n_outq_pop(&q, &o));
	CU_ASSERT_PTR_EQUAL(o.data, ext[1]);
	CU_ASSERT_FALSE(um3n_outq_pop(&q, &o));

	/* head is slot 0 again: remember datagrams in slots 0 and 1, then go
	 * round by reference through slots 2, 3 and 0; only slot 1's is re-sent */
	send_one(&q, &r, 7, 0, 100);
	send_one(&q, &r, 8, 0, 101);
	for (unsigned i = 0; i < 3; i++) {
		CU_ASSERT_TRUE(um3n_outq_push_ref(&q, UM3N_OUT_TUN, 0, ext[2], 5));
		CU_ASSERT_TRUE(um3n_outq_pop(&q, &o));
	}
	CU_ASSERT_EQUAL(um3n_resend_take(&r, &q, 0, 0, UINT64_MAX, on_resend, &s), 1);
	CU_ASSERT_EQUAL(s.tags[0], 8);
	CU_ASSERT_TRUE(s.intact[0]);
	um3n_resend_fini(&r, &env);
	um3n_outq_fini(&q, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* Encapsulates pkt into the next slot, as the data path does: the datagram
 * length, or an error when the queue is full or it does not fit the slot. */
static int encap_one(struct um3n_outq *q, const uint8_t *pkt, size_t len, uint32_t seq)
{
	struct um3n_sockaddr to = {.port = 434};
	uint8_t *buf = um3n_outq_reserve(q);
	int dlen;

	if (!buf)
		return UM3N_ENOBUFS;
	dlen = um3n_tunnel_encap(buf, q->slot, pkt, len, false, seq);
	if (dlen >= 0)
		um3n_outq_commit(q, UM3N_OUT_UDP, 0, &to, (size_t)dlen);
	return dlen;
}

/* Slot size: bounds, consecutive slots back to back, encapsulation limited
 * to the slot. */
static void test_outq_slot_size(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_outq q;
	uint8_t pkt[1500] = {0x45};
	struct um3n_out a = {0}, b = {0};

	CU_ASSERT_EQUAL(um3n_outq_init(&q, &env, 4, UM3N_OUTQ_SLOT_MIN - 1), UM3N_EINVAL);
	CU_ASSERT_EQUAL(um3n_outq_init(&q, &env, 4, UM3N_PKT_MAX + 1), UM3N_EINVAL);
	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 4, 1472), 0);
	CU_ASSERT_EQUAL(q.slot, 1472);
	CU_ASSERT_EQUAL(encap_one(&q, pkt, 1460, 1), 1472);
	CU_ASSERT_EQUAL(encap_one(&q, pkt, 1460, 2), 1472);
	CU_ASSERT(encap_one(&q, pkt, 1461, 3) < 0);
	CU_ASSERT_TRUE(um3n_outq_pop(&q, &a) && um3n_outq_pop(&q, &b));
	CU_ASSERT_PTR_EQUAL(b.data, a.data + a.len); /* full-size datagrams back to back */
	CU_ASSERT_FALSE(um3n_outq_pop(&q, &a));
	um3n_outq_fini(&q, &env);
	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 4, 0), 0);
	CU_ASSERT_EQUAL(q.slot, UM3N_PKT_MAX);
	um3n_outq_fini(&q, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* A byte budget (a failover's, aqm.h): the newest datagrams that fit it go,
 * oldest first among them; the older ones are forgotten unsent. */
static void test_resend_budget_newest(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_outq q;
	struct um3n_resend r;
	struct seen s = {0};

	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 16, 0), 0);
	CU_ASSERT_EQUAL_FATAL(um3n_resend_init(&r, &env, 16), 0);
	/* tags 100..105 on link 0 (lengths 20 + tag: 120..125 bytes), 200 on link 1 */
	for (unsigned t = 100; t < 106; t++)
		send_one(&q, &r, t, 0, t);
	send_one(&q, &r, 200, 1, 300);
	/* 124 + 125 = 249 fit in 250, 123 more do not: the two newest */
	CU_ASSERT_EQUAL(um3n_resend_take(&r, &q, 0, 0, 250, on_resend, &s), 2);
	CU_ASSERT_EQUAL(s.tags[0], 104);
	CU_ASSERT_EQUAL(s.tags[1], 105);
	/* the older ones were forgotten; link 1's entry was not */
	CU_ASSERT_EQUAL(um3n_resend_take(&r, &q, 0, 0, UINT64_MAX, on_resend, &s), 0);
	CU_ASSERT_EQUAL(um3n_resend_take(&r, &q, 1, 0, 0, on_resend, &s), 0);
	send_one(&q, &r, 201, 1, 301);
	CU_ASSERT_EQUAL(um3n_resend_take(&r, &q, 1, 0, 1000, on_resend, &s), 1);
	CU_ASSERT_EQUAL(s.tags[2], 201);
	um3n_resend_fini(&r, &env);
	um3n_outq_fini(&q, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* Datagrams a few bytes short of the slot (no GRE key: UM3N_DATA_OVERHEAD
 * under a slot sized for UM3N_DATA_KEYED_OVERHEAD) still lie back to back,
 * and the ring starts over at the front when a slot no longer fits. */
static void test_outq_packed(void)
{
	struct um3n_env env = test_env(1);
	struct um3n_outq q;
	struct um3n_out o = {0};
	const uint8_t *prev_end = NULL;
	unsigned wraps = 0;

	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 4, 1472), 0);
	for (unsigned t = 0; t < 40; t++) {
		uint8_t *b = um3n_outq_reserve(&q);

		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		fill(b, 1468, t);
		um3n_outq_commit(&q, UM3N_OUT_UDP, 0, NULL, 1468);
		CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&q, &o));
		CU_ASSERT_TRUE(check_fill(o.data, o.len, t));
		if (prev_end && o.data != prev_end) {
			CU_ASSERT_PTR_EQUAL(o.data, q.bufs); /* only a wrap breaks the run */
			CU_ASSERT(prev_end + 1472 > q.bufs + q.bytes);
			wraps++;
		}
		prev_end = o.data + o.len;
	}
	CU_ASSERT(wraps >= 7); /* 40 datagrams through a 5-slot buffer */
	um3n_outq_fini(&q, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* Mixed sizes, each reservation scribbled over in full before its commit:
 * the cap - 1 entries before it keep their bytes (the re-send history reads
 * them), which is what the buffer's spare slot is for (outq.h). */
static void test_outq_packed_history(void)
{
	enum { CAP = 8, SLOT = 1400 };
	struct um3n_env env = test_env(1);
	struct um3n_outq q;
	struct um3n_out o;
	size_t idx[CAP];
	uint32_t gen[CAP];
	uint64_t rng = 42;
	bool intact = true;

	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, CAP, SLOT), 0);
	for (unsigned t = 0; t < 20000 && intact; t++) {
		size_t len;
		uint8_t *b = um3n_outq_reserve(&q);

		rng = rng * 6364136223846793005u + 1442695040888963407u;
		/* mostly a whole slot, the worst case; one in eight anything up to
		 * it, which moves where the buffer's end cuts (the waste) */
		len = rng >> 61 ? SLOT : 1 + (rng >> 33) % SLOT;
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		memset(b, 0xEE, SLOT);
		fill(b, len, t);
		idx[t % CAP] = um3n_outq_commit(&q, UM3N_OUT_UDP, 0, NULL, len);
		gen[t % CAP] = q.meta[idx[t % CAP]].gen;
		if (q.count > (rng >> 40) % CAP)
			CU_ASSERT_TRUE(um3n_outq_pop(&q, &o));
		/* t and the cap - 1 before it: the reservation came after them */
		for (unsigned k = t >= CAP - 1 ? t - (CAP - 1) : 0; k <= t; k++) {
			const struct um3n_outq_slot *s = &q.meta[idx[k % CAP]];

			intact = intact && s->gen == gen[k % CAP] &&
				 check_fill(um3n_outq_bytes(&q, idx[k % CAP]), s->len, k);
		}
	}
	CU_ASSERT_TRUE(intact);
	um3n_outq_fini(&q, &env);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static CU_TestInfo queue_tests[] = {
	{"01 outq: capacity rounds up to a power of two", test_outq_capacity},
	{"02 outq: FIFO across wrap, bytes and metadata", test_outq_fifo_wrap},
	{"03 outq: full -> reserve NULL", test_outq_full},
	{"04 resend: per link, since_us, oldest first, once", test_resend_take_cases},
	{"05 resend: list wrap and slot generation check", test_resend_wrap_and_generation},
	{"06 resend: callback queueing while reading", test_resend_callback_queues},
	{"07 outq: by-reference outputs, full ring, history retired", test_outq_push_ref},
	{"08 outq: slot size bounds, back-to-back slots", test_outq_slot_size},
	{"09 resend: a byte budget keeps the newest", test_resend_budget_newest},
	{"10 outq: shorter datagrams back to back, wrap at the end", test_outq_packed},
	{"11 outq: mixed sizes keep the last cap - 1 entries' bytes", test_outq_packed_history},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"queue", queue_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
