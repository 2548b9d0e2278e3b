#!/bin/bash
# Uplink flaps and restarts with the real daemons under AddressSanitizer
# (issue 13): the WiFi uplink's carrier goes down and up FLAPS times (100 with
# --long, 10 otherwise; 200 ms down, 300 ms up) while a ping flow runs through
# the tunnel; then the MN must be registered on both uplinks again and the flow
# go on. Then, during an iperf3 TCP flow, the HA restarts and the MN crashes
# and restarts with its identification clock 3 h behind (UM3N_CLOCK_OFFSET_S):
# registered again within 1 s each time, the flow survives. Both daemons must stop cleanly
# on SIGTERM with exit 0 and AddressSanitizer/LeakSanitizer must have reported
# nothing (no error, no leak).
# Run as root, under the namespace lock:
#   flock -o /work/baseline/netns.lock emu/flaps.sh [--long] [BUILD_DIR]
# BUILD_DIR (default $UM3N_BUILD, else <repo>/build-asan) should be configured
# with -DUM3N_SANITIZE=ON (as ci/test.sh's asan stage does); a plain build runs
# too, and says that nothing was sanitized.
#
#   +---- flapscale-mn ----+          +------- flapscale-ha --------+   +- flapscale-srv -+
#   | um3n0 10.200.0.2     |          |  lo 192.0.2.1:434 (um3n-ha) |   |                 |
#   | veth-cell 10.1.1.2 ------------ hc 10.1.1.1                   |   |                 |
#   | veth-wifi 10.1.2.2 ------------ hw 10.1.2.1 (flapped)         |   |                 |
#   |   (um3n-mn)          |          |  hs 10.9.1.254 -------------------- eth0 10.9.1.1 |
#   +----------------------+          +-----------------------------+   +-----------------+
# Exit 0 = every check held, 1 = a check failed, 2 = bad usage, 77 = cannot run here.
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
FLAPS=10
[[ ${1:-} == --long ]] && { FLAPS=100; shift; }
[[ ${1:-} == -* ]] && { echo "usage: flaps.sh [--long] [BUILD_DIR]" >&2; exit 2; }
BUILD=${1:-${UM3N_BUILD:-$HERE/../build-asan}}
MN_BIN=$BUILD/daemons/um3n-mn
HA_BIN=$BUILD/daemons/um3n-ha
CTL_BIN=$BUILD/daemons/um3nctl
PY=/usr/bin/python3
NS_MN=flapscale-mn NS_HA=flapscale-ha NS_SRV=flapscale-srv
SRV=10.9.1.1
TMP=$(mktemp -d /tmp/flapscale-flaps.XXXXXX)
mn_pid= ha_pid= ping_pid=
failures=0

pretty() { printf '\033[1m[%s]\033[0m %s\n' "$1" "$2"; }
ok() { pretty "ok" "$*"; }
bad() { pretty "FAIL" "$*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
holds_le() { awk "BEGIN { exit !($1 <= $2) }"; }
n() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cleanup() {
	set +e
	for pid in $ping_pid $mn_pid $ha_pid; do kill "$pid" 2>/dev/null; done
	for pid in $ping_pid $mn_pid $ha_pid; do wait "$pid" 2>/dev/null; done
	for ns in $NS_MN $NS_HA $NS_SRV; do ip netns del "$ns" 2>/dev/null; done
	if [[ $failures -ne 0 || -n $UM3N_KEEP_LOGS ]]; then echo "logs kept in $TMP"; else rm -rf "$TMP"; fi
}

[[ $(id -u) -eq 0 ]] || { echo "flaps.sh: needs root"; exit 77; }
for b in "$MN_BIN" "$HA_BIN" "$CTL_BIN"; do
	[[ -x $b ]] || { echo "flaps.sh: $b missing (build first, or give BUILD_DIR)"; exit 1; }
done
for t in ip ping "$PY"; do command -v "$t" >/dev/null || { echo "flaps.sh: $t missing"; exit 77; }; done
trap cleanup EXIT
if nm "$MN_BIN" 2>/dev/null | grep -q __asan_init; then
	sanitized=yes
	pretty "info" "daemons built with AddressSanitizer ($BUILD)"
else
	sanitized=no
	pretty "info" "daemons NOT built with AddressSanitizer ($BUILD): errors and leaks unchecked"
fi
# Reports go to files (one per process); a leak makes the process exit 23.
export ASAN_OPTIONS="detect_leaks=1:exitcode=23:log_path=$TMP/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$TMP/ubsan"

# ---- topology -------------------------------------------------------------
for ns in $NS_MN $NS_HA $NS_SRV; do
	ip netns del "$ns" 2>/dev/null || true # a previous run's leftovers, by name
	ip netns add "$ns"
	n "$ns" ip link set lo up
	n "$ns" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward
		for f in /proc/sys/net/ipv4/conf/all/rp_filter /proc/sys/net/ipv4/conf/default/rp_filter; do
			echo 0 >$f; done'
done
link() { # ns1 if1 addr1 ns2 if2 addr2
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	n "$1" ip addr add "$3" dev "$2"
	n "$4" ip addr add "$6" dev "$5"
	n "$1" ip link set "$2" up
	n "$4" ip link set "$5" up
}
link $NS_MN veth-cell 10.1.1.2/24 $NS_HA hc 10.1.1.1/24
link $NS_MN veth-wifi 10.1.2.2/24 $NS_HA hw 10.1.2.1/24
link $NS_HA hs 10.9.1.254/24 $NS_SRV eth0 $SRV/24
n $NS_HA ip addr add 192.0.2.1/32 dev lo
n $NS_MN ip route add default via 10.1.1.1 dev veth-cell metric 10
n $NS_MN ip route add default via 10.1.2.1 dev veth-wifi metric 20
n $NS_SRV ip route add default via 10.9.1.254

# ---- daemons --------------------------------------------------------------
(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$TMP/mn.key")
cat >"$TMP/mn.conf" <<EOF
[mn]
home_address = 10.200.0.2
home_agent = 192.0.2.1
spi = 256
key_file = $TMP/mn.key
lifetime = 300
tun = fsc0
probe_interval_ms = 20
dead_after_ms = 100
control_socket = $TMP/mn.sock
[uplink cell]
interface = veth-cell
class = cell
priority = 1
[uplink wifi]
interface = veth-wifi
class = wifi
priority = 0
[policy]
default = wifi
EOF
cat >"$TMP/ha.conf" <<EOF
[ha]
address = 192.0.2.1
tun = fscha0
control_socket = $TMP/ha.sock
[mn 10.200.0.2]
spi = 256
key_file = $TMP/mn.key
EOF
ip netns exec $NS_HA "$HA_BIN" -f -c "$TMP/ha.conf" 2>>"$TMP/ha.log" &
ha_pid=$!
ip netns exec $NS_MN "$MN_BIN" -f -c "$TMP/mn.conf" 2>>"$TMP/mn.log" &
mn_pid=$!

mnctl() { n $NS_MN "$CTL_BIN" -s "$TMP/mn.sock" "$@"; }
registered() {
	mnctl show -j 2>/dev/null | "$PY" -c 'import json,sys; d=json.load(sys.stdin)
sys.exit(0 if all(u["reg_state"] == "registered" for u in d["uplinks"]) else 1)' 2>/dev/null
}
wait_registered() { # tenths of a second
	for ((i = 0; i < $1; i++)); do registered && return 0; sleep 0.1; done
	return 1
}
if ! wait_registered 200; then # ASan slows the start
	bad "MN did not register on both uplinks within 20 s"
	exit 1
fi
ok "MN registered on cell and wifi"
n $NS_MN ip route add 10.9.0.0/16 dev fsc0

# ---- flaps ------------------------------------------------------------------
ip netns exec $NS_MN ping -D -i 0.02 -s 200 $SRV >"$TMP/ping" 2>&1 & # exec: $! is ping
ping_pid=$!
sleep 1
t0=$(date +%s.%N)
for ((f = 0; f < FLAPS; f++)); do
	n $NS_HA ip link set hw down # the MN's veth-wifi loses its carrier
	sleep 0.2
	n $NS_HA ip link set hw up
	sleep 0.3
done
t1=$(date +%s.%N)
pretty "info" "$FLAPS flaps of the wifi carrier in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
check "MN registered on both uplinks after the flaps" wait_registered 50
sleep 1
kill -INT $ping_pid; wait $ping_pid 2>/dev/null || true
ping_pid=
read -r sent got <<<"$(awk '/packets transmitted/ { print $1, $4 }' "$TMP/ping")"
after=$(awk -F'[][]' -v t="$t1" '/bytes from/ && $2 > t { c++ } END { print c + 0 }' "$TMP/ping")
pretty "info" "ping through the tunnel: $got of $sent replies, $after after the last flap"
check "the flow goes on after the flaps ($after replies in the last second)" test "$after" -gt 20
# Each carrier loss costs what the HA sent to WiFi until it heard nothing for
# dead_after (100 ms) and re-sent: a figure, not a check (issue 13 asks the
# flaps for no error and no leak). Measured under ASan on the shared 2-core
# machine: 282 of 326 replies over 10 flaps, 1865 of 2515 over 100.
pretty "info" "replies lost during the flaps: $((sent - got)) ($(((sent - got) * 20)) ms of the flow, $(((sent - got) * 20 / FLAPS)) ms a flap)"
mnctl show | head -12

# ---- restarts during a TCP flow ---------------------------------------------------
# The HA restarts, then the MN crashes (SIGKILL) and restarts with its
# identification clock 3 h behind (UM3N_CLOCK_OFFSET_S: the HA remembers a newer
# identification, answers 133, the MN takes its clock); each time the MN must be registered again
# within 1 s of the new daemon's start and the TCP flow must go on.
hactl() { n $NS_HA "$CTL_BIN" -s "$TMP/ha.sock" "$@"; }
ha_bound() { # the HA holds both bindings of the MN
	hactl show -j 2>/dev/null | "$PY" -c 'import json,sys; d=json.load(sys.stdin)
sys.exit(0 if d["bindings"] and len(d["bindings"][0]["links"]) == 2 else 1)' 2>/dev/null
}
ha_up() { hactl show -j >/dev/null 2>&1; }
mn_up() { mnctl show -j >/dev/null 2>&1; }
until_s() { # predicate: seconds from now until it holds (max 10 s), or 99
	local t0=$(date +%s.%N)
	for ((i = 0; i < 200; i++)); do
		"$1" && { awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $t0 }"; return 0; }
		sleep 0.05
	done
	echo 99
}
if command -v iperf3 >/dev/null; then
	ip netns exec $NS_SRV iperf3 -s -1 -B $SRV >"$TMP/iperf3-s" 2>&1 &
	iperf_s=$!
	sleep 0.5
	ip netns exec $NS_MN iperf3 -c $SRV -t 8 -b 2M -J >"$TMP/iperf3.json" 2>&1 &
	iperf_c=$!
	sleep 2
	kill -TERM $ha_pid; wait $ha_pid || true
	ip netns exec $NS_HA "$HA_BIN" -f -c "$TMP/ha.conf" 2>>"$TMP/ha.log" &
	ha_pid=$!
	# From the moment the new HA answers its control socket (an ASan
	# build on a busy machine takes a while to start): the MN's part.
	t_up=$(until_s ha_up)
	t=$(until_s ha_bound)
	check "HA restart: the MN registered again $t s after the HA was up ($t_up s to start) (<= 1 s)" \
		holds_le "$t" 1
	sleep 1
	# SIGKILL, a crash: no deregistration, so the HA keeps the MN's last
	# identification and the restarted MN, 3 h behind it, is answered 133.
	kill -KILL $mn_pid; wait $mn_pid 2>/dev/null || true
	ip netns exec $NS_MN env UM3N_CLOCK_OFFSET_S=-10800 "$MN_BIN" -f -c "$TMP/mn.conf" \
		2>>"$TMP/mn.log" &
	mn_pid=$!
	t_up=$(until_s mn_up)
	t=$(until_s registered)
	check "MN restart with its clock 3 h behind: registered $t s after it was up ($t_up s to start) (<= 1 s)" \
		holds_le "$t" 1
	n $NS_MN ip route replace 10.9.0.0/16 dev fsc0
	set +e; wait $iperf_c; rc=$?; wait $iperf_s; set -e
	mbit=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print("%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e6))' "$TMP/iperf3.json" 2>/dev/null || echo 0)
	check "the TCP flow survived both restarts (iperf3 exit $rc, $mbit Mbit/s of 2)" test "$rc" -eq 0
	check "the restarted MN was resynchronised by a 133" grep -q "code 133" "$TMP/mn.log"
else
	pretty "info" "no iperf3: restarts not tested"
fi

# ---- clean stop, sanitizer reports ----------------------------------------------
kill -TERM $mn_pid; set +e; wait $mn_pid; mn_rc=$?; set -e; mn_pid=
kill -TERM $ha_pid; set +e; wait $ha_pid; ha_rc=$?; set -e; ha_pid=
check "um3n-mn stopped cleanly (exit $mn_rc)" test "$mn_rc" -eq 0
check "um3n-ha stopped cleanly (exit $ha_rc)" test "$ha_rc" -eq 0
reports=$(ls "$TMP"/asan.* "$TMP"/ubsan.* 2>/dev/null || true)
if [[ -n $reports ]]; then
	bad "sanitizer reports: $reports"
	head -30 $reports
else
	ok "no sanitizer report (sanitized: $sanitized)"
fi
[[ $failures -eq 0 ]] || exit 1
