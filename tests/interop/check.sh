#!/bin/sh
# tshark interop check: every packet of PCAP must be dissected as Mobile IP
# ("mip" in frame.protocols), `tshark -V` must not say "Malformed", and there
# must be no expert info at warning or error level (`-z expert`).
#
# One known tshark limitation is handled EXPLICITLY, never silently: Wireshark's
# mip dissector hands the payload of RFC 3519 tunnel data to the IPv4/IPv6
# dissector whatever the Next Header says (tshark 4.0: packet-mip.c calls
# ip_handle unconditionally), so tunnel data with Next Header 47 (GRE, RFC 2890)
# shows "Bogus IP version (1)" (the first GRE byte is 0x10). That exact error
# in a frame whose mip.nattt.nexthdr is 47 is reported as KNOWN-LIMITATION and
# tolerated; any other expert info fails. Set UM3N_INTEROP_STRICT_GRE=1 to fail
# on it too. The GRE header itself is checked by check_scapy.py.
# Usage: check.sh PCAP   (exit 77 = tshark missing: skipped)
set -u
pcap=${1:?usage: check.sh PCAP}
if ! command -v tshark >/dev/null 2>&1; then
	echo "SKIP: tshark not installed (apt-get install tshark)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
passed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
pass() { echo "ok: $*"; passed=$((passed + 1)); }
ts() { tshark -r "$pcap" "$@" 2>"$tmp/stderr"; }

# 1. Every frame is Mobile IP.
ts -T fields -E separator='|' -e frame.number -e frame.protocols >"$tmp/protos" || fail "tshark cannot read $pcap: $(cat "$tmp/stderr")"
frames=$(wc -l <"$tmp/protos")
not_mip=$(awk -F'|' '$2 !~ /:udp:mip(:|$)/ { print $1 }' "$tmp/protos" | tr '\n' ' ')
if [ "$frames" -eq 0 ]; then
	fail "no packets in $pcap"
elif [ -n "$not_mip" ]; then
	fail "frames not decoded as mip: $not_mip"
else
	pass "$frames frames decoded as mip"
fi

# 2. No malformed packets anywhere in the full dissection.
ts -V >"$tmp/verbose"
if grep -n "Malformed" "$tmp/verbose" >"$tmp/malformed"; then
	fail "Malformed in tshark -V: $(head -3 "$tmp/malformed" | tr '\n' ' ')"
else
	pass "no Malformed in tshark -V"
fi

# 3. Expert infos at warning (0x00600000) or error (0x00800000) level, per frame.
ts -T fields -E separator='|' -E occurrence=a -E aggregator=';' \
	-e frame.number -e mip.nattt.nexthdr -e _ws.expert.severity -e _ws.expert.message \
	>"$tmp/expert"
known=0
while IFS='|' read -r no nh sev msg; do
	[ -n "$sev" ] || continue
	bad=$(echo "$sev" | tr ';' '\n' | awk '$1 >= 6291456' | wc -l)
	[ "$bad" -gt 0 ] || continue
	if [ "$nh" = 47 ] && [ "$msg" = "Bogus IP version" ] && [ "${UM3N_INTEROP_STRICT_GRE:-0}" != 1 ]; then
		echo "KNOWN-LIMITATION: frame $no: tshark dissects the GRE payload of tunnel data (next header 47) as IP: \"$msg\""
		known=$((known + 1))
	else
		fail "frame $no: expert info at warning/error level: $msg"
	fi
done <"$tmp/expert"

# 4. The `-z expert` summary must agree: only the known errors, no warnings.
ts -q -z expert,warn >"$tmp/summary"
errors=$(sed -n 's/^Errors (\([0-9]*\)).*/\1/p' "$tmp/summary")
warnings=$(sed -n 's/^Warnings (\([0-9]*\)).*/\1/p' "$tmp/summary")
if [ "${errors:-0}" -ne "$known" ] || [ "${warnings:-0}" -ne 0 ]; then
	fail "-z expert: ${errors:-0} errors, ${warnings:-0} warnings ($known known):"
	cat "$tmp/summary"
else
	pass "-z expert: no warnings, ${errors:-0} errors (all known GRE limitation)"
fi

# 5. Field values as tshark reads them: message types, NVSE vendor, tunnel and auth.
ts -T fields -E separator='|' -e mip.type -e mip.nattt.nexthdr -e mip.ext.nvse.vendor_id \
	-e mip.ext.utrq.encaptype -e mip.ext.utrp.keepalive -e mip.auth.spi -e mip.flags \
	-e mip.life -e mip.homeaddr >"$tmp/fields"
expect='1||32473,32473|4||0x00000100|0xa2|300|10.99.0.2
3||32473,32473||20|0x00000100||300|10.99.0.2
4|4|||||||
4|4|||||||
4|47|||||||
4|47|||||||'
if [ "$(cat "$tmp/fields")" = "$expect" ]; then
	pass "field values (types, NVSE vendor 32473, encap, keepalive, SPI, flags, lifetime, home)"
else
	fail "field values differ; got:"
	cat "$tmp/fields"
fi

echo "tshark interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
