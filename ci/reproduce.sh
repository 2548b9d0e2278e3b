#!/usr/bin/env bash
# The main job: the paper's experiments on the deterministic simulator —
# Fig. 5 throughput (3G only, WiFi only, multihoming), the same with real
# bandwidth traces, and the handover experiments (planned, cut, and the cut with
# a replayed FTP capture; each with its added gap beside its longest silence) — printed beside
# the paper's figures, with plots in results/. Installs what it needs.
#   ci/reproduce.sh [--seed N] [--out DIR] [--emu] [--long]
# --emu also runs the emulations with the real daemons (root; emu/).
# --long also runs the day-long scenario (day-drive-flap: 24 h simulated, a
# minute or two) at 60 s, 1 h and 24 h: peak memory and time per hour (issue 19).
set -euo pipefail
cd "$(dirname "$0")/.."
seed=1
out=results
emu=0
long=0
while (($#)); do
	case $1 in
	--seed) seed=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--emu) emu=1; shift ;;
	--long) long=1; shift ;;
	*) echo "usage: ci/reproduce.sh [--seed N] [--out DIR] [--emu] [--long]" >&2; exit 2 ;;
	esac
done
ci/deps.sh
if ((emu)); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "--emu needs root (network namespaces)" >&2
		exit 2
	fi
	emu/setup.sh # before configuring: the ns-3 program needs libns3-dev
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
sim=build/sim/um3n-sim
mkdir -p "$out/sim"

run() { # scenario-name: the long bulk runs keep their packets, not their pcaps (hundreds of MB)
	local dir=$out/sim/$1 pcap=(--snaplen 128)
	[[ $1 == fig5-* ]] && pcap=(--snaplen 100)
	mkdir -p "$dir"
	"$sim" "traces/scenarios/$1.ini" --seed "$seed" --out "$dir" "${pcap[@]}" >"$dir/stdout.txt" 2>&1 || {
		cat "$dir/stdout.txt" >&2
		return 1
	}
	/usr/bin/python3 ci/report.py --packets "$dir" "traces/scenarios/$1.ini" # packets.csv.gz
	[[ $1 == fig5-* ]] && rm -f "$dir"/*.pcap
	return 0
}

echo "um3n reproduction: seed=$seed, outputs in $out/"
scenarios=(fig5-3g fig5-wifi fig5-multihoming fig5-aggregate handover-planned handover-cut
	steer-load-balance steer-smallest-delay steer-priority
	handover-cut-ftp redundant-cut fig5-trace-3g fig5-trace-wifi fig5-trace-multihoming
	handover-walkaway handover-walkaway-return handover-cold-cut handover-hot-cut
	handover-flapping standby-idle aggregate-misweighted aggregate-trace aggregate-trace-static
	aggregate-repair aggregate-repair-off)
for s in "${scenarios[@]}"; do
	run "$s"
	tail -n 1 "$out/sim/$s/stdout.txt"
done
/usr/bin/python3 ci/report.py "$out" "${scenarios[@]}"
/usr/bin/python3 ci/rate_trace.py "$out" # measured against configured rates, on real traces
# Closed-loop TCP and the radio walk-away inside ns-3 (sim/README.md, "um3n-ns3sim"; ~55 s CPU),
# when libns3-dev is installed.
ns3sim=build/sim/ns3/um3n-ns3sim
[[ -x $ns3sim ]] && for s in ns3-fig5-3g ns3-fig5-wifi ns3-fig5-multihoming ns3-aggregate-cubic ns3-aggregate-bbr \
	ns3-aggregate-reno ns3-aggregate-trace-testbed \
	ns3-aggregate-bbr-deepq \
	ns3-walkaway ns3-walkaway-one ns3-walkaway-video ns3-walkaway-return ns3-apoff \
	ns3-walkaway-lte ns3-walkaway-lte-video ns3-lte-x2 ns3-lte-off ns3-aggregate-trace; do
	"$ns3sim" "traces/scenarios/$s.ini" --seed "$seed" --out "$out/ns3sim/$s" | tail -n 1
done

# One TCP flow's goodput moves by 5 % and more from seed to seed: the cross-check's aggregate
# rows take the median of five.
[[ -x $ns3sim ]] && for s in ns3-aggregate-cubic ns3-aggregate-reno ns3-aggregate-trace-testbed; do
	for k in 1 2 3 4; do
		"$ns3sim" "traces/scenarios/$s.ini" --seed $((seed + k)) --out "$out/ns3sim/$s.seed$((seed + k))" >/dev/null
	done
done

# The testbed's cut handover in both simulators, for the cross-check below.
run ns3-testbed-cut
[[ -x $ns3sim ]] && "$ns3sim" traces/scenarios/ns3-testbed-cut.ini --seed "$seed" \
	--out "$out/ns3sim/ns3-testbed-cut" | tail -n 1

if ((long)); then # no pcaps: a day of them would be gigabytes
	for d in 60 3600 86400; do
		dir=$out/sim/day-drive-flap-$d
		mkdir -p "$dir"
		"$sim" traces/scenarios/day-drive-flap.ini --seed "$seed" --duration $d --no-pcap --bench \
			--out "$dir" >"$dir/stdout.txt"
		echo "day-drive-flap ${d}s: $(grep -o 'peak_rss_mb=[0-9.]*' "$dir/stdout.txt")" \
			"$(grep -o 'cpu_s_per_sim_h=[0-9.]*' "$dir/stdout.txt")"
	done
	tail -n 1 "$out/sim/day-drive-flap-86400/stdout.txt"
fi

tb=()
if ((emu)); then
	UM3N_BUILD=$PWD/build /usr/bin/python3 emu/mininet/fig5.py --out "$out/emu-mininet"
	UM3N_BUILD=$PWD/build emu/ns3/run.sh --cc cubic,bbr,reno --out "$out/emu-ns3" # reno: the cross-check's reno row
	UM3N_BUILD=$PWD/build emu/ns3/run.sh --only aggregate-trace --cc cubic --out "$out/emu-ns3-trace"
	tb=(--testbed "$out/emu-ns3/results.json" "$out/emu-ns3-trace/results.json")
fi
# ns3sim against the real-time testbed (issue 12), the testbed's column with --emu.
[[ -x $ns3sim ]] && /usr/bin/python3 ci/crosscheck.py --ns3sim "$out/ns3sim" --sim "$out/sim" "${tb[@]}"
