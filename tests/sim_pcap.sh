#!/bin/sh
# The simulator's pcaps are real captures: tshark reads every file, the link
# pcaps carry RFC 5944 registration request/reply and type-4 tunnel data on
# UDP 434 with valid IPv4/UDP checksums, and the MN's TUN pcap holds exactly
# the video packets the metrics say were delivered. Exit 77 without tshark.
# usage: sim_pcap.sh PATH/TO/um3n-sim PATH/TO/traces/scenarios
set -eu
sim=$1
dir=$2
command -v tshark > /dev/null 2>&1 || { echo "SKIP: tshark not installed"; exit 77; }
out=$(mktemp -d /tmp/um3n-sim-pcap.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail=0
ts() { tshark -r "$1" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-o tcp.check_checksum:TRUE -Y "$2" 2>/dev/null | wc -l; }
check() { # what got expected
	if [ "$2" = "$3" ]; then echo "ok   $1 = $2"; else echo "FAIL $1 = $2, expected $3"; fail=1; fi
}

"$sim" "$dir/handover-cut.ini" --duration 5 --out "$out" > "$out/stdout"
for f in "$out"/*.pcap; do
	n=$(ts "$f" "frame")
	[ "$n" -gt 0 ] && echo "ok   $(basename "$f"): $n packets" ||
		{ echo "FAIL $(basename "$f"): unreadable or empty"; fail=1; }
	check "$(basename "$f") bad checksums" "$(ts "$f" 'ip.checksum.status == 0 || udp.checksum.status == 0 || tcp.checksum.status == 0')" 0
done
for l in wifi cell; do
	check "link-$l registration requests" "$(ts "$out/link-$l.pcap" 'mip.type == 1')" 1
	check "link-$l registration replies" "$(ts "$out/link-$l.pcap" 'mip.type == 3 && mip.code == 0')" 1
	n=$(ts "$out/link-$l.pcap" 'mip.type == 4')
	[ "$n" -gt 100 ] && echo "ok   link-$l tunnel data: $n" || { echo "FAIL link-$l tunnel data: $n"; fail=1; }
	# Informational: Wireshark dissects every type-4 payload as IP, so GRE
	# (next header 47) payloads show as "Bogus IP version" (core/wire issue).
	echo "info link-$l expert errors: $(ts "$out/link-$l.pcap" '_ws.expert.severity == error')"
done
recv=$(sed -n 's/.*"video": {"sent_pkts": [0-9]*, "recv_pkts": \([0-9]*\).*/\1/p' "$out/extra.json")
check "mn-tun video packets vs metrics" "$(ts "$out/mn-tun.pcap" 'udp.srcport == 5004')" "$recv"
check "ha-tun video packets (all sent)" "$(ts "$out/ha-tun.pcap" 'udp.srcport == 5004')" \
	"$(sed -n 's/.*"video": {"sent_pkts": \([0-9]*\).*/\1/p' "$out/extra.json")"
[ "$fail" -eq 0 ] && echo "sim_pcap: passed" || { echo "sim_pcap: FAILED"; exit 1; }
