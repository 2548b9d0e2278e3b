#!/bin/sh
# um3n-ns3sim (sim/ns3/): determinism, the error contract, and one bound.
# - the same seed twice gives byte-identical metrics.json, timeseries.csv,
#   extra.json and link pcaps; another seed gives another metrics.json;
# - a key of um3n-sim's format that the driver cannot honour, a non-TCP flow
#   and a [handover] section each give exit 2 and one line FILE:LINE: ...;
#   um3n-sim refuses a type = tcp flow the same way;
# - multihoming TCP (a CUBIC flow per link) gets more than WiFi alone, and
#   more than WiFi plus half of 3G alone (issue 12), over 10 simulated s, with
#   more than half of 3G's alone over its cell link.
# usage: ns3sim.sh PATH/TO/um3n-ns3sim PATH/TO/um3n-sim PATH/TO/traces/scenarios
set -eu
ns3=$1
sim=$2
dir=$3
out=$(mktemp -d /tmp/um3n-ns3sim-test.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail=0

goodput() { sed -n 's/^  "goodput_mbps": \([0-9.]*\),$/\1/p' "$1/metrics.json"; }
link_goodput() { sed -n "s/^    \"$2\": {\"goodput_mbps\": \([0-9.]*\)}.*/\1/p" "$1/metrics.json"; }

# ---- determinism -----------------------------------------------------------
for run in a b; do
	"$ns3" "$dir/ns3-fig5-multihoming.ini" --seed 3 --duration 5 --out "$out/$run" --pcap \
		> "$out/$run.stdout"
done
"$ns3" "$dir/ns3-fig5-multihoming.ini" --seed 4 --duration 5 --out "$out/c" > /dev/null
if [ "$(head -1 "$out/a.stdout")" != "seed=3" ] || ! tail -1 "$out/a.stdout" | grep -q '^summary: '; then
	echo "FAIL stdout: first line seed=3, last the summary expected:"; cat "$out/a.stdout"; fail=1
fi
for f in metrics.json timeseries.csv extra.json link-cell-mn.pcap link-wifi-ha.pcap; do
	if cmp -s "$out/a/$f" "$out/b/$f"; then
		echo "ok   same seed, same $f"
	else
		echo "FAIL same seed, different $f"; diff "$out/a/$f" "$out/b/$f" | head; fail=1
	fi
done
if cmp -s "$out/a/metrics.json" "$out/c/metrics.json"; then
	echo "FAIL seeds 3 and 4 gave the same metrics.json: the seed is not used"; fail=1
else
	echo "ok   another seed, another metrics.json"
fi

# ---- errors ----------------------------------------------------------------
expect_error() { # name binary file line-prefix
	set +e
	"$2" "$3" --out "$out/err" > "$out/stdout" 2> "$out/stderr"
	rc=$?
	set -e
	lines=$(wc -l < "$out/stderr")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q "^$4" "$out/stderr"; then
		echo "ok   $1: $(cat "$out/stderr")"
	else
		echo "FAIL $1: exit $rc, stderr ($lines lines):"; cat "$out/stderr"; fail=1
	fi
}
tcp_flow='[flow f]\ntype = tcp\nserver = 10.9.1.10\n'
printf "[sim]\nduration_s = 5\n[link wifi]\nrate_mbps = 10\njitter_ms = 1\n$tcp_flow" > "$out/jitter.ini"
expect_error "refused link key" "$ns3" "$out/jitter.ini" "$out/jitter.ini:5: "
printf '[link wifi]\nrate_mbps = 10\n[flow f]\ntype = bulk\nrate_mbps = 1\nserver = 10.9.1.10\n' \
	> "$out/bulk.ini"
expect_error "non-TCP flow" "$ns3" "$out/bulk.ini" "$out/bulk.ini:4: "
printf "[link wifi]\nrate_mbps = 10\n$tcp_flow[handover]\nat_s = 2\n" > "$out/ho.ini"
expect_error "[handover]" "$ns3" "$out/ho.ini" "$out/ho.ini:6: "
printf "[link wifi]\nrate_mbps = 10\n${tcp_flow}cc = vegas\n" > "$out/cc.ini"
expect_error "bad cc" "$ns3" "$out/cc.ini" "$out/cc.ini:6: "
printf "[link wifi]\nrate_mbps = 10\n${tcp_flow}rate_mbps = 3\n" > "$out/rate.ini"
expect_error "rate_mbps on tcp" "$ns3" "$out/rate.ini" "$out/rate.ini:3: "
flow_line=$(grep -n '^\[flow' "$dir/ns3-fig5-wifi.ini" | head -1 | cut -d: -f1)
expect_error "um3n-sim refuses tcp" "$sim" "$dir/ns3-fig5-wifi.ini" "$dir/ns3-fig5-wifi.ini:$flow_line: "

# ---- bound: multihoming > WiFi alone + half of 3G alone ---------------------
for s in 3g wifi multihoming; do
	"$ns3" "$dir/ns3-fig5-$s.ini" --duration 10 --out "$out/$s" > /dev/null
done
g3=$(goodput "$out/3g")
gw=$(goodput "$out/wifi")
gm=$(goodput "$out/multihoming")
if awk -v m="$gm" -v w="$gw" -v c="$g3" 'BEGIN { exit !(m > w + c / 2) }'; then
	echo "ok   multihoming $gm Mbit/s > wifi $gw + 3g $g3 / 2"
else
	echo "FAIL multihoming $gm Mbit/s <= wifi $gw + 3g $g3 / 2"; fail=1
fi
# ... and because it used the cell link: two flows on WiFi alone could beat one.
gc=$(link_goodput "$out/multihoming" cell)
if awk -v m="$gc" -v c="$g3" 'BEGIN { exit !(m > c / 2) }'; then
	echo "ok   multihoming carried $gc Mbit/s over the cell link (> 3g $g3 / 2)"
else
	echo "FAIL multihoming carried $gc Mbit/s over the cell link (<= 3g $g3 / 2)"; fail=1
fi
exit $fail
