#!/bin/sh
# Encrypted data plane (issue 13) as tshark sees it: the simulator runs
# traces/scenarios/encrypted-cut.ini (encrypt = yes at both ends) and, as the
# control, handover-cut.ini (the same without); in the encrypted link captures
# every tunnel-data frame must carry next header 253 (sealed) and no frame may
# hold the bytes of the flows' inner addresses anywhere, which the plain
# wifi captures do (before the cut at 20 s the cell carries probes only;
# tshark itself shows GRE payloads as bogus IP, so the check is
# on the bytes, not on the dissection).
# Usage: sealed.sh UM3N-SIM SCENARIO_DIR   (exit 77 = tshark missing: skipped)
set -u
sim=${1:?usage: sealed.sh UM3N-SIM SCENARIO_DIR}
scen=${2:?usage: sealed.sh UM3N-SIM SCENARIO_DIR}
command -v tshark >/dev/null 2>&1 || { echo "SKIP: tshark not installed"; exit 77; }
out=$(mktemp -d /tmp/um3n-sealed.XXXXXX)
trap 'rm -rf "$out"' EXIT
inner='frame contains 0a:09:02:0a || frame contains 0a:09:03:0a'
failed=0
for s in encrypted-cut handover-cut; do
	"$sim" "$scen/$s.ini" --duration 4 --out "$out/$s" >/dev/null || { echo "FAIL: $s"; exit 1; }
done
for l in wifi cell; do
	enc=$out/encrypted-cut/link-$l.pcap
	data=$(tshark -r "$enc" -Y 'mip.nattt.nexthdr' 2>/dev/null | wc -l)
	sealed=$(tshark -r "$enc" -Y 'mip.nattt.nexthdr == 253' 2>/dev/null | wc -l)
	shown=$(tshark -r "$enc" -Y "$inner" 2>/dev/null | wc -l)
	plain=$(tshark -r "$out/handover-cut/link-$l.pcap" -Y "$inner" 2>/dev/null | wc -l)
	if [ "$data" -gt 0 ] && [ "$sealed" -eq "$data" ] && [ "$shown" -eq 0 ] &&
		{ [ "$plain" -gt 0 ] || [ $l = cell ]; }; then
		echo "ok   $l: $sealed of $data tunnel-data frames sealed, 0 hold an inner address ($plain in plain mode)"
	else
		echo "FAIL $l: $sealed of $data frames sealed, $shown hold an inner address ($plain in plain mode)"
		failed=1
	fi
done
exit $failed
