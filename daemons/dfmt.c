/* um3n daemons — status formatting for `um3nctl show` (text) and `show -j`
 * (JSON). Pure functions: unit-tested. */
#include "dfmt.h"

#include <stdio.h>
#include <string.h>

#include "hoverfsm.h"
#include "linkmon.h"
#include "wire.h"

/* Names come from config files and interface names: escape anyway so the
 * output is always valid JSON. */
static void json_str(struct d_str *s, const char *text)
{
	d_str_printf(s, "\"");
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\')
			d_str_printf(s, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			d_str_printf(s, "\\u%04x", *p);
		else
			d_str_printf(s, "%c", *p);
	}
	d_str_printf(s, "\"");
}

static void addr_text(const struct um3n_addr *a, char *buf, size_t cap)
{
	if (um3n_addr_format(a, buf, cap) < 0)
		snprintf(buf, cap, "-");
}

struct d_field {
	const char *name;
	size_t off; /* of a uint64_t */
};

/* A struct's counters: `,"json_name":{...` (`{...` without a name) or a
 * text line after indent, left open for the caller to add to and close. */
static void fmt_u64s(const void *s, const struct d_field *f, size_t n, const char *json_name,
		     const char *text_name, bool json, const char *indent, struct d_str *out)
{
	if (json)
		d_str_printf(out, json_name ? ",\"%s\":{" : "{", json_name);
	else
		d_str_printf(out, "%s%s:", indent, text_name);
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, (const char *)s + f[i].off, sizeof(v));
		d_str_printf(out, json ? "%s\"%s\":%llu" : "%s%s %llu", json ? (i ? "," : "") : " ",
			     f[i].name, (unsigned long long)v);
	}
}

static const struct d_field drop_fields[] = {
	{"malformed", offsetof(struct um3n_drop_counters, malformed)},
	{"auth_failed", offsetof(struct um3n_drop_counters, auth_failed)},
	{"replayed", offsetof(struct um3n_drop_counters, replayed)},
	{"unknown_peer", offsetof(struct um3n_drop_counters, unknown_peer)},
	{"after_dereg", offsetof(struct um3n_drop_counters, after_dereg)},
	{"no_binding", offsetof(struct um3n_drop_counters, no_binding)},
	{"no_link", offsetof(struct um3n_drop_counters, no_link)},
	{"duplicate", offsetof(struct um3n_drop_counters, duplicate)},
	{"queue_full", offsetof(struct um3n_drop_counters, queue_full)},
	{"too_big", offsetof(struct um3n_drop_counters, too_big)},
	{"aqm", offsetof(struct um3n_drop_counters, aqm)},
	{"bad_tag", offsetof(struct um3n_drop_counters, bad_tag)},
	{"replayed_data", offsetof(struct um3n_drop_counters, replayed_data)},
	{"spoofed_src", offsetof(struct um3n_drop_counters, spoofed_src)},
	{"not_from_ha", offsetof(struct um3n_drop_counters, not_from_ha)},
	{"reg_ratelimited", offsetof(struct um3n_drop_counters, reg_ratelimited)},
};

void d_fmt_drops(const struct um3n_drop_counters *d, bool json, struct d_str *out)
{
	fmt_u64s(d, drop_fields, sizeof(drop_fields) / sizeof(drop_fields[0]), NULL, "drops", json,
		 "", out);
	d_str_printf(out, json ? "}" : "\n");
}

static const struct d_field reorder_fields[] = {
	{"held", offsetof(struct um3n_reorder_status, held)},
	{"filled", offsetof(struct um3n_reorder_status, filled)},
	{"proved", offsetof(struct um3n_reorder_status, proved)},
	{"timed_out", offsetof(struct um3n_reorder_status, timed_out)},
	{"overflow", offsetof(struct um3n_reorder_status, overflow)},
	{"late", offsetof(struct um3n_reorder_status, late)},
	{"equalised", offsetof(struct um3n_reorder_status, equalised)},
};

void d_fmt_reorder(const struct um3n_reorder_status *r, bool json, struct d_str *out)
{
	fmt_u64s(r, reorder_fields, sizeof(reorder_fields) / sizeof(reorder_fields[0]), "reorder",
		 "reorder", json, "", out);
	if (json)
		d_str_printf(out, ",\"hold_p50_us\":%llu,\"hold_p99_us\":%llu}",
			     (unsigned long long)r->p50_us, (unsigned long long)r->p99_us);
	else
		d_str_printf(out, " hold p50 %.0f ms p99 %.0f ms\n", (double)r->p50_us / 1000.0,
			     (double)r->p99_us / 1000.0);
}

static const struct d_field arq_fields[] = {
	{"asked", offsetof(struct um3n_arq_stats, asked)},
	{"repaired", offsetof(struct um3n_arq_stats, repaired)},
	{"unanswered", offsetof(struct um3n_arq_stats, unanswered)},
	{"over_budget", offsetof(struct um3n_arq_stats, over_budget)},
	{"too_late", offsetof(struct um3n_arq_stats, too_late)},
	{"requests_in", offsetof(struct um3n_arq_stats, requests_in)},
	{"repairs_sent", offsetof(struct um3n_arq_stats, repairs_sent)},
	{"no_copy", offsetof(struct um3n_arq_stats, no_copy)},
	{"refused", offsetof(struct um3n_arq_stats, refused)},
};

/* Repair requests (core/arq.h): `,"arq":{...}` or an indented text line. */
void d_fmt_arq(const struct um3n_arq_stats *a, bool json, const char *indent, struct d_str *out)
{
	fmt_u64s(a, arq_fields, sizeof(arq_fields) / sizeof(arq_fields[0]), "arq", "repairs", json,
		 indent, out);
	d_str_printf(out, json ? "}" : "\n");
}

static const struct d_field pace_fields[] = {
	{"queued", offsetof(struct um3n_pacer_stats, queued)},
	{"sent", offsetof(struct um3n_pacer_stats, sent)},
	{"dropped", offsetof(struct um3n_pacer_stats, dropped)},
	{"bytes", offsetof(struct um3n_pacer_stats, bytes)},
	{"max_bytes", offsetof(struct um3n_pacer_stats, max_bytes)},
	{"rate_kbps", offsetof(struct um3n_pacer_stats, rate_kbps)},
};

/* The sender's queue of aggregate rules (core/pacer.h): `,"pace":{...}` or
 * an indented text line. */
void d_fmt_pace(const struct um3n_pacer_stats *p, bool json, const char *indent, struct d_str *out)
{
	fmt_u64s(p, pace_fields, sizeof(pace_fields) / sizeof(pace_fields[0]), "pace", "pace", json,
		 indent, out);
	d_str_printf(out, json ? "}" : "\n");
}

static void daemon_stats(const struct d_daemon_stats *ds, bool json, struct d_str *o)
{
	if (!ds)
		return;
	d_str_printf(o,
		     json ? ",\"daemon\":{\"offload\":%s,\"busy_poll_us\":%u,"
			    "\"udp_send_dropped\":%llu,\"tun_write_errors\":%llu,\"bad_gso\":%llu}"
			  : "daemon: offload %s, busy poll %u us, udp send dropped %llu, "
			    "tun write errors %llu, bad gso %llu\n",
		     ds->offload ? (json ? "true" : "on") : (json ? "false" : "off"),
		     ds->busy_poll_us, (unsigned long long)ds->udp_send_dropped,
		     (unsigned long long)ds->tun_write_errors, (unsigned long long)ds->bad_gso);
}

static const char *const reg_wait_names[] = {
	[UM3N_MN_REG_WAIT_NONE] = "none",
	[UM3N_MN_REG_WAIT_NO_REPLY] = "no reply",
	[UM3N_MN_REG_WAIT_DENIED] = "denied",
};

static const char *reg_wait_name(int wait)
{
	return wait >= 0 && wait <= UM3N_MN_REG_WAIT_DENIED ? reg_wait_names[wait] : "?";
}

/* Why an uplink carries no traffic: the first thing it lacks, or where its
 * registration is stuck. Returns false (buf untouched) when it is up. */
static bool not_up(const struct um3n_mn_link_status *l, char *buf, size_t cap)
{
	if (l->state == UM3N_LS_UP || l->state == UM3N_LS_DEGRADED)
		return false;
	if (!l->carrier)
		snprintf(buf, cap, "no carrier");
	else if (l->local.ip.family == 0)
		snprintf(buf, cap, "no address");
	else if ((l->reg_state == UM3N_REG_REQUESTING || l->reg_state == UM3N_REG_DENIED) &&
		 l->reg_wait == UM3N_MN_REG_WAIT_DENIED)
		snprintf(buf, cap, "%s for %u s, %u retries, last: denied, code %d",
			 um3n_regfsm_state_name(l->reg_state), l->trying_s, l->reg_retries,
			 l->last_code);
	else if (l->reg_state == UM3N_REG_REQUESTING || l->reg_state == UM3N_REG_DENIED)
		snprintf(buf, cap, "%s for %u s, %u retries, last: %s",
			 um3n_regfsm_state_name(l->reg_state), l->trying_s, l->reg_retries,
			 l->reg_wait == UM3N_MN_REG_WAIT_NO_REPLY ? "no reply" : "none yet");
	else if (l->state == UM3N_LS_FAILED)
		snprintf(buf, cap, "silent (nothing heard from the HA for dead_after)");
	else
		snprintf(buf, cap, "registration %s", um3n_regfsm_state_name(l->reg_state));
	return true;
}

static void failovers_json(const struct um3n_mn_link_status *l, struct d_str *o)
{
	d_str_printf(o, "\"failovers\":%llu,\"failovers_by\":{", (unsigned long long)l->failovers);
	for (int c = 0; c < UM3N_FAILOVER_CAUSES; c++)
		d_str_printf(o, "%s\"%s\":%llu", c ? "," : "", um3n_mn_failover_cause_name(c),
			     (unsigned long long)l->failovers_by[c]);
	d_str_printf(o, "},");
}

/* Aggregation's view of a link's rate (rateest.h): "rate" in JSON, a line
 * of text. A rate of 0 means not measured (rate_estimate = no). */
static void rate_out(const struct um3n_rate_status *r, bool json, const char *indent,
		     struct d_str *o)
{
	if (json) {
		d_str_printf(o, "\"rate\":{\"weight_kbps\":%u,\"rate_kbps\":", r->weight_kbps);
		if (r->rate_kbps)
			d_str_printf(o, "%u", r->rate_kbps);
		else
			d_str_printf(o, "null");
		d_str_printf(o,
			     ",\"delivered_kbps\":%u,\"queue_ms\":%.1f,\"windows\":%llu,"
			     "\"full\":%llu,\"probes\":%llu},",
			     r->delivered_kbps, r->queue_us / 1000.0,
			     (unsigned long long)r->windows, (unsigned long long)r->full_windows,
			     (unsigned long long)r->probes);
		return;
	}
	d_str_printf(o, "%srate: weight %u kbit/s, ", indent, r->weight_kbps);
	if (r->rate_kbps)
		d_str_printf(o, "measured %u kbit/s", r->rate_kbps);
	else
		d_str_printf(o, "not measured");
	d_str_printf(
		o, " (delivered %u kbit/s, queue %.1f ms, %llu windows, %llu full, %llu probes)\n",
		r->delivered_kbps, r->queue_us / 1000.0, (unsigned long long)r->windows,
		(unsigned long long)r->full_windows, (unsigned long long)r->probes);
}

static void mn_link_json(const struct um3n_mn_link_status *l, const char *ifname, struct d_str *o)
{
	char ip[48], why[96];

	addr_text(&l->local.ip, ip, sizeof(ip));
	d_str_printf(o, "{\"name\":");
	json_str(o, l->name);
	d_str_printf(o, ",\"interface\":");
	json_str(o, ifname ? ifname : "");
	d_str_printf(o,
		     ",\"class\":\"%s\",\"state\":\"%s\",\"reg_state\":\"%s\","
		     "\"last_code\":%d,\"address\":\"%s\",\"port\":%u,\"lifetime_left_s\":%u,",
		     um3n_policy_class_name(l->link_class), um3n_linkmon_state_name(l->state),
		     um3n_regfsm_state_name(l->reg_state), l->last_code, ip, l->local.port,
		     l->lifetime_left_s);
	d_str_printf(o, "\"carrier\":%s,\"not_up\":", l->carrier ? "true" : "false");
	if (not_up(l, why, sizeof(why)))
		json_str(o, why);
	else
		d_str_printf(o, "null");
	d_str_printf(o, ",\"trying_s\":%u,\"reg_retries\":%u,\"reg_wait\":\"%s\",", l->trying_s,
		     l->reg_retries, reg_wait_name(l->reg_wait));
	d_str_printf(o, "\"srtt_us\":%llu,\"rttvar_us\":%llu,\"loss_permille\":%u,",
		     (unsigned long long)l->srtt_us, (unsigned long long)l->rttvar_us,
		     l->loss_permille);
	if (l->have_signal)
		d_str_printf(o, "\"signal_dbm\":%d,", l->signal_dbm);
	else
		d_str_printf(o, "\"signal_dbm\":null,");
	d_str_printf(o,
		     "\"tx_pkts\":%llu,\"tx_bytes\":%llu,\"rx_pkts\":%llu,\"rx_bytes\":%llu,"
		     "\"probes_sent\":%llu,\"probes_answered\":%llu,",
		     (unsigned long long)l->tx_pkts, (unsigned long long)l->tx_bytes,
		     (unsigned long long)l->rx_pkts, (unsigned long long)l->rx_bytes,
		     (unsigned long long)l->probes_sent, (unsigned long long)l->probes_answered);
	rate_out(&l->rate, true, "", o);
	failovers_json(l, o);
	d_str_printf(o, "\"resent_pkts\":%llu,\"unexpected_events\":%llu}",
		     (unsigned long long)l->resent_pkts, (unsigned long long)l->unexpected_events);
}

static void mn_link_text(const struct um3n_mn_link_status *l, const char *ifname, struct d_str *o)
{
	char ip[48], why[96], signal[16] = "-";

	addr_text(&l->local.ip, ip, sizeof(ip));
	d_str_printf(o,
		     "uplink %s (%s, class %s): %s, registration %s (code %d), %s:%u, "
		     "lifetime left %u s\n",
		     l->name, ifname ? ifname : "-", um3n_policy_class_name(l->link_class),
		     um3n_linkmon_state_name(l->state), um3n_regfsm_state_name(l->reg_state),
		     l->last_code, ip, l->local.port, l->lifetime_left_s);
	if (not_up(l, why, sizeof(why)))
		d_str_printf(o, "  not up: %s\n", why);
	if (l->have_signal)
		snprintf(signal, sizeof(signal), "%d dBm", l->signal_dbm);
	d_str_printf(o, "  srtt %.2f ms rttvar %.2f ms loss %.1f%% signal %s probes %llu/%llu\n",
		     (double)l->srtt_us / 1000.0, (double)l->rttvar_us / 1000.0,
		     l->loss_permille / 10.0, signal, (unsigned long long)l->probes_answered,
		     (unsigned long long)l->probes_sent);
	rate_out(&l->rate, false, "  ", o);
	d_str_printf(o, "  failovers %llu (", (unsigned long long)l->failovers);
	for (int c = 0; c < UM3N_FAILOVER_CAUSES; c++)
		d_str_printf(o, "%s%s %llu", c ? ", " : "", um3n_mn_failover_cause_name(c),
			     (unsigned long long)l->failovers_by[c]);
	d_str_printf(o, "), resent %llu, unexpected %llu\n", (unsigned long long)l->resent_pkts,
		     (unsigned long long)l->unexpected_events);
	d_str_printf(o, "  out %llu pkts %llu bytes, in %llu pkts %llu bytes\n",
		     (unsigned long long)l->tx_pkts, (unsigned long long)l->tx_bytes,
		     (unsigned long long)l->rx_pkts, (unsigned long long)l->rx_bytes);
}

static const char *hover_link(const struct um3n_mn_status *st, int link)
{
	return link >= 0 && (size_t)link < st->n_links ? st->links[link].name : "-";
}

/* What a standby uplink is doing: carrying, coming up, draining, registered
 * (hot) or released (cold, no registration). */
static const char *standby_state(const struct um3n_mn_status *st, int i)
{
	const struct um3n_mn_hover_status *h = &st->hover;

	if (i == h->active)
		return "active";
	if (i == h->target)
		return "coming up";
	if (i == h->draining)
		return "draining";
	return st->links[i].reg_state == UM3N_REG_IDLE ? "released" : "registered";
}

static void ago(struct d_str *o, const char *what, int64_t ms, bool json)
{
	if (json)
		d_str_printf(o, ",\"%s_ago_ms\":%lld", what, (long long)ms);
	else if (ms >= 0)
		d_str_printf(o, ", %s %.1f s ago", what, ms / 1000.0);
}

/* uplinks = one only (the other mode's output stays as it was): the mode, the
 * active uplink, each one's standby kind and state, the last handover. */
static void mn_hover(const struct um3n_mn_status *st, size_t n, bool json, struct d_str *o)
{
	const struct um3n_mn_hover_status *h = &st->hover;

	if (h->uplinks != UM3N_MN_UPLINKS_ONE)
		return;
	d_str_printf(o,
		     json ? ",\"handover\":{\"uplinks\":\"one\",\"state\":\"%s\","
			    "\"active\":\"%s\",\"standby\":{"
			  : "uplinks one: handover manager %s, active %s; standby",
		     um3n_hoverfsm_state_name(h->state), hover_link(st, h->active));
	for (size_t i = 0; i < n; i++)
		d_str_printf(o,
			     json ? "%s\"%s\":{\"kind\":\"%s\",\"state\":\"%s\"}" : "%s %s %s (%s)",
			     i ? (json ? "," : ";") : "", st->links[i].name,
			     st->links[i].standby == UM3N_STANDBY_COLD ? "cold" : "hot",
			     standby_state(st, (int)i));
	d_str_printf(o,
		     json ? "},\"last\":{\"reason\":\"%s\",\"from\":\"%s\",\"to\":\"%s\""
			  : "\n  last handover: %s, %s -> %s",
		     um3n_hoverfsm_reason_name(h->last_reason), hover_link(st, h->last_from),
		     hover_link(st, h->last_to));
	ago(o, "started", h->started_ago_ms, json);
	ago(o, "moved", h->moved_ago_ms, json);
	ago(o, "released", h->released_ago_ms, json);
	d_str_printf(o,
		     json ? "},\"handovers\":%llu,\"lost\":%llu,\"cancelled\":%llu,"
			    "\"failed_bringups\":%llu,\"unexpected\":%llu}"
			  : "\n  handovers %llu, lost %llu, cancelled %llu, failed bring-ups %llu, "
			    "unexpected %llu\n",
		     (unsigned long long)h->handovers, (unsigned long long)h->lost,
		     (unsigned long long)h->cancelled, (unsigned long long)h->failed_bringups,
		     (unsigned long long)h->unexpected);
}

static void rule_json(const struct um3n_policy_rule *r, bool with_prefix, struct d_str *o)
{
	char pfx[64] = "";

	if (with_prefix) {
		um3n_addr_format(&r->prefix, pfx, sizeof(pfx));
		d_str_printf(o, "\"prefix\":\"%s/%u\",", pfx, r->plen);
	}
	d_str_printf(o,
		     "\"class\":\"%s\",\"mode\":\"%s\",\"pct\":%u,\"rtt_ms\":%u,\"loss_pct\":%u}",
		     um3n_policy_class_name(r->link_class), um3n_policy_mode_name(r->mode), r->pct,
		     r->rtt_ms, r->loss_pct);
}

/* The rules with their steering modes (um3n.conf(5)'s syntax in text). */
static void policy_rules(const struct um3n_policy *p, bool json, struct d_str *o)
{
	size_t n = um3n_policy_count(p), shown = n < D_FMT_RULES_MAX ? n : D_FMT_RULES_MAX;
	char pfx[64], act[96];

	for (size_t i = 0; i < shown; i++) {
		const struct um3n_policy_rule *r = um3n_policy_rule_at(p, i);

		if (json) {
			d_str_printf(o, "%s{", i ? "," : "");
			rule_json(r, true, o);
			continue;
		}
		um3n_addr_format(&r->prefix, pfx, sizeof(pfx));
		um3n_policy_action_format(r, act, sizeof(act));
		d_str_printf(o, "  rule %s/%u %s\n", pfx, r->plen, act);
	}
	if (json) {
		d_str_printf(o, "],\"table_truncated\":%s,\"default\":{",
			     n > shown ? "true" : "false");
		rule_json(um3n_policy_default(p), false, o);
		return;
	}
	if (n > shown)
		d_str_printf(o, "  ... %zu more rules\n", n - shown);
	um3n_policy_action_format(um3n_policy_default(p), act, sizeof(act));
	d_str_printf(o, "  default %s\n", act);
}

void d_fmt_mn_status(const struct um3n_mn_status *st, const char *const *ifnames,
		     const struct d_daemon_stats *ds, bool json, struct d_str *o)
{
	size_t n = st->n_links < UM3N_MAX_LINKS ? st->n_links : UM3N_MAX_LINKS;

	if (!json) {
		d_str_printf(o, "policy version %u (HA holds %u), %zu rules\n", st->policy_version,
			     st->policy_acked_version, st->policy_rules);
		if (ds && ds->policy)
			policy_rules(ds->policy, false, o);
		d_str_printf(o, "tun in %llu pkts, out %llu pkts, to the HA with %s checksums\n",
			     (unsigned long long)st->tun_in_pkts,
			     (unsigned long long)st->tun_out_pkts,
			     st->peer_csum_partial ? "partial" : "complete");
		d_str_printf(o, "path mtu %u: %llu SYNs clamped, %llu too big answered\n",
			     st->path_mtu, (unsigned long long)st->mss_clamped,
			     (unsigned long long)st->frag_needed);
		mn_hover(st, n, false, o);
		for (size_t i = 0; i < n; i++)
			mn_link_text(&st->links[i], ifnames ? ifnames[i] : NULL, o);
		d_fmt_drops(&st->drops, false, o);
		d_fmt_reorder(&st->reorder, false, o);
		d_fmt_arq(&st->arq, false, "", o);
		d_fmt_pace(&st->pace, false, "", o);
		daemon_stats(ds, false, o);
		return;
	}
	d_str_printf(o,
		     "{\"role\":\"mn\",\"policy\":{\"version\":%u,\"acked_version\":%u,"
		     "\"rules\":%zu",
		     st->policy_version, st->policy_acked_version, st->policy_rules);
	if (ds && ds->policy) {
		d_str_printf(o, ",\"table\":[");
		policy_rules(ds->policy, true, o);
	}
	d_str_printf(o,
		     "},\"tun\":{\"in_pkts\":%llu,\"out_pkts\":%llu,"
		     "\"csum_partial\":%s,\"path_mtu\":%u,\"mss_clamped\":%llu,"
		     "\"frag_needed\":%llu},\"uplinks\":[",
		     (unsigned long long)st->tun_in_pkts, (unsigned long long)st->tun_out_pkts,
		     st->peer_csum_partial ? "true" : "false", st->path_mtu,
		     (unsigned long long)st->mss_clamped, (unsigned long long)st->frag_needed);
	for (size_t i = 0; i < n; i++) {
		if (i)
			d_str_printf(o, ",");
		mn_link_json(&st->links[i], ifnames ? ifnames[i] : NULL, o);
	}
	d_str_printf(o, "]");
	mn_hover(st, n, true, o);
	d_str_printf(o, ",\"drops\":");
	d_fmt_drops(&st->drops, true, o);
	d_fmt_reorder(&st->reorder, true, o);
	d_fmt_arq(&st->arq, true, "", o);
	d_fmt_pace(&st->pace, true, "", o);
	daemon_stats(ds, true, o);
	d_str_printf(o, "}\n");
}

/* The MN's link flags (UM3N_LINK_F_*) in words, JSON strings or a text list;
 * bits without a name as hex. */
static void flag_words(uint8_t flags, bool json, struct d_str *o)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} words[] = {
		{UM3N_LINK_F_DEGRADED, "degraded"},
		{UM3N_LINK_F_STANDBY, "standby"},
		{UM3N_LINK_F_CSUM_PARTIAL, "csum-partial"},
	};
	const char *sep = "";
	uint8_t rest = flags;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (!(flags & words[i].bit))
			continue;
		d_str_printf(o, json ? "%s\"%s\"" : "%s%s", sep, words[i].name);
		sep = ",";
		rest &= (uint8_t)~words[i].bit;
	}
	if (rest)
		d_str_printf(o, json ? "%s\"0x%02x\"" : "%s0x%02x", sep, rest);
	else if (!flags && !json)
		d_str_printf(o, "-");
}

static void ha_binding(const struct um3n_ha_binding_status *b, bool json, struct d_str *o)
{
	char ip[48];

	addr_text(&b->coa.ip, ip, sizeof(ip));
	if (json) {
		d_str_printf(o, "{\"link_id\":%u,\"class\":\"%s\",\"flags\":%u,\"flag_names\":[",
			     b->link_id, um3n_policy_class_name(b->link_class), b->flags);
		flag_words(b->flags, true, o);
		d_str_printf(o, "],");
	} else {
		d_str_printf(o, "    link %u class %s flags ", b->link_id,
			     um3n_policy_class_name(b->link_class));
		flag_words(b->flags, false, o);
	}
	d_str_printf(o,
		     json ? "\"state\":\"%s\",\"coa\":\"%s\",\"port\":%u,\"lifetime_left_s\":%u,"
			    "\"last_heard_ms_ago\":%llu,"
			  : " %s coa %s:%u lifetime left %u s heard %llu ms ago,",
		     um3n_linkmon_state_name(b->state), ip, b->coa.port, b->lifetime_left_s,
		     (unsigned long long)(b->last_heard_us_ago / 1000));
	if (json)
		rate_out(&b->rate, true, "", o);
	d_str_printf(o,
		     json ? "\"tx_pkts\":%llu,\"tx_bytes\":%llu,\"rx_pkts\":%llu,"
			    "\"rx_bytes\":%llu}"
			  : " out %llu pkts %llu bytes, in %llu pkts %llu bytes\n",
		     (unsigned long long)b->tx_pkts, (unsigned long long)b->tx_bytes,
		     (unsigned long long)b->rx_pkts, (unsigned long long)b->rx_bytes);
	if (!json)
		rate_out(&b->rate, false, "      ", o);
}

static void ha_mn(const struct um3n_ha_mn_status *m, bool json, struct d_str *o)
{
	struct um3n_addr a;
	char ip[48];
	size_t n = m->n_bindings < UM3N_MAX_LINKS ? m->n_bindings : UM3N_MAX_LINKS;

	um3n_addr_from_v4(&a, m->home_addr);
	addr_text(&a, ip, sizeof(ip));
	d_str_printf(o,
		     json ? "{\"home_addr\":\"%s\",\"policy_version\":%u,\"policy_rules\":%zu,"
			    "\"csum_partial\":%s,\"links\":["
			  : "  mn %s policy version %u, %zu rules, %s checksums to it\n",
		     ip, m->policy_version, m->policy_rules,
		     json ? (m->peer_csum_partial ? "true" : "false")
			  : (m->peer_csum_partial ? "partial" : "complete"));
	for (size_t i = 0; i < n; i++) {
		if (json && i)
			d_str_printf(o, ",");
		ha_binding(&m->bindings[i], json, o);
	}
	if (json)
		d_str_printf(o, "]");
	d_fmt_arq(&m->arq, json, "    ", o);
	d_fmt_pace(&m->pace, json, "    ", o);
	if (json)
		d_str_printf(o, "}");
}

void d_fmt_ha_status(const struct um3n_ha_status *st, const struct um3n_ha_mn_status *mns,
		     size_t n_mns, const struct d_daemon_stats *ds, bool json, struct d_str *o)
{
	d_str_printf(o,
		     json ? "{\"role\":\"ha\",\"mns\":%zu,\"reg_accepted\":%llu,"
			    "\"reg_denied\":%llu,\"reg_unexpected\":%llu,"
			    "\"tun\":{\"in_pkts\":%llu,\"out_pkts\":%llu},\"bindings\":["
			  : "%zu mobile nodes, registrations accepted %llu denied %llu "
			    "unexpected %llu\ntun in %llu pkts, out %llu pkts\n",
		     st->n_mns, (unsigned long long)st->reg_accepted,
		     (unsigned long long)st->reg_denied, (unsigned long long)st->reg_unexpected,
		     (unsigned long long)st->tun_in_pkts, (unsigned long long)st->tun_out_pkts);
	for (size_t i = 0; i < n_mns; i++) {
		if (json && i)
			d_str_printf(o, ",");
		ha_mn(&mns[i], json, o);
	}
	if (json) {
		d_str_printf(o, "],\"drops\":");
		d_fmt_drops(&st->drops, true, o);
		d_fmt_reorder(&st->reorder, true, o);
		daemon_stats(ds, true, o);
		d_str_printf(o, "}\n");
	} else {
		d_fmt_drops(&st->drops, false, o);
		d_fmt_reorder(&st->reorder, false, o);
		daemon_stats(ds, false, o);
	}
}
