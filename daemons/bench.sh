#!/bin/bash
# um3n tunnel throughput benchmark (not part of the default test run; root).
#
#   +------- mn -------+        +-------- ha --------+        +-- srv --+
#   | um3n0 10.200.0.2 |  veth  | eth-mn 10.1.1.1    |  veth  |         |
#   | eth-ha 10.1.1.2  |--------| 192.0.2.1 (lo)     |--------| 10.9.1.1 (tunnelled)
#   |  (um3n-mn)       |        | um3nha0  (um3n-ha) |        | 10.9.1.2 (plain)
#   +------------------+        +--------------------+        +---------+
#
# The same veths and the same forwarding hop carry both flows: iperf3 TCP to
# 10.9.1.1 goes through the tunnel (MN app -> TUN -> um3n-mn -> UDP -> um3n-ha
# -> TUN -> server), to 10.9.1.2 it is plainly routed by the HA namespace.
# Prints both rates and their ratio (target >= 50%). Unshaped, no netem.
#   UM3N_BUILD=build [UM3N_OFFLOAD=no] daemons/bench.sh [seconds]
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
SECS=${1:-5}
OFFLOAD=${UM3N_OFFLOAD:-yes} # TUN vnet header + TSO/userspace GRO (dtun.h)
PY=/usr/bin/python3
P="u3nb$$"
NS_MN=$P-mn NS_HA=$P-ha NS_SRV=$P-srv
TMP=$(mktemp -d /tmp/um3n-bench.XXXXXX)
pids=()

n() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
cleanup() {
	set +e
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
	for ns in $NS_MN $NS_HA $NS_SRV; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$TMP"
}
[[ $(id -u) -eq 0 ]] || { echo "bench.sh: needs root"; exit 77; }
[[ -x $BUILD/daemons/um3n-mn && -x $BUILD/daemons/um3n-ha ]] ||
	{ echo "bench.sh: build the daemons first (UM3N_BUILD=$BUILD)"; exit 1; }
trap cleanup EXIT

for ns in $NS_MN $NS_HA $NS_SRV; do
	ip netns add "$ns"
	n "$ns" ip link set lo up
	n "$ns" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward
		echo 0 >/proc/sys/net/ipv4/conf/all/rp_filter; echo 0 >/proc/sys/net/ipv4/conf/default/rp_filter'
done
ip link add eth-ha netns "$NS_MN" type veth peer name eth-mn netns "$NS_HA"
ip link add eth-srv netns "$NS_HA" type veth peer name eth0 netns "$NS_SRV"
n "$NS_MN" ip addr add 10.1.1.2/24 dev eth-ha
n "$NS_HA" ip addr add 10.1.1.1/24 dev eth-mn
n "$NS_HA" ip addr add 10.9.1.254/24 dev eth-srv
n "$NS_HA" ip addr add 192.0.2.1/32 dev lo
n "$NS_SRV" ip addr add 10.9.1.1/24 dev eth0
n "$NS_SRV" ip addr add 10.9.1.2/24 dev eth0
n "$NS_MN" ip link set eth-ha up
n "$NS_HA" ip link set eth-mn up
n "$NS_HA" ip link set eth-srv up
n "$NS_SRV" ip link set eth0 up
n "$NS_MN" ip route add 192.0.2.1/32 via 10.1.1.1 dev eth-ha
n "$NS_MN" ip route add 10.9.1.2/32 via 10.1.1.1 dev eth-ha
n "$NS_SRV" ip route add default via 10.9.1.254

(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$TMP/k")
cat >"$TMP/mn.conf" <<EOF
[mn]
home_address = 10.200.0.2
home_agent = 192.0.2.1
spi = 256
key_file = $TMP/k
control_socket = $TMP/mn.sock
log_level = warn
offload = $OFFLOAD
[uplink wired]
interface = eth-ha
class = wired
[policy]
default = wired
EOF
cat >"$TMP/ha.conf" <<EOF
[ha]
address = 192.0.2.1
control_socket = $TMP/ha.sock
log_level = warn
offload = $OFFLOAD
[mn 10.200.0.2]
spi = 256
key_file = $TMP/k
EOF
ip netns exec "$NS_HA" "$BUILD/daemons/um3n-ha" -f -c "$TMP/ha.conf" 2>"$TMP/ha.log" &
pids+=($!)
ip netns exec "$NS_MN" "$BUILD/daemons/um3n-mn" -f -c "$TMP/mn.conf" 2>"$TMP/mn.log" &
pids+=($!)
for ((i = 0; i < 100; i++)); do
	n "$NS_MN" "$BUILD/daemons/um3nctl" -s "$TMP/mn.sock" show 2>/dev/null |
		grep -q 'registration registered' && break
	sleep 0.05
done
n "$NS_MN" ip route add 10.9.1.1/32 dev um3n0
n "$NS_SRV" iperf3 -s -D --pidfile "$TMP/iperf.pid" >/dev/null
sleep 0.3
pids+=("$(cat "$TMP/iperf.pid")")

rate() { # dst [-R] -> Mbit/s received
	n "$NS_MN" iperf3 -c "$1" $2 -t "$SECS" -O 1 -J >"$TMP/r.json"
	"$PY" -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6, 1))' "$TMP/r.json"
}
# UM3N_BENCH_DEBUG=1: on exit, print the daemons' counters and the kernel's drops.
debug_dump() {
	n "$NS_MN" "$BUILD/daemons/um3nctl" -s "$TMP/mn.sock" show
	n "$NS_HA" "$BUILD/daemons/um3nctl" -s "$TMP/ha.sock" show
	n "$NS_MN" ip -s link show um3n0
	n "$NS_HA" ip -s link show um3nha0
	n "$NS_MN" nstat -az UdpRcvbufErrors UdpSndbufErrors TcpRetransSegs
	n "$NS_HA" nstat -az UdpRcvbufErrors UdpSndbufErrors
	cleanup
}
[[ -z ${UM3N_BENCH_DEBUG:-} ]] || trap debug_dump EXIT
plain=$(rate 10.9.1.2)
tunnel=$(rate 10.9.1.1)
plain_r=$(rate 10.9.1.2 -R)
tunnel_r=$(rate 10.9.1.1 -R)
# CPU seconds the daemons used (utime+stime of /proc/PID/stat, in ticks).
cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }
ratio() { awk "BEGIN { printf \"%.1f\", 100 * $1 / $2 }"; }
echo "TCP, unshaped veth, ${SECS}s each (iperf3 receiver rate), offload = $OFFLOAD:"
printf '  %-28s %10s %10s %8s\n' "" "plain" "um3n" "ratio"
printf '  %-28s %10s %10s %7s%%\n' "MN -> server (uplink)" "$plain" "$tunnel" "$(ratio "$tunnel" "$plain")"
printf '  %-28s %10s %10s %7s%%\n' "server -> MN (downlink, -R)" "$plain_r" "$tunnel_r" "$(ratio "$tunnel_r" "$plain_r")"
echo "  (Mbit/s; target: um3n >= 50% of plain)"
printf '  daemon CPU     mn %ss, ha %ss over the whole run\n' "$(cpu "${pids[1]}")" "$(cpu "${pids[0]}")"
