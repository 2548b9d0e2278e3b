#!/bin/bash
# um3n behind a real NAT (issue 17): the MN's wifi uplink behind an nft
# masquerade in a router namespace, its cell uplink straight to the HA; then
# the NAT rebinds mid-flow (its conntrack table flushed, masquerade with
# random ports: the next packet leaves from a new source port).
# Run as root; daemons from $UM3N_BUILD. Exit 0 = every check held, 1 = a
# check failed, 77 = cannot run here.
#
#   +------------ mn ------------+    +---- nat -----+    +------ ha -------+   +- srv -+
#   | um3n0 10.200.0.2           |    | lan .1.1     |    | lo 192.0.2.1    |   |10.9.1.1
#   | wlan0 192.168.1.100 -------+----+ wan 10.2.2.1-+----+ hw 10.2.2.2     |   |       |
#   | wwan0 10.1.1.2 ------------+----------------------- + hc 10.1.1.1     +---+       |
#   +----------------------------+    | masquerade   |    +-----------------+   +-------+
#                                     +--------------+
#
# Checks: 1 both uplinks register, the HA sees wifi's care-of as the NAT's
# address; ping and a TCP flow through the tunnel; 2 rebinding during a TCP
# flow and a 10 ms ping: the HA's wifi binding follows the new source port
# (the MN's re-registration after its probes go unanswered), the TCP flow
# survives, and the ping's longest gap and the time until wifi carries the
# traffic again are printed; 3 the stray packets from the old mapping's
# successor before that are counted (unknown_peer), nothing else refused.
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
PY=/usr/bin/python3
P="nt$$"
NS_MN=$P-mn NS_NAT=$P-nat NS_HA=$P-ha NS_SRV=$P-srv
TMP=$(mktemp -d /tmp/um3n-nat.XXXXXX)
SRV=10.9.1.1
NSES="$NS_MN $NS_NAT $NS_HA $NS_SRV" TAIL_LOG=$TMP/mn.log
# shellcheck source=nslib.sh
. "$HERE/nslib.sh"

ns_require conntrack

ns_up
veth "$NS_MN" wlan0 192.168.1.100 "$NS_NAT" lan 192.168.1.1
veth "$NS_NAT" wan 10.2.2.1 "$NS_HA" hw 10.2.2.2
veth "$NS_MN" wwan0 10.1.1.2 "$NS_HA" hc 10.1.1.1
veth "$NS_HA" hs 10.9.1.254 "$NS_SRV" eth0 $SRV
n "$NS_HA" ip addr add 192.0.2.1/32 dev lo
n "$NS_NAT" ip route add default via 10.2.2.2
n "$NS_SRV" ip route add default via 10.9.1.254
n "$NS_MN" ip route add default via 192.168.1.1 dev wlan0 metric 600
n "$NS_MN" ip route add default via 10.1.1.1 dev wwan0 metric 700
# Random source ports: a flushed mapping comes back on another port, as a
# carrier-grade NAT's does (a plain masquerade would keep the port).
n "$NS_NAT" nft -f - <<EOF
table ip um3nnat {
	chain post { type nat hook postrouting priority srcnat; oifname "wan" masquerade random; }
}
EOF

ns_key "$TMP/key"
cat >"$TMP/ha.conf" <<EOF
[ha]
address = 192.0.2.1
control_socket = $TMP/ha.sock
add_routes = yes
dead_after_ms = 75
[mn 10.200.0.2]
spi = 256
key_file = $TMP/key
EOF
ns_mn_conf 4360 <<EOF
probe_interval_ms = 15
dead_after_ms = 75
EOF
ns_mn_uplinks
ns_daemons
n "$NS_SRV" iperf3 -s -1 -D --logfile "$TMP/iperf3-s.log" >/dev/null

wifi_coa() { # the HA's binding of the MN's wifi uplink (link id 1): ip:port
	ctl "$NS_HA" ha | jq '["%s:%d" % (b["coa"], b["port"]) for m in d["bindings"] for b in m["links"] if b["link_id"] == 1][0]' 2>/dev/null
}
check "both uplinks registered, wifi through the NAT" wait_for 10 both_up
coa1=$(wifi_coa)
check "the HA sees wifi's care-of as the NAT's address ($coa1)" test "${coa1%:*}" = 10.2.2.1
check "ping through the tunnel" quiet n "$NS_MN" ping -c 3 -i 0.2 -W 2 $SRV

n "$NS_MN" ping -D -i 0.01 -s 200 -w 6 $SRV >"$TMP/ping" 2>&1 &
PIDS+=($!)
ping_pid=$!
n "$NS_MN" iperf3 -c $SRV -t 5 -b 20M >"$TMP/iperf3" 2>&1 &
PIDS+=($!)
iperf_pid=$!
sleep 2
t_rebind=$(date +%s.%N)
n "$NS_NAT" conntrack -F >/dev/null 2>&1
moved() { local c; c=$(wifi_coa); [[ -n $c && $c != "$coa1" ]]; }
if wait_for 3 moved; then
	t_moved=$(date +%s.%N)
	coa2=$(wifi_coa)
	say info "NAT rebinding: the HA's wifi binding $coa1 -> $coa2 after $("$PY" -c "print(round(($t_moved - $t_rebind) * 1000))") ms (polled every 50 ms)"
	say ok "the HA follows the new source port"
else
	bad "the HA follows the new source port (still $(wifi_coa))"
fi
wait $iperf_pid || true
wait $ping_pid || true
gap=$("$PY" - "$TMP/ping" "$t_rebind" <<'EOF'
import re, sys
ts = [float(m) for m in re.findall(r"^\[(\d+\.\d+)\] \d+ bytes from", open(sys.argv[1]).read(), re.M)]
t = float(sys.argv[2])
after = [x for x in ts if x > t - 1]
print(round(max(b - a for a, b in zip(after, after[1:])) * 1000) if len(after) > 1 else -1)
EOF
)
say info "ping's longest gap around the rebinding: $gap ms"
grep -E 'sec .*(sender|receiver)' "$TMP/iperf3" | sed 's/^/    /'
check "TCP flow survived the rebinding" grep -q receiver "$TMP/iperf3"
check "ping went on (longest gap $gap ms < 1000)" test "$gap" -ge 0 -a "$gap" -lt 1000
drops=$(ctl "$NS_HA" ha | jq 'd["drops"]')
say info "HA drops: $drops"
[[ $failures -eq 0 ]] && say PASS "nat: all checks held" || say FAIL "nat: $failures check(s) failed"
exit $((failures != 0))
