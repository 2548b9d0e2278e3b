/* Handover figures of one flow from send and delivery times (definitions in
 * hometric.h), and the reader of their shared text format. */
#include "hometric.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "um3n.h"

struct seg {
	uint64_t from, to;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

/* Nearest rank, as metrics.c: the ceil(p * n)-th smallest of sorted v. */
static size_t rank_of(size_t n, double p)
{
	size_t rank = (size_t)(p * (double)n + 0.999999);

	assert(n > 0);
	return rank < 1 ? 0 : rank > n ? n - 1 : rank - 1;
}

/* The length of (a, b) inside the window. */
static uint64_t clipped(uint64_t a, uint64_t b, const struct sim_hometric_window *w)
{
	uint64_t lo = a > w->from_us ? a : w->from_us, hi = b < w->to_us ? b : w->to_us;

	return hi > lo ? hi - lo : 0;
}

static uint64_t owd(const struct sim_hometric_pkt *p)
{
	assert(p->recv_us != SIM_HOMETRIC_LOST);
	return p->recv_us > p->send_us ? p->recv_us - p->send_us : 0; /* no negative delays */
}

/* Median one-way delay of the packets delivered that were sent before the
 * event; of all delivered packets when none was; 0 when nothing arrived. */
static uint64_t base_delay(const struct sim_hometric_pkt *p, size_t n, uint64_t at_us,
			   uint64_t *scratch)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i].recv_us != SIM_HOMETRIC_LOST && p[i].send_us < at_us)
			scratch[k++] = owd(&p[i]);
	if (k == 0)
		for (size_t i = 0; i < n; i++)
			if (p[i].recv_us != SIM_HOMETRIC_LOST)
				scratch[k++] = owd(&p[i]);
	if (k == 0)
		return 0;
	qsort(scratch, k, sizeof(*scratch), cmp_u64);
	return scratch[rank_of(k, 0.5)];
}

/* The longest stretch without a delivery in [start, to_us] (d sorted). */
static uint64_t silence(const uint64_t *d, size_t nd, uint64_t start,
			const struct sim_hometric_window *w)
{
	uint64_t prev = start, best = 0, len;

	for (size_t k = 0; k < nd; k++) {
		if (d[k] <= prev)
			continue;
		len = clipped(prev, d[k], w);
		best = len > best ? len : best;
		prev = d[k];
	}
	len = clipped(prev, w->to_us, w);
	return len > best ? len : best;
}

/* Index of the first delivery after t (d sorted). */
static size_t first_after(const uint64_t *d, size_t nd, uint64_t t)
{
	size_t lo = 0, hi = nd;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The union of the owed stretches, cut at every delivery, clipped to the
 * window: its longest piece. */
static uint64_t added_gap(const struct sim_hometric_pkt *p, size_t n, uint64_t base,
			  const uint64_t *d, size_t nd, const struct sim_hometric_window *w,
			  struct seg *segs)
{
	size_t ns = 0;
	uint64_t best = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t due = p[i].send_us + base, until;

		if (p[i].recv_us != SIM_HOMETRIC_LOST)
			until = p[i].recv_us;
		else
			until = i + 1 < n ? p[i + 1].send_us + base : w->to_us;
		if (until > due)
			segs[ns++] = (struct seg){due, until};
	}
	qsort(segs, ns, sizeof(*segs), cmp_seg);
	for (size_t i = 0; i < ns;) {
		struct seg u = segs[i++];
		uint64_t lo, hi, x;
		size_t k;

		while (i < ns && segs[i].from <= u.to) {
			u.to = segs[i].to > u.to ? segs[i].to : u.to;
			i++;
		}
		lo = u.from > w->from_us ? u.from : w->from_us;
		hi = u.to < w->to_us ? u.to : w->to_us;
		if (hi <= lo)
			continue;
		x = lo;
		for (k = first_after(d, nd, lo); k < nd && d[k] < hi; k++) {
			best = d[k] - x > best ? d[k] - x : best;
			x = d[k];
		}
		best = hi - x > best ? hi - x : best;
	}
	return best;
}

static void extra_delay(const struct sim_hometric_pkt *p, size_t n, uint64_t base,
			const struct sim_hometric_window *w, int64_t *scratch,
			struct sim_hometric *r)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i].recv_us != SIM_HOMETRIC_LOST && p[i].send_us >= w->from_us &&
		    p[i].send_us <= w->to_us)
			scratch[k++] = (int64_t)owd(&p[i]) - (int64_t)base;
	if (k == 0)
		return;
	qsort(scratch, k, sizeof(*scratch), cmp_i64);
	r->extra_p50_us = scratch[rank_of(k, 0.50)];
	r->extra_p99_us = scratch[rank_of(k, 0.99)];
	r->extra_max_us = scratch[k - 1];
}

/* Deliveries in time order, each growing the in-order prefix or not. */
static uint64_t stall(const struct sim_hometric_pkt *p, size_t n, uint64_t start,
		      const struct sim_hometric_window *w, struct seg *by_time, bool *have)
{
	size_t nd = 0, prefix = 0;
	uint64_t prev = start, best = 0, len;

	for (size_t i = 0; i < n; i++)
		if (p[i].recv_us != SIM_HOMETRIC_LOST)
			by_time[nd++] = (struct seg){p[i].recv_us, i}; /* (time, index) */
	qsort(by_time, nd, sizeof(*by_time), cmp_seg);
	for (size_t k = 0; k < nd; k++) {
		size_t old = prefix;

		have[by_time[k].to] = true;
		while (prefix < n && have[prefix])
			prefix++;
		if (prefix == old || by_time[k].from <= prev)
			continue;
		len = clipped(prev, by_time[k].from, w);
		best = len > best ? len : best;
		prev = by_time[k].from;
	}
	len = clipped(prev, w->to_us, w);
	return len > best ? len : best;
}

static int compute(const struct sim_hometric_pkt *p, size_t n, const struct sim_hometric_window *w,
		   bool closed, const uint64_t *base_us, struct sim_hometric *r)
{
	uint64_t *d, start = UINT64_MAX;
	struct seg *segs;
	bool *have = NULL;
	size_t nd = 0;

	assert(w->from_us <= w->at_us && w->at_us <= w->to_us);
	assert(p || n == 0);
	memset(r, 0, sizeof(*r));
	r->closed = closed;
	d = malloc((n ? n : 1) * sizeof(*d));
	segs = malloc((n ? n : 1) * sizeof(*segs));
	if (closed)
		have = calloc(n ? n : 1, sizeof(*have));
	if (!d || !segs || (closed && !have)) {
		free(d);
		free(segs);
		free(have);
		return UM3N_ENOMEM;
	}
	assert(w->to_us <= SIM_HOMETRIC_TIME_MAX);
	for (size_t i = 0; i < n; i++) {
		assert(closed || i == 0 || p[i].send_us >= p[i - 1].send_us);
		assert(p[i].send_us <= SIM_HOMETRIC_TIME_MAX);
		assert(p[i].recv_us <= SIM_HOMETRIC_TIME_MAX || p[i].recv_us == SIM_HOMETRIC_LOST);
		start = p[i].send_us < start ? p[i].send_us : start;
		if (p[i].send_us >= w->from_us && p[i].send_us <= w->to_us) {
			r->sent++;
			r->lost += p[i].recv_us == SIM_HOMETRIC_LOST;
		}
	}
	r->base_us = base_us ? *base_us : base_delay(p, n, w->at_us, d);
	for (size_t i = 0; i < n; i++)
		if (p[i].recv_us != SIM_HOMETRIC_LOST)
			d[nd++] = p[i].recv_us;
	qsort(d, nd, sizeof(*d), cmp_u64);
	if (n)
		r->silence_us = silence(d, nd, start, w);
	if (closed && n) {
		r->stall_us = stall(p, n, start, w, segs, have);
	} else if (n) {
		r->added_gap_us = added_gap(p, n, r->base_us, d, nd, w, segs);
		extra_delay(p, n, r->base_us, w, (int64_t *)d, r); /* d is done with */
	}
	free(d);
	free(segs);
	free(have);
	return 0;
}

int sim_hometric_compute(const struct sim_hometric_pkt *p, size_t n,
			 const struct sim_hometric_window *w, bool closed, struct sim_hometric *r)
{
	return compute(p, n, w, closed, NULL, r);
}

int sim_hometric_compute_base(const struct sim_hometric_pkt *p, size_t n,
			      const struct sim_hometric_window *w, uint64_t base_us,
			      struct sim_hometric *r)
{
	return compute(p, n, w, false, &base_us, r);
}

int sim_hometric_get(const struct sim_hometric *r, const char *key, int64_t *value)
{
	const struct {
		const char *key;
		int64_t v;
	} t[] = {
		{"base_us", (int64_t)r->base_us},
		{"silence_us", (int64_t)r->silence_us},
		{"added_gap_us", (int64_t)r->added_gap_us},
		{"stall_us", (int64_t)r->stall_us},
		{"extra_p50_us", r->extra_p50_us},
		{"extra_p99_us", r->extra_p99_us},
		{"extra_max_us", r->extra_max_us},
		{"sent", (int64_t)r->sent},
		{"lost", (int64_t)r->lost},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(key, t[i].key)) {
			*value = t[i].v;
			return 0;
		}
	return UM3N_ENOENT;
}

/* ---- the text format ---------------------------------------------------- */

static int push(struct sim_hometric_case *c, uint64_t send, uint64_t recv)
{
	if (c->n == SIM_HOMETRIC_PKTS_MAX)
		return UM3N_EINVAL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct sim_hometric_pkt *q = realloc(c->pkts, cap * sizeof(*q));

		if (!q)
			return UM3N_ENOMEM;
		c->pkts = q;
		c->cap = cap;
	}
	c->pkts[c->n++] = (struct sim_hometric_pkt){send, recv};
	return 0;
}

/* The packets sent in [a, b): delivered after d µs, or lost (d < 0). */
static void reshape(struct sim_hometric_case *c, uint64_t a, uint64_t b, int64_t d)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->pkts[i].send_us >= a && c->pkts[i].send_us < b)
			c->pkts[i].recv_us = d < 0 ? SIM_HOMETRIC_LOST
						   : c->pkts[i].send_us + (uint64_t)d;
}

static bool ordered(const struct sim_hometric_case *c)
{
	for (size_t i = 1; i < c->n; i++)
		if (c->pkts[i].send_us < c->pkts[i - 1].send_us)
			return false;
	return true;
}

static bool in_range(const struct sim_hometric_case *c)
{
	if (c->w.to_us > SIM_HOMETRIC_TIME_MAX)
		return false;
	for (size_t i = 0; i < c->n; i++)
		if (c->pkts[i].send_us > SIM_HOMETRIC_TIME_MAX ||
		    (c->pkts[i].recv_us > SIM_HOMETRIC_TIME_MAX &&
		     c->pkts[i].recv_us != SIM_HOMETRIC_LOST))
			return false;
	return true;
}

static bool blank(const char *s) { return s[strspn(s, " \t\r\n")] == '\0'; }

/* One line; returns 1 at "end", 0 to go on, < 0 on error (*why set). */
static int parse_line(struct sim_hometric_case *c, char *s, const char **why)
{
	char word[16], tail[SIM_HOMETRIC_NAME_MAX];
	uint64_t a, b, k, x;
	int64_t v;
	int used = 0;

	if (sscanf(s, "%15s%n", word, &used) != 1 || word[0] == '#')
		return 0;
	s += used;
	if (!strcmp(word, "case") && sscanf(s, " %63s %n", c->name, &used) == 1 && !s[used])
		return 0;
	if (!strcmp(word, "window") &&
	    sscanf(s, "%" SCNu64 "%" SCNu64 "%" SCNu64 " %n", &c->w.from_us, &c->w.at_us,
		   &c->w.to_us, &used) == 3 &&
	    !s[used] && c->w.from_us <= c->w.at_us && c->w.at_us <= c->w.to_us)
		return 0;
	if (!strcmp(word, "closed") && blank(s)) {
		c->closed = true;
		return 0;
	}
	if (!strcmp(word, "pkt") && sscanf(s, "%" SCNu64 " %63s %n", &a, tail, &used) == 2 &&
	    !s[used]) {
		*why = "at most 4194304 packets a case";
		if (!strcmp(tail, "-"))
			return push(c, a, SIM_HOMETRIC_LOST);
		if (sscanf(tail, "%" SCNu64 "%n", &b, &used) == 1 && !tail[used])
			return push(c, a, b);
	}
	if (!strcmp(word, "cbr") &&
	    sscanf(s, "%" SCNu64 "%" SCNu64 "%" SCNu64 "%" SCNu64 " %n", &a, &b, &k, &x, &used) ==
		    4 &&
	    !s[used]) {
		*why = "at most 4194304 packets a case";
		for (uint64_t i = 0; i < k; i++) {
			int rc = push(c, a + i * b, a + i * b + x); /* wraps: in_range says */

			if (rc)
				return rc;
		}
		return 0;
	}
	if ((!strcmp(word, "lose") || !strcmp(word, "delay")) &&
	    sscanf(s, "%" SCNu64 "%" SCNu64 " %n", &a, &b, &used) == 2) {
		int more = 0;

		v = -1;
		if (word[0] == 'l' && !s[used]) {
			reshape(c, a, b, v);
			return 0;
		}
		if (word[0] == 'd' && sscanf(s + used, "%" SCNd64 " %n", &v, &more) == 1 &&
		    !s[used + more] && v >= 0) {
			reshape(c, a, b, v);
			return 0;
		}
	}
	if (!strcmp(word, "expect") && c->n_expect < SIM_HOMETRIC_EXPECT_MAX &&
	    sscanf(s, "%15s %" SCNd64 " %n", c->expect_key[c->n_expect], &v, &used) == 2 &&
	    !s[used]) {
		c->expect[c->n_expect++] = v;
		return 0;
	}
	if (!strcmp(word, "end") && blank(s)) {
		*why = "times at most 2^62 us";
		if (!in_range(c))
			return UM3N_EINVAL;
		*why = "send times in order (open loop)";
		return c->closed || ordered(c) ? 1 : UM3N_EINVAL;
	}
	*why = "case NAME | window FROM AT TO | closed | pkt SEND RECV|- | cbr FIRST STEP "
	       "COUNT DELAY | lose FROM TO | delay FROM TO DELAY | expect KEY VALUE | end";
	return UM3N_EINVAL;
}

int sim_hometric_read_case(FILE *f, struct sim_hometric_case *c, unsigned *line, const char **why)
{
	char buf[256];
	bool any = false;
	struct sim_hometric_pkt *keep = c->pkts;
	size_t cap = c->cap;

	memset(c, 0, sizeof(*c));
	c->pkts = keep;
	c->cap = cap;
	while (fgets(buf, sizeof(buf), f)) {
		int rc;

		++*line;
		if (!strchr(buf, '\n') && !feof(f)) {
			*why = "a line under 256 characters";
			return UM3N_EINVAL;
		}
		rc = parse_line(c, buf, why);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return 1;
		any |= !blank(buf) && buf[strspn(buf, " \t")] != '#';
	}
	*why = "end";
	return any ? UM3N_EINVAL : 0; /* a case cut short is an error, nothing at all the end */
}

void sim_hometric_case_free(struct sim_hometric_case *c)
{
	free(c->pkts);
	memset(c, 0, sizeof(*c));
}
