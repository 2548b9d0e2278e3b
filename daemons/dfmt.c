/* um3n daemons — status formatting for `um3nctl show` (text) and `show -j`
 * (JSON). Pure functions: unit-tested. */
#include "dfmt.h"

#include <stdio.h>
#include <string.h>

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

static const struct {
	const char *name;
	size_t off;
} drop_fields[] = {
	{"malformed", offsetof(struct um3n_drop_counters, malformed)},
	{"auth_failed", offsetof(struct um3n_drop_counters, auth_failed)},
	{"replayed", offsetof(struct um3n_drop_counters, replayed)},
	{"unknown_peer", offsetof(struct um3n_drop_counters, unknown_peer)},
	{"no_binding", offsetof(struct um3n_drop_counters, no_binding)},
	{"no_link", offsetof(struct um3n_drop_counters, no_link)},
	{"duplicate", offsetof(struct um3n_drop_counters, duplicate)},
	{"queue_full", offsetof(struct um3n_drop_counters, queue_full)},
	{"too_big", offsetof(struct um3n_drop_counters, too_big)},
};

void d_fmt_drops(const struct um3n_drop_counters *d, bool json, struct d_str *out)
{
	size_t n = sizeof(drop_fields) / sizeof(drop_fields[0]);

	d_str_printf(out, json ? "{" : "drops:");
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, (const char *)d + drop_fields[i].off, sizeof(v));
		if (json)
			d_str_printf(out, "%s\"%s\":%llu", i ? "," : "", drop_fields[i].name,
				     (unsigned long long)v);
		else
			d_str_printf(out, " %s %llu", drop_fields[i].name, (unsigned long long)v);
	}
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

static void mn_link_json(const struct um3n_mn_link_status *l, const char *ifname, struct d_str *o)
{
	char ip[48];

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
	d_str_printf(o,
		     "\"srtt_us\":%llu,\"rttvar_us\":%llu,\"loss_permille\":%u,"
		     "\"signal_dbm\":%d,",
		     (unsigned long long)l->srtt_us, (unsigned long long)l->rttvar_us,
		     l->loss_permille, l->signal_dbm);
	d_str_printf(o,
		     "\"tx_pkts\":%llu,\"tx_bytes\":%llu,\"rx_pkts\":%llu,\"rx_bytes\":%llu,"
		     "\"probes_sent\":%llu,\"probes_answered\":%llu,\"failovers\":%llu,"
		     "\"resent_pkts\":%llu,\"unexpected_events\":%llu}",
		     (unsigned long long)l->tx_pkts, (unsigned long long)l->tx_bytes,
		     (unsigned long long)l->rx_pkts, (unsigned long long)l->rx_bytes,
		     (unsigned long long)l->probes_sent, (unsigned long long)l->probes_answered,
		     (unsigned long long)l->failovers, (unsigned long long)l->resent_pkts,
		     (unsigned long long)l->unexpected_events);
}

static void mn_link_text(const struct um3n_mn_link_status *l, const char *ifname, struct d_str *o)
{
	char ip[48];

	addr_text(&l->local.ip, ip, sizeof(ip));
	d_str_printf(o,
		     "uplink %s (%s, class %s): %s, registration %s (code %d), %s:%u, "
		     "lifetime left %u s\n",
		     l->name, ifname ? ifname : "-", um3n_policy_class_name(l->link_class),
		     um3n_linkmon_state_name(l->state), um3n_regfsm_state_name(l->reg_state),
		     l->last_code, ip, l->local.port, l->lifetime_left_s);
	d_str_printf(o,
		     "  srtt %.2f ms rttvar %.2f ms loss %.1f%% signal %d dBm probes %llu/%llu "
		     "failovers %llu resent %llu unexpected %llu\n",
		     (double)l->srtt_us / 1000.0, (double)l->rttvar_us / 1000.0,
		     l->loss_permille / 10.0, l->signal_dbm, (unsigned long long)l->probes_answered,
		     (unsigned long long)l->probes_sent, (unsigned long long)l->failovers,
		     (unsigned long long)l->resent_pkts, (unsigned long long)l->unexpected_events);
	d_str_printf(o, "  out %llu pkts %llu bytes, in %llu pkts %llu bytes\n",
		     (unsigned long long)l->tx_pkts, (unsigned long long)l->tx_bytes,
		     (unsigned long long)l->rx_pkts, (unsigned long long)l->rx_bytes);
}

void d_fmt_mn_status(const struct um3n_mn_status *st, const char *const *ifnames,
		     const struct d_daemon_stats *ds, bool json, struct d_str *o)
{
	size_t n = st->n_links < UM3N_MAX_LINKS ? st->n_links : UM3N_MAX_LINKS;

	if (!json) {
		d_str_printf(o, "policy version %u (HA holds %u), %zu rules\n", st->policy_version,
			     st->policy_acked_version, st->policy_rules);
		d_str_printf(o, "tun in %llu pkts, out %llu pkts, to the HA with %s checksums\n",
			     (unsigned long long)st->tun_in_pkts,
			     (unsigned long long)st->tun_out_pkts,
			     st->peer_csum_partial ? "partial" : "complete");
		for (size_t i = 0; i < n; i++)
			mn_link_text(&st->links[i], ifnames ? ifnames[i] : NULL, o);
		d_fmt_drops(&st->drops, false, o);
		daemon_stats(ds, false, o);
		return;
	}
	d_str_printf(o,
		     "{\"role\":\"mn\",\"policy\":{\"version\":%u,\"acked_version\":%u,"
		     "\"rules\":%zu},\"tun\":{\"in_pkts\":%llu,\"out_pkts\":%llu,"
		     "\"csum_partial\":%s},\"uplinks\":[",
		     st->policy_version, st->policy_acked_version, st->policy_rules,
		     (unsigned long long)st->tun_in_pkts, (unsigned long long)st->tun_out_pkts,
		     st->peer_csum_partial ? "true" : "false");
	for (size_t i = 0; i < n; i++) {
		if (i)
			d_str_printf(o, ",");
		mn_link_json(&st->links[i], ifnames ? ifnames[i] : NULL, o);
	}
	d_str_printf(o, "],\"drops\":");
	d_fmt_drops(&st->drops, true, o);
	daemon_stats(ds, true, o);
	d_str_printf(o, "}\n");
}

static void ha_binding(const struct um3n_ha_binding_status *b, bool json, struct d_str *o)
{
	char ip[48];

	addr_text(&b->coa.ip, ip, sizeof(ip));
	d_str_printf(o,
		     json ? "{\"link_id\":%u,\"class\":\"%s\",\"flags\":%u,\"state\":\"%s\","
			    "\"coa\":\"%s\",\"port\":%u,\"lifetime_left_s\":%u,"
			    "\"last_heard_ms_ago\":%llu,"
			  : "    link %u class %s flags 0x%02x %s coa %s:%u lifetime left %u s "
			    "heard %llu ms ago,",
		     b->link_id, um3n_policy_class_name(b->link_class), b->flags,
		     um3n_linkmon_state_name(b->state), ip, b->coa.port, b->lifetime_left_s,
		     (unsigned long long)(b->last_heard_us_ago / 1000));
	d_str_printf(o,
		     json ? "\"tx_pkts\":%llu,\"tx_bytes\":%llu,\"rx_pkts\":%llu,"
			    "\"rx_bytes\":%llu}"
			  : " out %llu pkts %llu bytes, in %llu pkts %llu bytes\n",
		     (unsigned long long)b->tx_pkts, (unsigned long long)b->tx_bytes,
		     (unsigned long long)b->rx_pkts, (unsigned long long)b->rx_bytes);
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
		d_str_printf(o, "]}");
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
		daemon_stats(ds, true, o);
		d_str_printf(o, "}\n");
	} else {
		d_fmt_drops(&st->drops, false, o);
		daemon_stats(ds, false, o);
	}
}
