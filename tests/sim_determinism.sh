#!/bin/sh
# Determinism: the same scenario and seed give byte-identical metrics.json,
# timeseries.csv and pcaps; another seed changes the metrics only where the
# scenario models randomness (with loss and jitter set to 0, only the seed
# line of metrics.json may differ).
# usage: sim_determinism.sh PATH/TO/um3n-sim PATH/TO/traces/scenarios
set -eu
sim=$1
dir=$2
out=$(mktemp -d /tmp/um3n-sim-det.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail=0

run() { # scenario seed outdir [extra args]
	sc=$1 seed=$2 o=$3
	shift 3
	"$sim" "$sc" --seed "$seed" --out "$o" "$@" > "$o.stdout" 2>&1 ||
		{ echo "FAIL: $sc --seed $seed exited $?"; cat "$o.stdout"; exit 1; }
}

sums() { (cd "$1" && sha256sum metrics.json timeseries.csv extra.json *.pcap); }

for name in handover-cut fig5-multihoming encrypted-cut; do
	sc=$dir/$name.ini
	run "$sc" 7 "$out/$name-a" --duration 25
	run "$sc" 7 "$out/$name-b" --duration 25
	n=$(ls "$out/$name-a"/*.pcap | wc -l)
	sums "$out/$name-a" > "$out/$name-a.sums"
	sums "$out/$name-b" > "$out/$name-b.sums"
	if cmp -s "$out/$name-a.sums" "$out/$name-b.sums" && [ "$n" -ge 3 ]; then
		echo "ok   $name: seed 7 twice: metrics, csv and $n pcaps identical"
	else
		echo "FAIL $name: seed 7 twice gave different outputs"
		diff "$out/$name-a.sums" "$out/$name-b.sums" || true
		fail=1
	fi
	run "$sc" 8 "$out/$name-c" --duration 25 --no-pcap
	if cmp -s "$out/$name-a/metrics.json" "$out/$name-c/metrics.json" ||
	   [ "$(grep -vc '"seed"' "$out/$name-a/metrics.json")" -ne \
	     "$(grep -vc '"seed"' "$out/$name-c/metrics.json")" ]; then
		echo "FAIL $name: seed 8 should change the figures that depend on jitter and loss"
		fail=1
	elif [ "$(grep -v '"seed"' "$out/$name-a/metrics.json" | sha256sum)" = \
	       "$(grep -v '"seed"' "$out/$name-c/metrics.json" | sha256sum)" ]; then
		echo "FAIL $name: seed 8 changed nothing but the seed line (randomness not used?)"
		fail=1
	else
		echo "ok   $name: seed 8 changes the random figures"
	fi
	# The same scenario without randomness: another seed changes nothing else.
	sed -e 's/^\(jitter_ms\|loss\|ge_[a-z_]*\)[[:space:]]*=.*/\1 = 0/' "$sc" > "$out/$name-fixed.ini"
	run "$out/$name-fixed.ini" 7 "$out/$name-d" --duration 25 --no-pcap
	run "$out/$name-fixed.ini" 8 "$out/$name-e" --duration 25 --no-pcap
	if [ "$(grep -v '"seed"' "$out/$name-d/metrics.json" | sha256sum)" = \
	     "$(grep -v '"seed"' "$out/$name-e/metrics.json" | sha256sum)" ]; then
		echo "ok   $name without jitter/loss: seeds 7 and 8 give the same figures"
	else
		echo "FAIL $name without jitter/loss: the seed changed the figures"
		diff "$out/$name-d/metrics.json" "$out/$name-e/metrics.json" || true
		fail=1
	fi
done
[ "$fail" -eq 0 ] && echo "sim_determinism: passed" || { echo "sim_determinism: FAILED"; exit 1; }
