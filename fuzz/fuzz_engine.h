/* Whole-engine fuzzing (fuzz_engine_ha.c, fuzz_engine_mn.c): an MN and an HA
 * engine registered with each other over two uplinks (cell, wifi) with a
 * policy of every steering mode, then the input as a list of operations on
 * one side: datagrams (raw, or tunnel data with a valid header around fuzzed
 * inner bytes, keyed or not, so the data path and the reorder queue are
 * reached, or a valid repair request: fz_nack), TUN packets, link events,
 * time passing.
 *
 * Invariants checked after every operation, on every output of both engines:
 * - a UDP output goes on a link the MN has (MN) or to an address that spoke
 *   to the HA (HA), is no longer than UM3N_PKT_MAX, and is a registration
 *   message or tunnel data that decodes (request, reply, data);
 * - a TUN output is not empty and no longer than UM3N_PKT_MAX; at the HA it is
 *   a whole IP packet (its header's length within the output) and, IPv4, has
 *   the MN's home address as its source (the data-plane source check, issue
 *   13). The MN writes what its HA tunnelled as it is: its kernel checks it;
 * - time: after a timeout at now, the engine asks to be woken later (a few
 *   repeats at the same instant allowed), never in the past forever.
 * The engines live across inputs (creating and registering them costs more
 * than many inputs) and are made again every FZ_RESET inputs, so an input's
 * effect stays bounded; a crash may need the inputs before it (libFuzzer's
 * -runs over the crash file alone usually reproduces it). */
#ifndef UM3N_FUZZ_ENGINE_H
#define UM3N_FUZZ_ENGINE_H

#include <stdlib.h>
#include <string.h>

#include "arq.h"
#include "ha.h"
#include "mn.h"
#include "policy.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_RESET 4096
#define FZ_HOME 0x0ac80002u /* 10.200.0.2 */
#define FZ_HA 0xc0000201u   /* 192.0.2.1 */

static const uint8_t fz_key[32] = "um3n-fuzz-key-0123456789abcdefg";

struct fz_net {
	struct um3n_mn *mn;
	struct um3n_ha *ha;
	struct um3n_mn_conf mc;
	struct um3n_ha_conf hc;
	struct um3n_env env;
	struct um3n_sockaddr stranger;
	uint64_t now;
	bool forward; /* during setup: outputs go to the peer */
	bool stale;   /* the MN was shut down: new engines for the next input */
	bool mn_idle; /* fuzz_engine_ha: the MN's timers run only while forwarding */
};

static struct fz_net fz;

static void *fz_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return calloc(1, size);
}

static void fz_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

static int fz_get_key(void *ctx, uint32_t home, uint32_t spi, uint8_t *key, size_t *len)
{
	(void)ctx;
	if (home != FZ_HOME || spi != 256)
		return -1;
	memcpy(key, fz_key, sizeof(fz_key));
	*len = sizeof(fz_key);
	return 0;
}

static void fz_sa(struct um3n_sockaddr *sa, uint32_t v4, uint16_t port)
{
	memset(sa, 0, sizeof(*sa));
	sa->ip.family = UM3N_AF_INET;
	um3n_put32(sa->ip.bytes, v4);
	sa->port = port;
}

static int fz_link_of(const struct um3n_sockaddr *to)
{
	for (size_t i = 0; i < fz.mc.n_links; i++)
		if (um3n_sockaddr_eq(&fz.mc.links[i].local, to))
			return (int)i;
	return -1;
}

static void fz_check_udp(const struct um3n_out *o)
{
	struct um3n_tunnel_data d;
	struct um3n_rrq q;
	struct um3n_rrp p;

	if (o->len == 0 || o->len > UM3N_PKT_MAX)
		abort();
	switch (o->data[0]) {
	case UM3N_MSG_RRQ:
		if (um3n_wire_rrq_decode(o->data, o->len, &q) != UM3N_OK)
			abort();
		break;
	case UM3N_MSG_RRP:
		if (um3n_wire_rrp_decode(o->data, o->len, &p) != UM3N_OK)
			abort();
		break;
	case UM3N_MSG_TUNNEL_DATA:
		if (um3n_wire_tunnel_decode(o->data, o->len, &d) != UM3N_OK)
			abort();
		break;
	default: abort();
	}
}

static void fz_check_tun(const struct um3n_out *o, bool at_ha)
{
	struct um3n_ip_info ip;

	if (o->len == 0 || o->len > UM3N_PKT_MAX)
		abort();
	if (!at_ha && o->link < 0) { /* the MN's own answer: ICMP from the HA, <= 576 bytes */
		if (um3n_wire_ip_parse(o->data, o->len, &ip) != UM3N_OK || ip.proto != 1 ||
		    um3n_addr_v4(&ip.src) != FZ_HA || o->len > 576 ||
		    um3n_wire_inet_csum(o->data + 20, o->len - 20) != 0)
			abort();
		return;
	}
	if (!at_ha)
		return; /* the MN hands its HA's inner bytes to its kernel as they are */
	if (um3n_wire_ip_parse(o->data, o->len, &ip) != UM3N_OK || ip.total_len > o->len)
		abort(); /* bytes after total_len (an app's padding) go as they came */
	if (ip.version == 4 && um3n_addr_v4(&ip.src) != FZ_HOME)
		abort(); /* forwarded as another host */
}

static void fz_drain(void)
{
	struct um3n_out o;

	for (int round = 0; round < 64; round++) {
		bool any = false;

		while (um3n_mn_poll_output(fz.mn, &o)) {
			any = true;
			if (o.kind == UM3N_OUT_UDP) {
				if (o.link < 0 || (size_t)o.link >= fz.mc.n_links ||
				    !um3n_sockaddr_eq(&o.to, &fz.mc.ha))
					abort();
				fz_check_udp(&o);
				if (fz.forward)
					um3n_ha_udp_input(fz.ha, fz.now, &fz.mc.links[o.link].local,
							  o.data, o.len);
			} else {
				fz_check_tun(&o, false);
			}
		}
		while (um3n_ha_poll_output(fz.ha, &o)) {
			any = true;
			if (o.kind == UM3N_OUT_UDP) {
				int link = fz_link_of(&o.to);

				if (link < 0 && !um3n_sockaddr_eq(&o.to, &fz.stranger))
					abort(); /* sent to someone who never spoke */
				fz_check_udp(&o);
				if (fz.forward && link >= 0)
					um3n_mn_udp_input(fz.mn, fz.now, link, &fz.mc.ha, o.data,
							  o.len);
			} else {
				fz_check_tun(&o, true);
			}
		}
		if (!any)
			return;
	}
}

/* Both engines' timers up to `until`, in order, as a driver would. */
static void fz_run(uint64_t until)
{
	unsigned same = 0;
	uint64_t last = UM3N_TIME_NONE;

	for (;;) {
		uint64_t a = fz.mn_idle && !fz.forward ? UM3N_TIME_NONE
						       : um3n_mn_next_wake_us(fz.mn);
		uint64_t b = um3n_ha_next_wake_us(fz.ha);
		uint64_t t = a < b ? a : b;

		if (t == UM3N_TIME_NONE || t > until)
			break;
		if (t == last && ++same > 64)
			abort(); /* woken at the same instant forever */
		if (t != last)
			same = 0;
		last = t;
		if (t > fz.now)
			fz.now = t;
		if (!fz.mn_idle || fz.forward)
			um3n_mn_timeout(fz.mn, fz.now);
		um3n_ha_timeout(fz.ha, fz.now);
		fz_drain();
	}
	if (until > fz.now)
		fz.now = until;
}

static struct um3n_policy *fz_policy(void)
{
	static const char *const rules[][2] = {
		{"10.1.0.0/16", "wifi aggregate"},
		{"10.2.0.0/16", "cell redundant"},
		{"10.3.0.0/16", "wifi load-balance 60"},
		{"10.4.0.0/16", "cell smallest-delay rtt_ms=100"},
		{"10.5.0.0/16", "wifi priority loss_pct=10"},
		{"10.6.0.0/16", "cell active-standby"},
	};
	struct um3n_policy *p = um3n_policy_new(&fz.env, 8);

	if (!p)
		abort();
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct um3n_policy_rule r = {0};

		if (um3n_policy_prefix_parse(rules[i][0], &r.prefix, &r.plen) ||
		    um3n_policy_action_parse(rules[i][1], &r, NULL) || um3n_policy_add(p, &r))
			abort();
	}
	um3n_policy_set_default(p, UM3N_CLASS_WIFI, UM3N_MODE_PREFER);
	um3n_policy_set_version(p, 1);
	return p;
}

static void fz_stop(void)
{
	um3n_mn_free(fz.mn);
	um3n_ha_free(fz.ha);
	fz.mn = NULL;
	fz.ha = NULL;
}

/* New engines, both uplinks registered and the policy synced. */
static void fz_start(void)
{
	struct um3n_policy *pol;
	struct um3n_mn_status st;

	fz_stop();
	memset(&fz, 0, sizeof(fz));
	fz.env = (struct um3n_env){.alloc = fz_alloc, .free = fz_free, .log_level = -1, .seed = 1};
	pol = fz_policy();
	um3n_mn_conf_defaults(&fz.mc);
	fz.mc.home_addr.family = UM3N_AF_INET;
	um3n_put32(fz.mc.home_addr.bytes, FZ_HOME);
	fz_sa(&fz.mc.ha, FZ_HA, 434);
	fz.mc.spi = 256;
	memcpy(fz.mc.key, fz_key, sizeof(fz_key));
	fz.mc.key_len = sizeof(fz_key);
	fz.mc.ident_base = 0xE0000000ull << 32;
	fz.mc.out_queue_len = 128;
	fz.mc.resend_slots = 64;
	fz.mc.n_links = 2;
	fz.mc.path_mtu = 576; /* below the longest input: pmtu.h runs */
	strcpy(fz.mc.links[0].name, "cell");
	fz.mc.links[0].link_class = UM3N_CLASS_CELL;
	fz.mc.links[0].priority = 1;
	fz.mc.links[0].weight_kbps = 4000;
	fz_sa(&fz.mc.links[0].local, 0xc6336402u, 40000);
	strcpy(fz.mc.links[1].name, "wifi");
	fz.mc.links[1].link_class = UM3N_CLASS_WIFI;
	fz.mc.links[1].weight_kbps = 12000;
	fz_sa(&fz.mc.links[1].local, 0xcb007102u, 40001);
	fz.mc.policy = pol;
	um3n_ha_conf_defaults(&fz.hc);
	fz_sa(&fz.hc.addr, FZ_HA, 434);
	fz.hc.get_key = fz_get_key;
	fz.hc.ident_base = fz.mc.ident_base;
	/* Probes every 60 ms, not 15: time passing would otherwise be mostly
	 * probe exchanges (measured: most of an execution), the same code each
	 * time; silence judged over 250 ms so that links stay up between them. */
	fz.mc.probe_interval_us = 60000;
	fz.mc.dead_after_us = 250000;
	fz.hc.dead_after_us = 250000;
	fz.hc.max_mns = 4;
	fz.hc.out_queue_len = 128;
	fz.hc.resend_slots = 64;
	fz_sa(&fz.stranger, 0x08080808u, 5353);
	fz.mn = um3n_mn_new(&fz.mc, &fz.env);
	fz.ha = um3n_ha_new(&fz.hc, &fz.env);
	um3n_policy_free(pol);
	fz.mc.policy = NULL;
	if (!fz.mn || !fz.ha)
		abort();
	fz.forward = true;
	for (int i = 0; i < 2; i++)
		um3n_mn_link_event(fz.mn, fz.now, i, UM3N_LINK_EV_UP, 0);
	fz_drain();
	/* registration and policy sync, 10 ms at a time: a few rounds */
	for (;;) {
		fz_run(fz.now + 10000);
		um3n_mn_status(fz.mn, fz.now, &st);
		if (st.links[0].reg_state == UM3N_REG_REGISTERED &&
		    st.links[1].reg_state == UM3N_REG_REGISTERED && st.policy_acked_version == 1)
			break;
		if (fz.now > 2000000)
			abort(); /* the set-up itself must work */
	}
	fz.forward = false;
}

/* Inner IPv4 packet of `len` fuzzed bytes made to look like one: version,
 * header length, total length, a checksum, and the home address as the
 * source (uplink) or destination (downlink). */
static void fz_fix_ipv4(uint8_t *p, size_t len, bool uplink)
{
	if (len < 20)
		return;
	p[0] = 0x45;
	um3n_put16(p + 2, (uint16_t)len);
	um3n_put32(p + (uplink ? 12 : 16), FZ_HOME);
	um3n_put16(p + 10, 0);
	um3n_put16(p + 10, um3n_wire_inet_csum(p, 20));
}

/* A repair request (arq.h) with the sequence numbers the bytes give (after
 * the 4-byte "NACK" tag), from the MN's home address to the HA (uplink) or
 * back: a valid NACK, which fuzzed bytes would rarely be (its checksum). */
static size_t fz_nack(uint8_t *out, const uint8_t *in, size_t len, bool uplink)
{
	struct um3n_arq_nack n = {0};
	int rc;

	for (size_t i = 4; i + 4 <= len && n.n < UM3N_ARQ_MAX_SEQS; i += 4)
		n.seq[n.n++] = um3n_get32(in + i);
	rc = um3n_arq_nack_build(out, UM3N_PKT_MAX, uplink ? FZ_HOME : FZ_HA,
				 uplink ? FZ_HA : FZ_HOME, &n);
	return rc > 0 ? (size_t)rc : 0;
}

/* Tunnel data around fuzzed inner bytes: 8 bytes of key and sequence, then
 * the inner packet (fixed up as IPv4 when asked); a key of "NACK" makes a
 * repair request instead (fz_nack). Returns the length. */
static size_t fz_tunnel(uint8_t *out, const uint8_t *in, size_t len, uint8_t flags, bool uplink)
{
	uint32_t key, seq;
	size_t hdr;

	if (len < 8)
		return 0;
	if (um3n_get32(in) == 0x4e41434bu) /* "NACK" */
		return fz_nack(out, in, len, uplink);
	key = um3n_get32(in);
	seq = um3n_get32(in + 4);
	in += 8;
	len -= 8;
	hdr = flags & 1 ? um3n_wire_tunnel_hdr_keyed(out, false, key, seq)
			: um3n_wire_tunnel_hdr(out, UM3N_NH_GRE, false, seq);
	memcpy(out + hdr, in, len);
	if (flags & 2)
		fz_fix_ipv4(out + hdr, len, uplink);
	return hdr + len;
}

/* Plays an input's records (both targets' format: an operation byte, a
 * length byte, times 8 with the top bit, and that many bytes): op & 7 == 5
 * lets time pass by the length in units of 100 us, any other goes to op_fn
 * with its bytes; op & 0x40 lets the engines' outputs reach the peer during
 * the operation. What is due at the end runs too. */
static void fz_play(const uint8_t *data, size_t size,
		    void (*op_fn)(uint8_t op, const uint8_t *p, size_t n))
{
	size_t pos = 0;

	while (pos + 2 <= size) {
		uint8_t op = data[pos], n8 = data[pos + 1];
		size_t n = op & 0x80 ? (size_t)n8 * 8 : n8;

		pos += 2;
		fz.forward = op & 0x40;
		if ((op & 7) == 5) {
			fz_run(fz.now + (uint64_t)n * 100);
		} else {
			n = n < size - pos ? n : size - pos;
			op_fn(op, data + pos, n);
			pos += n;
		}
		fz_drain();
		fz.forward = false;
	}
	fz_run(fz.now); /* what is due now */
}

#endif
