/* Daemon datagram batches: d_net_iov_merge joins buffers that follow each other
 * in memory (full-size datagrams in the engine's ring) and nothing else; the
 * socket addresses of both families convert both ways (an IPv4-mapped IPv6
 * address comes out as IPv4); and a batch goes out and comes back over
 * loopback in each family, with UDP GSO, from the right address; a run of
 * full-size datagrams in the engine's ring, as the daemons size it, is one
 * buffer with the GRE key or without. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dnet.h"
#include "dtun.h"
#include "outq.h"
#include "testutil.h"

static uint8_t mem[8 * 100];

/* Each case: n iovecs given as (offset, length) into mem; what is left. */
static const struct {
	unsigned n;
	unsigned off[6], len[6];
	unsigned want_n;
	unsigned want_off[6], want_len[6];
} merge_cases[] = {
	{0, {0}, {0}, 0, {0}, {0}},
	{1, {0}, {100}, 1, {0}, {100}},
	{3, {0, 100, 200}, {100, 100, 40}, 1, {0}, {240}},                  /* a run, short last */
	{3, {0, 200, 300}, {100, 100, 100}, 2, {0, 200}, {100, 200}},       /* gap */
	{3, {300, 0, 100}, {100, 100, 100}, 2, {300, 0}, {100, 200}},       /* ring wrap */
	{4, {0, 100, 0, 100}, {100, 100, 100, 100}, 2, {0, 0}, {200, 200}}, /* two runs */
	{2, {100, 0}, {100, 100}, 2, {100, 0}, {100, 100}},                 /* backwards: no */
};

static void test_merge_table(void)
{
	for (size_t c = 0; c < sizeof(merge_cases) / sizeof(merge_cases[0]); c++) {
		struct iovec iov[6];
		unsigned n;

		for (unsigned i = 0; i < merge_cases[c].n; i++)
			iov[i] = (struct iovec){.iov_base = mem + merge_cases[c].off[i],
						.iov_len = merge_cases[c].len[i]};
		n = d_net_iov_merge(iov, merge_cases[c].n);
		CU_ASSERT_EQUAL(n, merge_cases[c].want_n);
		for (unsigned i = 0; i < n && i < merge_cases[c].want_n; i++) {
			CU_ASSERT_PTR_EQUAL(iov[i].iov_base, mem + merge_cases[c].want_off[i]);
			CU_ASSERT_EQUAL(iov[i].iov_len, merge_cases[c].want_len[i]);
		}
	}
}

static struct um3n_sockaddr sa(const char *ip, uint16_t port)
{
	struct um3n_sockaddr s = {.port = port};

	CU_ASSERT_EQUAL(um3n_addr_parse(ip, &s.ip), 0);
	return s;
}

static void test_sockaddr_families(void)
{
	const char *ips[] = {"192.0.2.1", "2001:db8::434", "::1"};
	struct um3n_sockaddr back;
	union d_sa k;

	for (size_t i = 0; i < 3; i++) {
		struct um3n_sockaddr s = sa(ips[i], 434);
		socklen_t len = d_net_sockaddr_from_um3n(&s, &k);

		CU_ASSERT_EQUAL(len, i ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
		d_net_sockaddr_to_um3n(&k, &back);
		CU_ASSERT_TRUE(um3n_sockaddr_eq(&s, &back));
	}
	memset(&k, 0, sizeof(k));
	k.v6.sin6_family = AF_INET6;
	k.v6.sin6_port = htons(4000);
	inet_pton(AF_INET6, "::ffff:10.1.1.2", &k.v6.sin6_addr);
	d_net_sockaddr_to_um3n(&k, &back);
	CU_ASSERT_EQUAL(back.ip.family, UM3N_AF_INET);
	CU_ASSERT_EQUAL(um3n_addr_v4(&back.ip), 0x0a010102u);
	CU_ASSERT_EQUAL(back.port, 4000);
}

struct got {
	unsigned n;
	size_t bytes;
	struct um3n_sockaddr from;
};

static void on_dgram(void *ctx, const struct um3n_sockaddr *from, const uint8_t *buf, size_t len)
{
	struct got *g = ctx;

	(void)buf;
	g->n++;
	g->bytes += len;
	g->from = *from;
}

/* Three equal datagrams and a shorter one from tx to rx over loopback. */
static void loop_family(const char *lo)
{
	struct um3n_sockaddr a = sa(lo, 0), b = sa(lo, 0);
	static struct d_net_batch batch;
	static struct d_net_rx rx;
	static uint8_t data[4][1000];
	struct got got = {0};
	int tx = d_net_udp_open(&a, NULL), rxfd = d_net_udp_open(&b, NULL);

	if (tx == -EAFNOSUPPORT || tx == -EADDRNOTAVAIL) { /* a kernel without IPv6 */
		fprintf(stderr, "(%s: no such address here, not tested) ", lo);
		return;
	}
	CU_ASSERT_FATAL(tx >= 0 && rxfd >= 0);
	CU_ASSERT_EQUAL(d_net_udp_local(tx, &a), 0);
	CU_ASSERT_EQUAL(d_net_udp_local(rxfd, &b), 0);
	CU_ASSERT_EQUAL(a.ip.family, b.ip.family);
	memset(&batch, 0, sizeof(batch));
	batch.gso = true;
	for (int i = 0; i < 4; i++)
		CU_ASSERT_TRUE(d_net_batch_add(&batch, &b, data[i], i < 3 ? 1000 : 400));
	CU_ASSERT_EQUAL(d_net_batch_flush(tx, &batch), 0);
	for (int tries = 0; got.n < 4 && tries < 100; tries++)
		if (d_net_rx_recv(rxfd, &rx, on_dgram, &got) == 0)
			usleep(1000);
	CU_ASSERT_EQUAL(got.n, 4);
	CU_ASSERT_EQUAL(got.bytes, 3400);
	CU_ASSERT_TRUE(um3n_sockaddr_eq(&got.from, &a)); /* the sender's own address:port */
	close(tx);
	close(rxfd);
}

static void test_loopback_v4(void) { loop_family("127.0.0.1"); }
static void test_loopback_v6(void) { loop_family("::1"); }

/* The ring as the daemons size it (d_tun_out_slot): 16 full-size datagrams
 * with the GRE key (aggregate rules) and 16 without (every other rule, 4
 * bytes shorter) each reach the kernel as one buffer. Before the ring packed
 * its entries the unkeyed run went as 16 iovecs, one copy each. */
static void test_ring_runs_merge(void)
{
	const unsigned mtu = 1456;
	const size_t lens[2] = {mtu + UM3N_DATA_OVERHEAD, mtu + UM3N_DATA_KEYED_OVERHEAD};
	struct um3n_env env = test_env(1);
	struct um3n_outq q;

	CU_ASSERT_EQUAL_FATAL(um3n_outq_init(&q, &env, 64, d_tun_out_slot(mtu, false)), 0);
	for (int k = 0; k < 2; k++) {
		struct iovec iov[16];
		struct um3n_out o = {0};

		for (int i = 0; i < 16; i++) {
			CU_ASSERT_PTR_NOT_NULL_FATAL(um3n_outq_reserve(&q));
			um3n_outq_commit(&q, UM3N_OUT_UDP, 0, NULL, lens[k]);
		}
		for (int i = 0; i < 16; i++) {
			CU_ASSERT_TRUE_FATAL(um3n_outq_pop(&q, &o));
			iov[i] = (struct iovec){.iov_base = (void *)o.data, .iov_len = o.len};
		}
		CU_ASSERT_EQUAL(d_net_iov_merge(iov, 16), 1);
		CU_ASSERT_EQUAL(iov[0].iov_len, 16 * lens[k]);
	}
	um3n_outq_fini(&q, &env);
}

static CU_TestInfo batch_tests[] = {
	{"iov_merge_table", test_merge_table},     {"sockaddr_families", test_sockaddr_families},
	{"loopback_v4", test_loopback_v4},         {"loopback_v6", test_loopback_v6},
	{"ring_runs_merge", test_ring_runs_merge}, CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {
		{"daemon_batch", batch_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
