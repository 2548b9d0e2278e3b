#!/bin/bash
# um3n flood test (issue 13): an attacker in a namespace of its own floods the
# HA's port at a fixed rate while a legitimate MN runs an iperf3 TCP flow to a
# server through the tunnel. Kinds (emu/flood.c): garbage, forged registration
# requests (one source ip:port), spoofed tunnel data from the MN's own care-of
# ip:port with a wrong inner source, tunnel data from a care-of with no
# binding. Printed per run: the legitimate flow's throughput against the
# unflooded run, the HA's CPU% and resident memory every second, and whether
# every attack packet was counted by `um3nctl show -j` (sent = counted + what
# the kernel dropped at the HA's socket, /proc/net/udp). Then the highest
# rate the sender reaches, unpaced.
#
#   emu/flood.sh            short (CI): 3 s unflooded, 3 s of the four kinds mixed
#   emu/flood.sh --long     3 rounds of 12 s: unflooded and each kind alone (and forged
#                           requests from 50,000 source ports); medians
#   options: --rate PPS (50000), --seconds S, --rounds N, --legit MBIT (50: the MN's
#            uplink is shaped to this, as a radio link would be), --min-ratio R: the
#            legitimate flow's bound against the unflooded run (0.95 with --long, the
#            issue's goal; 0.80 for the short run, which CI runs on a shared machine)
#
# Topology: emu/pairtopo.sh plus the attacker:
#   atk (10.3.1.2) --veth-- ha (eth-atk 10.3.1.1); the attacker's raw socket writes any
#   source address (the HA namespace does no reverse-path filtering, like a home agent
#   reached over the internet where nobody filters spoofed sources).
# Root; daemons from $UM3N_BUILD (default build/). Exit 0 = checks held, 1 = a check
# failed, 77 = cannot run here. Namespaces: $UM3N_NS_PREFIX (default u3nf<pid>).
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
PY=/usr/bin/python3
PAIR_PREFIX=${UM3N_NS_PREFIX:-u3nf$$}
NS_ATK=$PAIR_PREFIX-atk
LONG=0 RATE=50000 SECS=3 ROUNDS=1 LEGIT=50 MIN_RATIO=0.80
while (($#)); do
	case $1 in
	--long) LONG=1 SECS=12 ROUNDS=3 MIN_RATIO=0.95 ;;
	--min-ratio) MIN_RATIO=$2; shift ;;
	--rate) RATE=$2; shift ;;
	--seconds) SECS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--legit) LEGIT=$2; shift ;;
	*) echo "flood.sh: unknown option $1 (see the head of emu/flood.sh)" >&2; exit 2 ;;
	esac
	shift
done
failures=0
# shellcheck source=pairtopo.sh
. "$HERE/pairtopo.sh"

pretty() { printf '\033[1m[%s]\033[0m %s\n' "$1" "$2"; }
ok() { pretty "ok" "$*"; }
bad() { pretty "FAIL" "$*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
bg_pids=()
cleanup() {
	set +e
	local pid
	for pid in "${bg_pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	pair_down
	ip netns del "$NS_ATK" 2>/dev/null
	rm -rf "$TMP"
}
pair_require flood.sh
[[ -x $BUILD/emu/um3n-flood ]] || { echo "flood.sh: build um3n-flood first ($BUILD/emu)"; exit 1; }
command -v iperf3 >/dev/null || { echo "flood.sh: needs iperf3; skipped"; exit 77; }
TMP=$(mktemp -d /tmp/um3n-flood.XXXXXX)
trap cleanup EXIT

pair_up
ip netns add "$NS_ATK"
n "$NS_ATK" ip link set lo up
ip link add eth-atk netns "$NS_HA" type veth peer name eth0 netns "$NS_ATK"
n "$NS_HA" ip addr add 10.3.1.1/24 dev eth-atk
n "$NS_ATK" ip addr add 10.3.1.2/24 dev eth0
n "$NS_HA" ip link set eth-atk up
n "$NS_ATK" ip link set eth0 up
n "$NS_ATK" ip route add default via 10.3.1.1
# The MN's uplink is a radio link of LEGIT Mbit/s, not a 10 Gbit/s veth: the legitimate
# flow then measures what the tunnel delivers, not how much CPU the flood leaves over.
n "$NS_MN" tc qdisc add dev eth-ha root tbf rate "${LEGIT}mbit" burst 64kb latency 50ms
pair_start "$TMP" yes yes || { bad "MN registered"; exit 1; }
HA_PID=${pair_pids[0]}
ip netns exec "$NS_SRV" iperf3 -s -B 10.9.1.1 >/dev/null 2>&1 & # $!: iperf3 itself
bg_pids+=($!)
sleep 0.3

jget() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
hashow() { n "$NS_HA" "$BUILD/daemons/um3nctl" -s "$TMP/ha.sock" show -j; }
mnshow() { n "$NS_MN" "$BUILD/daemons/um3nctl" -s "$TMP/mn.sock" show -j; }
# drops of the HA's UDP socket on port 434 (01B2), last column of /proc/net/udp
kdrops() { n "$NS_HA" awk '$2 ~ /:01B2$/ { s += $NF } END { print s + 0 }' /proc/net/udp; }
COA_PORT=$(mnshow | jget 'd["uplinks"][0]["port"]')

# Every second: CPU% (utime + stime, all threads) and RSS of the HA until $1 exists.
sample() {
	local stop=$1 out=$2 hz t0 t1
	hz=$(getconf CLK_TCK)
	t0=$(awk '{ print $14 + $15 }' "/proc/$HA_PID/stat")
	while [[ ! -e $stop ]]; do
		sleep 1
		t1=$(awk '{ print $14 + $15 }' "/proc/$HA_PID/stat")
		echo "$(((t1 - t0) * 100 / hz)) $(awk '/^VmRSS/ { print $2 }' "/proc/$HA_PID/status")" >>"$out"
		t0=$t1
	done
}

# run NAME KIND(none|garbage|forged|spoof-inner|wrong-coa|mixed) [PPS, 0: unpaced]
# -> one JSON line in $TMP/runs (kind "max" for an unpaced run)
run() {
	local name=$1 kind=$2 frate=${3:-$RATE} src fpid= spid kb ka mbps fkind=$2 ports=1
	rm -f "$TMP/stop" "$TMP/samples" "$TMP/flood.json"
	case $kind in
	spoof-inner|mixed) src=10.1.1.2:$COA_PORT ;;
	*) src=10.3.1.2:5353 ;;
	esac
	# forged-ports: from 50,000 source ports, each with a bucket of its own (every
	# request then costs the HA an HMAC: the worst case the rate limit cannot cut)
	[[ $kind == forged-ports ]] && fkind=forged ports=50000 src=10.3.1.2:10000
	hashow >"$TMP/before.json"
	kb=$(kdrops)
	sample "$TMP/stop" "$TMP/samples" &
	spid=$!
	if [[ $kind != none ]]; then
		ip netns exec "$NS_ATK" "$BUILD/emu/um3n-flood" --to 192.0.2.1:434 --src "$src" --kind "$fkind" \
			--rate "$frate" --seconds "$((SECS + 2))" --src-ports "$ports" >"$TMP/flood.json" &
		fpid=$!
		bg_pids+=($fpid)
		sleep 1
	fi
	mbps=$(n "$NS_MN" iperf3 -c 10.9.1.1 -t "$SECS" -J 2>/dev/null |
		jget 'round(d["end"]["sum_received"]["bits_per_second"] / 1e6, 2)') || mbps=0
	[[ -n $fpid ]] && wait "$fpid"
	touch "$TMP/stop"
	wait "$spid" || true
	sleep 0.2
	hashow >"$TMP/after.json"
	ka=$(kdrops)
	((frate > 0)) || kind=max
	"$PY" - "$name" "$kind" "$mbps" "$((ka - kb))" "$TMP/samples" "$TMP/flood.json" \
		"$TMP/before.json" "$TMP/after.json" >>"$TMP/runs" <<'EOF'
import json, os, sys
name, kind, mbps, kdrop, samples, flood, bf, af = sys.argv[1:9]
before, after = json.load(open(bf)), json.load(open(af))
drops = {k: after["drops"][k] - before["drops"][k] for k in after["drops"]}
s = [tuple(map(int, l.split())) for l in open(samples)] if os.path.exists(samples) else []
try:
    f = json.load(open(flood))
except (OSError, ValueError):
    f = {"sent": 0, "rate_pps": 0}
print(json.dumps({"name": name, "kind": kind, "mbps": float(mbps), "sent": f["sent"],
                  "rate_pps": f["rate_pps"], "counted": sum(drops.values()),
                  "kernel_drops": int(kdrop), "drops": {k: v for k, v in drops.items() if v},
                  "cpu_pct": [c for c, _ in s], "rss_kb": [r for _, r in s]}))
EOF
	tail -1 "$TMP/runs" | jget '"%(name)s: legit %(mbps)s Mbit/s, sent %(sent)s (%(rate_pps)s pps), counted %(counted)s + kernel drops %(kernel_drops)s %(drops)s\n    HA cpu%% %(cpu_pct)s\n    HA rss kB %(rss_kb)s" % d' |
		while IFS= read -r l; do pretty "info" "$l"; done
}

kinds=(mixed)
((LONG)) && kinds=(garbage forged forged-ports spoof-inner wrong-coa)
for ((r = 1; r <= ROUNDS; r++)); do
	run "round $r unflooded" none
	for k in "${kinds[@]}"; do run "round $r $k" "$k"; done
done
run "highest rate (garbage, unpaced)" garbage 0

"$PY" - "$TMP/runs" "$RATE" "$MIN_RATIO" <<'EOF' >"$TMP/verdict"
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
rate, min_ratio = float(sys.argv[2]), float(sys.argv[3])
base = [r["mbps"] for r in runs if r["kind"] == "none"]
b = statistics.median(base)
print("info unflooded: median %.2f Mbit/s over %d runs (min %.2f max %.2f)" % (b, len(base), min(base), max(base)))
ok = True
for r in (r for r in runs if r["kind"] == "max"):
    print("info highest rate: %.0f pps sent (garbage, one raw socket, sendmmsg of 64), counted %d + "
          "kernel drops %d of %d, HA cpu %s %%" % (r["rate_pps"], r["counted"], r["kernel_drops"],
          r["sent"], r["cpu_pct"]))
for kind in sorted({r["kind"] for r in runs} - {"none", "max"}):
    rs = [r for r in runs if r["kind"] == kind]
    m = statistics.median(r["mbps"] for r in rs)
    ratio = m / b if b else 0
    sent = sum(r["sent"] for r in rs)
    seen = sum(r["counted"] + r["kernel_drops"] for r in rs)
    cpu = statistics.median(c for r in rs for c in r["cpu_pct"]) if rs[0]["cpu_pct"] else 0
    print("info %s: legit median %.2f Mbit/s = %.3f of unflooded (runs: %s); sent %d at median "
          "%.0f pps; HA cpu median %d%% (max %d%%)"
          % (kind, m, ratio, [r["mbps"] for r in rs], sent,
             statistics.median(r["rate_pps"] for r in rs), cpu,
             max(c for r in rs for c in r["cpu_pct"])))
    # The legitimate side adds a few drops of its own (the MN kernel's IPv6 link-local
    # chatter on its TUN is spoofed_src now), and the kernel's drops at the HA's socket
    # take legitimate datagrams as well as attack ones: so counted + kernel drops may
    # exceed sent, counted alone only by the few.
    kd = sum(r["kernel_drops"] for r in rs)
    print("check %s: every attack packet counted (sent %d, counted %d + kernel drops %d) %d"
          % (kind, sent, seen - kd, kd, sent > 0 and sent <= seen and seen - kd <= sent + 10 * len(rs)))
    # The sender shares the machine's CPUs (and each send runs the HA side's receive
    # path in the sender's softirq): on a busy machine it may fall short, which is
    # reported; the check only says the flood was a flood.
    print("check %s: the flood ran at >= 80%% of %d pps (lowest run %.0f) %d"
          % (kind, rate, min(r["rate_pps"] for r in rs),
             all(r["rate_pps"] >= 0.8 * rate for r in rs)))
    print("check %s: legit flow at least %.2f of unflooded (%.3f) %d"
          % (kind, min_ratio, ratio, ratio >= min_ratio))
# Memory (the issue's goal): after the first 10 s of flooding, which touch every
# path for the first time (buffers, the rate limiter's table, log formatting,
# the receive batch's slots at the highest rate), the HA's resident memory must
# not grow however long the floods go on (no allocation per attack packet). One
# sample a second over the flooded runs in order; the short run floods for less
# than that and only reports.
flooded = [x for r in runs if r["kind"] != "none" for x in r["rss_kb"]]
if len(flooded) > 10:
    print("info HA rss: %d kB at start, %d kB after 10 s of flooding, max %d kB over the %d s after"
          % (flooded[0], flooded[9], max(flooded[10:]), len(flooded) - 10))
    print("check HA rss not growing after 10 s of flooding (+%d kB) %d"
          % (max(flooded[10:]) - flooded[9], max(flooded[10:]) - flooded[9] <= 64))
elif flooded:
    print("info HA rss: %d kB at the first flooded second, max %d kB (%d s of flooding: too short to judge growth; --long does)"
          % (flooded[0], max(flooded), len(flooded)))
EOF
while read -r what line; do
	if [[ $what == info ]]; then pretty info "$line"; else
		check "${line% *}" test "${line##* }" = 1
	fi
done <"$TMP/verdict"
((failures == 0)) || { pretty "FAIL" "$failures check(s) failed"; exit 1; }
exit 0
