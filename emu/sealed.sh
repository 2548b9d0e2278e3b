#!/usr/bin/env bash
# The encrypted data plane with the real daemons (issue 13), root, in the
# two-namespace topology of emu/pairtopo.sh: plain, then encrypt = yes at both
# ends. Each run: ping and a 5 s iperf3 TCP upload through the tunnel, a capture
# of the MN-HA link; the encrypted run must carry only sealed tunnel data with
# no inner address in it, and count no bad_tag or replayed_data. Prints both
# throughputs and their ratio (a figure, not a bound).
# Run under the namespace lock: flock -o /work/baseline/netns.lock emu/sealed.sh
# (or any lock of your own machine); exit 77 = not root.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
PAIR_PREFIX="u3ns$$"
failures=0
. "$HERE/pairtopo.sh"

ok() { printf '[ok] %s\n' "$*"; }
bad() { printf '[FAIL] %s\n' "$*"; failures=$((failures + 1)); }
cleanup() {
	set +e
	[[ -n ${cap_pid:-} ]] && kill "$cap_pid" 2>/dev/null
	[[ -n ${srv_pid:-} ]] && kill "$srv_pid" 2>/dev/null
	pair_down || true
	rm -rf "$TMP"
}
pair_require sealed.sh
command -v iperf3 >/dev/null || { echo "sealed.sh: iperf3 missing; skipped"; exit 77; }
TMP=$(mktemp -d /tmp/um3n-sealed.XXXXXX)
trap cleanup EXIT

# Tunnel-data datagrams in a pcap (UDP port 434): total, sealed (next header
# 253), and how many carry a readable inner IPv4 header to or from the server's
# 10.9.1.1. The header is looked for where a plain tunnel puts it (after the
# 4-byte RFC 3519 header, with no GRE header, GRE with a sequence, or GRE with a
# key and a sequence): searching all of a datagram for the 4 bytes would match
# random ciphertext in about 1 run in 12 at 250,000 datagrams.
scan() {
	/usr/bin/python3 - "$1" <<'PY'
import struct, sys
f = open(sys.argv[1], 'rb'); f.read(24)
tot = sealed = inner = 0
while True:
    h = f.read(16)
    if len(h) < 16: break
    d = f.read(struct.unpack('<IIII', h)[2])
    ip = d[14:]
    if len(ip) < 28 or ip[9] != 17: continue
    udp = ip[(ip[0] & 15) * 4:]
    if 434 not in struct.unpack('>HH', udp[:4]) or len(udp) < 10 or udp[8] != 4: continue
    tot += 1
    sealed += udp[9] == 253
    addr = bytes([10, 9, 1, 1])
    inner += any(len(udp) >= o + 20 and udp[o] >> 4 == 4 and
                 addr in (udp[o + 12:o + 16], udp[o + 16:o + 20])
                 for o in (12, 16, 20, 24))
print(tot, sealed, inner)
PY
}

run() { # encrypt
	local enc=$1 dir=$TMP/$1 mbps t s i
	mkdir -p "$dir"
	pair_up
	PAIR_ENCRYPT=$enc pair_start "$dir" no no || { bad "$enc: the MN did not register"; cat "$dir"/*.log; return; }
	n "$NS_HA" tcpdump -i eth-mn -w "$dir/link.pcap" -U udp port 434 2>/dev/null &
	cap_pid=$!
	n "$NS_SRV" iperf3 -s -B 10.9.1.1 -1 >/dev/null 2>&1 &
	srv_pid=$!
	sleep 0.5
	if n "$NS_MN" ping -c 5 -i 0.2 -W 1 10.9.1.1 >"$dir/ping" 2>&1; then
		ok "$enc: ping through the tunnel ($(grep -o '[0-9]*% packet loss' "$dir/ping"))"
	else
		bad "$enc: ping through the tunnel"
	fi
	mbps=$(n "$NS_MN" iperf3 -c 10.9.1.1 -t 5 -J 2>/dev/null | /usr/bin/python3 -c \
		'import json,sys; print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' ||
		echo 0)
	eval "mbps_$enc=$mbps"
	kill "$cap_pid" 2>/dev/null; wait "$cap_pid" 2>/dev/null || true; cap_pid=
	wait "$srv_pid" 2>/dev/null || true; srv_pid=
	n "$NS_HA" "$BUILD/daemons/um3nctl" -s "$dir/ha.sock" show >"$dir/ha.show"
	n "$NS_MN" "$BUILD/daemons/um3nctl" -s "$dir/mn.sock" show >"$dir/mn.show"
	read -r t s i <<<"$(scan "$dir/link.pcap")"
	echo "$enc: iperf3 upload $mbps Mbit/s; capture: $t tunnel datagrams, $s sealed, $i with the inner address"
	if [[ $enc == yes ]]; then
		[[ $t -gt 100 && $s -eq $t && $i -eq 0 ]] && ok "yes: all sealed, no inner address" ||
			bad "yes: plain or readable tunnel data in the capture"
		grep -h 'bad_tag 0 replayed_data 0' "$dir/ha.show" "$dir/mn.show" | grep -q . &&
			! grep -hE 'bad_tag [1-9]|replayed_data [1-9]' "$dir/ha.show" "$dir/mn.show" |
			grep -q . && ok "yes: no bad_tag, no replayed_data" || bad "yes: drop counters"
	else
		[[ $i -gt 0 ]] && ok "no: the plain capture shows the inner address (control)" ||
			bad "no: the control saw no inner address"
	fi
	[[ ${mbps%.*} -gt 0 ]] && ok "$enc: iperf3 ran" || bad "$enc: iperf3 through the tunnel"
	pair_down || true
}

run no
run yes
echo "throughput encrypted/plain: $mbps_yes / $mbps_no Mbit/s = $(/usr/bin/python3 -c "print('%.2f' % ($mbps_yes / max($mbps_no, 0.01)))")"
echo "sealed.sh: $failures failure(s)"
exit $((failures > 0))
