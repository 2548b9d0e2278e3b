#!/usr/bin/env bash
# The full test suite, from a fresh Debian 12 box: installs what it needs,
# builds, and runs every stage. Exit status 0 only when every stage passed.
#   0. format: the C sources match .clang-format (ci/format.sh check)
#   1. build (-Werror) + ctest: unit tests, interop (tshark, scapy), sans-IO
#      and object-cycle checks, simulator determinism and golden bounds
#   2. the same unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   3. libFuzzer targets, briefly, over their seed corpus
#   4. emu/netns.sh, emu/csum.sh, flood.sh, sealed.sh, walkthrough.sh, standby.sh, nat.sh, mtu.sh, idle.sh, ipv6.sh, coa6.sh, natmany.sh: the real daemons in
#      network namespaces; tests/deb_check.sh: the .deb's paths, its units'
#      command lines started in namespaces (root only)
#   5. emu short runs (Mininet, ns-3) when present
#   6. cross: aarch64 and armhf builds, unit tests and simulator under qemu-user
#      (ci/cross.sh; UM3N_CROSS_ARCHS, default "aarch64"; "aarch64 armhf" for both)
# Environment: UM3N_FUZZ_SECONDS (default 15),
# UM3N_SKIP="format asan fuzz netns emu cross".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${UM3N_FUZZ_SECONDS:-10}
skip=" ${UM3N_SKIP:-} "
passed=0
failed=0
failed_names=()

stage() { # stage NAME COMMAND...
	local name=$1
	shift
	if [[ $skip == *" $name "* ]]; then
		echo "=== $name: skipped (UM3N_SKIP)"
		return
	fi
	echo "=== $name"
	local t0=$SECONDS
	if "$@"; then
		passed=$((passed + 1))
		echo "=== $name: passed ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		failed_names+=("$name")
		echo "=== $name: FAILED ($((SECONDS - t0)) s)"
	fi
}

build_and_test() {
	cmake -S "$top" -B "$top/build" -DUM3N_WERROR=ON >/dev/null &&
		cmake --build "$top/build" -j"$jobs" &&
		ctest --test-dir "$top/build" --output-on-failure -j"$jobs"
}

asan() {
	cmake -S "$top" -B "$top/build-asan" -DUM3N_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null &&
		cmake --build "$top/build-asan" -j"$jobs" &&
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
			ctest --test-dir "$top/build-asan" --output-on-failure -j"$jobs" -L unit
}

fuzz() {
	CC=clang CXX=clang++ cmake -S "$top" -B "$top/build-fuzz" -DUM3N_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
		>/dev/null &&
		cmake --build "$top/build-fuzz" -j"$jobs" --target fuzz_all &&
		"$top/fuzz/run.sh" "$top/build-fuzz" "$fuzz_seconds"
}

netns() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "netns: needs root (ip netns); skipped"
		return 0
	fi
	UM3N_BUILD="$top/build" "$top/emu/netns.sh" &&
		UM3N_BUILD="$top/build" "$top/emu/csum.sh" &&
		UM3N_BUILD="$top/build" "$top/emu/sealed.sh" &&
		UM3N_BUILD="$top/build" "$top/emu/flood.sh" &&
		UM3N_BUILD="$top/build" "$top/emu/walkthrough.sh" &&
		UM3N_BUILD="$top/build" "$top/emu/standby.sh" &&
		UM3N_BUILD="$top/build" "$top/emu/nat.sh" &&
		UM3N_BUILD="$top/build" "$top/emu/mtu.sh" &&
		UM3N_BUILD="$top/build" "$top/emu/idle.sh" &&
		UM3N_BUILD="$top/build" "$top/emu/ipv6.sh" &&
		UM3N_BUILD="$top/build" "$top/emu/coa6.sh" &&
		UM3N_BUILD="$top/build" "$top/emu/natmany.sh" 100 &&
		"$top/tests/deb_check.sh" "$top/build" &&
		{ [[ ! -x $top/build-asan/daemons/um3n-mn ]] || "$top/emu/flaps.sh" "$top/build-asan"; }
}

emu_short() {
	local rc=0
	if [[ -x $top/emu/ci.sh ]]; then
		UM3N_BUILD="$top/build" "$top/emu/ci.sh" || rc=1
	fi
	return $rc
}

echo "ci/test.sh: installing dependencies (apt-get) when missing"
ci/deps.sh || { echo "ci/test.sh: dependency installation failed"; exit 2; }
# The emulators (Mininet, ns-3, ffmpeg, vsftpd …) before the first configure:
# CMake builds the ns-3 testbed program only when libns3-dev is there.
if [[ $skip != *" emu "* && $(id -u) -eq 0 && -x emu/setup.sh ]]; then
	emu/setup.sh || echo "ci/test.sh: emu/setup.sh failed: the emu stage will report SKIP"
fi

stage format "$top/ci/format.sh" check
stage build-and-unit build_and_test
stage asan asan
[[ -x fuzz/run.sh ]] && stage fuzz fuzz
[[ -x emu/netns.sh ]] && stage netns netns
[[ -x emu/ci.sh ]] && stage emu emu_short
stage cross eval 'ci/deps.sh --cross && ci/cross.sh "$top/build" ${UM3N_CROSS_ARCHS:-}'

echo
if ((failed)); then
	echo "failed stages: ${failed_names[*]}"
fi
echo "stages: $passed passed, $failed failed"
((failed == 0))
