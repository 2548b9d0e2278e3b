#!/bin/bash
# Idle probing in the daemons (issue 17): an MN with no traffic probes each
# uplink every keepalive instead of every 15 ms, the HA keeps its bindings, and
# a link that dies while idle is found as soon as traffic starts. Run as root;
# daemons from $UM3N_BUILD. Exit 0 = every check held, 1 = a check failed,
# 77 = cannot run here. A short keepalive (5 s) and idle_after (1 s) keep the
# run short; the defaults are 25 s and 5 s.
#
#   +------------- mn --------------+        +------ ha -------+   +-- srv --+
#   | um3n0 10.200.0.2              |        | lo 192.0.2.1    |   |10.9.1.1 |
#   | wlan0 10.2.2.2 ---------------+--------+ hw 10.2.2.1     +---+         |
#   | wwan0 10.1.1.2 ---------------+--------+ hc 10.1.1.1     |   |         |
#   +-------------------------------+        +-----------------+   +---------+
#
# Checks and figures: 1 idle for IDLE_S seconds: datagrams per minute on each
# uplink (out and in, from the MN's counters; at most the keepalive's probes
# and their answers), the HA's bindings still up; 2 wifi dies silently (nft
# drops everything on hw) while idle, then a ping starts: the gap until the
# ping is answered over the cell, and the failover is by silence; 3 the same
# death during a running ping, for comparison.
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
P="id$$"
NS_MN=$P-mn NS_HA=$P-ha NS_SRV=$P-srv
TMP=$(mktemp -d /tmp/um3n-idle.XXXXXX)
SRV=10.9.1.1 KEEPALIVE_S=5 IDLE_S=${IDLE_S:-20}
NSES="$NS_MN $NS_HA $NS_SRV" TAIL_LOG=$TMP/mn.log
# shellcheck source=nslib.sh
. "$HERE/nslib.sh"

ns_require nft ping

ns_up
ns_two_uplinks
ns_key "$TMP/key"
ns_ha_conf </dev/null
ns_mn_conf 4351 <<EOF
probe_interval_ms = 15
dead_after_ms = 75
idle_after_ms = 1000
keepalive_s = $KEEPALIVE_S
EOF
ns_mn_uplinks
ns_daemons

counts() { # "tx rx" of an uplink, from the MN's show
	ctl "$NS_MN" mn | jq "' '.join(str(u[k]) for u in d['uplinks'] if u['name'] == '$1' for k in ('tx_pkts', 'rx_pkts'))"
}
ha_states() { ctl "$NS_HA" ha | jq "' '.join(b['state'] for m in d['bindings'] for b in m['links'])"; }
lost() { ping_lost "$1"; }
wifi_drop() { # on|off: everything through hw, both ways, dropped at the HA
	if [[ $1 == on ]]; then
		n "$NS_HA" nft -f - <<EOF
table inet um3nidle {
	chain in { type filter hook prerouting priority -300; iifname "hw" drop; }
	chain out { type filter hook postrouting priority 300; oifname "hw" drop; }
}
EOF
	else
		n "$NS_HA" nft delete table inet um3nidle
	fi
}
wifi_is() { [[ $(ctl "$NS_MN" mn | jq "[u['state'] for u in d['uplinks'] if u['name'] == 'wifi'][0]" 2>/dev/null) == "$1" ]]; }

check "both uplinks registered" wait_for 10 both_up
n "$NS_MN" ping -c 20 -i 0.01 -q $SRV >/dev/null 2>&1 || true
sleep 2 # idle from 1 s after the last packet
read -r c_tx0 c_rx0 <<<"$(counts cell)"
read -r w_tx0 w_rx0 <<<"$(counts wifi)"
sleep "$IDLE_S"
read -r c_tx1 c_rx1 <<<"$(counts cell)"
read -r w_tx1 w_rx1 <<<"$(counts wifi)"
per_min() { echo $((($1) * 60 / IDLE_S)); }
# At most one probe per keepalive and its answer (plus one either way for the
# window's edges, and a registration refresh). What the kernel itself sends
# into the TUN (IPv6 router solicitations, repeated with backoff) is
# tunnelled too but does not end the idle probing (mn.c, host_chatter).
max_out=$((IDLE_S / KEEPALIVE_S + 2))
say info "idle ${IDLE_S} s, keepalive ${KEEPALIVE_S} s: cell $(per_min "c_tx1 - c_tx0") out / $(per_min "c_rx1 - c_rx0") in per minute, wifi $(per_min "w_tx1 - w_tx0") out / $(per_min "w_rx1 - w_rx0") in per minute (fast probing: 4000 out, 4000 in)"
check "idle: cell sent $((c_tx1 - c_tx0)) <= $max_out" test $((c_tx1 - c_tx0)) -le $max_out
check "idle: wifi sent $((w_tx1 - w_tx0)) <= $max_out" test $((w_tx1 - w_tx0)) -le $max_out
check "idle: wifi still probed ($((w_tx1 - w_tx0)) >= $((IDLE_S / KEEPALIVE_S - 1)))" \
	test $((w_tx1 - w_tx0)) -ge $((IDLE_S / KEEPALIVE_S - 1))
check "idle: the HA keeps both bindings up ($(ha_states))" test "$(ha_states)" = "up up"

wifi_drop on
sleep 1
check "idle: a silent wifi is not noticed before traffic" wifi_is up
n "$NS_MN" ping -i 0.01 -s 200 -w 3 $SRV >"$TMP/idle-death.ping" 2>&1 || true
gap_idle=$(($(lost "$TMP/idle-death.ping") * 10))
say info "wifi died while idle: ping from the first packet lost $(lost "$TMP/idle-death.ping") (~$gap_idle ms)"
check "idle death: wifi failed by silence" grep -q 'link wifi: failover (silence)' "$TMP/mn.log"
check "idle death: the ping goes on over the cell within 300 ms (~$gap_idle ms)" test "$gap_idle" -le 300

wifi_drop off
check "wifi back up" wait_for 10 wifi_is up
n "$NS_MN" ping -i 0.01 -s 200 -w 4 $SRV >"$TMP/busy-death.ping" 2>&1 &
ping_pid=$!
PIDS+=($ping_pid)
sleep 1
wifi_drop on
wait $ping_pid || true
gap_busy=$(($(lost "$TMP/busy-death.ping") * 10))
say info "wifi died during traffic: ping lost $(lost "$TMP/busy-death.ping") (~$gap_busy ms)"
check "busy death: the ping goes on within 300 ms (~$gap_busy ms)" test "$gap_busy" -le 300
[[ $failures -eq 0 ]] && say PASS "idle: all checks held" || say FAIL "idle: $failures check(s) failed"
exit $((failures != 0))
