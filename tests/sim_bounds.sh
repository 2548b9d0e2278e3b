#!/bin/sh
# Golden bounds: run every scenario named in traces/scenarios/bounds.txt with
# its own seed and check each recorded figure. Scenarios whose bandwidth
# traces are absent (traces/links, traces/pcap) are skipped.
# usage: sim_bounds.sh PATH/TO/um3n-sim PATH/TO/traces/scenarios
set -eu
sim=$1
dir=$2
py=/usr/bin/python3
out=$(mktemp -d /tmp/um3n-sim-bounds.XXXXXX)
trap 'rm -rf "$out"' EXIT

traces_present() { # every trace the scenario names must be readable
	for t in $(sed -n 's/^[[:space:]]*\(up_trace\|trace\|pcap\)[[:space:]]*=[[:space:]]*//p' "$1"); do
		case $t in /*) p=$t ;; *) p=$(dirname "$1")/$t ;; esac
		[ -r "$p" ] || return 1
	done
	return 0
}

pass=0 fail=0 skip=0
for sc in $(grep -v '^#' "$dir/bounds.txt" | awk 'NF {print $1}' | uniq); do
	ini=$dir/$sc.ini
	if ! traces_present "$ini"; then
		echo "SKIP $sc: trace or capture absent"
		skip=$((skip + 1))
		continue
	fi
	mkdir -p "$out/$sc"
	"$sim" "$ini" --out "$out/$sc" --no-pcap > "$out/$sc/stdout" 2>&1 || {
		echo "FAIL $sc: um3n-sim exited with $?"; cat "$out/$sc/stdout"; fail=$((fail + 1)); continue; }
	tail -1 "$out/$sc/stdout"
	grep -v '^#' "$dir/bounds.txt" | awk -v s="$sc" '$1 == s' > "$out/$sc/bounds"
	if "$py" - "$out/$sc" <<'PYEOF'
import json, sys
d = sys.argv[1]
docs = {"": json.load(open(d + "/metrics.json")), "extra:": json.load(open(d + "/extra.json"))}
try:  # uplinks = one: the handover manager's figures
    docs["hover:"] = json.load(open(d + "/hover.json"))
except FileNotFoundError:
    docs["hover:"] = {}
bad = 0
for line in open(d + "/bounds"):
    f = line.split()
    sc, key, lo, hi = f[0], f[1], float(f[2]), float(f[3])
    doc = docs[key.split(":", 1)[0] + ":"] if ":" in key else docs[""]
    v = doc
    try:
        for k in key.split(":", 1)[-1].split("."):
            v = v[k]
    except (KeyError, TypeError):
        print(f"FAIL {sc} {key}: missing"); bad += 1; continue
    ok = lo <= v <= hi
    print(f"{'ok  ' if ok else 'FAIL'} {sc} {key} = {v} (bounds {lo} .. {hi})")
    bad += not ok
    if len(f) >= 6 and not (float(f[4]) <= v <= float(f[5])):
        print(f"GOAL-MISS {sc} {key} = {v} (goal {f[4]} .. {f[5]})")
sys.exit(1 if bad else 0)
PYEOF
	then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "sim_bounds: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || exit 1
[ "$pass" -gt 0 ] || exit 77
