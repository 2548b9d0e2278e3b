#!/bin/sh
# Flaps with invariants (issue 13, sim/invariants.h): flap-1000 (1000 carrier
# flaps of the WiFi uplink) run with --invariants must hold every invariant;
# then each UM3N_SIM_BREAK hook breaks the world on purpose and the checker
# must stop the run with exit 1 and one line naming the invariant it broke
# (proof that the check can fail), and a bad hook value is a usage error.
# usage: sim_invariants.sh PATH/TO/um3n-sim PATH/TO/traces/scenarios [--short]
set -eu
sim=$1
sc=$2/flap-1000.ini
short=${3:-}
out=$(mktemp -d /tmp/um3n-sim-inv.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail=0

dur=""
[ "$short" = --short ] && dur="--duration 40"
# shellcheck disable=SC2086
if "$sim" "$sc" --out "$out/ok" --no-pcap --invariants $dur > "$out/stdout" 2> "$out/stderr" &&
	grep -q '^invariants: held;.* 1000 carrier losses\|^invariants: held;.* 100 carrier losses' "$out/stdout"; then
	echo "ok   $(grep '^invariants:' "$out/stdout")"
else
	echo "FAIL flap-1000 with --invariants:"; cat "$out/stdout" "$out/stderr"; fail=1
fi

expect_broken() { # hook invariant-name
	set +e
	UM3N_SIM_BREAK=$1 "$sim" "$sc" --out "$out/b" --no-pcap --invariants --duration 40 \
		> "$out/stdout" 2> "$out/stderr"
	rc=$?
	set -e
	if [ "$rc" -eq 1 ] && [ "$(wc -l < "$out/stderr")" -eq 1 ] &&
		grep -q "^um3n-sim: invariant '$2' broken at " "$out/stderr"; then
		echo "ok   UM3N_SIM_BREAK=$1: $(cat "$out/stderr")"
	else
		echo "FAIL UM3N_SIM_BREAK=$1: exit $rc, stderr:"; cat "$out/stderr"; fail=1
	fi
}
expect_broken carrier usable
expect_broken binding binding
expect_broken dup dup

set +e
UM3N_SIM_BREAK=nonsense "$sim" "$sc" --out "$out/b" --no-pcap --invariants > /dev/null 2> "$out/stderr"
rc=$?
set -e
if [ "$rc" -eq 2 ] && [ "$(wc -l < "$out/stderr")" -eq 1 ]; then
	echo "ok   bad UM3N_SIM_BREAK: $(cat "$out/stderr")"
else
	echo "FAIL bad UM3N_SIM_BREAK: exit $rc"; cat "$out/stderr"; fail=1
fi
exit $fail
