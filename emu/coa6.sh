#!/bin/bash
# An uplink with only IPv6 beside an IPv4 one (issue 17): the MN's cell has no
# IPv4 address, only 2001:db8:c::2 (as many cellular networks give); its wifi
# is IPv4. The cell registers with the HA's IPv6 address (`home_agent6`,
# the HA's `address6`): RFC 5944's message with a care-of field of 0, the HA
# binding the datagram's IPv6 source (docs/ARCHITECTURE.md, "Over UDP/IPv6").
# Run as root; daemons from $UM3N_BUILD. Exit 0 = every check held, 1 = a
# check failed, 77 = cannot run here.
#
#   +------------- mn --------------+        +------ ha ----------------+   +- srv --+
#   | um3n0 10.200.0.2              |        | lo 192.0.2.1             |   |10.9.1.1|
#   | wwan0 2001:db8:c::2 (no IPv4) +--------+ hc 2001:db8:c::1         +---+        |
#   | wlan0 10.2.2.2 ---------------+--------+ hw 10.2.2.1              |   |        |
#   +-------------------------------+        | lo 2001:db8:434::1 (address6)|  +--------+
#                                            +--------------------------+
#
# The MN is dual-stack inside too (home_address6 2001:db8:1::2; the server
# 2001:db8:9::1), so both families ride both.
# Checks: both uplinks registered, the HA's cell binding on the IPv6 care-of,
# the TUN's MTU allowing for the IPv6 outer header; pings over the IPv6 cell
# (its policy rule) and over the IPv4 wifi; ping -6 and iperf3 over IPv6
# inside, the IPv6 prefix's rule sending them over the IPv6 cell both ways;
# failover both ways between the families (the cell's carrier lost: the
# server's traffic goes on over wifi; back, then wifi's lost: the default
# traffic goes on over the cell).
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
P="c6$$"
NS_MN=$P-mn NS_HA=$P-ha NS_SRV=$P-srv
TMP=$(mktemp -d /tmp/um3n-coa6.XXXXXX)
SRV=10.9.1.1 OTHER=10.9.2.1 HA6=2001:db8:434::1
NSES="$NS_MN $NS_HA $NS_SRV" TAIL_LOG=$TMP/mn.log
# shellcheck source=nslib.sh
. "$HERE/nslib.sh"

ns_require ping iperf3
SRV6=2001:db8:9::1 HOME6=2001:db8:1::2

ns_up
for ns in $NSES; do n "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.forwarding=1; done
veth "$NS_MN" wlan0 10.2.2.2 "$NS_HA" hw 10.2.2.1
ip link add "$P-a" type veth peer name "$P-b"
ip link set "$P-a" netns "$NS_MN" name wwan0
ip link set "$P-b" netns "$NS_HA" name hc
n "$NS_MN" ip -6 addr add 2001:db8:c::2/64 dev wwan0 nodad
n "$NS_HA" ip -6 addr add 2001:db8:c::1/64 dev hc nodad
n "$NS_MN" ip link set wwan0 up
n "$NS_HA" ip link set hc up
veth "$NS_HA" hs 10.9.1.254 "$NS_SRV" eth0 $SRV
n "$NS_SRV" ip addr add $OTHER/24 dev eth0
n "$NS_HA" ip addr add 192.0.2.1/32 dev lo
n "$NS_HA" ip -6 addr add $HA6/128 dev lo
n "$NS_SRV" ip route add default via 10.9.1.254
n "$NS_HA" ip route add 10.9.2.0/24 dev hs
n "$NS_HA" ip -6 addr add 2001:db8:9::254/64 dev hs nodad
n "$NS_SRV" ip -6 addr add $SRV6/64 dev eth0 nodad
n "$NS_SRV" ip -6 route add default via 2001:db8:9::254
n "$NS_MN" ip route add default via 10.2.2.1 dev wlan0 metric 600
n "$NS_MN" ip -6 route add default via 2001:db8:c::1 dev wwan0 metric 700

ns_key "$TMP/key"
echo "home_address6 = $HOME6" | ns_ha_conf
sed -i "s/^\[ha\]$/[ha]\naddress6 = $HA6/" "$TMP/ha.conf"
ns_mn_conf 4370 <<EOF
home_agent6 = $HA6
home_address6 = $HOME6
probe_interval_ms = 15
dead_after_ms = 75
routes = 10.9.0.0/16 2001:db8:9::/64
EOF
printf '[uplink cell]\ninterface = wwan0\nclass = cell\npriority = 1\nfamily = ipv6\n' >>"$TMP/mn.conf"
printf '[uplink wifi]\ninterface = wlan0\nclass = wifi\npriority = 0\n' >>"$TMP/mn.conf"
printf '[policy]\ndefault = wifi\nrule = 10.9.1.0/24 cell\nrule = 2001:db8:9::/64 cell\n' >>"$TMP/mn.conf"
ns_daemons

check "both uplinks registered, one over IPv6" wait_for 10 both_up
coa=$(ctl "$NS_MN" mn | jq "[u['address'] for u in d['uplinks'] if u['name'] == 'cell'][0]")
check "the cell's care-of is its IPv6 address ($coa)" test "$coa" = 2001:db8:c::2
hcoa=$(ctl "$NS_HA" ha | jq "sorted(b['coa'] for m in d['bindings'] for b in m['links'])")
check "the HA binds the IPv6 source ($hcoa)" grep -q "2001:db8:c::2" <<<"$hcoa"
tun_mtu=$(n "$NS_MN" cat /sys/class/net/um3n0/mtu)
check "the TUN allows for the IPv6 outer header (MTU $tun_mtu = 1500 - 44 - 20)" test "$tun_mtu" -eq 1436

pings() { # [-6] dst: replies out of 20
	n "$NS_MN" ping -c 20 -i 0.02 -W 1 "$@" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
bytes() { n "$NS_MN" cat "/sys/class/net/$1/statistics/tx_bytes"; }
c0=$(bytes wwan0) w0=$(bytes wlan0)
got=$(pings $SRV)
c1=$(bytes wwan0)
check "$SRV (the cell's rule): ${got:-0} of 20 answered, $((c1 - c0)) bytes out of the IPv6 cell" \
	test "${got:-0}" -ge 19 -a $((c1 - c0)) -gt 2000
got=$(pings $OTHER)
w1=$(bytes wlan0)
check "$OTHER (default, wifi): ${got:-0} of 20 answered, $((w1 - w0)) bytes out of the IPv4 wifi" \
	test "${got:-0}" -ge 19 -a $((w1 - w0)) -gt 2000
c0=$(bytes wwan0)
got=$(pings -6 $SRV6)
c1=$(bytes wwan0)
check "ping -6 $SRV6 (its prefix's rule: the cell): ${got:-0} of 20, $((c1 - c0)) bytes out of the IPv6 cell" \
	test "${got:-0}" -ge 19 -a $((c1 - c0)) -gt 2000
got=$(n "$NS_SRV" ping -6 -c 20 -i 0.02 -W 1 $HOME6 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p')
check "ping -6 from the server to the MN's $HOME6: ${got:-0} of 20" test "${got:-0}" -ge 19
n "$NS_SRV" iperf3 -s -D --logfile "$TMP/iperf3-s.log" >/dev/null
PIDS+=($(n "$NS_SRV" pgrep -n iperf3))
sleep 0.3
rate() { sed -n 's/.* \([0-9.]*\) \([MG]\)bits\/sec.*receiver/\1 \2/p' "$1" | tail -1 |
	awk '{ printf "%.1f", $2 == "G" ? $1 * 1000 : $1 }'; }
c0=$(n "$NS_MN" cat /sys/class/net/wwan0/statistics/rx_bytes)
n "$NS_MN" iperf3 -6 -c $SRV6 -t 2 >"$TMP/up6" 2>&1 || true
n "$NS_MN" iperf3 -6 -c $SRV6 -t 2 -R >"$TMP/down6" 2>&1 || true
c1=$(n "$NS_MN" cat /sys/class/net/wwan0/statistics/rx_bytes)
up6=$(rate "$TMP/up6") down6=$(rate "$TMP/down6")
say info "iperf3 over IPv6 inside, the IPv6 cell outside: up ${up6:-?} Mbit/s, down ${down6:-?} Mbit/s"
check "iperf3 -6 to the server (${up6:-0} Mbit/s > 10)" awk -v r="${up6:-0}" 'BEGIN { exit !(r > 10) }'
check "iperf3 -6 from the server, $(((c1 - c0) / 1000000)) MB in on the cell (${down6:-0} Mbit/s > 10)" \
	awk -v r="${down6:-0}" -v b=$((c1 - c0)) 'BEGIN { exit !(r > 10 && b > 1000000) }'

failover() { # interface destination: pings of 10 ms lost while the interface goes down
	n "$NS_MN" ping -i 0.01 -s 200 -w 3 "$2" >"$TMP/fo.ping" 2>&1 &
	ping_pid=$!
	sleep 0.8
	n "$NS_MN" ip link set "$1" down
	wait $ping_pid || true
	ping_lost "$TMP/fo.ping"
}
lost=$(failover wwan0 $SRV)
say info "the IPv6 cell's carrier lost: $lost pings of 10 ms to $SRV lost"
check "IPv6 cell -> IPv4 wifi (lost $lost <= 20)" test "$lost" -le 20
# IPv6 drops an interface's addresses with its link: the network gives them
# back (here by hand, as a router advertisement would).
n "$NS_MN" ip link set wwan0 up
n "$NS_MN" ip -6 addr add 2001:db8:c::2/64 dev wwan0 nodad
n "$NS_MN" ip -6 route replace default via 2001:db8:c::1 dev wwan0 metric 700
check "the cell registered again" wait_for 10 both_up
lost=$(failover wlan0 $OTHER)
say info "the IPv4 wifi's carrier lost: $lost pings of 10 ms to $OTHER lost"
check "IPv4 wifi -> IPv6 cell (lost $lost <= 20)" test "$lost" -le 20
got=$(pings $OTHER)
check "$OTHER over the IPv6 cell alone: ${got:-0} of 20" test "${got:-0}" -ge 19
[[ $failures -eq 0 ]] && say PASS "coa6: all checks held" || say FAIL "coa6: $failures check(s) failed"
exit $((failures != 0))
