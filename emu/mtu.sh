#!/bin/bash
# um3n over an uplink with a small MTU (issue 17): the MN's cell link has an
# MTU of 1280 bytes (common on cellular), its wifi 1500; the policy sends the
# server's traffic over the cell. Nothing here is configured for it: the MN
# gives its TUN the lowest uplink MTU less the tunnel's overhead, so its
# kernel answers an oversized DF packet as a router would (ICMP
# "fragmentation needed") and its TCP segments fit; the HA's kernel
# fragments the outer datagrams that do not fit the cell (the tunnel's UDP
# sockets keep Linux's default path-MTU mode, which fragments locally), so
# 1400-byte packets still reach the MN and TCP never meets a black hole.
# Run as root; daemons from $UM3N_BUILD. Exit 0 = every check held, 1 = a
# check failed, 77 = cannot run here.
#
#   +------------ mn ------------+          +------ ha -------+   +- srv -+
#   | um3n0 10.200.0.2           |          | lo 192.0.2.1    |   |10.9.1.1
#   | wwan0 10.1.1.2  mtu 1280 --+----------+ hc 10.1.1.1     +---+       |
#   | wlan0 10.1.2.2  mtu 1500 --+----------+ hw 10.1.2.1     |   |       |
#   +----------------------------+          +-----------------+   +-------+
#
# Checks: 1 the TUN's MTU is the cell's 1280 less the overhead; 2 a 1400-byte
# DF ping from the MN is refused at once with the MTU to use, a ping that
# fits goes through; 3 1400-byte pings from the server (DF set) reach the MN
# over the cell; 4 TCP both ways and 1400-byte UDP datagrams from the server
# cross the cell link, with their figures printed.
# Then again with an IPv6 home address (core/pmtu.h): IPv6 needs 1280 on the
# TUN, more than the cell carries inside the tunnel; 5 the TUN gets 1280 and
# the engine the path's 1236; 6 a 1260-byte IPv4 DF ping is refused by the
# engine with MTU 1236; 7 1280-byte IPv6 pings (the IPv6 minimum) cross the
# cell both ways in fragmented outer datagrams; 8 TCP over IPv4 and IPv6 both
# ways, the SYNs clamped.
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
P="mt$$"
NS_MN=$P-mn NS_HA=$P-ha NS_SRV=$P-srv
TMP=$(mktemp -d /tmp/um3n-mtu.XXXXXX)
SRV=10.9.1.1 HOME=10.200.0.2 CELL_MTU=1280
NSES="$NS_MN $NS_HA $NS_SRV" TAIL_LOG=$TMP/mn.log
# shellcheck source=nslib.sh
. "$HERE/nslib.sh"

ns_require iperf3

ns_up
veth "$NS_MN" wwan0 10.1.1.2 "$NS_HA" hc 10.1.1.1
veth "$NS_MN" wlan0 10.1.2.2 "$NS_HA" hw 10.1.2.1
veth "$NS_HA" hs 10.9.1.254 "$NS_SRV" eth0 $SRV
n "$NS_MN" ip link set wwan0 mtu $CELL_MTU
n "$NS_HA" ip link set hc mtu $CELL_MTU
n "$NS_HA" ip addr add 192.0.2.1/32 dev lo
n "$NS_SRV" ip route add default via 10.9.1.254
n "$NS_MN" ip route add default via 10.1.2.1 dev wlan0 metric 600
n "$NS_MN" ip route add default via 10.1.1.1 dev wwan0 metric 700

ns_key "$TMP/key"
ns_ha_conf </dev/null
ns_mn_conf 4361 </dev/null
ns_mn_uplinks
echo "rule = 10.9.1.0/24 cell" >>"$TMP/mn.conf"
ns_daemons
iface_bytes() { n "$1" cat "/sys/class/net/$2/statistics/$3_bytes"; }

check "both uplinks registered" wait_for 10 both_up
tun_mtu=$(n "$NS_MN" cat /sys/class/net/um3n0/mtu)
check "the TUN's MTU is below the cell's $CELL_MTU ($tun_mtu)" test "$tun_mtu" -lt $CELL_MTU -a "$tun_mtu" -ge 1200
check "a ping that fits the TUN goes through (DF set, $tun_mtu bytes)" \
	quiet n "$NS_MN" ping -c 3 -i 0.2 -W 2 -M do -s $((tun_mtu - 28)) $SRV
# The MN's kernel answers for the TUN as a router answers for its link.
set +e
big=$(n "$NS_MN" ping -c 1 -W 2 -M do -s 1372 $SRV 2>&1)
set -e
say info "1400-byte DF ping from the MN: $(grep -o 'message too long.*' <<<"$big" | head -1)"
check "... a 1400-byte one is refused at once, with the MTU to use" grep -q "mtu=$tun_mtu" <<<"$big"

cell0=$(iface_bytes "$NS_MN" wwan0 rx)
out=$(n "$NS_SRV" ping -c 5 -i 0.2 -W 2 -M do -s 1372 $HOME 2>&1 || true)
got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
say info "1400-byte DF pings from the server: ${got:-0} of 5 answered"
check "1400-byte packets from the server reach the MN over the cell (>= 4 of 5)" test "${got:-0}" -ge 4
check "... over the cell link (its MTU $CELL_MTU: fragmented outer datagrams)" \
	test $(($(iface_bytes "$NS_MN" wwan0 rx) - cell0)) -gt 5000

n "$NS_SRV" iperf3 -s -D --logfile "$TMP/iperf3-s.log" >/dev/null
PIDS+=($(n "$NS_SRV" pgrep -n iperf3))
sleep 0.3
rate() { # the receiver's Mbit/s in an iperf3 report
	sed -n 's/.* \([0-9.]*\) \([MG]\)bits\/sec.*receiver/\1 \2/p' "$1" | tail -1 |
		awk '{ printf "%.1f", $2 == "G" ? $1 * 1000 : $1 }'
}
n "$NS_MN" iperf3 -c $SRV -t 3 -R >"$TMP/down" 2>&1 || true
n "$NS_MN" iperf3 -c $SRV -t 3 >"$TMP/up" 2>&1 || true
n "$NS_MN" iperf3 -c $SRV -t 3 -R -u -b 20M -l 1400 >"$TMP/udp" 2>&1 || true
down=$(rate "$TMP/down") up=$(rate "$TMP/up")
udp_loss=$(sed -n 's/.*(\([0-9.]*\)%).*receiver/\1/p' "$TMP/udp" | tail -1)
say info "TCP over the cell (MTU $CELL_MTU): down ${down:-?} Mbit/s, up ${up:-?} Mbit/s; UDP 1400-byte datagrams down at 20 Mbit/s: ${udp_loss:-?}% lost"
check "TCP from the server over the cell: no black hole (${down:-0} Mbit/s > 10)" \
	awk -v r="${down:-0}" 'BEGIN { exit !(r > 10) }'
check "TCP to the server over the cell (${up:-0} Mbit/s > 10)" awk -v r="${up:-0}" 'BEGIN { exit !(r > 10) }'
check "1400-byte UDP datagrams from the server arrive (${udp_loss:-100}% lost < 5)" \
	awk -v l="${udp_loss:-100}" 'BEGIN { exit !(l < 5) }'

# ---- with an IPv6 home address -------------------------------------------
SRV6=2001:db8:9::1 HOME6=2001:db8:1::2
kill "${PIDS[0]}" "${PIDS[1]}" 2>/dev/null || true # the daemons (ns_daemons)
wait "${PIDS[0]}" "${PIDS[1]}" 2>/dev/null || true
for ns in $NSES; do n "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0; done
n "$NS_HA" ip -6 addr add 2001:db8:9::254/64 dev hs nodad
n "$NS_SRV" ip -6 addr add $SRV6/64 dev eth0 nodad
n "$NS_SRV" ip -6 route add default via 2001:db8:9::254
echo "home_address6 = $HOME6" | ns_ha_conf
printf 'home_address6 = %s\nroutes = 10.9.1.0/24 2001:db8:9::/64\n' $HOME6 | ns_mn_conf 4361
ns_mn_uplinks
printf 'rule = 10.9.1.0/24 cell\nrule = 2001:db8:9::/64 cell\n' >>"$TMP/mn.conf"
ns_daemons
check "IPv6 home address: both uplinks registered again" wait_for 10 both_up
path1=$tun_mtu # the path's, as the first run's TUN had it
tun_mtu=$(n "$NS_MN" cat /sys/class/net/um3n0/mtu)
path=$(ctl "$NS_MN" mn | jq "d['tun']['path_mtu']")
check "the TUN gets IPv6's 1280 ($tun_mtu), the engine the path's $path1 ($path)" \
	test "$tun_mtu" -eq 1280 -a "${path:-0}" -eq "$path1"
set +e
big=$(n "$NS_MN" ping -c 2 -i 0.3 -W 2 -M do -s 1232 $SRV 2>&1)
set -e
say info "1260-byte DF ping from the MN: $(grep -oE '(Frag needed|message too long).*' <<<"$big" | head -1)"
check "... a 1260-byte IPv4 DF ping is refused by the engine, MTU $path1" grep -qE "mtu ?= ?$path1" <<<"$big"
check "... counted as answered (frag_needed)" test "$(ctl "$NS_MN" mn | jq "d['tun']['frag_needed']")" -ge 1
pings6() { # ns dst: 1280-byte IPv6 pings answered out of 5
	n "$1" ping -6 -c 5 -i 0.2 -W 2 -M do -s 1232 "$2" 2>/dev/null | sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
cell0=$(iface_bytes "$NS_MN" wwan0 tx)
got=$(pings6 "$NS_MN" $SRV6)
check "1280-byte IPv6 pings from the MN over the cell: ${got:-0} of 5 (>= 4)" test "${got:-0}" -ge 4
check "... sent on the cell in fragmented outer datagrams" \
	test $(($(iface_bytes "$NS_MN" wwan0 tx) - cell0)) -gt 6500
got=$(pings6 "$NS_SRV" $HOME6)
check "1280-byte IPv6 pings from the server to the MN: ${got:-0} of 5 (>= 4)" test "${got:-0}" -ge 4
# One more try when iperf3's control connection fails before any data (seen
# once in CI right after the 8 Gbit/s IPv4 upload: "unable to receive control
# message: Connection reset by peer", no test in the server's log); said,
# not hidden. A transfer that stalls still fails its check.
iperf_once_more() { # OUT ARGS...
	local out=$1
	shift
	n "$NS_MN" iperf3 "$@" >"$out" 2>&1 && return
	grep -q "iperf3: error - unable to \(receive\|send\) control message" "$out" || return 0
	say info "iperf3 $*: $(grep -m1 'iperf3: error' "$out"); once more"
	sleep 0.5
	n "$NS_MN" iperf3 "$@" >"$out" 2>&1 || true
}
iperf_once_more "$TMP/up4" -c $SRV -t 3
iperf_once_more "$TMP/up6" -6 -c $SRV6 -t 3
iperf_once_more "$TMP/down6" -6 -c $SRV6 -t 3 -R
up4=$(rate "$TMP/up4") up6=$(rate "$TMP/up6") down6=$(rate "$TMP/down6")
clamped=$(ctl "$NS_MN" mn | jq "d['tun']['mss_clamped']")
say info "TCP over the cell with a 1280 TUN: IPv4 up ${up4:-?} Mbit/s; IPv6 up ${up6:-?}, down ${down6:-?} Mbit/s; $clamped SYNs clamped"
check "TCP/IPv4 to the server past the engine's MTU answer (${up4:-0} Mbit/s > 10)" \
	awk -v r="${up4:-0}" 'BEGIN { exit !(r > 10) }'
check "TCP/IPv6 to the server (${up6:-0} Mbit/s > 10)" awk -v r="${up6:-0}" 'BEGIN { exit !(r > 10) }'
check "TCP/IPv6 from the server (${down6:-0} Mbit/s > 10)" awk -v r="${down6:-0}" 'BEGIN { exit !(r > 10) }'
check "the SYNs entering the tunnel were clamped (${clamped:-0} >= 3)" test "${clamped:-0}" -ge 3
[[ $failures -eq 0 ]] && say PASS "mtu: all checks held" || say FAIL "mtu: $failures check(s) failed"
exit $((failures != 0))
