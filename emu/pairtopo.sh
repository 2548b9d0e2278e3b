# um3n — the smallest real-daemon topology, sourced by daemons/bench.sh and
# emu/csum.sh (root). One MN uplink, straight to the HA, unshaped:
#
#   +------- mn -------+        +-------- ha --------+        +-- srv --+
#   | um3n0 10.200.0.2 |  veth  | eth-mn 10.1.1.1    |  veth  |         |
#   | eth-ha 10.1.1.2  |--------| 192.0.2.1 (lo)     |--------| 10.9.1.1 (tunnelled)
#   |  (um3n-mn)       |        | um3nha0  (um3n-ha) |        | 10.9.1.2 (plain)
#   +------------------+        +--------------------+        +---------+
#
# The same veths and the same forwarding hop carry both server addresses:
# 10.9.1.1 is reached through the tunnel (MN app -> TUN -> um3n-mn -> UDP ->
# um3n-ha -> TUN -> server), 10.9.1.2 is plainly routed by the HA namespace.
#
#   pair_require NAME     exits 77 unless root, 1 unless the daemons are built
#   pair_up               namespaces $NS_MN $NS_HA $NS_SRV (prefix $PAIR_PREFIX)
#   pair_start DIR MN_OFFLOAD HA_OFFLOAD
#                         configs and keys in DIR, both daemons started, returns
#                         once the MN is registered (1 if it never is)
#   pair_stop             stops both daemons
#   pair_down             stops them and deletes the namespaces
# Callers: BUILD (the build folder), PAIR_PREFIX (unique per run), and
# optionally PAIR_BUSY_POLL (busy_poll_us for both daemons; unset: default)
# and PAIR_ENCRYPT (encrypt for both daemons: yes or no; unset: default).

n() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
NS_MN=$PAIR_PREFIX-mn NS_HA=$PAIR_PREFIX-ha NS_SRV=$PAIR_PREFIX-srv
pair_pids=()

pair_require() {
	[[ $(id -u) -eq 0 ]] || { echo "$1: needs root (ip netns); skipped"; exit 77; }
	[[ -x $BUILD/daemons/um3n-mn && -x $BUILD/daemons/um3n-ha ]] ||
		{ echo "$1: build the daemons first (UM3N_BUILD=$BUILD)"; exit 1; }
}

pair_up() {
	local ns
	for ns in $NS_MN $NS_HA $NS_SRV; do
		ip netns add "$ns"
		n "$ns" ip link set lo up
		n "$ns" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward
			echo 0 >/proc/sys/net/ipv4/conf/all/rp_filter
			echo 0 >/proc/sys/net/ipv4/conf/default/rp_filter'
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
}

pair_confs() { # dir mn_offload ha_offload
	local dir=$1
	(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$dir/k")
	cat >"$dir/mn.conf" <<CONF
[mn]
home_address = 10.200.0.2
home_agent = 192.0.2.1
spi = 256
key_file = $dir/k
control_socket = $dir/mn.sock
log_level = warn
offload = $2
${PAIR_BUSY_POLL:+busy_poll_us = $PAIR_BUSY_POLL}
${PAIR_ENCRYPT:+encrypt = $PAIR_ENCRYPT}
[uplink wired]
interface = eth-ha
class = wired
[policy]
default = wired
CONF
	cat >"$dir/ha.conf" <<CONF
[ha]
address = 192.0.2.1
control_socket = $dir/ha.sock
log_level = warn
offload = $3
${PAIR_BUSY_POLL:+busy_poll_us = $PAIR_BUSY_POLL}
${PAIR_ENCRYPT:+encrypt = $PAIR_ENCRYPT}
[mn 10.200.0.2]
spi = 256
key_file = $dir/k
CONF
}

pair_start() { # dir mn_offload ha_offload
	local dir=$1 i
	pair_confs "$@"
	# Without n(): $! must be the daemon itself (ip netns exec execs).
	ip netns exec "$NS_HA" "$BUILD/daemons/um3n-ha" -f -c "$dir/ha.conf" 2>>"$dir/ha.log" &
	pair_pids+=($!)
	ip netns exec "$NS_MN" "$BUILD/daemons/um3n-mn" -f -c "$dir/mn.conf" 2>>"$dir/mn.log" &
	pair_pids+=($!)
	for ((i = 0; i < 100; i++)); do
		if n "$NS_MN" "$BUILD/daemons/um3nctl" -s "$dir/mn.sock" show 2>/dev/null |
			grep -q 'registration registered'; then
			n "$NS_MN" ip route replace 10.9.1.1/32 dev um3n0
			return 0
		fi
		sleep 0.05
	done
	return 1
}

pair_stop() {
	local pid
	for pid in "${pair_pids[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${pair_pids[@]}"; do wait "$pid" 2>/dev/null; done
	pair_pids=()
}

pair_down() {
	local ns
	pair_stop
	for ns in $NS_MN $NS_HA $NS_SRV; do ip netns del "$ns" 2>/dev/null; done
}
