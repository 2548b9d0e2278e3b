#!/bin/bash
# um3n tunnel throughput benchmark (not part of the default test run; root).
# Topology: emu/pairtopo.sh (MN -- HA -- server on unshaped veths). iperf3 TCP
# to 10.9.1.1 goes through the tunnel, to 10.9.1.2 it is plainly routed by the
# same HA namespace over the same veths. Plain and tunnel runs alternate, for
# ROUNDS rounds, so that drift on a shared machine hits both alike; printed:
# every round, and the median of each column and of the per-round ratios
# (target >= 50%), plus the daemons' CPU time. TCP congestion control: the
# system's default unless CC names one (iperf3 -C); it matters: with BBR's
# pacing the plain path is far from its limit, with cubic it is not.
# UM3N_BUSY_POLL sets busy_poll_us in both daemons (um3n.conf(5); unset: the
# default, 20 us).
#   UM3N_BUILD=build [UM3N_OFFLOAD=no] [UM3N_BUSY_POLL=0] [ROUNDS=3] [CC=cubic] \
#     daemons/bench.sh [seconds]
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
SECS=${1:-5}
ROUNDS=${ROUNDS:-3}
OFFLOAD=${UM3N_OFFLOAD:-yes} # TUN vnet header + TSO/userspace GRO (dtun.h)
PAIR_BUSY_POLL=${UM3N_BUSY_POLL:-}
CC=${CC:-$(cat /proc/sys/net/ipv4/tcp_congestion_control)}
PY=/usr/bin/python3
PAIR_PREFIX="u3nb$$"
iperf_pid=
# shellcheck source=../emu/pairtopo.sh
. "$HERE/../emu/pairtopo.sh"

cleanup() {
	set +e
	[[ -n $iperf_pid ]] && kill "$iperf_pid" 2>/dev/null
	pair_down
	rm -rf "$TMP"
}
pair_require bench.sh
TMP=$(mktemp -d /tmp/um3n-bench.XXXXXX)
trap cleanup EXIT

pair_up
pair_start "$TMP" "$OFFLOAD" "$OFFLOAD" || { echo "bench.sh: the MN did not register"; exit 1; }
n "$NS_SRV" iperf3 -s -D --pidfile "$TMP/iperf.pid" >/dev/null
sleep 0.3
iperf_pid=$(cat "$TMP/iperf.pid")

rate() { # dst [-R] -> Mbit/s received
	n "$NS_MN" iperf3 -C "$CC" -c "$1" $2 -t "$SECS" -O 1 -J >"$TMP/r.json"
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
ratio() { awk "BEGIN { printf \"%.1f\", 100 * $1 / $2 }"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "TCP ($CC), unshaped veth, ${SECS}s per run, $ROUNDS rounds (iperf3 receiver rate, Mbit/s)," \
	"offload = $OFFLOAD, busy_poll_us = ${PAIR_BUSY_POLL:-default}:"
printf '  %-8s %10s %10s %7s   %10s %10s %7s\n' "" "up plain" "up um3n" "ratio" "down plain" "down um3n" "ratio"
cols=(up_p up_t up_r dn_p dn_t dn_r)
declare -A all
for ((r = 1; r <= ROUNDS; r++)); do
	up_p=$(rate 10.9.1.2); up_t=$(rate 10.9.1.1)
	dn_p=$(rate 10.9.1.2 -R); dn_t=$(rate 10.9.1.1 -R)
	up_r=$(ratio "$up_t" "$up_p"); dn_r=$(ratio "$dn_t" "$dn_p")
	for c in "${cols[@]}"; do all[$c]+="${!c} "; done
	printf '  round %-2d %10s %10s %6s%%   %10s %10s %6s%%\n' "$r" "$up_p" "$up_t" "$up_r" "$dn_p" "$dn_t" "$dn_r"
done
for c in "${cols[@]}"; do
	# shellcheck disable=SC2086
	declare "m_$c=$(median ${all[$c]})"
done
printf '  %-8s %10s %10s %6s%%   %10s %10s %6s%%\n' "median" "$m_up_p" "$m_up_t" "$m_up_r" "$m_dn_p" "$m_dn_t" "$m_dn_r"
echo "  (ratio = um3n / plain in the same round; target: >= 50%)"
# CPU seconds the daemons used (utime+stime of /proc/PID/stat, in ticks).
cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }
printf '  daemon CPU     mn %ss, ha %ss over the whole run\n' "$(cpu "${pair_pids[1]}")" "$(cpu "${pair_pids[0]}")"
