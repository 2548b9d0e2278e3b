/* engine_steer: the steering modes end to end between an MN and an HA engine
 * (pairnet.h: cell 50 ms, wifi 5 ms): a load-balance 70 rule splits flows
 * about 70/30 both ways (the HA learns the rule from the MN's format-2
 * table) and keeps each flow on one link; a priority rule stays on wifi at a
 * rate wifi carries and overflows to cell in a burst, delivered in order. */
#include <string.h>

#include "pairnet.h"
#include "testutil.h"
#include "wire.h"

#define MS 1000ull
#define SEC 1000000ull
#define FLOWS 1000

static struct um3n_policy *one_rule(struct um3n_env *env, const char *action)
{
	struct um3n_policy *p = um3n_policy_new(env, 1);
	struct um3n_policy_rule r = test_rule("10.9.1.0/24", 0, 0);

	CU_ASSERT_EQUAL_FATAL(um3n_policy_action_parse(action, &r, NULL), UM3N_OK);
	CU_ASSERT_EQUAL(um3n_policy_add(p, &r), UM3N_OK);
	um3n_policy_set_default(p, UM3N_CLASS_WIFI, UM3N_MODE_PREFER);
	return p;
}

/* One packet of flow f (its own client port) each way. */
static void flow_packet(struct pairnet *net, unsigned f, bool up)
{
	uint32_t home = pairnet_v4("10.200.0.2"), srv = pairnet_v4("10.9.1.10");
	uint8_t pkt[1500];
	size_t len = pairnet_ip_packet(pkt, up ? home : srv, up ? srv : home, 1000);

	um3n_put16(pkt + (up ? 20 : 22), (uint16_t)(20000 + f));
	if (up)
		CU_ASSERT_EQUAL(um3n_mn_tun_input(net->mn, net->now_us, pkt, len), 0);
	if (!up)
		CU_ASSERT_EQUAL(um3n_ha_tun_input(net->ha, net->now_us, pkt, len), 0);
}

static void test_load_balance_70(void)
{
	struct um3n_env env = test_env(11);
	struct um3n_policy *p = one_rule(&env, "wifi load-balance 70");
	struct pairnet net;
	uint64_t up_wifi, down_wifi, before[2];

	pairnet_init(&net, p);
	pairnet_start(&net);
	um3n_policy_free(p);
	pairnet_run(&net, 1 * SEC); /* registered, table synced */
	for (unsigned f = 0; f < FLOWS; f++) {
		pairnet_run(&net, net.now_us + 1 * MS);
		flow_packet(&net, f, true);
		flow_packet(&net, f, false);
	}
	pairnet_run(&net, net.now_us + 200 * MS);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[0] + net.ha_rx_by_link[1], FLOWS);
	CU_ASSERT_EQUAL(net.mn_tun_by_link[0] + net.mn_tun_by_link[1], FLOWS);
	up_wifi = net.ha_rx_by_link[1];
	down_wifi = net.mn_tun_by_link[1];
	test_check(up_wifi > 650 && up_wifi < 750 && down_wifi > 650 && down_wifi < 750, __FILE__,
		   __LINE__, "wifi: %llu of %d flows up, %llu down", (unsigned long long)up_wifi,
		   FLOWS, (unsigned long long)down_wifi);
	/* A flow keeps its link: 50 more packets of flow 7 all go one way. */
	before[0] = net.ha_rx_by_link[0];
	before[1] = net.ha_rx_by_link[1];
	for (int i = 0; i < 50; i++) {
		pairnet_run(&net, net.now_us + 1 * MS);
		flow_packet(&net, 7, true);
	}
	pairnet_run(&net, net.now_us + 200 * MS);
	CU_ASSERT_TRUE((net.ha_rx_by_link[0] - before[0] == 50) !=
		       (net.ha_rx_by_link[1] - before[1] == 50));
	pairnet_fini(&net);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

struct order_seen {
	uint32_t next;
	uint64_t out_of_order, n;
};

static void note_order(struct pairnet *net, int dir, const uint8_t *pkt, size_t len)
{
	struct order_seen *o = net->user;
	uint32_t i = um3n_get32(pkt + len - 4);

	if (dir != TO_HA)
		return;
	o->n++;
	if (i < o->next)
		o->out_of_order++;
	else
		o->next = i + 1;
}

/* n packets of one flow up, every gap_us (0: all at once), numbered from
 * *seq. */
static void send_paced(struct pairnet *net, int n, uint64_t gap_us, uint32_t *seq)
{
	uint32_t home = pairnet_v4("10.200.0.2"), srv = pairnet_v4("10.9.1.10");
	uint8_t pkt[1500];

	for (int i = 0; i < n; i++) {
		size_t len = pairnet_ip_packet(pkt, home, srv, 1000);

		if (gap_us)
			pairnet_run(net, net->now_us + gap_us);
		um3n_put32(pkt + len - 4, (*seq)++);
		CU_ASSERT_EQUAL(um3n_mn_tun_input(net->mn, net->now_us, pkt, len), 0);
	}
}

static void test_priority_overflow(void)
{
	struct um3n_env env = test_env(12);
	struct um3n_policy *p = one_rule(&env, "wifi priority");
	struct order_seen seen = {0};
	struct pairnet net;
	uint32_t seq = 0;

	pairnet_init(&net, p);
	net.mn_conf.links[0].weight_kbps = 3610;
	net.mn_conf.links[1].weight_kbps = 14670;
	net.on_tun = note_order;
	net.user = &seen;
	pairnet_start(&net);
	um3n_policy_free(p);
	pairnet_run(&net, 1 * SEC);
	/* 8 Mbit/s, which wifi carries: wifi alone. */
	send_paced(&net, 500, 1 * MS, &seq);
	pairnet_run(&net, net.now_us + 300 * MS);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[1], 500);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[0], 0);
	/* 20 Mbit/s, more than wifi's weight: wifi keeps its backlog at 5 ms,
	 * cell takes the overflow, and the HA's reorder queue puts them in order. */
	send_paced(&net, 100, 400, &seq);
	pairnet_run(&net, net.now_us + 500 * MS);
	test_check(net.ha_rx_by_link[0] >= 10 && net.ha_rx_by_link[1] >= 510, __FILE__, __LINE__,
		   "cell %llu wifi %llu", (unsigned long long)net.ha_rx_by_link[0],
		   (unsigned long long)net.ha_rx_by_link[1]);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[0] + net.ha_rx_by_link[1], 600);
	CU_ASSERT_EQUAL(seen.n, 600);
	CU_ASSERT_EQUAL(seen.out_of_order, 0);
	pairnet_fini(&net);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

/* Every third datagram to the HA on wifi lost once registered (about 33%). */
static bool lose_third_wifi(struct pairnet *net, int dir, int link, const uint8_t *d, size_t len)
{
	static unsigned n;

	(void)d;
	(void)len;
	return dir == TO_HA && link == 1 && net->now_us > 1 * SEC && ++n % 3 == 0;
}

/* loss_pct both ways: the MN measures its probes' loss, the HA the loss of
 * the MN's probes (gaps in their numbers); over the threshold, wifi is left
 * out for the rule and its traffic takes cell; the default rule stays. */
static void test_loss_threshold(void)
{
	struct um3n_env env = test_env(13);
	struct um3n_policy *p = one_rule(&env, "wifi loss_pct=5");
	struct pairnet net;
	uint64_t up[2], down[2];

	pairnet_init(&net, p);
	net.drop = lose_third_wifi;
	pairnet_start(&net);
	um3n_policy_free(p);
	pairnet_run(&net, 4 * SEC); /* enough probes to settle the loss windows */
	up[0] = net.ha_rx_by_link[0];
	up[1] = net.ha_rx_by_link[1];
	down[0] = net.mn_tun_by_link[0];
	down[1] = net.mn_tun_by_link[1];
	pairnet_send_up(&net, "10.9.1.10", 100);
	pairnet_send_down(&net, "10.9.1.10", 100);
	pairnet_run(&net, net.now_us + 300 * MS);
	CU_ASSERT_EQUAL(net.ha_rx_by_link[0] - up[0], 100);
	CU_ASSERT_EQUAL(net.mn_tun_by_link[0] - down[0], 100);
	/* The default rule has no threshold: wifi, lossy as it is. */
	pairnet_send_down(&net, "10.9.3.10", 30);
	pairnet_run(&net, net.now_us + 300 * MS);
	CU_ASSERT_EQUAL(net.mn_tun_by_link[1] - down[1], 30);
	(void)up[1];
	pairnet_fini(&net);
	CU_ASSERT_EQUAL(test_env_state()->live_allocs, 0);
}

static CU_TestInfo steer_tests[] = {
	{"loss_pct: a lossy link left out both ways", test_loss_threshold},
	{"load-balance 70: flows split about 70/30 both ways", test_load_balance_70},
	{"priority: wifi while it carries, overflow in order", test_priority_overflow},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	static const struct test_suite suites[] = {
		{"engine_steer", steer_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
