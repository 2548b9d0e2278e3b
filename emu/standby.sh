#!/bin/bash
# um3n handover mode in the daemons (issue 16): `uplinks = one`, a hot wifi
# and a cold cell whose interface is down until its up_command brings it up.
# Run as root; daemons from $UM3N_BUILD. Exit 0 = every check held, 1 = a
# check failed, 77 = cannot run here.
#
#   +------------- mn --------------+        +------ ha -------+   +-- srv --+
#   | um3n0 10.200.0.2              |        | lo 192.0.2.1    |   |10.9.1.1 |
#   | wlan0 10.2.2.2 ---------------+--------+ hw 10.2.2.1     |   |         |
#   | wwan0 10.1.1.2 (admin down) --+--------+ hc 10.1.1.1     |   |         |
#   |   up_command: sh -c "sleep 0.3; ip link set wwan0 up"    +---+         |
#   |   down_command: ip link set wwan0 down                   |   |         |
#   +-------------------------------+        +-----------------+   +---------+
#
# Checks: 1 idle: the cold cell stays down, its up_command never runs, no
# registration on it, while a ping runs over wifi; 2 planned handover (wifi's
# signal to -85 dBm): the up_command runs (300 ms), the cell registers, the
# traffic moves, the ping loses nothing, and the time from the decision to the
# traffic on the cell (command included) is printed; 3 return (signal back
# to -60 dBm, after the hold): traffic back on wifi, the cell released and
# its down_command run (interface down again), the ping loses nothing.
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
P="sb$$"
NS_MN=$P-mn NS_HA=$P-ha NS_SRV=$P-srv
TMP=$(mktemp -d /tmp/um3n-standby.XXXXXX)
SRV=10.9.1.1
NSES="$NS_MN $NS_HA $NS_SRV" TAIL_LOG=$TMP/mn.log
# shellcheck source=nslib.sh
. "$HERE/nslib.sh"

ns_require

ns_up
ns_two_uplinks
n "$NS_MN" ip link set wwan0 down # the modem is off until needed
ns_key "$TMP/key"
ns_ha_conf </dev/null
ns_mn_conf 4350 <<EOF
uplinks = one
handover_hold_ms = 1000
probe_interval_ms = 15
dead_after_ms = 75
EOF
cat >>"$TMP/mn.conf" <<EOF
[uplink cell]
interface = wwan0
class = cell
priority = 1
standby = cold
up_command = sh -c "sleep 0.3; ip link set wwan0 up"
down_command = ip link set wwan0 down
command_timeout_ms = 5000
[uplink wifi]
interface = wlan0
class = wifi
priority = 0
[policy]
default = wifi
EOF
ns_daemons

show() { ctl "$NS_MN" mn; }
active_is() { [[ $(show | jq 'd["handover"]["active"]' 2>/dev/null) == "$1" ]]; }
wait_active() { wait_for "$1" active_is "$2"; } # seconds name
lost() { ping_lost "$1"; }
ping_run() { # seconds log
	n "$NS_MN" ping -i 0.01 -s 200 -w "$1" $SRV >"$2" 2>&1 &
	ping_pid=$!
	PIDS+=($ping_pid)
}

check "wifi carries the traffic" wait_active 10 wifi
ping_run 3 "$TMP/idle.ping"
wait $ping_pid || true
ping_pid=
check "idle: ping over wifi, nothing lost ($(lost "$TMP/idle.ping") lost)" \
	test "$(lost "$TMP/idle.ping")" -eq 0
check "idle: the cold cell's up_command never ran" \
	bash -c "! grep -q 'running up_command' '$TMP/mn.log'"
check "idle: the cell is released, its interface down" \
	test "$(show | jq 'd["handover"]["standby"]["cell"]["state"]')" = released
check "idle: wwan0 still admin down" bash -c "! ip netns exec $NS_MN ip link show wwan0 | grep -q ',UP'"

ping_run 6 "$TMP/planned.ping"
sleep 1
n "$NS_MN" "$BUILD/daemons/um3nctl" -s "$TMP/mn.sock" link wifi signal -85 >/dev/null
check "planned: the cell carries the traffic" wait_active 5 cell
sleep 0.5
h=$(show)
move_ms=$(echo "$h" | jq 'd["handover"]["last"]["started_ago_ms"] - d["handover"]["last"]["moved_ago_ms"]')
say info "planned handover to the cold cell: $move_ms ms from the decision to traffic on the cell ($(grep -o 'up_command done in [0-9]* ms' "$TMP/mn.log" | tail -1))"
check "planned: up_command ran and took >= 300 ms" grep -qE 'up_command done in ([3-9][0-9]{2}|[0-9]{4,}) ms' "$TMP/mn.log"
check "planned: the move counts the command ($move_ms >= 300 ms)" test "$move_ms" -ge 300
n "$NS_MN" "$BUILD/daemons/um3nctl" -s "$TMP/mn.sock" link wifi signal -60 >/dev/null
check "return: wifi carries the traffic again" wait_active 5 wifi
wait $ping_pid || true
ping_pid=
check "planned and return: ping lost nothing ($(lost "$TMP/planned.ping") lost)" \
	test "$(lost "$TMP/planned.ping")" -eq 0
for ((i = 0; i < 60; i++)); do
	grep -q 'running down_command' "$TMP/mn.log" && break
	sleep 0.1
done
check "return: the cell released and its down_command ran" grep -q 'running down_command' "$TMP/mn.log"
sleep 0.3
check "return: wwan0 admin down again" bash -c "! ip netns exec $NS_MN ip link show wwan0 | grep -q ',UP'"
[[ $failures -eq 0 ]] && say PASS "standby: all checks held" || say FAIL "standby: $failures check(s) failed"
exit $((failures != 0))
