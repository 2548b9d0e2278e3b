/* um3n-bench-storm: a registration storm after an HA restart, engine level in
 * simulated time. N MN engines (1,000 by default), two uplinks each, 100 MNs
 * behind each NAT address (one port each), and one HA engine, wired in memory
 * with a fixed one-way delay; time advances in ticks of TICK_US. The MNs
 * register, probe every 15 ms (the default), and at RESTART_US the HA engine
 * is freed and created afresh: an empty binding cache. Each MN's probes then
 * go unanswered, its links fall silent and re-register (mn.c lm_event_by).
 * Printed: how long until the new HA holds every binding again and every MN
 * sees every uplink registered, in simulated ms and in wall ms; requests the
 * HA received and accepted, and its drops. Exit 1 if not all re-registered
 * within the limit (the figure is the point; the exit says it was reached).
 * Usage: um3n-bench-storm [--mns N] [--delay-ms D] [--limit-s S] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ha.h"
#include "mn.h"
#include "wire.h"

#define TICK_US 100u
#define RESTART_US 2000000u
#define RING 65536u /* datagrams in flight */
#define DGRAM_MAX 600u

static const uint8_t key[32] = "storm-bench-key-storm-bench-key!";

struct flight {
	uint64_t at_us;
	int mn, link; /* to_ha: from this MN's link; else to it */
	bool to_ha;
	uint16_t len;
	uint8_t data[DGRAM_MAX];
};

struct storm {
	struct um3n_env env;
	struct um3n_ha_conf hc;
	struct um3n_ha *ha;
	int n;
	struct um3n_mn **mn;
	struct um3n_mn_conf *mc;
	struct flight *ring;
	size_t head, count;
	uint64_t now_us, delay_us, lost;
};

static void *s_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return calloc(1, n);
}

static void s_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static int get_key(void *ctx, uint32_t home, uint32_t spi, uint8_t *k, size_t *len)
{
	(void)ctx;
	(void)home;
	if (spi != UM3N_SPI_HMAC_SHA256_MIN)
		return -1;
	memcpy(k, key, sizeof(key));
	*len = sizeof(key);
	return 0;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void send_dgram(struct storm *s, bool to_ha, int mn, int link, const struct um3n_out *o)
{
	struct flight *f;

	if (s->count == RING || o->len > DGRAM_MAX) {
		s->lost++;
		return;
	}
	f = &s->ring[(s->head + s->count++) % RING];
	*f = (struct flight){.at_us = s->now_us + s->delay_us,
			     .mn = mn,
			     .link = link,
			     .to_ha = to_ha,
			     .len = (uint16_t)o->len};
	memcpy(f->data, o->data, o->len);
}

/* MN i: link 0 (cell) behind NAT 198.51.100.(1 + i / 100), link 1 (wifi)
 * behind 203.0.113.(1 + i / 100), port 20000 + i on both. */
static int mn_of(const struct storm *s, const struct um3n_sockaddr *to, int *link)
{
	uint32_t ip = um3n_addr_v4(&to->ip);
	int i = to->port - 20000;

	*link = (ip >> 24) == 203;
	if (i < 0 || i >= s->n || !um3n_sockaddr_eq(&s->mc[i].links[*link].local, to))
		return -1;
	return i;
}

static void drain_ha(struct storm *s)
{
	struct um3n_out o;
	int link, i;

	while (um3n_ha_poll_output(s->ha, &o))
		if (o.kind == UM3N_OUT_UDP && (i = mn_of(s, &o.to, &link)) >= 0)
			send_dgram(s, false, i, link, &o);
}

static void drain_mn(struct storm *s, int i)
{
	struct um3n_out o;

	while (um3n_mn_poll_output(s->mn[i], &o))
		if (o.kind == UM3N_OUT_UDP)
			send_dgram(s, true, i, o.link, &o);
}

/* One tick: what arrived, then every engine whose wake-up passed. */
static void tick(struct storm *s)
{
	while (s->count && s->ring[s->head].at_us <= s->now_us) {
		struct flight *f = &s->ring[s->head];

		s->head = (s->head + 1) % RING;
		s->count--;
		if (f->to_ha) {
			um3n_ha_udp_input(s->ha, s->now_us, &s->mc[f->mn].links[f->link].local,
					  f->data, f->len);
			drain_ha(s);
		} else {
			um3n_mn_udp_input(s->mn[f->mn], s->now_us, f->link, &s->mc[f->mn].ha,
					  f->data, f->len);
			drain_mn(s, f->mn);
		}
	}
	for (int i = 0; i < s->n; i++)
		if (um3n_mn_next_wake_us(s->mn[i]) <= s->now_us) {
			um3n_mn_timeout(s->mn[i], s->now_us);
			drain_mn(s, i);
		}
	if (um3n_ha_next_wake_us(s->ha) <= s->now_us) {
		um3n_ha_timeout(s->ha, s->now_us);
		drain_ha(s);
	}
	s->now_us += TICK_US;
}

/* Every MN's every link registered, and the HA holding every binding. */
static bool all_registered(const struct storm *s)
{
	struct um3n_ha_status hs;
	struct um3n_ha_mn_status ms;
	size_t bindings = 0;

	um3n_ha_status(s->ha, s->now_us, &hs);
	if (hs.n_mns != (size_t)s->n)
		return false;
	for (int i = 0; i < s->n; i++) {
		struct um3n_mn_status st;

		um3n_mn_status(s->mn[i], s->now_us, &st);
		for (size_t l = 0; l < 2; l++)
			if (st.links[l].reg_state != UM3N_REG_REGISTERED ||
			    st.links[l].probes_answered == 0)
				return false;
	}
	for (size_t i = 0; um3n_ha_mn_status(s->ha, s->now_us, i, &ms) == 0; i++)
		bindings += ms.n_bindings;
	return bindings == 2 * (size_t)s->n;
}

static void make_mn(struct storm *s, int i)
{
	struct um3n_mn_conf *c = &s->mc[i];

	um3n_mn_conf_defaults(c);
	um3n_addr_from_v4(&c->home_addr, 0x0ac80000u + 2 + (uint32_t)i);
	c->ha = s->hc.addr;
	memcpy(c->key, key, sizeof(key));
	c->key_len = sizeof(key);
	c->n_links = 2;
	strcpy(c->links[0].name, "cell");
	c->links[0].link_class = UM3N_CLASS_CELL;
	um3n_addr_from_v4(&c->links[0].local.ip, 0xc6336401u + (uint32_t)(i / 100));
	strcpy(c->links[1].name, "wifi");
	c->links[1].link_class = UM3N_CLASS_WIFI;
	um3n_addr_from_v4(&c->links[1].local.ip, 0xcb007101u + (uint32_t)(i / 100));
	c->links[0].local.port = c->links[1].local.port = (uint16_t)(20000 + i);
	s->env.seed = 1000 + (uint64_t)i; /* each MN its own sequence numbers */
	s->mn[i] = um3n_mn_new(c, &s->env);
}

/* Runs until all are registered or limit_us passes; the simulated µs taken. */
static uint64_t run_until_registered(struct storm *s, uint64_t limit_us, double *wall_ms)
{
	uint64_t t0 = s->now_us, w0 = wall_ns();

	while (s->now_us - t0 < limit_us) {
		tick(s);
		if ((s->now_us / TICK_US) % 10 == 0 && all_registered(s))
			break;
	}
	*wall_ms = (double)(wall_ns() - w0) / 1e6;
	return s->now_us - t0;
}

static void report(const struct storm *s, const char *what, uint64_t took_us, double wall_ms)
{
	struct um3n_ha_status hs;

	um3n_ha_status(s->ha, s->now_us, &hs);
	printf("%s: %s after %.1f simulated ms (%.0f wall ms): HA holds %zu MNs, "
	       "%llu requests accepted, %llu denied, %llu replayed, %llu unknown peer\n",
	       what, all_registered(s) ? "all registered" : "NOT all registered",
	       (double)took_us / 1000, wall_ms, hs.n_mns, (unsigned long long)hs.reg_accepted,
	       (unsigned long long)hs.reg_denied, (unsigned long long)hs.drops.replayed,
	       (unsigned long long)hs.drops.unknown_peer);
}

int main(int argc, char **argv)
{
	static struct storm s;
	long n = 1000, delay_ms = 10, limit_s = 10;
	uint64_t took;
	double wall_ms;
	bool ok;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mns") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc)
			delay_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--limit-s") && i + 1 < argc)
			limit_s = atol(argv[++i]);
		else
			n = 0;
	}
	if (n < 1 || n > 25000 || delay_ms < 0 || delay_ms > 1000 || limit_s < 1 || limit_s > 600) {
		fprintf(stderr,
			"usage: %s [--mns 1..25000] [--delay-ms 0..1000] [--limit-s 1..600]\n",
			argv[0]);
		return 2;
	}
	s.n = (int)n;
	s.delay_us = (uint64_t)delay_ms * 1000;
	s.env = (struct um3n_env){.alloc = s_alloc, .free = s_free, .seed = 1};
	s.mn = calloc((size_t)n, sizeof(*s.mn));
	s.mc = calloc((size_t)n, sizeof(*s.mc));
	s.ring = calloc(RING, sizeof(*s.ring));
	um3n_ha_conf_defaults(&s.hc);
	um3n_addr_parse("192.0.2.1", &s.hc.addr.ip);
	s.hc.get_key = get_key;
	s.hc.max_mns = (size_t)n;
	s.ha = um3n_ha_new(&s.hc, &s.env);
	for (int i = 0; s.ha && s.mn && s.mc && i < s.n; i++) {
		make_mn(&s, i);
		if (!s.mn[i]) {
			fprintf(stderr, "um3n-bench-storm: MN %d not created\n", i);
			return 1;
		}
		um3n_mn_link_event(s.mn[i], 0, 0, UM3N_LINK_EV_UP, 0);
		um3n_mn_link_event(s.mn[i], 0, 1, UM3N_LINK_EV_UP, 0);
		drain_mn(&s, i);
	}
	if (!s.ha || !s.ring) {
		fprintf(stderr, "um3n-bench-storm: out of memory\n");
		return 1;
	}
	printf("%d MNs x 2 uplinks, 100 per NAT address, one-way delay %ld ms, tick %u us\n", s.n,
	       delay_ms, TICK_US);
	took = run_until_registered(&s, (uint64_t)limit_s * 1000000, &wall_ms);
	report(&s, "start", took, wall_ms);
	while (s.now_us < RESTART_US)
		tick(&s);
	um3n_ha_free(s.ha); /* the restart: every binding forgotten */
	s.ha = um3n_ha_new(&s.hc, &s.env);
	if (!s.ha)
		return 1;
	took = run_until_registered(&s, (uint64_t)limit_s * 1000000, &wall_ms);
	report(&s, "HA restart", took, wall_ms);
	ok = all_registered(&s);
	if (s.lost)
		printf("datagrams dropped by the bench's full ring: %llu\n",
		       (unsigned long long)s.lost);
	for (int i = 0; i < s.n; i++)
		um3n_mn_free(s.mn[i]);
	um3n_ha_free(s.ha);
	free(s.mn);
	free(s.mc);
	free(s.ring);
	return ok ? 0 : 1;
}
