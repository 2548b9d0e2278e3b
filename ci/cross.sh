#!/usr/bin/env bash
# Cross builds for ARM (README, "Cross builds"): for each ARCH (default
# "aarch64"; also "armhf" on request; cmake/toolchain-ARCH.cmake) configure and build with
# Debian's cross compiler, run the unit tests under qemu-user (ctest runs them
# through CMAKE_CROSSCOMPILING_EMULATOR), and run every scenario of
# traces/scenarios with the cross-built um3n-sim, comparing all its outputs
# (metrics.json, extra.json, timeseries.csv, pcaps) byte for byte with the
# native build's for the same scenario and seed: the simulator is
# deterministic, also across architectures.
# usage: ci/cross.sh NATIVE_BUILD_DIR [ARCH ...]   (after ci/deps.sh --cross)
# Environment: UM3N_CROSS_SIM_SECONDS (default 20) simulated seconds per run.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
native=${1:?usage: ci/cross.sh NATIVE_BUILD_DIR [ARCH ...]}
shift
# aarch64 by default (about 3 min on the 2-core CI box); armhf on request
# (UM3N_CROSS_ARCHS="aarch64 armhf" in ci/test.sh, or arguments here).
archs=("${@:-aarch64}")
secs=${UM3N_CROSS_SIM_SECONDS:-20}
# Under qemu the unit tests run 5-10 times slower; the two longest (the
# randomized reference checks, 14 s and 5 s natively) run on aarch64 only so
# that the stage stays within a few minutes.
declare -A exclude=([aarch64]='^$' [armhf]='^(test_policy_ref|test_bcache)$')
declare -A qemu=([aarch64]=qemu-aarch64-static [armhf]=qemu-arm-static)
jobs=$(nproc 2>/dev/null || echo 2)
[[ -x $native/sim/um3n-sim ]] || { echo "cross: no native $native/sim/um3n-sim"; exit 2; }
rc=0
for arch in "${archs[@]}"; do
	tc=$top/cmake/toolchain-$arch.cmake
	[[ -f $tc ]] || { echo "cross: no toolchain file $tc"; exit 2; }
	b=$top/build-$arch
	echo "--- $arch: build"
	cmake -S "$top" -B "$b" -DCMAKE_TOOLCHAIN_FILE="$tc" -DUM3N_WERROR=ON >/dev/null &&
		cmake --build "$b" -j"$jobs" >"$b/cross-build.log" 2>&1 ||
		{ tail -20 "$b/cross-build.log"; echo "cross: $arch build FAILED"; rc=1; continue; }
	file -b "$b/sim/um3n-sim" | grep -q "${arch/armhf/ARM,}" ||
		{ echo "cross: $b/sim/um3n-sim is not an $arch binary"; rc=1; continue; }
	echo "--- $arch: unit tests under qemu-user"
	if ! ctest --test-dir "$b" -j"$jobs" -L unit -E "${exclude[$arch]}" --output-on-failure \
		>"$b/cross-ctest.log" 2>&1; then
		grep -v '^ *[0-9]*/[0-9]* Test *#.*Passed' "$b/cross-ctest.log" | tail -60
		echo "cross: $arch unit tests FAILED"
		rc=1
	fi
	grep 'tests passed' "$b/cross-ctest.log"
	echo "--- $arch: simulator against the native build ($secs s, seed 7)"
	same=0
	for sc in "$top"/traces/scenarios/*.ini; do
		[[ $(basename "$sc") == ns3-* ]] && continue # um3n-ns3sim's (TCP flows)
		n=$(basename "$sc" .ini)
		out=$(mktemp -d /tmp/um3n-cross.XXXXXX)
		for side in native cross; do
			[[ $side == native ]] && sim=$native/sim/um3n-sim || sim=$b/sim/um3n-sim
			emu=$([[ $side == cross ]] && echo "${qemu[$arch]}")
			(cd "$top" && $emu "$sim" "$sc" --seed 7 --duration "$secs" --out "$out/$side" \
				>"$out/$side.stdout" 2>&1) || { echo "cross: $n ($side) failed"; rc=1; }
		done
		if diff -r "$out/native" "$out/cross" >/dev/null; then
			same=$((same + 1))
		else
			echo "cross: $arch $n: outputs differ from the native build's:"
			diff -r -q "$out/native" "$out/cross"
			rc=1
		fi
		rm -rf "$out"
	done
	echo "--- $arch: $same scenarios byte-identical to the native build"
done
exit $rc
