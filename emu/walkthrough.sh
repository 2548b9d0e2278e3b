#!/bin/bash
# um3n walkthrough (issue 15): a new operator's first hour, in namespaces,
# with the README's own commands ("Install and run on real machines"):
# cmake --install into a scratch prefix, the example configs and the key
# command from the installed examples, the units' own ExecStartPre/ExecStart/
# ExecReload lines, `um3nctl show`. Run as root; daemons from $UM3N_BUILD.
# Exit 0 = every check held, 1 = a check failed, 77 = cannot run here.
#
#   +------- mn -------+                          +--------- ha ---------+
#   | um3n0 10.200.0.2 |                          | lo 192.0.2.1:434     |   +-- srv --+
#   | wwan0 10.1.1.2 --+--------------------------+- hc 10.1.1.1         |   |10.9.1.1 |
#   |  default via 10.1.1.1 metric 700            |  hs 10.9.1.254 ------+---+         |
#   | wlan0 192.168.1.100 --+  +-- nat ---------+ |  hw 10.2.2.2         |   +---------+
#   |  default via          +--+ lan .1.1       | |  (forwards only from |
#   |  192.168.1.1 metric 600  | wan 10.2.2.1 --+-+   its TUN to srv)    |
#   +------------------+       | MASQUERADE     |   +------------------+
#                              +----------------+
#
# No route to the HA is added by hand: the MN learns both gateways from the
# DHCP-like default routes. Checks: 1 both uplinks registered, traffic to srv
# through the tunnel (routes = default beside both default routes), the HA's
# route to the MN back after TUN down/up, deletion, restart; 2 wlan0
# down/up three times: `up` again in `um3nctl show` within 2 s each time,
# before the DHCP client puts its default route back; 3 restart with a ping
# running: both uplinks and the routes into the TUN come back, the ping goes
# on; 4 SIGHUP unchanged ("no change") and changed ("applied",
# "needs a restart"); 5 clean stop: tables, rules and routes gone, the HA's
# unknown_peer counter unchanged.
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${UM3N_BUILD:-$TOP/build}
PY=/usr/bin/python3
P="wt$$"
NS_MN=$P-mn NS_NAT=$P-nat NS_HA=$P-ha NS_SRV=$P-srv
ALL_NS="$NS_MN $NS_NAT $NS_HA $NS_SRV"
TMP=$(mktemp -d /tmp/um3n-walk.XXXXXX)
PRE=$TMP/prefix
SRV=10.9.1.1
T=4340 # route_table's default
made_dirs=()
mn_pid= ha_pid= ping_pid=
failures=0

say() { printf '\033[1m[%s]\033[0m %s\n' "$1" "$2"; }
ok() { say ok "$*"; }
bad() { say FAIL "$*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
now() { date +%s.%N; }

cleanup() {
	set +e
	for pid in $ping_pid $mn_pid $ha_pid; do kill "$pid" 2>/dev/null; done
	for pid in $ping_pid $mn_pid $ha_pid; do wait "$pid" 2>/dev/null; done
	for ns in $ALL_NS; do ip netns del "$ns" 2>/dev/null; done
	for d in "${made_dirs[@]}"; do rmdir "$d" 2>/dev/null; done
	if [[ $failures -ne 0 || -n $UM3N_KEEP_LOGS ]]; then
		echo "logs kept in $TMP"
		tail -n 30 "$TMP"/*.log
	else
		rm -rf "$TMP"
	fi
}

[[ $(id -u) -eq 0 ]] || { echo "walkthrough.sh: needs root"; exit 77; }
for t in ip ping iptables cmake "$PY"; do
	command -v "$t" >/dev/null || { echo "walkthrough.sh: $t missing"; exit 77; }
done
[[ -x $BUILD/daemons/um3n-mn ]] || { echo "walkthrough.sh: no daemons in $BUILD"; exit 1; }
trap cleanup EXIT

# The README's commands, as written there; the test runs exactly these.
readme() { grep -qF -- "$1" "$TOP/README.md" || bad "README no longer says: $1"; }
readme 'cmake --install build --prefix /usr'
readme 'cd /usr/share/doc/um3n/examples'
readme 'install -m 0644 ha.conf /etc/um3n/ha.conf'
readme "(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \\n' > /etc/um3n/mn1.key)"
readme 'um3n-ha -n -c /etc/um3n/ha.conf'
readme 'um3n-mn -n -c /etc/um3n/mn.conf'
readme 'ExecStartPre'
readme 'um3nctl show'

# Each namespace sees its own /etc/um3n and /run/um3n (ip netns exec gives
# every command a private mount namespace); the host's are only mount points.
for d in /etc/um3n /run/um3n; do
	[[ -d $d ]] || { mkdir "$d" && made_dirs+=("$d"); }
done
export PATH="$PRE/sbin:$PATH"
# (Called directly, not through a function, `ip netns exec ... &` leaves the
# daemon's own pid in $!: ip and sh exec.)
BIND='mount --bind "$0/etc" /etc/um3n && mount --bind "$0/run" /run/um3n && exec "$@"'
n() { # ns cmd...: in the namespace, with its /etc/um3n and /run/um3n
	local ns=$1; shift
	ip netns exec "$ns" sh -c "$BIND" "$TMP/$ns" "$@"
}

# ---- install (README step 3, into a scratch prefix) -----------------------

(cd "$BUILD/.." && cmake --install "$BUILD" --prefix "$PRE" >/dev/null)
unit() { sed -n "s/^$2=//p" "$PRE/lib/systemd/system/um3n-$1.service"; }
EX=$PRE/share/doc/um3n/examples

# ---- topology ---------------------------------------------------------------

for ns in $ALL_NS; do
	mkdir -p "$TMP/$ns/etc" "$TMP/$ns/run"
	ip netns add "$ns"
	n "$ns" ip link set lo up
done
veth() { # ns1 if1 addr1 ns2 if2 addr2
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	n "$1" ip addr add "$3" dev "$2"
	n "$4" ip addr add "$6" dev "$5"
	n "$1" ip link set "$2" up
	n "$4" ip link set "$5" up
}
veth "$NS_MN" wwan0 10.1.1.2/24 "$NS_HA" hc 10.1.1.1/24
veth "$NS_MN" wlan0 192.168.1.100/24 "$NS_NAT" lan 192.168.1.1/24
veth "$NS_NAT" wan 10.2.2.1/24 "$NS_HA" hw 10.2.2.2/24
veth "$NS_HA" hs 10.9.1.254/24 "$NS_SRV" eth0 $SRV/24
n "$NS_HA" ip addr add 192.0.2.1/32 dev lo
n "$NS_SRV" ip route add default via 10.9.1.254
n "$NS_NAT" ip route add default via 10.2.2.2
n "$NS_NAT" sysctl -qw net.ipv4.ip_forward=1
n "$NS_NAT" iptables -t nat -A POSTROUTING -o wan -j MASQUERADE
n "$NS_HA" sysctl -qw net.ipv4.ip_forward=1
# srv is reachable only through the tunnel, never by plain routing.
n "$NS_HA" iptables -A FORWARD -i hc -j DROP
n "$NS_HA" iptables -A FORWARD -i hw -j DROP
# What DHCP clients install (wlan0 preferred), and README's rp_filter.
n "$NS_MN" ip route add default via 10.1.1.1 dev wwan0 metric 700
n "$NS_MN" ip route add default via 192.168.1.1 dev wlan0 metric 600
n "$NS_MN" sysctl -qw net.ipv4.conf.all.rp_filter=2

# ---- keys and configuration (README step 4) ---------------------------------

n "$NS_HA" sh -c "cd $EX && install -m 0644 ha.conf /etc/um3n/ha.conf"
n "$NS_HA" sh -c "(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \\n' > /etc/um3n/mn1.key)"
n "$NS_MN" sh -c "cd $EX && install -m 0644 mn.conf /etc/um3n/mn.conf"
install -m 0600 "$TMP/$NS_HA/etc/mn1.key" "$TMP/$NS_MN/etc/mn.key" # "a secure channel"
# The operator's edit: the interfaces' names.
sed -i 's/^interface = veth-cell/interface = wwan0/; s/^interface = veth-wifi/interface = wlan0/' \
	"$TMP/$NS_MN/etc/mn.conf"
MNCONF=$TMP/$NS_MN/etc/mn.conf

# ---- check and start (README steps 5 and 7: what the units run) ------------

check "um3n-ha -n: good" n "$NS_HA" um3n-ha -n -c /etc/um3n/ha.conf
check "um3n-mn -n: good" n "$NS_MN" um3n-mn -n -c /etc/um3n/mn.conf
start() { # mn|ha: the unit's ExecStartPre, then ExecStart in the background
	local ns=$NS_MN
	[[ $1 == ha ]] && ns=$NS_HA
	n "$ns" $(unit "$1" ExecStartPre)
	ip netns exec "$ns" sh -c "$BIND" "$TMP/$ns" $(unit "$1" ExecStart) 2>>"$TMP/$1.log" &
	eval "$1_pid=$!"
}
reload() { # the unit's ExecReload with $MAINPID
	local cmd
	cmd=$(unit mn ExecReload)
	${cmd//\$MAINPID/$mn_pid}
}
stop_mn() { # systemctl stop: KillSignal=SIGTERM, then wait
	kill -TERM "$mn_pid"
	wait "$mn_pid" || bad "um3n-mn exited with $?"
	mn_pid=
}
start ha
start mn

jq() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
show() { n "$NS_MN" um3nctl show -j 2>/dev/null; }
uplink_up() { # name: state up and registered
	show | jq "[u for u in d['uplinks'] if u['name']=='$1'][0]['state']=='up' and \
		[u for u in d['uplinks'] if u['name']=='$1'][0]['reg_state']=='registered'" 2>/dev/null |
		grep -q True
}
wait_up() { # seconds name...: prints the time it took
	local t0 u all
	t0=$(now)
	while awk "BEGIN { exit !($(now) - $t0 < $1) }"; do
		all=1
		for u in "${@:2}"; do uplink_up "$u" || { all=0; break; }; done
		if ((all)); then awk "BEGIN { printf \"%.2f\", $(now) - $t0 }"; return 0; fi
		sleep 0.02
	done
	return 1
}

# ---- 1: registered, traffic through the tunnel --------------------------------

if ! wait_up 10 cell wifi >/dev/null; then
	bad "both uplinks up within 10 s"
	n "$NS_MN" um3nctl show
	exit 1
fi
ok "both uplinks up and registered, no route to the HA added by hand"
n "$NS_MN" um3nctl show
check "no route to the HA in the main table" \
	test -z "$(n "$NS_MN" ip route show 192.0.2.1/32)"
for t in 4341 4342; do
	check "table $t: $(n "$NS_MN" ip route show table $t | head -1)" \
		sh -c "ip netns exec $NS_MN ip route show table $t | grep -q '^192.0.2.1 via'"
done
check "routes = default: 10.9.1.1 goes into um3n0 ($(n "$NS_MN" ip route get $SRV | head -1))" \
	sh -c "ip netns exec $NS_MN ip route get $SRV | grep -q 'dev um3n0'"
check "DHCP default routes untouched" \
	test "$(n "$NS_MN" ip route show default | wc -l)" -eq 2
check "ping srv through the tunnel" n "$NS_MN" ping -q -c 3 -i 0.2 -W 2 $SRV

# Deleted by hand (or by a network manager): put back at once.
back() { # seconds table: a route in that table again within that time
	local t0=$(now)
	while awk "BEGIN { exit !($(now) - $t0 < $1) }"; do
		[[ -n $(n "$NS_MN" ip route show table "$2") ]] && return 0
		sleep 0.05
	done
	return 1
}
n "$NS_MN" ip route del default dev um3n0 table $T
check "MN: default route into um3n0 deleted: back within 1 s" back 1 $T
n "$NS_MN" ip route del 192.0.2.1/32 table 4342
check "MN: route to the HA in table 4342 deleted: back within 1 s" back 1 4342

# A new gateway (the DHCP server now hands out .254): table 4341 follows.
n "$NS_HA" ip addr add 10.1.1.254/24 dev hc
n "$NS_MN" ip route replace default via 10.1.1.254 dev wwan0 metric 700
gw_is() { # seconds gateway: table 4341's route goes via it within that time
	local t0=$(now)
	while awk "BEGIN { exit !($(now) - $t0 < $1) }"; do
		n "$NS_MN" ip route show table 4341 | grep -q "via $2 " && return 0
		sleep 0.05
	done
	return 1
}
check "MN: wwan0's default route changes gateway: table 4341 follows within 1 s" gw_is 1 10.1.1.254
quiet() { "$@" >/dev/null; }
check "cell still up after the gateway change" quiet wait_up 2 cell

# The HA's add_routes: put back when the TUN goes down and up, or the route is
# deleted, and after a restart of um3n-ha.
ha_route() { # seconds: the /32 to the home address on the TUN within that time
	local t0=$(now)
	while awk "BEGIN { exit !($(now) - $t0 < $1) }"; do
		[[ -n $(n "$NS_HA" ip route show 10.200.0.2/32 dev um3nha0) ]] && return 0
		sleep 0.05
	done
	return 1
}
n "$NS_HA" ip link set um3nha0 down
n "$NS_HA" ip link set um3nha0 up
check "HA: um3nha0 down/up: route to 10.200.0.2 back within 1 s" ha_route 1
n "$NS_HA" ip route del 10.200.0.2/32 dev um3nha0
check "HA: route to 10.200.0.2 deleted: back within 1 s" ha_route 1
kill -TERM "$ha_pid"
wait "$ha_pid" || bad "um3n-ha exited with $?"
start ha
check "HA restarted: route to 10.200.0.2 back" ha_route 2
check "ping srv after the HA's changes" n "$NS_MN" ping -q -c 3 -i 0.2 -W 2 -w 6 $SRV

# ---- 2: wlan0 down and up, three times ------------------------------------------

for round in 1 2 3; do
	n "$NS_MN" ip link set wlan0 down
	sleep 0.5
	n "$NS_MN" ip link set wlan0 up
	if took=$(wait_up 2 wifi); then
		ok "wlan0 down/up #$round: wifi up again in $took s, no default route on wlan0 yet"
	else
		bad "wlan0 down/up #$round: wifi not up within 2 s"
		n "$NS_MN" um3nctl show | sed -n '/wifi/,+3p'
	fi
	# Then the DHCP client renews its lease and puts its default route back.
	n "$NS_MN" ip route add default via 192.168.1.1 dev wlan0 metric 600
done
check "ping srv after the down/ups" n "$NS_MN" ping -q -c 3 -i 0.2 -W 2 $SRV

# ---- 3: restart with traffic ---------------------------------------------------------

n "$NS_MN" ping -i 0.05 -W 1 -c 200 $SRV >"$TMP/ping.out" 2>&1 &
ping_pid=$!
sleep 1
stop_mn
check "stopped: no default route into the TUN left" \
	test -z "$(n "$NS_MN" ip route show table $T)"
start mn
wait_up 10 cell wifi >/dev/null || bad "uplinks up after the restart"
wait "$ping_pid" || true
ping_pid=
recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/ping.out")
check "ping during the restart: $recv of 200 received (gap while the MN was down)" \
	test "${recv:-0}" -ge 150
check "default route into um3n0 back in table $T" \
	sh -c "ip netns exec $NS_MN ip route show table $T | grep -q '^default dev um3n0'"
check "ping srv after the restart" n "$NS_MN" ping -q -c 3 -i 0.2 -W 2 $SRV

# ---- 4: SIGHUP -------------------------------------------------------------------------

loglines() { wc -l <"$TMP/mn.log"; }
hup() { # expected log text: sends SIGHUP, waits for it
	local from i
	from=$(loglines)
	reload
	for ((i = 0; i < 100; i++)); do
		tail -n +$((from + 1)) "$TMP/mn.log" | grep -qF "$1" && return 0
		sleep 0.02
	done
	return 1
}
check "SIGHUP, file unchanged: \"reload: no change\"" hup "reload: no change"
sed -i 's/^routes = default/routes = 10.9.1.0\/24\nroute_table = 4400/' "$MNCONF"
check "SIGHUP, routes changed: \"reload: [mn] routes applied\"" hup "reload: [mn] routes applied"
check "... and \"[mn] route_table needs a restart\"" \
	grep -qF "reload: [mn] route_table needs a restart" "$TMP/mn.log"
check "routes = 10.9.1.0/24: in the main table, no default in table $T" sh -c \
	"ip netns exec $NS_MN ip route show 10.9.1.0/24 | grep -q um3n0 &&
	 test -z \"\$(ip netns exec $NS_MN ip route show table $T)\""
check "ping srv with the new routes" n "$NS_MN" ping -q -c 3 -i 0.2 -W 2 $SRV

# ---- 5: clean stop ----------------------------------------------------------------------

unknown() { n "$NS_HA" um3nctl -s /run/um3n/ha.sock show -j | jq 'd["drops"]["unknown_peer"]'; }
before=$(unknown)
stop_mn
sleep 1
after=$(unknown)
check "the HA's unknown_peer unchanged by the clean stop ($before -> $after)" \
	test "$before" = "$after"
check "no um3n rule left ($(n "$NS_MN" ip rule | grep -cE '^3(2000|2001|2100|2101):') found)" \
	sh -c "! ip netns exec $NS_MN ip rule | grep -qE '^3(2000|2001|2100|2101):'"
for t in $T 4341 4342; do
	check "table $t empty" test -z "$(n "$NS_MN" ip route show table $t)"
done
check "no route left on um3n0" test -z "$(n "$NS_MN" ip route show dev um3n0 2>/dev/null)"

if ((failures)); then
	say FAIL "$failures checks failed"
	exit 1
fi
say ok "walkthrough: every check held"
