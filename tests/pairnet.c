#include "pairnet.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "testutil.h"
#include "wire.h"

const uint8_t pairnet_key[32] = "um3n-test-key-0123456789abcdefg";

uint32_t pairnet_v4(const char *text)
{
	struct um3n_addr a;

	um3n_addr_parse(text, &a);
	return um3n_addr_v4(&a);
}

static int key_lookup(void *ctx, uint32_t home, uint32_t spi, uint8_t *key, size_t *len)
{
	(void)ctx;
	if (home != pairnet_v4("10.200.0.2") || spi != 256)
		return -1;
	memcpy(key, pairnet_key, sizeof(pairnet_key));
	*len = sizeof(pairnet_key);
	return 0;
}

static void set_sockaddr(struct um3n_sockaddr *sa, const char *ip, uint16_t port)
{
	um3n_addr_parse(ip, &sa->ip);
	sa->port = port;
}

void pairnet_init(struct pairnet *net, const struct um3n_policy *policy)
{
	struct um3n_mn_conf *c = &net->mn_conf;

	memset(net, 0, sizeof(*net));
	net->env = test_env(42);
	net->q = calloc(PAIRNET_MAX_INFLIGHT, sizeof(*net->q));
	um3n_mn_conf_defaults(c);
	um3n_addr_parse("10.200.0.2", &c->home_addr);
	set_sockaddr(&c->ha, "192.0.2.1", 434);
	memcpy(c->key, pairnet_key, sizeof(pairnet_key));
	c->key_len = sizeof(pairnet_key);
	c->ident_base = 0xE0000000ull << 32;
	c->n_links = 2;
	strcpy(c->links[0].name, "cell");
	c->links[0].link_class = UM3N_CLASS_CELL;
	c->links[0].priority = 1;
	set_sockaddr(&c->links[0].local, "198.51.100.2", 40000);
	strcpy(c->links[1].name, "wifi");
	c->links[1].link_class = UM3N_CLASS_WIFI;
	set_sockaddr(&c->links[1].local, "203.0.113.2", 40001);
	c->policy = policy;
	/* The links here have a delay but no rate: a measured rate would find
	 * them unbounded, so the weights the tests give stand for the rates
	 * (core/rateest.c has its own tests, and the simulator's links a rate). */
	c->rate_estimate = 0;
	net->delay_us[0] = 50000;
	net->delay_us[1] = 5000;
	um3n_ha_conf_defaults(&net->ha_conf);
	set_sockaddr(&net->ha_conf.addr, "192.0.2.1", 434);
	net->ha_conf.get_key = key_lookup;
	net->ha_conf.ident_base = c->ident_base;
	net->ha_conf.rate_estimate = 0;
}

void pairnet_start(struct pairnet *net)
{
	net->mn = um3n_mn_new(&net->mn_conf, &net->env);
	net->ha = um3n_ha_new(&net->ha_conf, &net->env);
	CU_ASSERT_PTR_NOT_NULL_FATAL(net->mn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(net->ha);
	for (size_t i = 0; i < net->mn_conf.n_links; i++)
		um3n_mn_link_event(net->mn, net->now_us, (int)i, UM3N_LINK_EV_UP, 0);
}

void pairnet_fini(struct pairnet *net)
{
	um3n_mn_free(net->mn);
	um3n_ha_free(net->ha);
	free(net->q);
	net->mn = NULL;
	net->ha = NULL;
	net->q = NULL;
}

static void enqueue(struct pairnet *net, int dir, int link, const uint8_t *d, size_t len)
{
	struct pairnet_pkt *p;

	if (net->link_cut[link] || (net->drop && net->drop(net, dir, link, d, len)) ||
	    net->nq == PAIRNET_MAX_INFLIGHT || len > PAIRNET_PKT_MAX) {
		net->dropped++;
		return;
	}
	p = &net->q[net->nq++];
	p->at_us = net->now_us + net->delay_us[link];
	p->dir = dir;
	p->link = link;
	p->len = (uint16_t)len;
	memcpy(p->data, d, len);
}

const struct um3n_sockaddr *pairnet_ha_of(const struct pairnet *net, int link)
{
	return net->mn_conf.links[link].local.ip.family == UM3N_AF_INET6 ? &net->mn_conf.ha6
									 : &net->mn_conf.ha;
}

static int link_of_coa(const struct pairnet *net, const struct um3n_sockaddr *to)
{
	for (size_t i = 0; i < net->mn_conf.n_links; i++)
		if (um3n_sockaddr_eq(&net->mn_conf.links[i].local, to))
			return (int)i;
	return -1;
}

static void drain(struct pairnet *net)
{
	struct um3n_out o;

	while (um3n_mn_poll_output(net->mn, &o)) {
		if (o.kind == UM3N_OUT_UDP) {
			/* to the HA's address of the link's family */
			CU_ASSERT(um3n_sockaddr_eq(&o.to, pairnet_ha_of(net, o.link)));
			enqueue(net, TO_HA, o.link, o.data, o.len);
		} else {
			net->mn_tun_pkts++;
			if (o.link >= 0) /* -1: the engine's own answer */
				net->mn_tun_by_link[o.link]++;
			net->last_mn_tun_us = net->now_us;
			if (net->on_tun)
				net->on_tun(net, TO_MN, o.data, o.len);
		}
	}
	while (um3n_ha_poll_output(net->ha, &o)) {
		if (o.kind == UM3N_OUT_UDP) {
			int link = link_of_coa(net, &o.to);

			if (link >= 0)
				enqueue(net, TO_MN, link, o.data, o.len);
		} else {
			net->ha_tun_pkts++;
			memcpy(net->last_ha_tun, o.data, o.len);
			net->last_ha_tun_len = o.len;
			if (net->on_tun)
				net->on_tun(net, TO_HA, o.data, o.len);
		}
	}
}

static void deliver(struct pairnet *net, struct pairnet_pkt *p)
{
	if (p->dir == TO_HA) {
		if (p->data[0] == UM3N_MSG_TUNNEL_DATA && p->len > 4 && p->data[1] == UM3N_NH_GRE)
			net->ha_rx_by_link[p->link]++;
		um3n_ha_udp_input(net->ha, net->now_us, &net->mn_conf.links[p->link].local, p->data,
				  p->len);
	} else {
		if (p->data[0] == UM3N_MSG_RRP && p->len > 1)
			net->rrp_codes[p->data[1]]++;
		um3n_mn_udp_input(net->mn, net->now_us, p->link, pairnet_ha_of(net, p->link),
				  p->data, p->len);
	}
}

/* Earliest in-flight datagram (ties: first queued), or -1. */
static long next_pkt(const struct pairnet *net)
{
	long best = -1;

	for (size_t i = 0; i < net->nq; i++)
		if (best < 0 || net->q[i].at_us < net->q[best].at_us)
			best = (long)i;
	return best;
}

void pairnet_run(struct pairnet *net, uint64_t until_us)
{
	uint64_t stuck = 0, last_t = UINT64_MAX;

	for (;;) {
		uint64_t t_mn = um3n_mn_next_wake_us(net->mn);
		uint64_t t_ha = um3n_ha_next_wake_us(net->ha);
		long k;
		uint64_t t;

		drain(net);
		k = next_pkt(net);
		t = t_mn < t_ha ? t_mn : t_ha;
		if (k >= 0 && net->q[k].at_us < t)
			t = net->q[k].at_us;
		if (t > until_us)
			break;
		/* An engine asking for the same instant forever is a bug: fail, don't hang. */
		stuck = t == last_t ? stuck + 1 : 0;
		last_t = t;
		CU_ASSERT_FATAL(stuck < 100000);
		if (t > net->now_us)
			net->now_us = t;
		if (k >= 0 && net->q[k].at_us <= net->now_us) {
			struct pairnet_pkt p = net->q[k];

			net->q[k] = net->q[--net->nq];
			deliver(net, &p);
			drain(net); /* outputs may point into p (engine.h) */
			continue;
		}
		um3n_mn_timeout(net->mn, net->now_us);
		um3n_ha_timeout(net->ha, net->now_us);
	}
	net->now_us = until_us;
	drain(net);
}

size_t pairnet_ip4_header(uint8_t *buf, size_t total, uint8_t proto, uint32_t src, uint32_t dst)
{
	memset(buf, 0, total);
	buf[0] = 0x45;
	um3n_put16(buf + 2, (uint16_t)total);
	buf[8] = 64;
	buf[9] = proto;
	um3n_put32(buf + 12, src);
	um3n_put32(buf + 16, dst);
	um3n_put16(buf + 10, um3n_wire_inet_csum(buf, 20));
	return total;
}

size_t pairnet_ip_packet(uint8_t *buf, uint32_t src, uint32_t dst, size_t payload_len)
{
	size_t total = pairnet_ip4_header(buf, 20 + 8 + payload_len, 17, src, dst);

	um3n_put16(buf + 20, 5000);
	um3n_put16(buf + 22, 6000);
	um3n_put16(buf + 24, (uint16_t)(8 + payload_len));
	return total;
}

int pairnet_inject_to_ha(struct pairnet *net, int link, const uint8_t *d, size_t len)
{
	int rc = um3n_ha_udp_input(net->ha, net->now_us, &net->mn_conf.links[link].local, d, len);

	drain(net);
	return rc;
}

struct um3n_policy *pairnet_paper_policy(const struct um3n_env *env)
{
	struct um3n_policy *p = um3n_policy_new(env, 4);
	struct um3n_policy_rule r = {.plen = 24, .link_class = UM3N_CLASS_CELL};

	um3n_addr_parse("10.9.2.0", &r.prefix);
	CU_ASSERT_EQUAL(um3n_policy_add(p, &r), 0);
	um3n_policy_set_default(p, UM3N_CLASS_WIFI, UM3N_MODE_PREFER);
	return p;
}

void pairnet_start_paper(struct pairnet *net)
{
	struct um3n_env env = test_env(1);
	struct um3n_policy *p = pairnet_paper_policy(&env);

	pairnet_init(net, p);
	pairnet_start(net);
	um3n_policy_free(p); /* the engine keeps its own copy */
}

void pairnet_check_bindings(struct pairnet *net, size_t want)
{
	struct um3n_ha_status hs;
	struct um3n_ha_mn_status ms;

	um3n_ha_status(net->ha, net->now_us, &hs);
	if (want == 0) {
		CU_ASSERT_EQUAL(hs.n_mns, 0);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(hs.n_mns, 1);
	CU_ASSERT_EQUAL(um3n_ha_mn_status(net->ha, net->now_us, 0, &ms), 0);
	CU_ASSERT_EQUAL(ms.n_bindings, want);
}

void pairnet_send_up(struct pairnet *net, const char *dst, int n)
{
	uint8_t pkt[1500];
	size_t len = pairnet_ip_packet(pkt, pairnet_v4("10.200.0.2"), pairnet_v4(dst), 1000);

	for (int i = 0; i < n; i++)
		um3n_mn_tun_input(net->mn, net->now_us, pkt, len);
}

void pairnet_send_down(struct pairnet *net, const char *src, int n)
{
	uint8_t pkt[1500];
	size_t len = pairnet_ip_packet(pkt, pairnet_v4(src), pairnet_v4("10.200.0.2"), 1000);

	for (int i = 0; i < n; i++)
		um3n_ha_tun_input(net->ha, net->now_us, pkt, len);
}

bool pairnet_drop_all_to_ha(struct pairnet *net, int dir, int link, const uint8_t *d, size_t len)
{
	(void)net;
	(void)link;
	(void)d;
	(void)len;
	return dir == TO_HA;
}
