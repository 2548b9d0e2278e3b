#!/bin/bash
# An IPv6 home address beside the IPv4 one (issue 17): the HA forwards the
# MN's IPv6 traffic from it (home_address6 in the MN's [mn HOME] section) and
# routes IPv6 back to it by that prefix (core/bcache.c, by_prefix). Run as
# root; daemons from $UM3N_BUILD. Exit 0 = every check held, 1 = a check
# failed, 77 = cannot run here. The IPv6 address on the MN's TUN and the routes
# on both ends are set here by hand: the daemons do it for IPv4 only so far.
#
#   +------------- mn --------------+        +------ ha -------+   +-- srv ----------+
#   | um3n0 10.200.0.2              |        | lo 192.0.2.1    |   | 10.9.1.1        |
#   |       2001:db8:1::2           |        | um3nha0         +---+ 2001:db8:9::1   |
#   | wlan0 10.2.2.2 ---------------+--------+ hw 10.2.2.1     |   |                 |
#   | wwan0 10.1.1.2 ---------------+--------+ hc 10.1.1.1     |   |                 |
#   +-------------------------------+        +-----------------+   +-----------------+
#
# Checks: both families answer both ways (ping and ping -6 from the MN to the
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
EOF
ns_mn_uplinks
ns_daemons
check "both uplinks registered" wait_for 10 both_up
tuns_up() { n "$NS_MN" ip link show um3n0 >/dev/null 2>&1 && n "$NS_HA" ip link show um3nha0 >/dev/null 2>&1; }
check "both TUN devices up" wait_for 5 tuns_up
# By hand, what the daemons do for IPv4: the MN's IPv6 home address and its
# route to the server's network into the TUN; the HA's route back.
n "$NS_MN" ip -6 addr add $HOME6/128 dev um3n0 nodad
n "$NS_MN" ip -6 route add 2001:db8:9::/64 dev um3n0 src $HOME6
n "$NS_HA" ip -6 route add $HOME6/128 dev um3nha0

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
[[ $failures -eq 0 ]] && say PASS "ipv6: all checks held" || say FAIL "ipv6: $failures check(s) failed"
exit $((failures != 0))
