#!/bin/bash
# um3n selftest: the real daemons (um3n-mn, um3n-ha, um3nctl) in network
# namespaces. Run as root. Daemons from $UM3N_BUILD (default: <repo>/build).
# UM3N_OFFLOAD=no runs the daemons without TUN/UDP offloads (default: yes).
# Exit 0 = every check held, 1 = a check failed, 77 = cannot run here.
#
#                       +-------- rcell ---------+
#   +------ mn ------+  | rc0 10.1.1.1  rc1 10.2.1.1 |   +------------- ha --------------+
#   | um3n0 (TUN)    |  +--|---------------|-----+   |  hc 10.2.1.2                    |
#   |  10.200.0.2    |     |  3.61 Mbit/s  +---------+  hw 10.2.2.2      um3nha0 (TUN) |
#   | veth-cell 10.1.1.2---+  both ways              |  lo 192.0.2.1:434  (um3n-ha)    |
#   | veth-wifi 10.1.2.2---+  14.67 Mbit/s +---------+  hv 10.9.2.254  hf 10.9.1.254   |
#   |   (um3n-mn)    |     |               |         +-----|----------------|----------+
#   +----------------+  +--|---------------|-----+         |                |
#                       | rw0 10.1.2.1  rw1 10.2.2.1 |   video 10.9.2.1   ftp 10.9.1.1
#                       +-------- rwifi ---------+   (policy: cell)    (default: wifi)
#
# Checks: 1 ping through the tunnel to both servers; 2 the video server's
# traffic uses only the cell veth (both ways), the rest wifi (interface
# counters before/after), also after `um3nctl link wifi down|up` and after a
# SIGHUP that changes the policy; 3 iperf3 TCP per server and both at once beside the
# paper's 3.61 / 14.67 / 17.82 Mbit/s; 4 wifi cut during a flow (carrier, then
# backhaul): the flow moves to cell and comes back, the ping's added gap
# (um3n-sim's definition) printed and bounded, the TCP flow's longest stall
# printed; 5 HA restart:
# the MN re-registers, time printed; 6 forged registration and garbage at the
# HA: rejected, counted in `um3nctl show -j`, the running flow unaffected.
set -e
shopt -s extglob

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
PY=/usr/bin/python3
MN_BIN=$BUILD/daemons/um3n-mn
HA_BIN=$BUILD/daemons/um3n-ha
CTL_BIN=$BUILD/daemons/um3nctl

P="u3n$$"
NS_MN=$P-mn NS_RC=$P-rcell NS_RW=$P-rwifi NS_HA=$P-ha NS_VID=$P-video NS_FTP=$P-ftp
ALL_NS="$NS_MN $NS_RC $NS_RW $NS_HA $NS_VID $NS_FTP"
TMP=$(mktemp -d /tmp/um3n-netns.XXXXXX)
VIDEO=10.9.2.1 FTP=10.9.1.1
pids=()
mn_pid= ha_pid=
failures=0

pretty() { printf '\033[1m[%s]\033[0m %s\n' "$1" "$2"; }
ok() { pretty "ok" "$*"; }
bad() { pretty "FAIL" "$*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
n() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
nmn() { n "$NS_MN" "$@"; }
nha() { n "$NS_HA" "$@"; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }
now() { date +%s.%N; }

cleanup() {
	set +e
	for pid in "${pids[@]}" $mn_pid $ha_pid; do kill "$pid" 2>/dev/null; done
	for pid in "${pids[@]}" $mn_pid $ha_pid; do wait "$pid" 2>/dev/null; done
	for ns in $ALL_NS; do ip netns del "$ns" 2>/dev/null; done
	if [[ $failures -ne 0 || -n $UM3N_KEEP_LOGS ]]; then
		echo "logs kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}

[[ $(id -u) -eq 0 ]] || { echo "netns.sh: needs root"; exit 77; }
for b in "$MN_BIN" "$HA_BIN" "$CTL_BIN"; do
	[[ -x $b ]] || { echo "netns.sh: $b missing (build first or set UM3N_BUILD)"; exit 1; }
done
for t in ip tc iperf3 ping "$PY"; do
	command -v "$t" >/dev/null || { echo "netns.sh: $t missing"; exit 77; }
done
# The uplink rates, CELL_KBIT and WIFI_KBIT, from the one place they are written.
links=$("$PY" "$HERE/lib/links.py" --sh)
eval "$links"
trap cleanup EXIT

# ---- topology -------------------------------------------------------------

# Forwarding on, reverse-path filtering off (replies to a pinned socket come
# in on "its" uplink, not the one the main table would pick).
sysctls() {
	n "$1" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward
		for f in /proc/sys/net/ipv4/conf/all/rp_filter /proc/sys/net/ipv4/conf/default/rp_filter; do
			echo 0 >$f; done'
}
for ns in $ALL_NS; do
	ip netns add "$ns"
	n "$ns" ip link set lo up
	sysctls "$ns"
done

link() { # ns1 if1 addr1 ns2 if2 addr2
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	n "$1" ip addr add "$3" dev "$2"
	n "$4" ip addr add "$6" dev "$5"
	n "$1" ip link set "$2" up
	n "$4" ip link set "$5" up
}
link "$NS_MN" veth-cell 10.1.1.2/24 "$NS_RC" rc0 10.1.1.1/24
link "$NS_MN" veth-wifi 10.1.2.2/24 "$NS_RW" rw0 10.1.2.1/24
link "$NS_RC" rc1 10.2.1.1/24 "$NS_HA" hc 10.2.1.2/24
link "$NS_RW" rw1 10.2.2.1/24 "$NS_HA" hw 10.2.2.2/24
link "$NS_HA" hv 10.9.2.254/24 "$NS_VID" eth0 $VIDEO/24
link "$NS_HA" hf 10.9.1.254/24 "$NS_FTP" eth0 $FTP/24
nha ip addr add 192.0.2.1/32 dev lo
# Default routes as DHCP clients install them: um3n-mn learns each uplink's
# gateway from them and routes to the HA itself (dmnrt.h); no HA route here.
nmn ip route add default via 10.1.1.1 dev veth-cell metric 10
nmn ip route add default via 10.1.2.1 dev veth-wifi metric 20
n "$NS_RC" ip route add 192.0.2.1/32 via 10.2.1.2
n "$NS_RW" ip route add 192.0.2.1/32 via 10.2.2.2
nha ip route add 10.1.1.0/24 via 10.2.1.1
nha ip route add 10.1.2.0/24 via 10.2.2.1
n "$NS_VID" ip route add default via 10.9.2.254
n "$NS_FTP" ip route add default via 10.9.1.254

# netem would add delay/loss; this kernel may not have it. Say so, go on.
if n "$NS_VID" tc qdisc add dev lo root netem delay 1ms 2>"$TMP/netem.err"; then
	n "$NS_VID" tc qdisc del dev lo root
	pretty "info" "netem available (not used: links are rate-shaped only)"
else
	pretty "info" "no netem on this kernel ($(head -c 80 "$TMP/netem.err" | tr '\n' ' ')): no delay/loss emulation"
fi

# htb at the paper's rates; the fifo under it holds ~80 ms at that rate so the
# queueing delay stays below dead_after_ms (100): a longer queue makes a busy
# link look silent to the 20 ms probes.
shape() { # ns dev kbit
	local pkts=$(($3 * 80 / 12000))
	n "$1" tc qdisc add dev "$2" root handle 1: htb default 10
	n "$1" tc class add dev "$2" parent 1: classid 1:10 htb rate "${3}kbit" ceil "${3}kbit"
	n "$1" tc qdisc add dev "$2" parent 1:10 handle 10: pfifo limit $((pkts < 10 ? 10 : pkts))
}
shape "$NS_MN" veth-cell $CELL_KBIT
shape "$NS_RC" rc0 $CELL_KBIT
shape "$NS_MN" veth-wifi $WIFI_KBIT
shape "$NS_RW" rw0 $WIFI_KBIT

# ---- daemons --------------------------------------------------------------

(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$TMP/mn.key"; cp "$TMP/mn.key" "$TMP/mn1.key")
cat >"$TMP/mn.conf" <<EOF
[mn]
home_address = 10.200.0.2
home_agent = 192.0.2.1
port = 434
spi = 256
key_file = $TMP/mn.key
lifetime = 300
tun = um3n0
probe_interval_ms = 20
dead_after_ms = 100
control_socket = $TMP/mn.sock
log_level = ${UM3N_LOG_LEVEL:-info}
offload = ${UM3N_OFFLOAD:-yes}
[uplink cell]
interface = veth-cell
class = cell
priority = 1
weight_kbps = $CELL_KBIT
[uplink wifi]
interface = veth-wifi
class = wifi
priority = 0
weight_kbps = $WIFI_KBIT
[policy]
default = wifi
rule = 10.9.2.0/24 cell
EOF
cat >"$TMP/ha.conf" <<EOF
[ha]
address = 192.0.2.1
port = 434
tun = um3nha0
max_lifetime = 600
keepalive = 110
control_socket = $TMP/ha.sock
log_level = ${UM3N_LOG_LEVEL:-info}
offload = ${UM3N_OFFLOAD:-yes}
[mn 10.200.0.2]
spi = 256
key_file = $TMP/mn1.key
EOF
"$MN_BIN" -n -c "$TMP/mn.conf"
"$HA_BIN" -n -c "$TMP/ha.conf"
# A bad config is refused with exit 2 and one line naming file and key.
sed 's/^spi = 256$/spi = 12/' "$TMP/mn.conf" >"$TMP/bad.conf"
set +e; "$MN_BIN" -n -c "$TMP/bad.conf" 2>"$TMP/bad.err"; rc=$?; set -e
check "um3n-mn -n refuses a bad config (exit $rc: $(cat "$TMP/bad.err"))" \
	test "$rc" -eq 2 -a "$(wc -l <"$TMP/bad.err")" -eq 1

# Started without the n() function so $! is the daemon itself (ip netns exec execs).
start_ha() {
	ip netns exec "$NS_HA" "$HA_BIN" -f -c "$TMP/ha.conf" 2>>"$TMP/ha.log" &
	ha_pid=$!
}
start_ha
ip netns exec "$NS_MN" "$MN_BIN" -f -c "$TMP/mn.conf" 2>>"$TMP/mn.log" &
mn_pid=$!

mnctl() { nmn "$CTL_BIN" -s "$TMP/mn.sock" "$@"; }
hactl() { nha "$CTL_BIN" -s "$TMP/ha.sock" "$@"; }
# jq-like: evaluate a Python expression on the JSON read from stdin as `d`.
jget() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
registered() { # all uplinks registered?
	mnctl show -j 2>/dev/null |
		jget 'all(u["reg_state"]=="registered" for u in d["uplinks"])' 2>/dev/null | grep -q True
}
wait_registered() { # max seconds; prints seconds waited
	local t0=$(now) i
	for ((i = 0; i < $1 * 20; i++)); do
		if registered; then calc "$(now) - $t0"; return 0; fi
		sleep 0.05
	done
	return 1
}
if ! wait_registered 10 >/dev/null; then
	bad "MN did not register on both uplinks within 10 s"
	mnctl show || true
	exit 1
fi
ok "MN registered on cell and wifi"
nmn ip route add 10.9.0.0/16 dev um3n0
mnctl show

# ---- 1: ping through the tunnel -------------------------------------------

for s in $VIDEO $FTP; do
	check "ping $s through um3n0" nmn ping -q -c 3 -i 0.2 -W 2 -I um3n0 $s
done

# ---- 2: which veth carries what --------------------------------------------

ctr() { nmn cat "/sys/class/net/$1/statistics/$2"; }
snap() { echo "$(ctr veth-cell tx_bytes) $(ctr veth-cell rx_bytes) $(ctr veth-wifi tx_bytes) $(ctr veth-wifi rx_bytes)"; }
# 200 x 1000-byte pings: 200 kB each way on the chosen uplink; the 20 ms
# probes add ~5 kB per direction per uplink over the same 2 s.
volume_on() { # server want(cell|wifi)
	local a b ct cr wt wr
	read -r -a a <<<"$(snap)"
	nmn ping -q -c 200 -i 0.01 -s 1000 -W 1 $1 >/dev/null || true
	read -r -a b <<<"$(snap)"
	ct=$((b[0] - a[0])) cr=$((b[1] - a[1])) wt=$((b[2] - a[2])) wr=$((b[3] - a[3]))
	pretty "info" "to $1: cell tx $ct rx $cr bytes, wifi tx $wt rx $wr bytes"
	if [[ $2 == cell ]]; then
		((ct > 180000 && cr > 180000 && wt < 40000 && wr < 40000))
	else
		((wt > 180000 && wr > 180000 && ct < 40000 && cr < 40000))
	fi
}
check "video server ($VIDEO) traffic on cell only, both ways" volume_on $VIDEO cell
check "ftp server ($FTP) traffic on wifi only, both ways" volume_on $FTP wifi

# um3nctl injects link events: a forced handover and back.
mnctl link wifi down >/dev/null
check "um3nctl link wifi down: ftp traffic moves to cell" volume_on $FTP cell
mnctl link wifi up >/dev/null
wait_registered 5 >/dev/null || true
check "um3nctl link wifi up: ftp traffic back on wifi" volume_on $FTP wifi
set +e; mnctl link nosuch down 2>/dev/null; rc=$?; set -e
check "um3nctl refuses an unknown uplink (exit $rc)" test "$rc" -eq 1

# SIGHUP: a new policy reaches the engine and, by re-registration, the HA.
hup_policy() { # class for the video prefix
	sed -i "s|^rule = 10.9.2.0/24 .*|rule = 10.9.2.0/24 $1|" "$TMP/mn.conf"
	kill -HUP $mn_pid
	local i
	for ((i = 0; i < 40; i++)); do
		[[ $(mnctl show -j | jget 'd["policy"]["version"] == d["policy"]["acked_version"]') == True ]] && break
		sleep 0.05
	done
}
hup_policy wifi
pretty "info" "after SIGHUP: MN policy $(mnctl show -j | jget 'd["policy"]'), HA holds version $(hactl show -j | jget 'd["bindings"][0]["policy_version"]')"
check "SIGHUP policy (video -> wifi): video traffic on wifi" volume_on $VIDEO wifi
hup_policy cell
check "SIGHUP policy (video -> cell): video traffic on cell again" volume_on $VIDEO cell

# ---- 3: iperf3 ---------------------------------------------------------------

for ns in "$NS_VID" "$NS_FTP"; do
	n "$ns" iperf3 -s -D --pidfile "$TMP/iperf-$ns.pid" >/dev/null
done
sleep 0.3
for ns in "$NS_VID" "$NS_FTP"; do pids+=("$(cat "$TMP/iperf-$ns.pid")"); done
mbps() { jget 'round(d["end"]["sum_received"]["bits_per_second"]/1e6, 2)' <"$1"; }
nmn iperf3 -c $VIDEO -t 4 -O 1 -J >"$TMP/ip-video.json"
nmn iperf3 -c $FTP -t 4 -O 1 -J >"$TMP/ip-ftp.json"
nmn iperf3 -c $VIDEO -t 4 -O 1 -J >"$TMP/ip-both-v.json" &
p1=$!
nmn iperf3 -c $FTP -t 4 -O 1 -J >"$TMP/ip-both-f.json"
wait $p1
v=$(mbps "$TMP/ip-video.json") f=$(mbps "$TMP/ip-ftp.json")
bv=$(mbps "$TMP/ip-both-v.json") bf=$(mbps "$TMP/ip-both-f.json")
both=$(calc "$bv + $bf")
printf '  %-24s %10s %10s\n' "TCP Mbit/s" measured paper
printf '  %-24s %10s %10s\n' "video (cell)" "$v" 3.61 "ftp (wifi)" "$f" 14.67 "both at once" "$both" 17.82
check "video over cell > 50% of 3.61" holds "$v > 1.8"
check "ftp over wifi > 50% of 14.67" holds "$f > 7.3"
check "both at once > 50% of 18.28" holds "$both > 9.1"

# ---- 4: wifi cut during a flow ----------------------------------------------

# Largest gap between consecutive echo replies in `ping -D` output, in ms.
max_gap_ms() {
	awk -F'[][]' '/bytes from/ { t = $2; if (p) { g = (t - p) * 1000; if (g > m) m = g } p = t }
		END { printf "%.0f\n", m }' "$1"
}
# What the cut added to the ping flow, in ms: um3n-sim's added gap (its code,
# sim/hometric.c, through emu/lib/hometric.py), window 1 s before to 3 s after
# the cut; the longest reply gap when um3n-hometric is not built.
added_gap_ms() { # ping-log t_cut
	if [[ ! -x $BUILD/sim/um3n-hometric ]]; then
		echo "$(max_gap_ms "$1") (longest reply gap: $BUILD/sim/um3n-hometric not built)"
		return
	fi
	(cd "$HERE/.." && UM3N_BUILD=$BUILD PYTHONDONTWRITEBYTECODE=1 "$PY" -m emu.lib.hometric \
		--ping "$1" --interval 0.01 --window "$(calc "$2 - 1")" "$2" "$(calc "$2 + 3")") |
		jget 'round(d["added_gap_ms"])'
}
# The iperf3 flow's longest stall (no new in-order data at the server) in
# the same window, from a capture there: TCP has no send schedule of its own.
stall_ms() { # pcap t_cut
	[[ -x $BUILD/sim/um3n-hometric ]] || { echo "?"; return; }
	(cd "$HERE/.." && UM3N_BUILD=$BUILD PYTHONDONTWRITEBYTECODE=1 "$PY" -m emu.lib.hometric \
		--tcp "$1" --port 5201 --window "$(calc "$2 - 1")" "$2" "$(calc "$2 + 3")") |
		jget 'round(d["stall_ms"])'
}
cut_test() { # label ns dev bound_ms [command to run after setting it up again]
	local label=$1 ns=$2 dev=$3 bound=$4 a b c gap added stall t_cut cell_during wifi_after cell_after
	n "$NS_FTP" tcpdump -i eth0 -s 96 -U -n -w "$TMP/cut-$dev.tcp.pcap" tcp dst port 5201 \
		>/dev/null 2>&1 &
	local tp=$!
	nmn ping -D -i 0.01 -s 200 -w 6 $FTP >"$TMP/cut-$dev.ping" 2>&1 &
	local pp=$!
	nmn iperf3 -c $FTP -t 5 -i 0.5 >"$TMP/cut-$dev.iperf" 2>&1 &
	local ip=$!
	sleep 1.5
	read -r -a a <<<"$(snap)"
	t_cut=$(now)
	n "$ns" ip link set "$dev" down
	sleep 1.5
	read -r -a b <<<"$(snap)"
	n "$ns" ip link set "$dev" up
	[[ -z $5 ]] || n "$ns" $5
	sleep 1.0 # the MN re-registers wifi and moves the flow back
	read -r -a c <<<"$(snap)"
	sleep 1.0
	read -r -a d <<<"$(snap)"
	wait $ip || true
	wait $pp || true
	kill $tp 2>/dev/null
	wait $tp 2>/dev/null || true
	gap=$(max_gap_ms "$TMP/cut-$dev.ping")
	added=$(added_gap_ms "$TMP/cut-$dev.ping" "$t_cut") || added="? (um3n-hometric failed)"
	stall=$(stall_ms "$TMP/cut-$dev.tcp.pcap" "$t_cut") || stall="?"
	cell_during=$((b[0] - a[0]))
	wifi_after=$((d[2] - c[2])) cell_after=$((d[0] - c[0]))
	pretty "info" "$label: ping added gap $added ms, longest reply gap $gap ms; iperf3 longest stall $stall ms; cell tx during the cut $cell_during B; after restore wifi tx $wifi_after B, cell tx $cell_after B"
	grep -E 'sec .*(sender|receiver)' "$TMP/cut-$dev.iperf" | sed 's/^/    /'
	check "$label: flow continued over cell" test "$cell_during" -gt 300000
	check "$label: iperf3 flow survived" grep -q receiver "$TMP/cut-$dev.iperf"
	check "$label: flow back on wifi after restore" test "$wifi_after" -gt $((4 * cell_after))
	check "$label: added gap below $bound ms" test "${added%% *}" -lt "$bound"
}
# The bounds (issue 13, failover under load): the 12 Mbit/s flow moving onto the
# 3.61 Mbit/s cell link once filled its queue with the failover's re-sends (169
# datagrams, 560 ms at that rate; pings waited up to 588 ms behind them, so the
# "80 ms" fifo held far more: with UDP GSO one of its 24 packets may be 64
# datagrams) and the ping's added gap was 416-473 ms; with the moved
# traffic's AQM (core/aqm.c, default keys) it measured 102, 121 and 112 ms
# (carrier) and 68, 91 and 71 ms (backhaul: detection by silence, dead_after_ms
# 100) in three rounds on a shared 2-core machine (71-142 ms over seven rounds
# while the keys were tuned); bounds are those plus a margin for noise.
cut_test "wifi carrier cut (rwifi rw0 down)" "$NS_RW" rw0 200
wait_registered 5 >/dev/null || true
# Setting rw1 down also drops the router's route through it: put it back.
cut_test "wifi backhaul cut (rwifi rw1 down, no carrier signal)" "$NS_RW" rw1 250 \
	"ip route replace 192.0.2.1/32 via 10.2.2.2"
wait_registered 5 >/dev/null || true

# ---- 5: HA restart -----------------------------------------------------------

nmn ping -D -i 0.01 -s 200 -w 7 $FTP >"$TMP/harestart.ping" 2>&1 &
pp=$!
sleep 1
t_kill=$(now)
kill -TERM $ha_pid
wait $ha_pid || true
start_ha
t_start=$(now)
wait $pp || true
# First echo reply through the new HA, and replies until the end of the flow.
read -r first last count <<<"$(awk -F'[][]' -v t=$t_start '/bytes from/ && $2 > t {
	if (!f) f = $2; l = $2; c++ } END { printf "%s %s %d\n", f ? f : 0, l ? l : 0, c }' \
	"$TMP/harestart.ping")"
if [[ $count -gt 0 ]]; then
	pretty "info" "HA restart: flow resumed $(calc "$first - $t_kill") s after the kill ($count replies after it)"
fi
check "flow resumed after the HA restart" test "$count" -gt 100
check "MN registered with the new HA" registered
rules=$(hactl show -j | jget 'd["bindings"][0]["policy_rules"] if d["bindings"] else -1')
check "policy table synced to the new HA ($rules rules)" test "$rules" -eq 1
check "after the restart: video server traffic on cell only" volume_on $VIDEO cell
# ---- 6: forged registration and garbage --------------------------------------

before=$(hactl show -j)
mn_before=$(mnctl show -j)
cell_port=$(echo "$mn_before" | jget 'd["uplinks"][0]["port"]')
nmn ping -D -i 0.01 -s 200 -w 4 $FTP >"$TMP/attack.ping" 2>&1 &
pp=$!
sleep 0.5
# From the cell router (an on-path attacker): an RFC 5944 request for the MN's
# home address, well formed (scapy) but signed with a wrong key, then garbage.
n "$NS_RC" "$PY" - <<'EOF'
import os, socket, struct
from scapy.layers.mobileip import MobileIP, MobileIPRRQ
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.2.1.1", 0))
rrq = bytes(MobileIP(type=1) / MobileIPRRQ(flags=0xa2, lifetime=300, homeaddr="10.200.0.2",
        haaddr="192.0.2.1", coaddr="10.2.1.1", id=(int.from_bytes(os.urandom(7), "big"))))
auth = struct.pack("!BBI", 32, 4 + 32, 256) + os.urandom(32)  # MN-HA auth, SPI 256
for _ in range(5):
    s.sendto(rrq + auth, ("192.0.2.1", 434))
for i in range(300):
    s.sendto(os.urandom(1 + i % 200), ("192.0.2.1", 434))
for t in (1, 3, 4):  # plausible first bytes, truncated or bogus bodies
    for n in range(1, 40):
        s.sendto(bytes([t]) + os.urandom(n), ("192.0.2.1", 434))
EOF
# ... and garbage at the MN's cell care-of port (not from its HA).
n "$NS_RC" "$PY" - "$cell_port" <<'EOF'
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):  # paced: the 3.61 Mbit/s shaper in front of the MN must not drop them
    s.sendto(bytes([(1, 3, 4)[i % 3]]) + os.urandom(i % 300), ("10.1.1.2", int(sys.argv[1])))
    time.sleep(0.002)
EOF
wait $pp || true
after=$(hactl show -j)
echo "$after" >"$TMP/ha-after.json"
hactl show | sed 's/^/    /'
sumdrops() { jget 'sum(d["drops"].values())'; }
auth_b=$(echo "$before" | jget 'd["drops"]["auth_failed"]') auth_a=$(echo "$after" | jget 'd["drops"]["auth_failed"]')
den_b=$(echo "$before" | jget 'd["reg_denied"]') den_a=$(echo "$after" | jget 'd["reg_denied"]')
drops_b=$(echo "$before" | sumdrops) drops_a=$(echo "$after" | sumdrops)
pretty "info" "HA: auth_failed $auth_b -> $auth_a, reg_denied $den_b -> $den_a, all drops $drops_b -> $drops_a"
check "forged registrations counted as auth failures" test $((auth_a - auth_b)) -ge 5
check "garbage counted (>= 300 more drops)" test $((drops_a - drops_b)) -ge 300
mn_after=$(mnctl show -j)
mn_drops_b=$(echo "$mn_before" | sumdrops) mn_drops_a=$(echo "$mn_after" | sumdrops)
pretty "info" "MN: drops $mn_drops_b -> $mn_drops_a $(echo "$mn_after" | jget 'd["drops"]')"
check "garbage at the MN counted (>= 200 more drops)" test $((mn_drops_a - mn_drops_b)) -ge 200
sent=$(grep -oE '[0-9]+ packets transmitted' "$TMP/attack.ping" | cut -d' ' -f1)
recv=$(grep -oE '[0-9]+ received' "$TMP/attack.ping" | cut -d' ' -f1)
pretty "info" "flow during the attack: $recv of $sent echo replies, longest gap $(max_gap_ms "$TMP/attack.ping") ms"
check "running flow unaffected (>= 95% replies)" test $((recv * 100)) -ge $((sent * 95))
# The control socket: idle clients, an over-long line, unknown commands.
ctl_abuse() {
	nmn "$PY" - "$TMP/mn.sock" <<'EOF'
import socket, sys
idle = []
for _ in range(20):
    c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); idle.append(c)
for req in (b"x" * 1000 + b"\n", b"show bogus\n", b"link\n", b"\n", b"\x00\xff\n"):
    c = socket.socket(socket.AF_UNIX); c.settimeout(2); c.connect(sys.argv[1]); c.sendall(req)
    reply = c.recv(4096)
    assert reply.startswith(b"error"), reply
EOF
}
answers() { mnctl show >/dev/null; }
check "control socket: bad requests get an error line (20 idle clients open)" ctl_abuse
check "control socket: show still answers" answers
check "MN still registered on both uplinks" registered
check "daemons still running" kill -0 $mn_pid $ha_pid

# ---- clean shutdown ----------------------------------------------------------

kill -TERM $mn_pid
wait $mn_pid && rc=0 || rc=$?
mn_pid=
check "um3n-mn exits 0 on SIGTERM" test "$rc" -eq 0
grep -q 'registration .*--shutdown-->' "$TMP/mn.log" && ok "um3n-mn deregistered on SIGTERM" ||
	pretty "info" "no deregistration line in mn.log (log_level?)"

if [[ $failures -ne 0 ]]; then
	pretty "FAIL" "$failures check(s) failed; logs: $TMP"
	exit 1
fi
pretty "PASS" "all checks held (${SECONDS} s)"
