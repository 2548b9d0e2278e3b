/* um3n-bench-scale: one HA engine holding N MN bindings (100,000 by default),
 * each registered as an MN registers: a request encoded by the registration
 * codec (wire_reg.c) and signed with HMAC-SHA256 (auth.c), fed to
 * um3n_ha_udp_input, its reply drained. Prints figures, asserts none:
 *   memory     bytes the engine allocated per MN (a counting allocator) and the
 *              resident set's growth (/proc/self/statm) while the table filled
 *   reg/s      authenticated registrations per CPU second on this one core
 *              (every time here is the thread's CPU time): the first (record
 *              created) and refreshes (a newer identification)
 *   timer scan ns per um3n_ha_timeout call when one MN among N has something
 *              due (a datagram after a quiet spell): the scan's cost against
 *              the table's size
 *   data path  ns per packet up (decapsulation) and down (encapsulation) to
 *              MNs drawn at random from the whole table; instructions per
 *              packet through bench/callgrind.sh --scale
 * Usage: um3n-bench-scale [--mns N] [--path all|none|ha-decap|ha-encap] [--iterations N]
 *                         [--scans N] [--rounds N (of refreshes)] [--measure PHASE]
 * --measure refresh|ha-decap|ha-encap: callgrind instruments only that phase
 * (run under valgrind --instr-atstart=no, as bench/callgrind.sh --scale does),
 * so that filling a table of 100,000 does not run instrumented. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else /* without valgrind's headers: no instruction counts, the rest runs */
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#include "auth.h"
#include "ha.h"
#include "tunnel.h"
#include "wire.h"

static const uint8_t key[32] = "scale-bench-key-scale-bench-key!";
static size_t live_bytes;

/* Counts what the engine holds: every block carries its size in front. */
static void *count_alloc(void *ctx, size_t n)
{
	size_t *p = calloc(1, n + sizeof(size_t));

	(void)ctx;
	if (!p)
		return NULL;
	*p = n;
	live_bytes += n;
	return p + 1;
}

static void count_free(void *ctx, void *q)
{
	size_t *p = (size_t *)q - 1;

	(void)ctx;
	live_bytes -= *p;
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

/* This thread's CPU time, not the wall clock: on a shared machine the wall
 * clock counts the other processes' turns too; "per core" is per CPU second. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * 4;
}

#define HA_IP 0xc0000201u /* 192.0.2.1 */

/* MN i: home 10.0.0.0/8 + 1 + i, behind NAT address 100.64.0.0/10 + i / 50000,
 * one port per MN (the same ip:port space a carrier NAT gives). */
static uint32_t home_of(size_t i) { return 0x0a000001u + (uint32_t)i; }

static void coa_of(size_t i, struct um3n_sockaddr *a)
{
	um3n_addr_from_v4(&a->ip, 0x64400001u + (uint32_t)(i / 50000));
	a->port = (uint16_t)(10000 + i % 50000);
}

/* A registration request as the MN's mn_reg.c builds it, signed. */
static size_t make_request(uint8_t *buf, size_t cap, size_t i, uint64_t ident)
{
	struct um3n_rrq r = {0};
	size_t len, auth_off;

	r.flags = UM3N_RRQ_FLAG_S | UM3N_RRQ_FLAG_D | UM3N_RRQ_FLAG_T;
	r.lifetime_s = 600;
	r.home_addr = home_of(i);
	r.ha_addr = HA_IP;
	r.coa = 0x64400001u + (uint32_t)(i / 50000);
	r.ident = ident;
	r.has_udp_tun_req = true;
	r.udp_tun_flags = UM3N_UDP_TUN_FLAG_F;
	r.encap = UM3N_ENCAP_GRE;
	r.has_link_info = true;
	r.link.link_class = UM3N_CLASS_CELL;
	r.spi = UM3N_SPI_HMAC_SHA256_MIN;
	if (um3n_wire_rrq_encode(&r, buf, cap, &len, &auth_off) ||
	    um3n_auth_sign(key, sizeof(key), buf, auth_off, buf + auth_off))
		return 0;
	return len;
}

static size_t ip_packet(uint8_t *b, uint32_t src, uint32_t dst)
{
	memset(b, 0, 128);
	b[0] = 0x45;
	um3n_put16(b + 2, 128);
	b[8] = 64;
	b[9] = 17;
	um3n_put32(b + 12, src);
	um3n_put32(b + 16, dst);
	um3n_put16(b + 10, um3n_wire_inet_csum(b, 20));
	return 128;
}

struct scale {
	struct um3n_ha *ha;
	size_t n;
	uint64_t now_us;
	uint8_t (*reqs)[256]; /* every MN's signed request, built before timing */
	uint16_t *req_len;
	uint32_t *up_seq; /* each MN's next uplink sequence number */
};

static size_t drain(struct um3n_ha *ha)
{
	struct um3n_out o;
	size_t n = 0;

	while (um3n_ha_poll_output(ha, &o))
		n++;
	return n;
}

/* Builds every request with identification `round`, then times feeding them. */
static double register_all(struct scale *s, uint64_t round, uint64_t *accepted)
{
	struct um3n_ha_status st;
	struct um3n_sockaddr from;
	uint64_t t0;

	for (size_t i = 0; i < s->n; i++)
		s->req_len[i] = (uint16_t)make_request(s->reqs[i], sizeof(s->reqs[i]), i,
						       round << 32 | (uint32_t)i);
	t0 = cpu_ns();
	for (size_t i = 0; i < s->n; i++) {
		coa_of(i, &from);
		um3n_ha_udp_input(s->ha, s->now_us, &from, s->reqs[i], s->req_len[i]);
		drain(s->ha);
	}
	t0 = cpu_ns() - t0;
	um3n_ha_status(s->ha, s->now_us, &st);
	*accepted = st.reg_accepted;
	return (double)s->n * 1e9 / (double)t0;
}

static size_t rand_mn(uint64_t *x, size_t n)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (size_t)(*x % n);
}

static double run_decap(struct scale *s, long iters)
{
	uint8_t inner[128], dgram[256];
	struct um3n_sockaddr from;
	uint64_t x = 88172645463325252ull, t0 = cpu_ns();

	for (long k = 0; k < iters; k++) {
		size_t i = rand_mn(&x, s->n);
		int len;

		ip_packet(inner, home_of(i), 0x08080808u);
		len = um3n_tunnel_encap(dgram, sizeof(dgram), inner, 128, false,
					um3n_seqwin_seq(0, s->up_seq[i]++));
		coa_of(i, &from);
		um3n_ha_udp_input(s->ha, s->now_us, &from, dgram, (size_t)len);
		drain(s->ha);
	}
	return (double)(cpu_ns() - t0) / (double)iters;
}

static double run_encap(struct scale *s, long iters)
{
	uint8_t pkt[128];
	uint64_t x = 2463534242ull, t0 = cpu_ns();

	for (long k = 0; k < iters; k++) {
		ip_packet(pkt, 0x08080808u, home_of(rand_mn(&x, s->n)));
		um3n_ha_tun_input(s->ha, s->now_us, pkt, 128);
		drain(s->ha);
	}
	return (double)(cpu_ns() - t0) / (double)iters;
}

/* One MN among n speaks after a quiet spell, which asks for a scan at once
 * (ha_timers_heard): ns per um3n_ha_timeout call that follows. */
static double run_scans(struct scale *s, long scans)
{
	uint8_t inner[128], dgram[256];
	struct um3n_sockaddr from;
	uint64_t x = 1234567ull, spent = 0, t_all = cpu_ns();

	/* Every MN's first silence deadline (registration counts as hearing
	 * from it): one scan with all of them due, the table's worst case. */
	s->now_us += 100000;
	um3n_ha_timeout(s->ha, s->now_us);
	drain(s->ha);
	printf("timer scan with all %zu MNs due: %.1f ms\n", s->n,
	       (double)(cpu_ns() - t_all) / 1e6);
	for (long k = 0; k < scans; k++) {
		size_t i = rand_mn(&x, s->n);
		int len;
		uint64_t t0;

		s->now_us += 100000; /* longer than dead_after: every MN is quiet */
		ip_packet(inner, home_of(i), 0x08080808u);
		len = um3n_tunnel_encap(dgram, sizeof(dgram), inner, 128, false,
					um3n_seqwin_seq(0, s->up_seq[i]++));
		coa_of(i, &from);
		um3n_ha_udp_input(s->ha, s->now_us, &from, dgram, (size_t)len);
		drain(s->ha);
		t0 = cpu_ns();
		um3n_ha_timeout(s->ha, s->now_us);
		spent += cpu_ns() - t0;
		drain(s->ha);
	}
	return (double)spent / (double)scans;
}

int main(int argc, char **argv)
{
	static struct scale s;
	struct um3n_env env = {.alloc = count_alloc, .free = count_free, .seed = 1};
	struct um3n_ha_conf hc;
	const char *path = "all", *measure = "";
	long iters = 1000000, scans = 200, rounds = 1, rss0;
	size_t empty_bytes;
	uint64_t accepted = 0;
	double first, refresh;

	s.n = 100000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mns") && i + 1 < argc)
			s.n = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
			iters = atol(argv[++i]);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atol(argv[++i]);
		else if (!strcmp(argv[i], "--scans") && i + 1 < argc)
			scans = atol(argv[++i]);
		else if (!strcmp(argv[i], "--measure") && i + 1 < argc)
			measure = argv[++i];
		else if (!strcmp(argv[i], "--path") && i + 1 < argc)
			path = argv[++i];
		else
			s.n = 0; /* bad option: the usage below */
	}
	if (s.n == 0 || s.n > 1000000 || iters < 0 || scans < 0 || rounds < 1 || rounds > 1000 ||
	    (*measure && strcmp(measure, "refresh") && strcmp(measure, "ha-decap") &&
	     strcmp(measure, "ha-encap")) ||
	    (strcmp(path, "all") && strcmp(path, "none") && strcmp(path, "ha-decap") &&
	     strcmp(path, "ha-encap"))) {
		fprintf(stderr,
			"usage: %s [--mns 1..1000000] [--iterations N] [--scans N] "
			"[--rounds N] [--measure refresh|ha-decap|ha-encap] [--path "
			"all|none|ha-decap|ha-encap]\n",
			argv[0]);
		return 2;
	}
	s.reqs = calloc(s.n, sizeof(*s.reqs));
	s.req_len = calloc(s.n, sizeof(*s.req_len));
	s.up_seq = calloc(s.n, sizeof(*s.up_seq));
	um3n_ha_conf_defaults(&hc);
	um3n_addr_from_v4(&hc.addr.ip, HA_IP);
	hc.get_key = get_key;
	hc.max_mns = s.n;
	/* All of them arrive at one instant of engine time: the guard against
	 * a flood of first registrations (5,000/s by default) would refuse all
	 * but its burst; what is measured here is the engine's cost. */
	hc.reg_new_rate_per_s = 0;
	rss0 = rss_kib();
	s.ha = um3n_ha_new(&hc, &env);
	if (!s.ha || !s.reqs || !s.req_len || !s.up_seq) {
		fprintf(stderr, "um3n-bench-scale: out of memory\n");
		return 1;
	}
	empty_bytes = live_bytes;
	s.now_us = 1000000;
	first = register_all(&s, 1, &accepted);
	printf("MNs: %zu, one binding each, registrations accepted: %llu\n", s.n,
	       (unsigned long long)accepted);
	if (accepted != s.n) {
		fprintf(stderr, "um3n-bench-scale: only %llu of %zu registered\n",
			(unsigned long long)accepted, s.n);
		return 1;
	}
	printf("memory: engine %zu bytes empty (max_mns %zu), +%zu bytes per MN allocated; "
	       "resident set +%ld KiB (%.0f bytes per MN, with the bench's requests)\n",
	       empty_bytes, s.n, (live_bytes - empty_bytes) / s.n, rss_kib() - rss0,
	       (double)(rss_kib() - rss0) * 1024 / (double)s.n);
	refresh = 0;
	for (long r = 0; r < rounds; r++) { /* each round: every MN refreshes */
		s.now_us += 1000000;
		if (!strcmp(measure, "refresh"))
			CALLGRIND_START_INSTRUMENTATION;
		refresh += register_all(&s, 2 + (uint64_t)r, &accepted) / (double)rounds;
		CALLGRIND_STOP_INSTRUMENTATION;
	}
	printf("registrations per CPU second (one core, HMAC-SHA256 verify + sign): first %.0f, "
	       "refresh %.0f\n",
	       first, refresh);
	if (scans > 0)
		printf("timer scan with 1 of %zu MNs due: %.0f ns per um3n_ha_timeout\n", s.n,
		       run_scans(&s, scans));
	if (iters > 0 && (!strcmp(path, "all") || !strcmp(path, "ha-decap"))) {
		if (!strcmp(measure, "ha-decap"))
			CALLGRIND_START_INSTRUMENTATION;
		printf("ha-decap  %8.1f ns/packet (random MN of %zu)\n", run_decap(&s, iters), s.n);
		CALLGRIND_STOP_INSTRUMENTATION;
	}
	if (iters > 0 && (!strcmp(path, "all") || !strcmp(path, "ha-encap"))) {
		if (!strcmp(measure, "ha-encap"))
			CALLGRIND_START_INSTRUMENTATION;
		printf("ha-encap  %8.1f ns/packet (random MN of %zu)\n", run_encap(&s, iters), s.n);
		CALLGRIND_STOP_INSTRUMENTATION;
	}
	um3n_ha_free(s.ha);
	free(s.reqs);
	free(s.req_len);
	free(s.up_seq);
	return live_bytes == 0 ? 0 : 1;
}
