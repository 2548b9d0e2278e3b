#!/bin/sh
# um3n-sim's error contract: a malformed scenario, a missing file or a bad
# trace gives exit status 2 and ONE line "FILE:LINE: what was expected";
# --help exits 0; the first line of a run is seed=N, the last the summary.
# usage: sim_errors.sh PATH/TO/um3n-sim PATH/TO/traces/scenarios
set -eu
sim=$1
dir=$2
out=$(mktemp -d /tmp/um3n-sim-err.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail=0

expect_error() { # name file line-prefix
	set +e
	"$sim" "$2" --out "$out/o" --no-pcap > "$out/stdout" 2> "$out/stderr"
	rc=$?
	set -e
	lines=$(wc -l < "$out/stderr")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q "^$3" "$out/stderr"; then
		echo "ok   $1: $(cat "$out/stderr")"
	else
		echo "FAIL $1: exit $rc, stderr ($lines lines):"; cat "$out/stderr"; fail=1
	fi
}

printf '[sim]\nduration_s = 10\n[link wifi]\nrate_mbps = fast\n' > "$out/bad-rate.ini"
expect_error "bad value" "$out/bad-rate.ini" "$out/bad-rate.ini:4: "
printf '[sim]\nduration_s = 10\n\n[nonsense]\nx = 1\n' > "$out/bad-section.ini"
expect_error "unknown section" "$out/bad-section.ini" "$out/bad-section.ini:4: "
printf '[link wifi]\nrate_mbps = 3\nthis line has no equals sign\n' > "$out/bad-syntax.ini"
expect_error "syntax" "$out/bad-syntax.ini" "$out/bad-syntax.ini:3: "
expect_error "missing scenario" "$out/none.ini" "$out/none.ini:0: "
printf '0\n5\nxyz\n' > "$out/bad.trace"
printf '[link cell]\ntrace = bad.trace\n' > "$out/bad-trace.ini"
expect_error "malformed trace" "$out/bad-trace.ini" "$out/bad.trace:3: "
printf '[link cell]\ntrace = missing.trace\n' > "$out/no-trace.ini"
expect_error "missing trace" "$out/no-trace.ini" "$out/missing.trace: "
printf '[link cell]\ntrace = t\nup_trace = t\nup_rate_mbps = 1\n' > "$out/up-both.ini"
expect_error "up_trace and up_rate_mbps" "$out/up-both.ini" "$out/up-both.ini:1: "
printf '[link cell]\nrate_mbps = 3\n[flow p]\ntype = pcap\nserver = 10.9.4.10\npcap = none.pcap\n' \
	> "$out/no-pcap.ini"
expect_error "missing capture" "$out/no-pcap.ini" "$out/none.pcap: "
printf '# from a connectivity log\n10-11\n\n12.5-x carrier\n' > "$out/bad.outages"
printf '[link cell]\nrate_mbps = 3\noutages_file = bad.outages\n' > "$out/bad-outages.ini"
expect_error "bad outages_file line" "$out/bad-outages.ini" "$out/bad.outages:4: "
printf '[link cell]\nrate_mbps = 3\nflap = 10 1.5\n' > "$out/bad-flap.ini"
expect_error "bad flap" "$out/bad-flap.ini" "$out/bad-flap.ini:3: flap: "
for r in "wifi load-balance" "wifi load-balance 101" "wifi smallest-delay rtt_ms=0" \
	"wifi priority loss_pct=200" "wifi sideways"; do
	printf '[link wifi]\nrate_mbps = 3\n[policy]\nrule = 10.9.1.0/24 %s\n' "$r" > "$out/rule.ini"
	expect_error "rule $r" "$out/rule.ini" "$out/rule.ini:4: rule: "
done

"$sim" --help > "$out/help" && grep -q "SYNOPSIS" "$out/help" && echo "ok   --help" ||
	{ echo "FAIL --help"; fail=1; }
set +e
"$sim" --bogus > /dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] && echo "ok   bad option: exit 2" || { echo "FAIL bad option: exit $rc"; fail=1; }

"$sim" "$dir/fig5-wifi.ini" --seed 5 --duration 2 --no-pcap --out "$out/run/a/b" > "$out/stdout"
[ -s "$out/run/a/b/metrics.json" ] && echo "ok   --out creates its parents" ||
	{ echo "FAIL --out a/b: no metrics.json"; fail=1; }
if head -1 "$out/stdout" | grep -qx "seed=5" && tail -1 "$out/stdout" | grep -q "^summary: seed=5 "; then
	echo "ok   first line seed=5, last line the summary"
else
	echo "FAIL output framing:"; cat "$out/stdout"; fail=1
fi
[ "$fail" -eq 0 ] && echo "sim_errors: passed" || { echo "sim_errors: FAILED"; exit 1; }
