#!/bin/sh
# ctest wireshark_lua: contrib/wireshark/um3n.lua over every pcap the simulator
# writes for four scenarios (one with a format-2 policy), one cut to a snaplen too (registration with link info, policy chunk with a
# rule and policy ack; GRE data with and without the key; probes; a handover)
# and over the emulators' captures (traces/captures, and $UM3N_EMU_PCAPS: a
# directory of more, e.g. an emu/ns3 run's --keep-captures). check.py does the
# checking; first it must FAIL on a copy of the plugin with one field's mask
# broken, and on one that does not decode GRE, so a passing run means the
# check can see a wrong field and an expert error.
# usage: run.sh UM3N-SIM SCENARIO_DIR PLUGIN CAPTURE_DIR   (exit 77: no tshark)
set -u
sim=${1:?usage: run.sh UM3N-SIM SCENARIO_DIR PLUGIN CAPTURE_DIR}
scen=$2
lua=$3
caps=$4
here=$(cd "$(dirname "$0")" && pwd)
command -v tshark >/dev/null 2>&1 || { echo "SKIP: tshark not installed"; exit 77; }
# "with Lua" may be broken over two lines of tshark -v.
tshark -v 2>/dev/null | tr '\n' ' ' | grep -q "with Lua" ||
	{ echo "SKIP: this tshark has no Lua"; exit 77; }
out=$(mktemp -d /tmp/um3n-wshark.XXXXXX)
trap 'rm -rf "$out"' EXIT
for s in handover-cut fig5-aggregate fig5-multihoming steer-smallest-delay aggregate-repair; do
	"$sim" "$scen/$s.ini" --duration 3 --out "$out/$s" >/dev/null || { echo "FAIL: $s"; exit 1; }
done
# As ci/reproduce.sh keeps them: cut to a snaplen (inner packets not dissected, a note).
"$sim" "$scen/handover-cut.ini" --duration 3 --snaplen 128 --out "$out/snaplen" >/dev/null ||
	{ echo "FAIL: handover-cut --snaplen"; exit 1; }
# The link id is the top 3 bits of the GRE sequence number: widen the mask.
sed 's/"First link", base.DEC, nil, 0xe0000000/"First link", base.DEC, nil, 0xf0000000/' \
	"$lua" >"$out/broken.lua"
if cmp -s "$lua" "$out/broken.lua" ||
	/usr/bin/python3 "$here/check.py" "$out/broken.lua" "$out/fig5-aggregate/link-cell.pcap" \
		>"$out/broken.log" 2>&1; then
	echo "FAIL: check.py passed a plugin with a broken um3n.gre.seq.link"
	exit 1
fi
echo "ok   check.py fails on a broken field: $(grep -m1 FAIL: "$out/broken.log")"
# GRE data handed to the next-header check as if unknown: an expert error.
sed 's/	if nh == 47 then/	if false then/' "$lua" >"$out/broken.lua"
if cmp -s "$lua" "$out/broken.lua" ||
	/usr/bin/python3 "$here/check.py" "$out/broken.lua" "$out/fig5-aggregate/link-cell.pcap" \
		>"$out/broken.log" 2>&1; then
	echo "FAIL: check.py passed a plugin that does not decode GRE"
	exit 1
fi
echo "ok   check.py fails on an expert error: $(grep -m1 FAIL: "$out/broken.log")"
set -- "$out"/*/*.pcap "$caps"/*.pcap
[ -n "${UM3N_EMU_PCAPS:-}" ] && set -- "$@" "$UM3N_EMU_PCAPS"/*.pcap
exec /usr/bin/python3 "$here/check.py" "$lua" "$@"
