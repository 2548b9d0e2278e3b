/* Daemon platform layer: `um3nctl show` formatting (text and JSON; the
 * control-request parser is test_daemon_ctl.c). The JSON is checked
 * structurally (balanced, quoted, every counter present) since CUnit has no
 * JSON parser. */
#include <stdlib.h>
#include <string.h>

#include "dctl.h"
#include "dfmt.h"
#include "hoverfsm.h"
#include "testutil.h"
#include "wire.h"

/* Minimal JSON well-formedness: balanced {}/[] outside strings, strings
 * closed, no raw control characters inside them. */
static bool json_balanced(const char *s)
{
	int depth = 0;
	bool in_str = false;

	for (; *s; s++) {
		if (in_str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				in_str = false;
			else if ((unsigned char)*s < 0x20)
				return false;
			continue;
		}
		if (*s == '"')
			in_str = true;
		else if (*s == '{' || *s == '[')
			depth++;
		else if (*s == '}' || *s == ']')
			if (--depth < 0)
				return false;
	}
	return depth == 0 && !in_str;
}

static void fill_mn(struct um3n_mn_status *st)
{
	memset(st, 0, sizeof(*st));
	st->peer_csum_partial = true;
	st->n_links = 2;
	strcpy(st->links[0].name, "cell");
	st->links[0].link_class = UM3N_CLASS_CELL;
	st->links[0].state = UM3N_LS_UP;
	st->links[0].reg_state = UM3N_REG_REGISTERED;
	st->links[0].carrier = true;
	st->links[0].have_signal = true;
	st->links[0].signal_dbm = -60;
	um3n_addr_from_v4(&st->links[0].local.ip, 0x0a010102);
	st->links[0].local.port = 40000;
	st->links[0].srtt_us = 12345;
	st->links[0].tx_bytes = 1234567890123ULL;
	strcpy(st->links[1].name, "wi\"fi"); /* must be escaped */
	st->links[1].link_class = UM3N_CLASS_WIFI;
	st->links[1].state = UM3N_LS_FAILED;
	st->links[1].last_code = -1;
	st->policy_version = 3;
	st->policy_acked_version = 2;
	st->policy_rules = 5;
	st->links[0].rate = (struct um3n_rate_status){3610, 3452, 3401, 2100, 50, 7, 12};
	st->links[1].rate.weight_kbps = 14670; /* rate_kbps 0: not measured */
	st->drops.auth_failed = 7;
	st->drops.too_big = 9;
	st->path_mtu = 1236;
	st->mss_clamped = 11;
	st->frag_needed = 4;
	st->reorder = (struct um3n_reorder_status){.held = 120,
						   .filled = 40,
						   .proved = 70,
						   .timed_out = 10,
						   .late = 2,
						   .equalised = 6,
						   .p50_us = 12000,
						   .p99_us = 45000};
	st->pace = (struct um3n_pacer_stats){.queued = 500,
					     .sent = 490,
					     .dropped = 3,
					     .bytes = 15000,
					     .max_bytes = 90000,
					     .rate_kbps = 17200};
}

static void test_mn_json(void)
{
	struct um3n_mn_status st;
	struct d_str s = {0};
	const char *ifn[] = {"veth-cell", "veth-wifi"};

	fill_mn(&st);
	struct d_daemon_stats ds = {.offload = true,
				    .busy_poll_us = 20,
				    .udp_send_dropped = 3,
				    .tun_write_errors = 4,
				    .bad_gso = 5};

	d_fmt_mn_status(&st, ifn, &ds, true, &s);
	CU_ASSERT_FALSE(s.oom);
	CU_ASSERT_TRUE(json_balanced(s.buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"role\":\"mn\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"version\":3,\"acked_version\":2,\"rules\":5"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf,
				      "\"out_pkts\":0,\"csum_partial\":true,\"path_mtu\":1236,"
				      "\"mss_clamped\":11,\"frag_needed\":4}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"address\":\"10.1.1.2\",\"port\":40000"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"tx_bytes\":1234567890123"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"rate\":{\"weight_kbps\":3610,\"rate_kbps\":3452,"
					     "\"delivered_kbps\":3401,\"queue_ms\":2.1,"
					     "\"windows\":50,\"full\":12,\"probes\":7},"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(s.buf, "\"rate\":{\"weight_kbps\":14670,\"rate_kbps\":null,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"resent_pkts\":0,\"unexpected_events\":0}"));
	/* a signal never reported is null, not 0 dBm */
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"loss_permille\":0,\"signal_dbm\":-60,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"loss_permille\":0,\"signal_dbm\":null,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"carrier\":true,\"not_up\":null,\"trying_s\":0,"
					     "\"reg_retries\":0,\"reg_wait\":\"none\","));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"carrier\":false,\"not_up\":\"no carrier\","));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"name\":\"wi\\\"fi\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"interface\":\"veth-wifi\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"auth_failed\":7"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(s.buf, "\"too_big\":9,\"aqm\":0,\"bad_tag\":0,\"replayed_data\":0,\"spoofed_"
			      "src\":0,\"not_from_ha\":0,\"reg_ratelimited\":0},"
			      "\"reorder\":{\"held\":120,"
			      "\"filled\":40,\"proved\":70,\"timed_out\":10,"
			      "\"overflow\":0,\"late\":2,\"equalised\":6,\"hold_p50_us\":12000,"
			      "\"hold_p99_us\":45000},"
			      "\"arq\":{\"asked\":0,\"repaired\":0,\"unanswered\":0,\"over_"
			      "budget\":0,\"too_late\":0,"
			      "\"requests_in\":0,\"repairs_sent\":0,\"no_copy\":0,\"refused\":0},"
			      "\"pace\":{\"queued\":500,\"sent\":490,\"dropped\":3,\"bytes\":15000,"
			      "\"max_bytes\":90000,\"rate_kbps\":17200},"
			      "\"daemon\":{\"offload\":true,"
			      "\"busy_poll_us\":20,\"udp_send_dropped\":3,\"tun_"
			      "write_errors\":4,\"bad_gso\":5}}"));
	CU_ASSERT_EQUAL(s.buf[s.len - 1], '\n');
	CU_ASSERT_PTR_EQUAL(strchr(s.buf, '\n'), s.buf + s.len - 1); /* one line */
	d_str_free(&s);
}

static void test_mn_text(void)
{
	struct um3n_mn_status st;
	struct d_str s = {0};

	fill_mn(&st);
	d_fmt_mn_status(&st, NULL, NULL, false, &s);
	CU_ASSERT_STRING_EQUAL(
		s.buf,
		"policy version 3 (HA holds 2), 5 rules\n"
		"tun in 0 pkts, out 0 pkts, to the HA with partial checksums\n"
		"path mtu 1236: 11 SYNs clamped, 4 too big answered\n"
		"uplink cell (-, class cell): up, registration registered (code 0), "
		"10.1.1.2:40000, lifetime left 0 s\n"
		"  srtt 12.35 ms rttvar 0.00 ms loss 0.0% signal -60 dBm probes 0/0\n"
		"  rate: weight 3610 kbit/s, measured 3452 kbit/s (delivered 3401 kbit/s, queue "
		"2.1 ms, 50 windows, 12 full, 7 probes)\n"
		"  failovers 0 (silence 0, carrier 0, command 0, signal 0), resent 0, "
		"unexpected 0\n"
		"  out 0 pkts 1234567890123 bytes, in 0 pkts 0 bytes\n"
		"uplink wi\"fi (-, class wifi): failed, registration idle (code -1), -:0, "
		"lifetime left 0 s\n"
		"  not up: no carrier\n"
		"  srtt 0.00 ms rttvar 0.00 ms loss 0.0% signal - probes 0/0\n"
		"  rate: weight 14670 kbit/s, not measured (delivered 0 kbit/s, queue 0.0 ms, 0 "
		"windows, 0 full, 0 probes)\n"
		"  failovers 0 (silence 0, carrier 0, command 0, signal 0), resent 0, "
		"unexpected 0\n"
		"  out 0 pkts 0 bytes, in 0 pkts 0 bytes\n"
		"drops: malformed 0 auth_failed 7 replayed 0 unknown_peer 0 after_dereg 0 "
		"no_binding 0 no_link 0 duplicate 0 queue_full 0 too_big 9 aqm 0 bad_tag 0 "
		"replayed_data 0 spoofed_src 0 not_from_ha 0 reg_ratelimited 0\n"
		"reorder: held 120 filled 40 proved 70 timed_out 10 overflow 0 late 2 equalised 6 "
		"hold p50 12 ms p99 45 ms\n"
		"repairs: asked 0 repaired 0 unanswered 0 over_budget 0 too_late 0 requests_in 0 "
		"repairs_sent 0 no_copy 0 refused 0\n"
		"pace: queued 500 sent 490 dropped 3 bytes 15000 max_bytes 90000 rate_kbps "
		"17200\n");
	d_str_free(&s);
}

static void test_ha_json(void)
{
	struct um3n_ha_status st = {0};
	struct um3n_ha_mn_status mns[2];
	struct d_str s = {0};

	memset(mns, 0, sizeof(mns));
	st.n_mns = 2;
	st.reg_accepted = 4;
	st.reg_denied = 1;
	st.drops.malformed = 300;
	mns[0].home_addr = 0x0ac80002;
	mns[0].policy_version = 2;
	mns[0].policy_rules = 1;
	mns[0].n_bindings = 2;
	mns[0].bindings[1].link_id = 1;
	mns[0].bindings[1].link_class = UM3N_CLASS_WIFI;
	um3n_addr_from_v4(&mns[0].bindings[1].coa.ip, 0x0a010202);
	mns[0].bindings[1].coa.port = 5555;
	mns[0].bindings[1].last_heard_us_ago = 2500;
	mns[1].home_addr = 0x0ac80003;
	mns[1].peer_csum_partial = true;
	d_fmt_ha_status(&st, mns, 2, NULL, true, &s);
	CU_ASSERT_TRUE(json_balanced(s.buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"role\":\"ha\",\"mns\":2,\"reg_accepted\":4,"
					     "\"reg_denied\":1,\"reg_unexpected\":0,\"tun\":"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"home_addr\":\"10.200.0.2\",\"policy_version\":2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"coa\":\"10.1.2.2\",\"port\":5555"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"last_heard_ms_ago\":2,"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(s.buf, "\"home_addr\":\"10.200.0.3\",\"policy_version\":0,"
			      "\"policy_rules\":0,\"csum_partial\":true,\"links\":[],"
			      "\"arq\":{\"asked\":0,\"repaired\":0,\"unanswered\":0,\"over_"
			      "budget\":0,\"too_late\":0,"
			      "\"requests_in\":0,\"repairs_sent\":0,\"no_copy\":0,\"refused\":0},"
			      "\"pace\":{\"queued\":0,\"sent\":0,\"dropped\":0,\"bytes\":0,"
			      "\"max_bytes\":0,\"rate_kbps\":0}}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"policy_rules\":1,\"csum_partial\":false,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"malformed\":300"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"too_big\":0,\"aqm\":0,\"bad_tag\":0,\"replayed_"
					     "data\":0,\"spoofed_src\":0,\"not_from_ha\":0,"
					     "\"reg_ratelimited\":0},\"reorder\":{\"held\":0,"));
	d_str_free(&s);
	/* empty cache */
	st.n_mns = 0;
	d_fmt_ha_status(&st, NULL, 0, NULL, true, &s);
	CU_ASSERT_TRUE(json_balanced(s.buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"bindings\":[]"));
	d_str_free(&s);
}

/* Events a state machine had no row for: per uplink on the MN, in the summary
 * on the HA, in text and JSON, so an operator sees them without the log. */
static void test_unexpected_counters(void)
{
	struct um3n_mn_status mn;
	struct um3n_ha_status ha = {0};
	struct d_str s = {0};

	fill_mn(&mn);
	mn.links[0].failovers = 2;
	mn.links[0].resent_pkts = 17;
	mn.links[1].unexpected_events = 3;
	mn.links[0].failovers_by[UM3N_FAILOVER_CARRIER] = 1;
	mn.links[0].failovers_by[UM3N_FAILOVER_COMMAND] = 1;
	d_fmt_mn_status(&mn, NULL, NULL, false, &s);
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "  failovers 2 (silence 0, carrier 1, command 1, "
					     "signal 0), resent 17, unexpected 0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "  failovers 0 (silence 0, carrier 0, command 0, "
					     "signal 0), resent 0, unexpected 3\n"));
	d_str_free(&s);
	d_fmt_mn_status(&mn, NULL, NULL, true, &s);
	CU_ASSERT_TRUE(json_balanced(s.buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"failovers\":2,\"failovers_by\":{\"silence\":0,"
					     "\"carrier\":1,\"command\":1,\"signal\":0},"
					     "\"resent_pkts\":17,\"unexpected_events\":0}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"failovers\":0,\"failovers_by\":{\"silence\":0,"
					     "\"carrier\":0,\"command\":0,\"signal\":0},"
					     "\"resent_pkts\":0,\"unexpected_events\":3}],"));
	d_str_free(&s);

	ha.n_mns = 0;
	ha.reg_accepted = 10;
	ha.reg_denied = 2;
	ha.reg_unexpected = 5;
	ha.tun_in_pkts = 8;
	d_fmt_ha_status(&ha, NULL, 0, NULL, false, &s);
	CU_ASSERT_STRING_EQUAL(
		s.buf, "0 mobile nodes, registrations accepted 10 denied 2 "
		       "unexpected 5\ntun in 8 pkts, out 0 pkts\n"
		       "drops: malformed 0 auth_failed 0 replayed 0 "
		       "unknown_peer 0 after_dereg 0 no_binding 0 no_link 0 duplicate 0 "
		       "queue_full 0 too_big 0 aqm 0 bad_tag 0 replayed_data 0 spoofed_src 0 "
		       "not_from_ha 0 reg_ratelimited 0\n"
		       "reorder: held 0 filled 0 proved 0 timed_out 0 overflow 0 "
		       "late 0 equalised 0 hold p50 0 ms p99 0 ms\n");
	d_str_free(&s);
	d_fmt_ha_status(&ha, NULL, 0, NULL, true, &s);
	CU_ASSERT_TRUE(json_balanced(s.buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "{\"role\":\"ha\",\"mns\":0,\"reg_accepted\":10,"
					     "\"reg_denied\":2,\"reg_unexpected\":5,"
					     "\"tun\":{\"in_pkts\":8,\"out_pkts\":0},"));
	d_str_free(&s);
}

/* Why an uplink is not up, numbered: what the status says, the line `show`
 * prints for it (NULL: none, the link is up). */
static const struct {
	int state, reg_state, reg_wait, last_code;
	bool carrier, addr;
	uint32_t trying_s, retries;
	const char *line;
} not_up_cases[] = {
	/* 0 */ {UM3N_LS_UP, UM3N_REG_REGISTERED, 0, 0, true, true, 0, 0, NULL},
	/* 1 */ {UM3N_LS_DEGRADED, UM3N_REG_REQUESTING, 1, 0, true, true, 3, 2, NULL},
	/* 2 */ {UM3N_LS_DOWN, UM3N_REG_IDLE, 0, -1, false, true, 0, 0, "no carrier"},
	/* 3 */ {UM3N_LS_DOWN, UM3N_REG_IDLE, 0, -1, true, false, 0, 0, "no address"},
	/* 4 */
	{UM3N_LS_PROBING, UM3N_REG_REQUESTING, UM3N_MN_REG_WAIT_NO_REPLY, -1, true, true, 42, 7,
	 "requesting for 42 s, 7 retries, last: no reply"},
	/* 5 */
	{UM3N_LS_PROBING, UM3N_REG_DENIED, UM3N_MN_REG_WAIT_DENIED, 131, true, true, 20, 2,
	 "denied for 20 s, 2 retries, last: denied, code 131"},
	/* 6 */
	{UM3N_LS_PROBING, UM3N_REG_REQUESTING, UM3N_MN_REG_WAIT_NONE, -1, true, true, 0, 0,
	 "requesting for 0 s, 0 retries, last: none yet"},
	/* 7 */
	{UM3N_LS_FAILED, UM3N_REG_REGISTERED, 0, 0, true, true, 0, 0,
	 "silent (nothing heard from the HA for dead_after)"},
	/* 8 */
	{UM3N_LS_PROBING, UM3N_REG_DEREGISTERING, 0, 0, true, true, 0, 0,
	 "registration deregistering"},
};

static void test_not_up(void)
{
	for (size_t i = 0; i < sizeof(not_up_cases) / sizeof(not_up_cases[0]); i++) {
		struct um3n_mn_status st;
		struct d_str s = {0};
		char want[160];
		const char *at;

		fill_mn(&st);
		st.links[0].state = not_up_cases[i].state;
		st.links[0].reg_state = not_up_cases[i].reg_state;
		st.links[0].reg_wait = not_up_cases[i].reg_wait;
		st.links[0].last_code = not_up_cases[i].last_code;
		st.links[0].carrier = not_up_cases[i].carrier;
		if (!not_up_cases[i].addr)
			memset(&st.links[0].local, 0, sizeof(st.links[0].local));
		st.links[0].trying_s = not_up_cases[i].trying_s;
		st.links[0].reg_retries = not_up_cases[i].retries;
		d_fmt_mn_status(&st, NULL, NULL, false, &s);
		at = strstr(s.buf, "\n  srtt"); /* the uplink's second line */
		CU_ASSERT_PTR_NOT_NULL_FATAL(at);
		if (!not_up_cases[i].line) { /* only the second uplink's (no carrier) */
			const char *nu = strstr(s.buf, "not up: ");

			CU_ASSERT(nu == NULL || nu > at);
		} else { /* between the first line and "srtt" */
			snprintf(want, sizeof(want), "\n  not up: %s\n  srtt",
				 not_up_cases[i].line);
			CU_ASSERT_PTR_EQUAL(strstr(s.buf, want),
					    at - (strlen(want) - strlen("\n  srtt")));
		}
		d_str_free(&s);
		d_fmt_mn_status(&st, NULL, NULL, true, &s);
		CU_ASSERT_TRUE(json_balanced(s.buf));
		if (not_up_cases[i].line) {
			snprintf(want, sizeof(want), "\"not_up\":\"%s\",", not_up_cases[i].line);
			CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, want));
		} else {
			CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"not_up\":null,"));
		}
		d_str_free(&s);
	}
}

/* The HA's binding flags in words (um3nctl(8)), unknown bits in hex. */
static void test_ha_flags(void)
{
	static const struct {
		uint8_t flags;
		const char *text, *json;
	} cases[] = {
		{0, " flags - up", "\"flags\":0,\"flag_names\":[],"},
		{UM3N_LINK_F_CSUM_PARTIAL, " flags csum-partial up",
		 "\"flags\":4,\"flag_names\":[\"csum-partial\"],"},
		{UM3N_LINK_F_DEGRADED | UM3N_LINK_F_CSUM_PARTIAL, " flags degraded,csum-partial up",
		 "\"flags\":5,\"flag_names\":[\"degraded\",\"csum-partial\"],"},
		{UM3N_LINK_F_STANDBY | 0x80, " flags standby,0x80 up",
		 "\"flags\":130,\"flag_names\":[\"standby\",\"0x80\"],"},
	};
	struct um3n_ha_status st = {0};
	struct um3n_ha_mn_status m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct d_str s = {0};

		memset(&m, 0, sizeof(m));
		m.home_addr = 0x0ac80002;
		m.n_bindings = 1;
		m.bindings[0].flags = cases[i].flags;
		m.bindings[0].state = UM3N_LS_UP;
		st.n_mns = 1;
		d_fmt_ha_status(&st, &m, 1, NULL, false, &s);
		CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, cases[i].text));
		d_str_free(&s);
		d_fmt_ha_status(&st, &m, 1, NULL, true, &s);
		CU_ASSERT_TRUE(json_balanced(s.buf));
		CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, cases[i].json));
		d_str_free(&s);
	}
	/* the whole binding line */
	{
		struct d_str s = {0};

		m.bindings[0].flags = UM3N_LINK_F_CSUM_PARTIAL;
		m.bindings[0].link_id = 1;
		m.bindings[0].link_class = UM3N_CLASS_WIFI;
		um3n_addr_from_v4(&m.bindings[0].coa.ip, 0x0a010202);
		m.bindings[0].coa.port = 5555;
		st.drops.after_dereg = 72;
		d_fmt_ha_status(&st, &m, 1, NULL, false, &s);
		CU_ASSERT_STRING_EQUAL(
			s.buf,
			"1 mobile nodes, registrations accepted 0 denied 0 "
			"unexpected 0\ntun in 0 pkts, out 0 pkts\n"
			"  mn 10.200.0.2 policy version 0, 0 rules, complete "
			"checksums to it\n"
			"    link 1 class wifi flags csum-partial up coa 10.1.2.2:5555 "
			"lifetime left 0 s heard 0 ms ago, out 0 pkts 0 bytes, in 0 "
			"pkts 0 bytes\n"
			"      rate: weight 0 kbit/s, not measured (delivered 0 kbit/s, queue 0.0 "
			"ms, "
			"0 windows, 0 full, 0 probes)\n"
			"    repairs: asked 0 repaired 0 unanswered 0 over_budget 0 too_late 0 "
			"requests_in 0 "
			"repairs_sent 0 no_copy 0 refused 0\n"
			"    pace: queued 0 sent 0 dropped 0 bytes 0 max_bytes 0 rate_kbps 0\n"
			"drops: malformed 0 auth_failed 0 replayed 0 unknown_peer 0 "
			"after_dereg 72 no_binding 0 no_link 0 duplicate 0 queue_full "
			"0 too_big 0 aqm 0 bad_tag 0 replayed_data 0 spoofed_src 0 not_from_ha 0 "
			"reg_ratelimited 0\n"
			"reorder: held 0 filled 0 proved 0 timed_out 0 overflow 0 "
			"late 0 equalised 0 hold p50 0 ms p99 0 ms\n");
		d_str_free(&s);
	}
}

static void test_str_growth(void)
{
	struct d_str s = {0};

	for (int i = 0; i < 5000; i++)
		d_str_printf(&s, "%04d,", i % 10000);
	CU_ASSERT_FALSE(s.oom);
	CU_ASSERT_EQUAL(s.len, 25000);
	CU_ASSERT_EQUAL(strlen(s.buf), 25000);
	CU_ASSERT_EQUAL(memcmp(s.buf + 24995, "4999,", 5), 0);
	d_str_free(&s);
	CU_ASSERT_PTR_NULL(s.buf);
}

/* uplinks = one adds the handover manager (text: a block before the
 * uplinks; JSON: "handover"); uplinks = all shows none of it. */
static void test_mn_hover(void)
{
	struct um3n_mn_status st;
	struct d_str s = {0};

	fill_mn(&st);
	d_fmt_mn_status(&st, NULL, NULL, false, &s);
	CU_ASSERT_PTR_NULL(strstr(s.buf, "handover"));
	d_str_free(&s);
	d_fmt_mn_status(&st, NULL, NULL, true, &s);
	CU_ASSERT_PTR_NULL(strstr(s.buf, "handover"));
	d_str_free(&s);

	st.hover = (struct um3n_mn_hover_status){
		.uplinks = UM3N_MN_UPLINKS_ONE,
		.state = UM3N_HOVER_ACTIVE,
		.active = 0,
		.target = -1,
		.draining = -1,
		.last_reason = UM3N_HOVER_R_SIGNAL,
		.last_from = 1,
		.last_to = 0,
		.started_ago_ms = 2500,
		.moved_ago_ms = 2447,
		.released_ago_ms = 2372,
		.handovers = 3,
		.lost = 1,
	};
	st.links[0].standby = UM3N_STANDBY_COLD;
	st.links[1].reg_state = UM3N_REG_REGISTERED;
	d_fmt_mn_status(&st, NULL, NULL, false, &s);
	CU_ASSERT_PTR_NOT_NULL(strstr(
		s.buf, "uplinks one: handover manager active, active cell; standby cell cold "
		       "(active); wi\"fi hot (registered)\n  last handover: signal, wi\"fi -> "
		       "cell, started 2.5 s ago, moved 2.4 s ago, released 2.4 s ago\n  "
		       "handovers 3, lost 1, cancelled 0, failed bring-ups 0, unexpected 0\n"
		       "uplink cell"));
	d_str_free(&s);
	d_fmt_mn_status(&st, NULL, NULL, true, &s);
	CU_ASSERT_PTR_NOT_NULL(strstr(
		s.buf, "],\"handover\":{\"uplinks\":\"one\",\"state\":\"active\","
		       "\"active\":\"cell\",\"standby\":{\"cell\":{\"kind\":\"cold\","
		       "\"state\":\"active\"},\"wi\"fi\":{\"kind\":\"hot\",\"state\":"
		       "\"registered\"}},\"last\":{\"reason\":\"signal\",\"from\":\"wi\"fi\","
		       "\"to\":\"cell\",\"started_ago_ms\":2500,\"moved_ago_ms\":2447,"
		       "\"released_ago_ms\":2372},\"handovers\":3,\"lost\":1,"
		       "\"cancelled\":0,\"failed_bringups\":0,\"unexpected\":0},\"drops\":"));
	d_str_free(&s);
}

/* show lists the rules with their steering modes, in the config's syntax. */
static void test_policy_rules(void)
{
	struct um3n_policy *p = test_policy_new(4);
	struct um3n_policy_rule r = test_rule("10.9.1.0/24", 0, 0);
	struct d_daemon_stats ds = {.policy = p};
	struct um3n_mn_status st;
	struct d_str s = {0};

	fill_mn(&st);
	CU_ASSERT_EQUAL(um3n_policy_action_parse("wifi load-balance 70", &r, NULL), 0);
	CU_ASSERT_EQUAL(um3n_policy_add(p, &r), 0);
	r = test_rule("0.0.0.0/0", 0, 0);
	um3n_policy_action_parse("wifi smallest-delay rtt_ms=150 loss_pct=5", &r, NULL);
	CU_ASSERT_EQUAL(um3n_policy_add(p, &r), 0);
	d_fmt_mn_status(&st, NULL, &ds, false, &s);
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf,
				      "5 rules\n"
				      "  rule 10.9.1.0/24 wifi load-balance 70\n"
				      "  rule 0.0.0.0/0 wifi smallest-delay rtt_ms=150 loss_pct=5\n"
				      "  default any active-standby\n"
				      "tun in"));
	d_str_free(&s);
	d_fmt_mn_status(&st, NULL, &ds, true, &s);
	CU_ASSERT_TRUE(json_balanced(s.buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		s.buf, "\"rules\":5,\"table\":[{\"prefix\":\"10.9.1.0/24\",\"class\":\"wifi\","
		       "\"mode\":\"load-balance\",\"pct\":70,\"rtt_ms\":0,\"loss_pct\":0},{"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.buf, "\"table_truncated\":false,\"default\":{\"class\":"
					     "\"any\",\"mode\":\"active-standby\",\"pct\":0,"
					     "\"rtt_ms\":0,\"loss_pct\":0}},\"tun\":"));
	d_str_free(&s);
	test_policy_free(p);
}

static CU_TestInfo fmt_tests[] = {
	{"policy rules with steering modes", test_policy_rules},
	{"mn_json", test_mn_json},
	{"mn_text", test_mn_text},
	{"mn_hover", test_mn_hover},
	{"ha_json", test_ha_json},
	{"unexpected_counters", test_unexpected_counters},
	{"str_growth", test_str_growth},
	{"not_up_reasons_table", test_not_up},
	{"ha_flags_in_words", test_ha_flags},
	CU_TEST_INFO_NULL,
};

int main(void)
{
	const struct test_suite suites[] = {
		{"daemon_fmt", fmt_tests},
		{NULL, NULL},
	};

	return test_main(suites);
}
