#!/bin/sh
# um3n-trace: one small sample of each format (mahimahi, "time rate" in kbit/s,
# the NYU CSV with its header, a raw Norway HSDPA log) gives the length, mean,
# min, max and outages worked out by hand in the comments; the converted files
# run in um3n-sim; a real trace gives the mean traces/README.md states; bad
# input gives exit 2 and one line naming the file (and line).
# usage: sim_trace_tool.sh PATH/TO/um3n-trace PATH/TO/um3n-sim PATH/TO/traces
set -u
tool=$1
sim=$2
traces=$3
out=$(mktemp -d /tmp/um3n-trace-tool.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail=0
cd "$out" || exit 1

expect() { # name, expected lines (grep -x each), then the command
	name=$1 want=$2
	shift 2
	"$@" >got 2>err
	rc=$?
	miss=$(printf '%s\n' "$want" | while IFS= read -r l; do grep -qxF -- "$l" got || echo "$l"; done)
	if [ "$rc" -eq 0 ] && [ -z "$miss" ]; then
		echo "ok   $name"
	else
		echo "FAIL $name: exit $rc, missing: $miss"; cat got err; fail=1
	fi
}
expect_error() { # name, expected stderr line, then the command
	name=$1 want=$2
	shift 2
	"$@" >got 2>err
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && [ "$(cat err)" = "$want" ]; then
		echo "ok   $name: $want"
	else
		echo "FAIL $name: exit $rc, stderr:"; cat err; echo "(expected: $want)"; fail=1
	fi
}

# mahimahi: 6 opportunities of 1500 B in a 2 s loop = 0.036 Mbit/s; (0, 1 s]
# holds 4 (0.048), (1, 2 s] the one at 2 s and the next loop's at 0 (0.024);
# no opportunity from 0.1 to 1 s and from 1 to 2 s.
printf '0\n100\n100\n1000\n1000\n2000\n' >mm
expect "mahimahi" "length: 2.000 s (um3n-sim loops it)
mean: 0.036 Mbit/s
min: 0.024 Mbit/s, max: 0.048 Mbit/s (over 1000 ms windows)
  0.100-1.000 s (0.900 s)
  1.000-2.000 s (1.000 s)
  2 outages, 1.900 s in all (95.0 % of the trace)" "$tool" mm
# The same three seconds in every other format: 1, 0 and 2 Mbit/s.
report="length: 3.000 s (um3n-sim loops it)
mean: 1.000 Mbit/s
min: 0.000 Mbit/s, max: 2.000 Mbit/s (over 1000 ms windows)
  1.000-2.000 s (1.000 s)
  1 outage, 1.000 s in all (33.3 % of the trace)"
printf '# kbit/s\n0 1000\n1 0\n\n2 2000\n3 0\n' >rate.txt
expect "time rate in kbit/s" "trace: rate.txt (mbps, converted, 4 points)
$report
wrote rate.mbps (trace_format = mbps)" "$tool" --unit kbps rate.txt -o rate.mbps
printf 'second,bytes_per_second\n1,125000\n2,0\n3,250000\n' >nyu.csv
expect "NYU CSV with header" "trace: nyu.csv (csv, converted, 4 points)
$report" "$tool" nyu.csv -o nyu.out
printf '%s\n' "1285677014 1285677014097 59.91 10.75 99 1000" \
	"1285677015 1285677015097 59.91 10.75 250000 1000" \
	"1285677016 1285677016097 59.91 10.75 0 1000" \
	"1285677017 1285677017097 59.91 10.75 125000 1000" >bus.log
expect "Norway HSDPA log" "trace: bus.log (hsdpa, converted, 4 points)
$report" "$tool" bus.log -o bus.mbps
expect "outage threshold" "  0 outages, 0.000 s in all (0.0 % of the trace)" \
	"$tool" --outage-ms 1500 bus.log
expect "real trace (traces/README.md: 3.04 Mbit/s)" "mean: 3.044 Mbit/s" "$tool" "$traces/links/norway_bus_7"

# The converted files are traces um3n-sim runs on.
for f in rate.mbps nyu.out bus.mbps; do
	printf '[sim]\nduration_s = 4\n[link cell]\ntrace = %s\n[flow f]\ntype = bulk\nserver = 10.9.1.10\nrate_mbps = 0.5\nstart_s = 1\n' \
		"$out/$f" >"$f.ini"
	if "$sim" "$f.ini" --no-pcap --out "run-$f" >/dev/null 2>&1; then
		echo "ok   um3n-sim runs on $f"
	else
		echo "FAIL um3n-sim on $f"; "$sim" "$f.ini" --no-pcap --out "run-$f"; fail=1
	fi
done

printf '1 1000 0 0 10 1000\n2 2000 0 0 10 1000\n3 1500 0 0 10 1000\n' >back.log
expect_error "HSDPA time going back" "back.log:3: expected times in increasing order" "$tool" back.log
printf '0\nabc\n' >bad.mm
expect_error "mahimahi garbage" "bad.mm:2: expected one integer timestamp in milliseconds, got 'abc'" \
	"$tool" bad.mm
printf 'second,bytes\n1,10\n3,10\n' >gap.csv
expect_error "CSV second missing" "gap.csv:3: expected second 2 after 1" "$tool" gap.csv
printf '0 1\n1 x\n' >bad.txt
expect_error "rate not a number" "bad.txt:2: expected 'TIME_S RATE' (two numbers)" "$tool" --unit kbps bad.txt
: >empty
expect_error "empty" "empty: expected at least one data line (empty trace)" "$tool" empty
printf '0\n\0\n' >nul
expect_error "binary" "nul: expected text, found a NUL byte" "$tool" nul
expect_error "forced format" \
	"mm:1: expected six columns: UNIX_S TIME_MS LAT LON BYTES INTERVAL_MS (HSDPA log)" \
	"$tool" --from hsdpa mm
expect_error "bad unit" "um3n-trace: --unit: expected Mbps, kbps, bps, MBps, kBps or Bps (--help)" \
	"$tool" --unit furlongs mm
[ "$fail" -eq 0 ] && echo "sim_trace_tool: passed" || { echo "sim_trace_tool: FAILED"; exit 1; }
