#!/usr/bin/env bash
# Instructions per packet for each data path, with callgrind: runs um3n-bench at
# two iteration counts and divides the difference in total instructions by the
# difference in packets, so set-up cost (policy build, registration) cancels.
# Usage: bench/callgrind.sh [BUILD_DIR]   (target: <= 500 instructions each way;
# the benchmark links um3n_fast, the daemons' core without asserts)
#        bench/callgrind.sh --scale [BUILD_DIR] [MNS]: the same at one HA holding MNS
# bindings (100000; um3n-bench-scale, packets to and from MNs drawn at random), and
# the instructions of one authenticated registration refresh; only the measured phase
# is instrumented and only the engine's entry points counted
set -euo pipefail
scale=0
[[ ${1:-} == --scale ]] && { scale=1; shift; }
build=${1:-build}
mns=${2:-100000}
bench=$build/bench/um3n-bench
((scale)) && bench=$build/bench/um3n-bench-scale
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
if ((scale)); then
	# Only the measured phase is instrumented (the bench's client requests),
	# and only the engine's entry points are counted: not the bench building
	# its requests and packets.
	sinstr() { # phase path iterations
		valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --instr-atstart=no \
			--toggle-collect=um3n_ha_udp_input --toggle-collect=um3n_ha_tun_input \
			--toggle-collect=um3n_ha_poll_output "$bench" --mns "$mns" --measure "$1" \
			--path "$2" --iterations "$3" --scans 0 >/dev/null 2>"$tmp/err" ||
			{ cat "$tmp/err" >&2; exit 1; }
		grep -E '^totals:' "$tmp/cg.out" | awk '{print $2}' # summary: 0 when started late
	}
	echo "registration refresh $(( $(sinstr refresh none 0) / mns )) instructions" \
		"(decode, HMAC verify, bind, reply, HMAC sign; $mns MNs)"
	for path in ha-decap ha-encap; do
		echo "prefer $path $(( $(sinstr $path $path $hi) / hi )) instructions/packet" \
			"(random MN of $mns)"
	done
	exit 0
fi
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
