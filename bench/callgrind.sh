#!/usr/bin/env bash
# Instructions per packet for each data path, with callgrind: runs um3n-bench at
# two iteration counts and divides the difference in total instructions by the
# difference in packets, so set-up cost (policy build, registration) cancels.
# Usage: bench/callgrind.sh [BUILD_DIR]   (target: <= 500 instructions each way;
# the benchmark links um3n_fast, the daemons' core without asserts)
set -euo pipefail
build=${1:-build}
bench=$build/bench/um3n-bench
[[ -x $bench ]] || { echo "build $bench first" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

instr() { # path iterations [mode [--encrypt]]
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$bench" --path "$1" \
		--iterations "$2" --mode "${3:-prefer}" ${4:-} >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	grep -E '^(summary|totals):' "$tmp/cg.out" | head -1 | awk '{print $2}'
}

lo=20000
hi=120000
for mode in prefer aggregate; do
	for path in mn-encap ha-decap ha-encap; do
		a=$(instr "$path" $lo $mode)
		b=$(instr "$path" $hi $mode)
		echo "$mode $path $(( (b - a) / (hi - lo) )) instructions/packet"
	done
done
# The encrypted data plane (issue 13): each way sealed/opened against plain, a
# prefer rule, 1000-byte payloads; the HA's decap as "up" (MN seals, HA opens)
# minus mn-encap, since sealed data cannot be replayed to the HA. Figures only.
lo=5000
hi=25000
for enc in "" --encrypt; do
	for path in mn-encap up ha-encap; do
		a=$(instr "$path" $lo prefer $enc)
		b=$(instr "$path" $hi prefer $enc)
		eval "ipp_${path//-/_}=$(((b - a) / (hi - lo)))"
	done
	echo "${enc:-plain} mn-encap $ipp_mn_encap ha-decap $((ipp_up - ipp_mn_encap))" \
		"ha-encap $ipp_ha_encap instructions/packet"
done
