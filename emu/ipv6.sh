#!/bin/bash
# An IPv6 home address beside the IPv4 one (issue 17): the HA forwards the
# MN's IPv6 traffic from it (home_address6 in the MN's [mn HOME] section) and
# routes IPv6 back to it by that prefix (core/bcache.c, by_prefix). Run as
# root; daemons from $UM3N_BUILD. Exit 0 = every check held, 1 = a check
# failed, 77 = cannot run here. The daemons put the IPv6 home address on the
# MN's TUN and the IPv6 routes on both ends (the MN's `routes = ... ::/0`, the
# HA's add_routes), as they do for IPv4.
#
#   +------------- mn --------------+        +------ ha -------+   +-- srv ----------+
#   | um3n0 10.200.0.2              |        | lo 192.0.2.1    |   | 10.9.1.1        |
#   |       2001:db8:1::2           |        | um3nha0         +---+ 2001:db8:9::1   |
#   | wlan0 10.2.2.2 ---------------+--------+ hw 10.2.2.1     |   |                 |
#   | wwan0 10.1.1.2 ---------------+--------+ hc 10.1.1.1     |   |                 |
#   +-------------------------------+        +-----------------+   +-----------------+
#
# Checks: the daemons' address, routes and rules (and the MN's putting back a
# route deleted under it, and removing its rules at exit), both families answer both ways (ping and ping -6 from the MN to the
# server, ping -6 from the server to the MN's IPv6 home address), an IPv6
# source outside the MN's prefix is refused (spoofed_src), and IPv6 fails over
# to the cell when wifi's carrier goes.
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
P="v6$$"
NS_MN=$P-mn NS_HA=$P-ha NS_SRV=$P-srv
TMP=$(mktemp -d /tmp/um3n-ipv6.XXXXXX)
SRV=10.9.1.1 SRV6=2001:db8:9::1 HOME6=2001:db8:1::2
NSES="$NS_MN $NS_HA $NS_SRV" TAIL_LOG=$TMP/mn.log
# shellcheck source=nslib.sh
. "$HERE/nslib.sh"

ns_require ping

ns_up
for ns in $NSES; do n "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0; done
ns_two_uplinks
n "$NS_HA" ip -6 addr add 2001:db8:9::254/64 dev hs nodad
n "$NS_SRV" ip -6 addr add $SRV6/64 dev eth0 nodad
n "$NS_SRV" ip -6 route add default via 2001:db8:9::254
ns_key "$TMP/key"
echo "home_address6 = $HOME6" | ns_ha_conf
ns_mn_conf 4354 <<EOF
probe_interval_ms = 15
dead_after_ms = 75
home_address6 = $HOME6
routes = 10.9.1.0/24 ::/0
EOF
ns_mn_uplinks
ns_daemons
check "both uplinks registered" wait_for 10 both_up
tuns_up() { n "$NS_MN" ip link show um3n0 >/dev/null 2>&1 && n "$NS_HA" ip link show um3nha0 >/dev/null 2>&1; }
check "both TUN devices up" wait_for 5 tuns_up
mn_addr6() { n "$NS_MN" ip -6 addr show dev um3n0 | grep -q "inet6 $HOME6/128"; }
mn_default6() { n "$NS_MN" ip -6 route show table 4354 | grep -q "^default dev um3n0 .*src $HOME6"; }
mn_rules6() { [[ $(n "$NS_MN" ip -6 rule | grep -cE '^(32100|32101):') -eq 2 ]]; }
ha_route6() { n "$NS_HA" ip -6 route show dev um3nha0 | grep -q "^$HOME6 "; }
check "the MN put $HOME6/128 on its TUN" wait_for 5 mn_addr6
check "the MN's IPv6 default into the TUN (table 4354, source $HOME6)" wait_for 5 mn_default6
check "the MN's two IPv6 rules of that default" mn_rules6
check "the HA's route to $HOME6 into its TUN" wait_for 5 ha_route6
n "$NS_MN" ip -6 route del default table 4354
check "the MN put back its IPv6 default deleted under it" wait_for 5 mn_default6

ha_drop() { ctl "$NS_HA" ha | jq "d['drops']['$1']"; }
pings() { # ns args...: replies out of 20
	local ns=$1
	shift
	n "$ns" ping -c 20 -i 0.02 -W 1 "$@" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
v4=$(pings "$NS_MN" $SRV)
check "IPv4 from the MN: ${v4:-0} of 20 answered" test "${v4:-0}" -ge 19
v6=$(pings "$NS_MN" -6 $SRV6)
check "IPv6 from the MN's home address: ${v6:-0} of 20 answered" test "${v6:-0}" -ge 19
v6in=$(pings "$NS_SRV" -6 $HOME6)
check "IPv6 to the MN's home address from the server: ${v6in:-0} of 20 answered" test "${v6in:-0}" -ge 19
spoof0=$(ha_drop spoofed_src)
n "$NS_MN" ip -6 addr add 2001:db8:7::9/128 dev um3n0 nodad
n "$NS_MN" ping -6 -c 5 -i 0.02 -W 1 -I 2001:db8:7::9 $SRV6 >/dev/null 2>&1 || true
spoof1=$(ha_drop spoofed_src)
check "IPv6 from outside the MN's prefix refused ($((spoof1 - spoof0)) spoofed_src)" test $((spoof1 - spoof0)) -ge 5
n "$NS_MN" ping -6 -i 0.01 -s 200 -w 4 $SRV6 >"$TMP/fail6.ping" 2>&1 &
ping_pid=$!
PIDS+=($ping_pid)
sleep 1
n "$NS_MN" ip link set wlan0 down
wait $ping_pid || true
ping_pid=
lost6=$(ping_lost "$TMP/fail6.ping")
say info "IPv6 through wifi's carrier loss: $lost6 pings of 10 ms lost"
check "IPv6 fails over to the cell (lost $lost6 <= 20)" test "$lost6" -le 20
v6c=$(pings "$NS_MN" -6 $SRV6)
check "IPv6 over the cell alone: ${v6c:-0} of 20 answered" test "${v6c:-0}" -ge 19
kill "${PIDS[1]}" 2>/dev/null || true # the MN (ns_daemons)
no_rules6() { ! n "$NS_MN" ip -6 rule | grep -qE '^(32100|32101):'; }
check "the MN's IPv6 rules gone at its exit" wait_for 5 no_rules6
[[ $failures -eq 0 ]] && say PASS "ipv6: all checks held" || say FAIL "ipv6: $failures check(s) failed"
exit $((failures != 0))
