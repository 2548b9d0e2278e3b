# um3n — what the small namespace scripts share (emu/standby.sh, nat.sh, mtu.sh, natmany.sh),
# sourced after they set: P (a prefix unique to the run), NSES (their
# namespaces), TMP (their scratch folder, logs kept on failure), TAIL_LOG (the
# log whose tail is shown then). They add the pids they start to PIDS.
#   say TAG TEXT, bad TEXT, check TEXT CMD...   output and the failures count
#   n NS CMD..., quiet CMD...                   in a namespace; without output
#   ns_up                                       NSES created, lo up, forwarding
#   veth NS1 IF1 ADDR1 NS2 IF2 ADDR2            a /24 veth pair between two
#   ns_key FILE                                 a random 32-byte hex key, 0600
#   ns_require [TOOL...]                         root, the daemons built, each TOOL:
#                                               else exit 77 (1: no daemons); then
#                                               the EXIT trap
#   ns_cleanup                                  the EXIT trap: PIDS, NSES, TMP
#   ns_daemons                                  um3n-ha in NS_HA, um3n-mn in NS_MN,
#                                               from TMP/{ha,mn}.conf (logs TMP/*.log)
#   ctl NS WHO, jq EXPR, wait_for SECS CMD...   `um3nctl show -j` of TMP/WHO.sock,
#                                               a Python expression over JSON (d),
#                                               CMD polled every 50 ms
#   both_up                                     every MN uplink registered
failures=0
PIDS=()

say() { printf '\033[1m[%s]\033[0m %s\n' "$1" "$2"; }
bad() { say FAIL "$*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then say ok "$what"; else bad "$what"; fi; }
n() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
quiet() { "$@" >/dev/null 2>&1; }

ns_cleanup() {
	set +e
	local pid ns
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	for ns in $NSES; do ip netns del "$ns" 2>/dev/null; done
	if [[ $failures -ne 0 || -n $UM3N_KEEP_LOGS ]]; then
		echo "logs kept in $TMP"
		tail -n 40 "$TAIL_LOG"
	else
		rm -rf "$TMP"
	fi
}

ns_require() {
	local me t
	me=$(basename "$0")
	[[ $(id -u) -eq 0 ]] || { echo "$me: needs root (ip netns); skipped"; exit 77; }
	[[ -x $BUILD/daemons/um3n-mn ]] || { echo "$me: build the daemons first"; exit 1; }
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$me: needs $t (ci/deps.sh installs it); skipped"; exit 77; }
	done
	trap ns_cleanup EXIT
}

ns_up() {
	local ns
	for ns in $NSES; do
		ip netns add "$ns"
		n "$ns" ip link set lo up
		n "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0
	done
}

veth() { # ns1 if1 addr1 ns2 if2 addr2
	ip link add "$P-a" type veth peer name "$P-b"
	ip link set "$P-a" netns "$1" name "$2"
	ip link set "$P-b" netns "$4" name "$5"
	n "$1" ip addr add "$3/24" dev "$2"
	n "$4" ip addr add "$6/24" dev "$5"
	n "$1" ip link set "$2" up
	n "$4" ip link set "$5" up
}

# The two-uplink layout most scripts use: the MN's wlan0 (10.2.2.2) and wwan0
# (10.1.1.2) to the HA's hw and hc, the HA (192.0.2.1 on lo) to the server
# $SRV on hs, default routes on the MN through wlan0 (metric 600) then wwan0.
ns_two_uplinks() {
	veth "$NS_MN" wlan0 10.2.2.2 "$NS_HA" hw 10.2.2.1
	veth "$NS_MN" wwan0 10.1.1.2 "$NS_HA" hc 10.1.1.1
	veth "$NS_HA" hs 10.9.1.254 "$NS_SRV" eth0 "$SRV"
	n "$NS_HA" ip addr add 192.0.2.1/32 dev lo
	n "$NS_SRV" ip route add default via 10.9.1.254
	n "$NS_MN" ip route add default via 10.2.2.1 dev wlan0 metric 600
	n "$NS_MN" ip route add default via 10.1.1.1 dev wwan0 metric 700
}

# $TMP/ha.conf for the MN 10.200.0.2 with the key $TMP/key; extra lines (from
# standard input) go into its [mn] section.
ns_ha_conf() {
	{
		printf '[ha]\naddress = 192.0.2.1\ncontrol_socket = %s\nadd_routes = yes\n' "$TMP/ha.sock"
		printf '[mn 10.200.0.2]\nspi = 256\nkey_file = %s\n' "$TMP/key"
		cat
	} >"$TMP/ha.conf"
}

# Pings lost in a ping log: sequence numbers below the highest answered one
# that got no answer. The last packets sent before ping -w's deadline may
# still be on their way when it ends: they count neither way. No answer at
# all: every packet sent.
ping_lost() { # log
	/usr/bin/python3 -c 'import re,sys
t = open(sys.argv[1]).read()
s = {int(x) for x in re.findall(r"icmp_seq=(\d+) ttl", t)}
m = re.search(r"(\d+) packets transmitted", t)
print(sum(1 for q in range(1, max(s)) if q not in s) if s else int(m[1]) if m else 999999)' "$1"
}

# $TMP/mn.conf for that MN: its [mn] section with the policy routing table
# given and the extra [mn] lines from standard input. The uplinks and the
# policy follow: ns_mn_uplinks, or a script's own.
ns_mn_conf() { # route_table
	{
		printf '[mn]\nhome_address = 10.200.0.2\nhome_agent = 192.0.2.1\nspi = 256\n'
		printf 'key_file = %s\ncontrol_socket = %s\n' "$TMP/key" "$TMP/mn.sock"
		printf 'routes = 10.9.1.0/24\nroute_table = %s\n' "$1"
		cat
	} >"$TMP/mn.conf"
}

# The uplinks of ns_two_uplinks (cell priority 1, wifi priority 0) and a
# policy whose default is wifi, appended to $TMP/mn.conf; [policy] comes last,
# so a script may append rules.
ns_mn_uplinks() {
	printf '[uplink cell]\ninterface = wwan0\nclass = cell\npriority = 1\n' >>"$TMP/mn.conf"
	printf '[uplink wifi]\ninterface = wlan0\nclass = wifi\npriority = 0\n' >>"$TMP/mn.conf"
	printf '[policy]\ndefault = wifi\n' >>"$TMP/mn.conf"
}

ns_key() { # file
	(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$1")
}

# Started here, not through a function run in the background: the pids kept
# are the daemons' own (ip netns exec execs them), so ns_cleanup stops them.
ns_daemons() {
	ip netns exec "$NS_HA" "$BUILD/daemons/um3n-ha" -f -c "$TMP/ha.conf" >"$TMP/ha.log" 2>&1 &
	PIDS+=($!)
	ip netns exec "$NS_MN" "$BUILD/daemons/um3n-mn" -f -c "$TMP/mn.conf" >"$TMP/mn.log" 2>&1 &
	PIDS+=($!)
}

ctl() { n "$1" "$BUILD/daemons/um3nctl" -s "$TMP/$2.sock" show -j 2>/dev/null; }
jq() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
wait_for() { # seconds command...
	local i t=$1
	shift
	for ((i = 0; i < t * 20; i++)); do "$@" && return 0; sleep 0.05; done
	return 1
}
both_up() {
	[[ $(ctl "$NS_MN" mn | jq 'all(u["reg_state"] == "registered" for u in d["uplinks"])' 2>/dev/null) == True ]]
}
