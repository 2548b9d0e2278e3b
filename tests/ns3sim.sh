#!/bin/sh
# um3n-ns3sim (sim/ns3/): determinism, the error contract, and bounds.
# - the same seed twice gives byte-identical metrics.json, timeseries.csv,
#   extra.json, link and TUN pcaps; another seed gives another metrics.json;
# - event_jitter_ms moves an outage as in um3n-sim; an unreadable capture,
#   bad [radio]/[mobility] keys each give exit 2 and one line FILE:LINE: ...;
#   um3n-sim refuses a type = tcp flow and a [radio] section the same way;
# - walk-away (ns3-walkaway-video.ini, 21 simulated s): the radio's RSSI
#   crosses -75 dBm near 11.6 s, the video is on the cell within 100 ms, the
#   association is lost near 19.9 s (the engine's link is then down), and
#   the video loses no packet and no frame; the same seed twice, the same
#   metrics.json; walking back (ns3-walkaway-return.ini, 60 s) the station
#   associates again, WiFi is up again, and still nothing is lost or late. With the CUBIC
#   download beside it (ns3-walkaway.ini, 16 s), at most 30 video packets
#   lost in the handover window (measured: 22, all from sharing the drop-tail
#   queue with CUBIC; standing still on WiFi loses some too);
# - LTE (ns3-walkaway-lte-video.ini, 21 s): the same walk with the cell an
#   LTE cell (LENA, EPC): the UE's NAS active within 1 s, the video on the
#   cell within 100 ms of the crossing, nothing lost or late, the same seed
#   twice the same metrics.json; bad LTE keys give exit 2 and FILE:LINE;
# - LTE X2 (ns3-lte-x2.ini, 20 s): two eNBs, the MN driving from one to the
#   other: one handover, cell 1 to 2, within 20 ms, the video on the cell
#   loses nothing; without the handover algorithm it loses more than 100;
# - 802.11n at 5 GHz, 40 MHz: one download more than three times 802.11g's;
#   a band or width the standard does not have: exit 2 and FILE:LINE;
# - LTE off (ns3-lte-off.ini, 22 s): the eNB off at 10 s and on at 20: one
#   radio link failure, the UE active again, the video moved to WiFi with
#   nothing lost and an added gap under 200 ms;
# - pcap replay (replay-pcap.ini with its links' jitter, 15 s): each replayed
#   flow's goodput and one-way delay p50 within 5 % of um3n-sim's;
# - jitter_ms on a point-to-point link: its delay spread, FIFO unless
#   reorder = yes;
# - Gilbert-Elliott loss (ge_* keys) on a point-to-point link: the flow's
#   loss within 25 % of the model's mean;
# - qdisc = fq_codel (ns-3's FqCoDel before the downlink, as the ns-3
#   testbed's router has): in front of a 3000-byte device queue, where one
#   CUBIC flow alone gets 1.9 of 10 Mbit/s (20 ms), it holds the window and
#   the flow gets 9.1; a bad qdisc, one on a radio link: exit 2; um3n-sim
#   refuses it;
# - cc = linux-cubic (TcpCubic with Linux's TCP-friendly region): behind a
#   4000-byte queue at 10 Mbit/s, 10 ms, more than 1.15 times TcpCubic's
#   goodput (measured 5.89 against 4.71);
# - rate traces: open-loop bulk flows both ways over the Verizon LTE
#   mahimahi pair agree with um3n-sim's exact serialiser (goodput of each
#   flow and its one-way delay p50 within 5 %); a malformed trace: exit 2;
# - outages: the AP of ns3-apoff.ini off at 10 s (the station deassociates
#   near 11 s, the video goes on over the cell), a cut point-to-point link
#   (the flow moves to the cell and back), a bad outage value (exit 2);
# - multihoming TCP (a CUBIC flow per link) gets more than WiFi alone, and
#   more than WiFi plus half of 3G alone (issue 12), over 10 simulated s, with
#   more than half of 3G's alone over its cell link.
# - one BBR flow aggregated over both links with queues its startup cannot
#   overflow (ns3-aggregate-bbr-deepq.ini, 10 s) gets more than WiFi alone,
#   with more than half of 3G's alone over the cell (ns-3 3.37's TcpBbr
#   collapses after a burst of losses: with the 45,000-byte queues, 0.33).
# - core_rate_mbps (a bottleneck on the servers' side of the HA): 4 Mbit/s
#   offered through a 2 Mbit/s core gets its 2 in both simulators (within
#   5 % of each other), the rest counted as the core queue's drops.
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
for f in metrics.json timeseries.csv extra.json link-cell-mn.pcap link-wifi-ha.pcap mn-tun.pcap \
	ha-tun.pcap; do
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

# The TUN pcaps hold the inner packets: TCP between the servers and the home address.
inner=$(tshark -r "$out/a/mn-tun.pcap" -Y "tcp && ip.dst == 10.200.0.2" 2>/dev/null | wc -l)
if [ "$inner" -gt 1000 ]; then
	echo "ok   mn-tun.pcap: $inner inner TCP packets to the home address"
else
	echo "FAIL mn-tun.pcap: $inner inner TCP packets to the home address (> 1000)"; fail=1
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
# event_jitter_ms moves the outage as um3n-sim moves it (the same draw from
# the seed): the seconds the flow is cut are the same in both, and not the
# unmoved ones (seed 1: 3.1 s later).
for j in 0 5000; do
	printf "[sim]\nduration_s = 12\nevent_jitter_ms = $j\n[link cell]\nclass = cell\nrate_mbps = 20\ndelay_ms = 20\noutage = 2-3\n[flow f]\ntype = cbr\nserver = 10.9.1.10\ndirection = down\nrate_mbps = 2\nstart_s = 1\n" > "$out/ej$j.ini"
	"$ns3" "$out/ej$j.ini" --out "$out/ejn$j" > /dev/null
	"$sim" "$out/ej$j.ini" --out "$out/ejs$j" > /dev/null
done
cut_secs() { awk -F, 'NR > 2 && $3 < 1 { printf "%s ", $1 }' "$1/timeseries.csv"; }
a=$(cut_secs "$out/ejn5000") b=$(cut_secs "$out/ejs5000") c=$(cut_secs "$out/ejn0")
if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "$c" ]; then
	echo "ok   event_jitter_ms: the cut moved to seconds $a(um3n-sim: $b; unmoved: $c)"
else
	echo "FAIL event_jitter_ms: cut seconds '$a', um3n-sim '$b' (the same), unmoved '$c' (others)"; fail=1
fi
printf '[link wifi]\nrate_mbps = 10\n[flow f]\ntype = pcap\npcap = x.pcap\nserver = 10.9.1.10\n' \
	> "$out/pcap.ini"
expect_error "unreadable capture" "$ns3" "$out/pcap.ini" "$out/x.pcap: "
printf "[link wifi]\nrate_mbps = 10\n[radio wifi]\nap_position = 1\n$tcp_flow" > "$out/radio.ini"
expect_error "bad [radio] value" "$ns3" "$out/radio.ini" "$out/radio.ini:4: "
printf "[link wifi]\nrate_mbps = 10\n[radio wlan]\n[mobility]\nspeed = 1\n$tcp_flow" > "$out/mob.ini"
expect_error "bad [mobility] key" "$ns3" "$out/mob.ini" "$out/mob.ini:5: "
printf "[link wifi]\nrate_mbps = 10\n[radio wifi]\n[mobility]\nwaypoint = 0 1 1\nspeed_mps = 1\n$tcp_flow" \
	> "$out/way.ini"
expect_error "waypoints and a straight walk" "$ns3" "$out/way.ini" "$out/way.ini:6: "
printf "[link wifi]\nrate_mbps = 10\n[radio wifi]\n[mobility]\nwaypoint = 5 1 1\nwaypoint = 5 2 2\n$tcp_flow" \
	> "$out/way2.ini"
expect_error "waypoint times not increasing" "$ns3" "$out/way2.ini" "$out/way2.ini:6: "
printf "[link wifi]\nrate_mbps = 10\n$tcp_flow[radio wlan]\n" > "$out/wlan.ini"
expect_error "[radio] of no link" "$ns3" "$out/wlan.ini" "$out/wlan.ini:6: "
printf '[link wifi]\nrate_mbps = 10\n[radio wifi]\ntx_power_dbm = 20\n[flow f]\ntype = cbr\nrate_mbps = 1\nserver = 10.9.1.10\n' \
	> "$out/simradio.ini"
expect_error "um3n-sim refuses [radio]" "$sim" "$out/simradio.ini" "$out/simradio.ini:3: "
printf "[link wifi]\nrate_mbps = 10\n${tcp_flow}cc = vegas\n" > "$out/cc.ini"
expect_error "bad cc" "$ns3" "$out/cc.ini" "$out/cc.ini:6: "
printf "[link wifi]\nrate_mbps = 10\n${tcp_flow}rate_mbps = 3\n" > "$out/rate.ini"
expect_error "rate_mbps on tcp" "$ns3" "$out/rate.ini" "$out/rate.ini:3: "
printf "[link wifi]\nrate_mbps = 10\nqdisc = red\n$tcp_flow" > "$out/qd1.ini"
expect_error "bad qdisc" "$ns3" "$out/qd1.ini" "$out/qd1.ini:3: "
printf "[link wifi]\nrate_mbps = 10\nqdisc = fq_codel\n[radio wifi]\n$tcp_flow" > "$out/qd2.ini"
expect_error "qdisc on a radio link" "$ns3" "$out/qd2.ini" "$out/qd2.ini:4: "
printf '[link wifi]\nrate_mbps = 10\nqdisc = fq_codel\n[flow f]\ntype = cbr\nrate_mbps = 1\nserver = 10.9.1.10\n' \
	> "$out/qd3.ini"
expect_error "um3n-sim refuses qdisc" "$sim" "$out/qd3.ini" "$out/qd3.ini:1: "
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
# ---- BBR aggregated, with queues its startup cannot overflow ---------------
# (ns-3 3.37's TcpBbr collapses after a burst of losses: the testbed's
# 45,000-byte queues give 0.33 Mbit/s; ns3-aggregate-bbr-deepq.ini says why)
"$ns3" "$dir/ns3-aggregate-bbr-deepq.ini" --duration 10 --out "$out/bbr" > /dev/null
gb=$(goodput "$out/bbr")
gbc=$(link_goodput "$out/bbr" cell)
if awk -v b="$gb" -v w="$gw" -v c="$gbc" -v g="$g3" 'BEGIN { exit !(b > w && c > g / 2) }'; then
	echo "ok   BBR aggregated $gb Mbit/s > wifi $gw, $gbc over the cell (> 3g $g3 / 2)"
else
	echo "FAIL BBR aggregated $gb Mbit/s (wifi $gw), $gbc over the cell (3g $g3)"; fail=1
fi
# ---- walk-away: the radio drives the handover ------------------------------
num() { sed -n "s/.*\"$2\": \(-\{0,1\}[0-9.]*\).*/\1/p" "$1/metrics.json" | head -1; }
for run in wa wb; do
	"$ns3" "$dir/ns3-walkaway-video.ini" --duration 21 --out "$out/$run" > /dev/null
done
if cmp -s "$out/wa/metrics.json" "$out/wb/metrics.json"; then
	echo "ok   walk-away: same seed, same metrics.json"
else
	echo "FAIL walk-away: same seed, different metrics.json"; fail=1
fi
radio=$(grep '"radio"' "$out/wa/metrics.json")
cross=$(num "$out/wa" crossing_s) moved=$(num "$out/wa" moved_ms) gone=$(num "$out/wa" deassociated_s)
lost=$(num "$out/wa" lost_packets) late=$(num "$out/wa" late_frames)
if awk -v c="$cross" -v m="$moved" -v g="$gone" -v l="$lost" -v f="$late" \
	'BEGIN { exit !(c >= 11 && c <= 12.5 && m >= 0 && m <= 100 && g >= 18 && g <= 21 && l == 0 && f == 0) }'; then
	echo "ok   walk-away video: crossing ${cross} s, on the cell ${moved} ms later, association lost ${gone} s, $lost lost, $late late"
else
	echo "FAIL walk-away video: crossing $cross s (11..12.5), moved $moved ms (0..100), association lost $gone s (18..21), $lost lost, $late late (0, 0): $radio"; fail=1
fi
# The lost association reached the engine as DOWN (state 0): without it the
# link would be FAILED (4), silent, instead.
wstate=$(sed -n 's/^    "wifi": {"state": \([0-9]*\),.*/\1/p' "$out/wa/extra.json")
if [ "$wstate" = 0 ]; then
	echo "ok   walk-away: the engine's wifi link is down after the association loss"
else
	echo "FAIL walk-away: the engine's wifi link is in state '$wstate' after the association loss (0, down)"; fail=1
fi
# ... and back (waypoints): associated again (UP), WiFi recovers, nothing lost.
"$ns3" "$dir/ns3-walkaway-return.ini" --out "$out/wr" > /dev/null
assocs=$(num "$out/wr" associations) lost=$(num "$out/wr" lost_packets) late=$(num "$out/wr" late_frames)
wstate=$(sed -n 's/^    "wifi": {"state": \([0-9]*\),.*/\1/p' "$out/wr/extra.json")
if [ "$assocs" = 2 ] && [ "$wstate" = 2 ] && [ "$lost" = 0 ] && [ "$late" = 0 ]; then
	echo "ok   walk-away and back: associated twice, WiFi up again, $lost lost, $late late"
else
	echo "FAIL walk-away and back: $assocs associations (2), WiFi state '$wstate' (2, up), $lost lost, $late late (0, 0)"; fail=1
fi
"$ns3" "$dir/ns3-walkaway.ini" --duration 16 --out "$out/wt" > /dev/null
holost=$(sed -n 's/.*"handover": {"gap_ms": [0-9.]*, "lost_packets": \([0-9]*\).*/\1/p' "$out/wt/metrics.json")
stall=$(num "$out/wt" longest_stall_ms)
# Measured (seed 1, 16 s): 45 video packets lost in the window with the
# sender's AQM of moved traffic (core/aqm.c; seeds 2, 3: 78, 51), 22 with
# aqm_limit_ms = 0 (32, 54): both flows moved onto the cell, and CoDel's and the
# hard limit's drops in the first interval still catch video packets. The
# probes' delivery reports (rateest.h) made them 16 bytes longer, which moves
# every later random draw: seeds 1-3 then gave 82, 52, 61, the same with
# rate_estimate = no on both ends. The bound covers that spread.
if [ -n "$holost" ] && [ "$holost" -le 100 ] && awk -v s="$stall" 'BEGIN { exit !(s > 0 && s < 1000) }'; then
	echo "ok   walk-away video + CUBIC download: $holost video packets lost in the handover window (<= 100), download's longest stall $stall ms"
else
	echo "FAIL walk-away video + CUBIC download: '$holost' lost in the handover window (<= 100), stall '$stall' ms (0..1000)"; fail=1
fi
# ---- LTE: the cell a LENA eNB with its EPC ------------------------------------
for run in la lb; do
	"$ns3" "$dir/ns3-walkaway-lte-video.ini" --duration 21 --out "$out/$run" > /dev/null
done
if cmp -s "$out/la/metrics.json" "$out/lb/metrics.json"; then
	echo "ok   walk-away onto LTE: same seed, same metrics.json"
else
	echo "FAIL walk-away onto LTE: same seed, different metrics.json"; fail=1
fi
active=$(num "$out/la" active_s) moved=$(num "$out/la" moved_ms)
lost=$(num "$out/la" lost_packets) late=$(num "$out/la" late_frames)
if awk -v a="$active" -v m="$moved" -v l="$lost" -v f="$late" \
	'BEGIN { exit !(a >= 0 && a < 1 && m >= 0 && m <= 100 && l == 0 && f == 0) }'; then
	echo "ok   walk-away onto LTE: UE active at ${active} s, video on the cell ${moved} ms after the crossing, $lost lost, $late late"
else
	echo "FAIL walk-away onto LTE: UE active at '$active' s (0..1), moved '$moved' ms (0..100), $lost lost, $late late (0, 0): $(grep '"lte"' "$out/la/metrics.json")"; fail=1
fi
# ---- LTE: an X2 handover between two eNBs (ns3-lte-x2.ini, 20 s) ---------------
# With A3 at 0 dB and 0 ms the UE is handed over at the cell edge: one
# handover, cell 1 to cell 2, its RRC procedure within 20 ms (measured 4.2),
# the video on the cell loses nothing; with handover = none the UE stays on
# its first cell past the edge and loses more than 100 (measured 249 in 30 s).
sed 's/^hysteresis_db = .*/hysteresis_db = 0/; s/^time_to_trigger_ms = .*/time_to_trigger_ms = 0/' \
	"$dir/ns3-lte-x2.ini" > "$out/x2.ini"
sed 's/^handover = .*/handover = none/' "$dir/ns3-lte-x2.ini" > "$out/x2none.ini"
"$ns3" "$out/x2.ini" --duration 20 --out "$out/x2" > /dev/null
"$ns3" "$out/x2none.ini" --duration 20 --out "$out/x2n" > /dev/null
hos=$(grep -o '"from_cell": 1, "to_cell": 2' "$out/x2/metrics.json" | wc -l)
homs=$(num "$out/x2" ms) lost=$(num "$out/x2" lost_packets) nlost=$(num "$out/x2n" lost_packets)
if [ "$hos" -eq 1 ] && ! grep -q '"to_cell"' "$out/x2n/metrics.json" &&
	awk -v m="$homs" -v l="$lost" -v n="$nlost" 'BEGIN { exit !(m > 0 && m <= 20 && l == 0 && n > 100) }'; then
	echo "ok   LTE X2 handover: one, cell 1 to 2 in $homs ms, the video lost $lost; without handover $nlost"
else
	echo "FAIL LTE X2 handover: $hos handovers 1->2 (1), '$homs' ms (0..20], $lost lost (0), without handover '$nlost' lost (> 100): $(grep '"lte"' "$out/x2/metrics.json")"; fail=1
fi
# ---- LTE: the eNB switched off (ns3-lte-off.ini, 22 s) --------------------------
# Off at 10 s, on at 20: the engines move the video to WiFi on the cell's
# silence (measured: the HA at 88 ms, 46 packets re-sent, 0 lost, an added
# gap of 70 ms), the UE's radio link fails (2.2 s later) and it is active
# again once the eNB is back (0.26 s later).
"$ns3" "$dir/ns3-lte-off.ini" --duration 22 --out "$out/lo" > /dev/null
rlf=$(num "$out/lo" radio_link_failures) act=$(num "$out/lo" actives)
lost=$(num "$out/lo" lost_packets) gap=$(num "$out/lo" added_gap_ms)
if awk -v r="$rlf" -v a="$act" -v l="$lost" -v g="$gap" \
	'BEGIN { exit !(r == 1 && a == 2 && l == 0 && g >= 0 && g < 200) }'; then
	echo "ok   LTE eNB off: radio link failure $rlf, active again ($act), video lost $lost, added gap $gap ms"
else
	echo "FAIL LTE eNB off: radio link failures '$rlf' (1), NAS active '$act' times (2), video lost '$lost' (0), added gap '$gap' ms (< 200)"; fail=1
fi
# ---- 802.11n: the same download standing 10 m from the AP, 3 s ---------------------
# Measured (10 s): 802.11g 22.5 Mbit/s, 802.11n 5 GHz 40 MHz 102.5.
for std in 802.11g 802.11n; do
	printf "[sim]\nduration_s = 3\n[link wifi]\nclass = wifi\nrate_mbps = 1000\ndelay_ms = 2\nqueue_bytes = 1000000\n[radio wifi]\nstandard = $std\n$( [ $std = 802.11n ] && printf 'band_ghz = 5\\nchannel_width_mhz = 40\\n')loss_exponent = 3\n[mobility]\nstart = 10 0\n[link cell]\nclass = cell\nrate_mbps = 10\n[policy]\ndefault = wifi\n[flow dl]\ntype = tcp\nserver = 10.9.1.10\ndirection = down\nstart_s = 1\n" > "$out/$std.ini"
	"$ns3" "$out/$std.ini" --out "$out/$std" > /dev/null
done
gg=$(goodput "$out/802.11g") gn=$(goodput "$out/802.11n")
if awk -v g="$gg" -v n="$gn" 'BEGIN { exit !(g > 10 && n > 3 * g) }'; then
	echo "ok   802.11n, 5 GHz, 40 MHz: one download $gn Mbit/s, 802.11g $gg"
else
	echo "FAIL 802.11n: '$gn' Mbit/s, expected more than 3 times 802.11g's '$gg' (> 10)"; fail=1
fi
wifi='[link wifi]\nrate_mbps = 100\n[radio wifi]\n'
printf "${wifi}channel_width_mhz = 40\n$tcp_flow" > "$out/w1.ini"
expect_error "802.11g at 40 MHz" "$ns3" "$out/w1.ini" "$out/w1.ini:4: "
printf "${wifi}standard = 802.11ac\nband_ghz = 2.4\n$tcp_flow" > "$out/w2.ini"
expect_error "802.11ac at 2.4 GHz" "$ns3" "$out/w2.ini" "$out/w2.ini:5: "
lte='[link cell]\nrate_mbps = 100\n[radio cell]\nstandard = lte\n'
printf "${lte}bandwidth_rb = 7\n$tcp_flow" > "$out/lte1.ini"
expect_error "bad LTE bandwidth" "$ns3" "$out/lte1.ini" "$out/lte1.ini:5: "
printf "${lte}rate_control = ideal\n$tcp_flow" > "$out/lte2.ini"
expect_error "802.11g key in an LTE radio" "$ns3" "$out/lte2.ini" "$out/lte2.ini:5: "
printf "[link cell]\nrate_mbps = 100\nflap = 2 0.5\n[radio cell]\nstandard = lte\n$tcp_flow" > "$out/lte3.ini"
expect_error "flapping an LTE cell" "$ns3" "$out/lte3.ini" "$out/lte3.ini:4: "
printf "${lte}time_to_trigger_ms = 50\n$tcp_flow" > "$out/lte4.ini"
expect_error "a time to trigger 3GPP does not define" "$ns3" "$out/lte4.ini" "$out/lte4.ini:5: "
printf "${lte}handover = a3\n$tcp_flow" > "$out/lte5.ini"
expect_error "an unknown handover algorithm" "$ns3" "$out/lte5.ini" "$out/lte5.ini:5: "
printf "${lte}$(printf 'enb_position = %d 0\\n' 0 1 2 3 4 5 6 7 8)$tcp_flow" > "$out/lte6.ini"
expect_error "nine eNBs" "$ns3" "$out/lte6.ini" "$out/lte6.ini:13: "
# ---- rate traces: the same capacity curve as um3n-sim's links ------------------
# Measured (30 s): downlink 5.071 Mbit/s against 5.038, p50 200.0 ms against
# 199.5; uplink 7.266 against 7.237, p50 153.4 against 152.4.
links=$(cd "$dir/../links" && pwd)
printf '[sim]\nduration_s = 30\n[link cell]\nclass = cell\ntrace = %s\nup_trace = %s\ndelay_ms = 20\nqueue_bytes = 150000\n[flow f]\ntype = bulk\nserver = 10.9.1.10\ndirection = down\nrate_mbps = 40\nstart_s = 1\n[flow u]\ntype = bulk\nserver = 10.9.1.11\ndirection = up\nrate_mbps = 20\nstart_s = 1\n' \
	"$links/Verizon-LTE-short.down" "$links/Verizon-LTE-short.up" > "$out/tr.ini"
"$ns3" "$out/tr.ini" --out "$out/trn" > /dev/null
"$sim" "$out/tr.ini" --out "$out/trs" > /dev/null
flowfig() { # dir flow key
	sed -n "/^    \"$2\": {/,/}/s/.*\"$3\": \([0-9.]*\).*/\1/p" "$1/metrics.json" | head -1
}
# Each flow's goodput and one-way delay p50 within 5 % of um3n-sim's.
like_sim() { # what ns3sim-dir um3n-sim-dir flow...
	what=$1 n=$2 u=$3 ok=1 figs=""
	shift 3
	for f in "$@"; do
		for k in goodput_mbps owd_p50_ms; do
			a=$(flowfig "$n" "$f" $k) b=$(flowfig "$u" "$f" $k)
			figs="$figs $f.$k=$a/$b"
			awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > 0 && a / b > 0.95 && a / b < 1.05) }' || ok=0
		done
	done
	if [ "$ok" = 1 ]; then
		echo "ok   $what (ns3sim/um3n-sim):$figs"
	else
		echo "FAIL $what, within 5 % of um3n-sim (ns3sim/um3n-sim):$figs"; fail=1
	fi
}
like_sim "rate traces" "$out/trn" "$out/trs" f u
# ---- pcap replay: the captures' packets through the engines -------------------
# Measured (30 s, with the links' jitter): rtp 0.222 Mbit/s both, p50 50.07 ms
# against 50.17, p99 56.07 against 56.06; ftp (two-way, its TCP segments as
# captured) 0.006, p50 6.67 ms against 6.68.
sed -e "s#\.\./pcap/#$(cd "$dir/../pcap" && pwd)/#" -e 's/^duration_s = .*/duration_s = 15/' \
	"$dir/replay-pcap.ini" > "$out/rp.ini"
"$ns3" "$out/rp.ini" --out "$out/rpn" > /dev/null
"$sim" "$out/rp.ini" --out "$out/rps" > /dev/null
like_sim "pcap replay" "$out/rpn" "$out/rps" rtp ftp
# ---- Gilbert-Elliott loss on a point-to-point link -------------------------------
# Good->Bad 1 %, Bad->Good 10 % per packet, losing 0.1 % in Good and 50 % in
# Bad: 0.0909 * 0.5 + 0.9091 * 0.001 = 4.64 % on average (measured, seed 1,
# 30 s: 4.86 %, um3n-sim 4.74 %); uniform loss alone would be 0.
printf '[sim]\nduration_s = 30\n[link cell]\nclass = cell\nrate_mbps = 20\ndelay_ms = 20\nge_p_gb = 0.01\nge_p_bg = 0.1\nge_loss_good = 0.001\nge_loss_bad = 0.5\n[flow f]\ntype = cbr\nserver = 10.9.1.10\ndirection = down\nrate_mbps = 5\nstart_s = 1\n' > "$out/ge.ini"
"$ns3" "$out/ge.ini" --out "$out/ge" > /dev/null
geloss=$(flowfig "$out/ge" f loss)
if awk -v l="$geloss" 'BEGIN { exit !(l > 0.0348 && l < 0.058) }'; then
	echo "ok   Gilbert-Elliott loss: $geloss of the flow's packets (4.64 % +-25 %)"
else
	echo "FAIL Gilbert-Elliott loss: '$geloss' of the flow's packets, expected 4.64 % +-25 %"; fail=1
fi
# ---- jitter on a point-to-point link: FIFO unless reorder = yes -----------------
for r in no yes; do
	printf '[sim]\nduration_s = 5\n[link cell]\nclass = cell\nrate_mbps = 20\ndelay_ms = 20\njitter_ms = 20\nreorder = %s\n[flow f]\ntype = cbr\nserver = 10.9.1.10\ndirection = down\nrate_mbps = 5\nstart_s = 1\n' \
		"$r" > "$out/jit-$r.ini"
	"$ns3" "$out/jit-$r.ini" --out "$out/jit-$r" > /dev/null
done
jn=$(flowfig "$out/jit-no" f reordered) jy=$(flowfig "$out/jit-yes" f reordered)
p99=$(flowfig "$out/jit-no" f owd_p99_ms)
if [ "$jn" = 0 ] && [ "$jy" -gt 0 ] && awk -v p="$p99" 'BEGIN { exit !(p > 30 && p < 45) }'; then
	echo "ok   jitter: 20 ms, one-way p99 $p99 ms, none reordered; with reorder = yes $jy reordered"
else
	echo "FAIL jitter: reordered '$jn' (0) and with reorder = yes '$jy' (> 0), p99 '$p99' ms (30..45)"; fail=1
fi
printf '0\n5\nx\n' > "$out/bad.trace"
printf '[sim]\nduration_s = 5\n[link cell]\ntrace = %s\n[flow f]\ntype = tcp\nserver = 10.9.1.10\n' "$out/bad.trace" > "$out/badtr.ini"
set +e
"$ns3" "$out/badtr.ini" --out "$out/err" > /dev/null 2> "$out/stderr"
rc=$?
set -e
if [ "$rc" = 2 ] && [ "$(wc -l < "$out/stderr")" = 1 ] && grep -q "^$out/bad.trace:3: " "$out/stderr"; then
	echo "ok   malformed trace: $(cat "$out/stderr")"
else
	echo "FAIL malformed trace: exit $rc (2), stderr:"; cat "$out/stderr"; fail=1
fi
# One TCP flow from 1 s to 8 s over a 10 Mbit/s link with the link keys $2
# and the flow keys $3 (printf escapes), into $out/$1: the two-way checks below.
one_tcp_link() {
	printf "[sim]\nduration_s = 8\n[link wifi]\nrate_mbps = 10\n$2${tcp_flow}start_s = 1\n$3" > "$out/$1.ini"
	"$ns3" "$out/$1.ini" --out "$out/$1" > /dev/null
}

# ---- qdisc = fq_codel: a managed buffer before a 2-packet device queue ------------
for q in droptail fq_codel; do
	one_tcp_link "qd-$q" "delay_ms = 20\nqueue_bytes = 3000\nqdisc = $q\n" ""
done
a=$(goodput "$out/qd-droptail") b=$(goodput "$out/qd-fq_codel")
if awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > 7 && b > 2 * a) }'; then
	echo "ok   qdisc = fq_codel: $b Mbit/s of 10 where the 3000-byte device queue alone lets $a through"
else
	echo "FAIL qdisc = fq_codel: $b Mbit/s (> 7, > twice drop-tail's $a)"; fail=1
fi

# ---- cc = linux-cubic: CUBIC with Linux's TCP-friendly region ------------------------
for c in cubic linux-cubic; do
	one_tcp_link "lc-$c" "delay_ms = 10\nqueue_bytes = 4000\n" "cc = $c\n"
done
a=$(goodput "$out/lc-cubic") b=$(goodput "$out/lc-linux-cubic")
if awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > 1.15 * a) }'; then
	echo "ok   cc = linux-cubic: $b Mbit/s behind a 4000-byte queue, where ns-3's TcpCubic waits in its plateau: $a"
else
	echo "FAIL cc = linux-cubic: $b Mbit/s (> 1.15 times TcpCubic's $a)"; fail=1
fi

# ---- outages: the AP switched off, a point-to-point link cut -------------------
# ns3-apoff.ini (14 s): the AP off at 10 s; the station loses its association
# after its missed beacons (10 x 102.4 ms), the engine moved the traffic
# before that on its probes' silence; both the video and the download go on
# over the cell. Measured (seed 1): deassociated at 10.98 s, an added gap of
# 144 ms, 52 video packets lost in the window (in flight on the dead WiFi and
# behind CUBIC in the cell's queue), a 651 ms stall.
"$ns3" "$dir/ns3-apoff.ini" --duration 14 --out "$out/ao" > /dev/null
gone=$(num "$out/ao" deassociated_s) added=$(num "$out/ao" added_gap_ms)
cellg=$(link_goodput "$out/ao" cell)
if awk -v g="$gone" -v a="$added" -v c="$cellg" \
	'BEGIN { exit !(g >= 10.9 && g <= 11.3 && a > 0 && a < 400 && c > 1) }'; then
	echo "ok   AP off at 10 s: association lost at $gone s, video added gap $added ms, cell $cellg Mbit/s"
else
	echo "FAIL AP off at 10 s: association lost at '$gone' s (10.9..11.3), added gap '$added' ms (0..400), cell '$cellg' Mbit/s (> 1)"; fail=1
fi
# A cut point-to-point link (multihoming, wifi cut 3-5 s of 8, the flow from
# 1 s): the flow moves to the cell and back; the outage keys parse as
# um3n-sim's. Measured: cell 0.74 Mbit/s, wifi 6.86 over the 8 s (2 s before
# the cut carry at most 2.5 of it: more means it came back), stall 337 ms.
printf '[sim]\nduration_s = 8\n[link wifi]\nrate_mbps = 10\ndelay_ms = 5\noutage = 3-5 carrier\n[link cell]\nrate_mbps = 3\ndelay_ms = 25\n[policy]\ndefault = wifi\n[flow f]\ntype = tcp\nserver = 10.9.1.10\nstart_s = 1\n' > "$out/cut.ini"
"$ns3" "$out/cut.ini" --out "$out/cut" > /dev/null
wg=$(link_goodput "$out/cut" wifi) cg=$(link_goodput "$out/cut" cell)
if awk -v w="$wg" -v c="$cg" 'BEGIN { exit !(w > 4 && c > 0.3) }'; then
	echo "ok   wifi cut 3-5 s: the flow went on over the cell ($cg Mbit/s) and back to wifi ($wg)"
else
	echo "FAIL wifi cut 3-5 s: cell '$cg' Mbit/s (> 0.3), wifi '$wg' (> 4: more than the 2 s before the cut carry)"; fail=1
fi

# ---- core_rate_mbps --------------------------------------------------------
printf '[sim]\nduration_s = 6\ncore_rate_mbps = 2\ncore_queue_bytes = 10000\n[link wifi]\nrate_mbps = 10\ndelay_ms = 10\n[flow f]\ntype = cbr\nserver = 10.9.1.10\nrate_mbps = 4\npacket_bytes = 1000\nstart_s = 1\n' > "$out/core.ini"
"$ns3" "$out/core.ini" --out "$out/coren" > /dev/null
"$sim" "$out/core.ini" --out "$out/cores" > /dev/null
a=$(goodput "$out/coren") b=$(goodput "$out/cores")
d=$(sed -n 's/.*"core": {"down": {\("sent_pkts": [0-9]*, "delivered_pkts": [0-9]*, \)*"drop_queue": \([0-9]*\).*/\2/p' "$out/coren/extra.json")
if awk -v a="$a" -v b="$b" -v d="${d:-0}" \
	'BEGIN { exit !(a > 1.9 && a < 2.05 && a > 0.95 * b && a < 1.05 * b && d > 500) }'; then
	echo "ok   core_rate_mbps = 2: $a Mbit/s (um3n-sim $b), $d dropped by the core's queue"
else
	echo "FAIL core_rate_mbps = 2: '$a' Mbit/s (1.9..2.05, within 5 % of um3n-sim's '$b'), '$d' core drops (> 500)"; fail=1
fi
printf '[sim]\nduration_s = 6\n[link wifi]\nrate_mbps = 10\noutage = 4-2\n[flow f]\ntype = tcp\nserver = 10.9.1.10\n' > "$out/badcut.ini"
expect_error "outage ending before it starts" "$ns3" "$out/badcut.ini" "$out/badcut.ini:5: "
exit $fail
