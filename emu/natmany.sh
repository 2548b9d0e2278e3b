#!/bin/bash
# Many MNs behind one NAT address at one HA port (issues 13 and 17): N mobile
# nodes (default 100), each a um3n-mn in a namespace of its own on a LAN
# bridge behind one nft masquerade, all register with one um3n-ha through the
# NAT's single address, then each pings a server through its tunnel.
# Run as root; daemons from $UM3N_BUILD. Exit 0 = every check held, 1 = a
# check failed, 77 = cannot run here.
#   emu/natmany.sh [N]
#
#   mn1..mnN (um3n0 10.200.X.Y, eth0 10.5.X.Y/16) --+
#                                                   br0 10.5.0.1 [nat: masquerade] wan 10.2.2.1 -- 10.2.2.2 [ha 192.0.2.1] -- srv 10.9.1.1
#
# Checks: every MN registered and the HA holds N bindings, all with the NAT's
# address as care-of and N different ports; no registration refused by the
# HA's per-source rate limit (each MN is its own ip:port there); every MN's
# pings through the tunnel answered (at least one of three; all counted). Prints how long the N registrations took.
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
N=${1:-100}
P="nm$$"
NS_NAT=$P-nat NS_HA=$P-ha NS_SRV=$P-srv NS_MN=$P-m1
TMP=$(mktemp -d /tmp/um3n-natmany.XXXXXX)
SRV=10.9.1.1
MNS=""
for ((i = 1; i <= N; i++)); do MNS+=" $P-m$i"; done
NSES="$NS_NAT $NS_HA $NS_SRV$MNS" TAIL_LOG=$TMP/ha.log
# shellcheck source=nslib.sh
. "$HERE/nslib.sh"

((N >= 1 && N <= 1000)) || { echo "usage: natmany.sh [N: 1..1000]" >&2; exit 2; }
ns_require

home() { echo "10.200.$(($1 / 250)).$(($1 % 250 + 1))"; } # MN i's home address
lan() { echo "10.5.$(($1 / 250)).$(($1 % 250 + 2))"; }    # its address behind the NAT

ns_up
veth "$NS_NAT" wan 10.2.2.1 "$NS_HA" hw 10.2.2.2
veth "$NS_HA" hs 10.9.1.254 "$NS_SRV" eth0 $SRV
n "$NS_HA" ip addr add 192.0.2.1/32 dev lo
n "$NS_SRV" ip route add default via 10.9.1.254
n "$NS_NAT" ip link add br0 type bridge
n "$NS_NAT" ip addr add 10.5.0.1/16 dev br0
n "$NS_NAT" ip link set br0 up
n "$NS_NAT" ip route add default via 10.2.2.2
n "$NS_NAT" nft -f - <<EOF
table ip um3nnat {
	chain post { type nat hook postrouting priority srcnat; oifname "wan" masquerade random; }
}
EOF
ns_key "$TMP/key"
{
	printf '[ha]\naddress = 192.0.2.1\ncontrol_socket = %s/ha.sock\nadd_routes = yes\n' "$TMP"
	for ((i = 1; i <= N; i++)); do
		printf '[mn %s]\nspi = 256\nkey_file = %s/key\n' "$(home $i)" "$TMP"
	done
} >"$TMP/ha.conf"
ip netns exec "$NS_HA" "$BUILD/daemons/um3n-ha" -f -c "$TMP/ha.conf" >"$TMP/ha.log" 2>&1 &
PIDS+=($!)

for ((i = 1; i <= N; i++)); do
	ns=$P-m$i
	ip link add "$P-a" type veth peer name "$P-b"
	ip link set "$P-a" netns "$ns" name eth0
	ip link set "$P-b" netns "$NS_NAT" name "l$i"
	n "$NS_NAT" ip link set "l$i" master br0 up
	n "$ns" ip addr add "$(lan $i)/16" dev eth0
	n "$ns" ip link set eth0 up
	n "$ns" ip route add default via 10.5.0.1
	cat >"$TMP/mn$i.conf" <<EOF
[mn]
home_address = $(home $i)
home_agent = 192.0.2.1
spi = 256
key_file = $TMP/key
control_socket = $TMP/mn$i.sock
routes = 10.9.1.0/24
route_table = 4360
[uplink wifi]
interface = eth0
class = wifi
[policy]
default = wifi
EOF
done
t0=$(date +%s.%N)
for ((i = 1; i <= N; i++)); do
	ip netns exec "$P-m$i" "$BUILD/daemons/um3n-mn" -f -c "$TMP/mn$i.conf" >"$TMP/mn$i.log" 2>&1 &
	PIDS+=($!)
done

bound() { # bindings at the HA with a registered link
	ctl "$NS_HA" ha | jq 'sum(1 for m in d["bindings"] if any(b["state"] != "down" for b in m["links"]))' \
		2>/dev/null
}
all_bound() { [[ $(bound) == "$N" ]]; }
if wait_for 30 all_bound; then
	say info "$N MNs behind one NAT address bound at the HA $(/usr/bin/python3 -c "print(round($(date +%s.%N) - $t0, 2))") s after they started (polled every 50 ms)"
	say ok "the HA holds $N bindings"
else
	bad "the HA holds $N bindings (it holds $(bound))"
fi
coas=$(ctl "$NS_HA" ha | jq '" ".join(sorted({b["coa"] for m in d["bindings"] for b in m["links"]}))')
ports=$(ctl "$NS_HA" ha | jq 'len({b["port"] for m in d["bindings"] for b in m["links"]})')
check "every care-of is the NAT's address ($coas)" test "$coas" = 10.2.2.1
check "$N MNs on $ports different ports of it" test "$ports" = "$N"
limited=$(ctl "$NS_HA" ha | jq 'd["drops"]["reg_ratelimited"]')
check "no registration refused by the rate limit ($limited)" test "$limited" = 0
# Three pings each, 20 MNs at a time: an MN passes traffic when one is
# answered; the answers of all are counted too.
for ((i = 1; i <= N; i++)); do echo "$P-m$i"; done |
	xargs -P 20 -I{} sh -c "ip netns exec {} ping -c 3 -i 0.3 -W 2 $SRV 2>&1 | grep -o '[0-9]* received'" \
		>"$TMP/pings" || true
ok=$(grep -cv '^0 received' "$TMP/pings" || true)
answered=$(awk '{ s += $1 } END { print s + 0 }' "$TMP/pings")
say info "pings through the tunnels: $answered of $((3 * N)) answered"
check "every MN passes traffic through its tunnel ($ok of $N answered)" test "$ok" = "$N"
[[ $failures -eq 0 ]] && say PASS "natmany: all checks held" || say FAIL "natmany: $failures check(s) failed"
exit $((failures != 0))
