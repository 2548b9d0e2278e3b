#!/bin/bash
# um3n selftest: TCP checksums across the tunnel with the real daemons.
# With offload on, a daemon tells its peer at registration that it completes
# the TCP checksums of what it decapsulates (wire.h UM3N_LINK_F_CSUM_PARTIAL);
# the peer then skips the pass over every payload byte. Each pairing of
# offload settings (MN x HA) must work: the flags seen in `um3nctl show -j`
# match the peer's setting, 48 MiB go up and down with the same SHA-256 at
# both ends, and no receiver counts a checksum error (TcpInCsumErrors). Then
# the HA is restarted without offload under a running 384 MiB upload.
# Topology: emu/pairtopo.sh. Root; daemons from $UM3N_BUILD (default build/).
# Exit 0 = every check held, 1 = a check failed, 77 = cannot run here.
set -e

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${UM3N_BUILD:-$HERE/../build}
PY=/usr/bin/python3
PAIR_PREFIX="u3nc$$"
failures=0
# shellcheck source=pairtopo.sh
. "$HERE/pairtopo.sh"

pretty() { printf '\033[1m[%s]\033[0m %s\n' "$1" "$2"; }
ok() { pretty "ok" "$*"; }
bad() { pretty "FAIL" "$*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
cleanup() {
	set +e
	pair_down
	rm -rf "$TMP"
}
pair_require csum.sh
TMP=$(mktemp -d /tmp/um3n-csum.XXXXXX)
trap cleanup EXIT

jget() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
csum_errors() { n "$1" nstat -az TcpInCsumErrors | awk '/TcpInCsumErrors/ { print $2 }'; }

# transfer DIR(up|down) [FILE] -> prints "bytes sha256" as the receiver saw them
transfer() {
	local srv_mode=sink cli_mode=put file=${2:-$TMP/blob}
	[[ $1 == down ]] && srv_mode=source cli_mode=get
	# Emptied here, not by the background job's redirection: that may run
	# after the loop below has read the last server's "listening" (a client
	# then connected before this server listened: refused, seen in CI).
	: >"$TMP/srv.out"
	n "$NS_SRV" timeout 30 "$PY" "$HERE/xfer.py" $srv_mode 10.9.1.1 5001 "$file" \
		>"$TMP/srv.out" &
	local srv=$! i
	for ((i = 0; i < 50; i++)); do grep -q listening "$TMP/srv.out" && break; sleep 0.05; done
	n "$NS_MN" timeout 30 "$PY" "$HERE/xfer.py" $cli_mode 10.9.1.1 5001 "$file" \
		>"$TMP/cli.out" || true
	wait "$srv" || true
	if [[ $1 == up ]]; then tail -n1 "$TMP/srv.out"; else cat "$TMP/cli.out"; fi
}

head -c $((48 << 20)) /dev/urandom >"$TMP/blob"
want="$((48 << 20)) $(sha256sum "$TMP/blob" | cut -d' ' -f1)"
pair_up
for pairing in yes:yes yes:no no:yes no:no; do
	mn_off=${pairing%:*} ha_off=${pairing#*:}
	what="offload MN $mn_off, HA $ha_off"
	if ! pair_start "$TMP" "$mn_off" "$ha_off"; then
		bad "$what: the MN did not register"
		pair_stop
		continue
	fi
	mn_says=$(n "$NS_MN" "$BUILD/daemons/um3nctl" -s "$TMP/mn.sock" show -j | jget 'd["tun"]["csum_partial"]')
	ha_says=$(n "$NS_HA" "$BUILD/daemons/um3nctl" -s "$TMP/ha.sock" show -j |
		jget 'd["bindings"][0]["csum_partial"]')
	expect_mn=False expect_ha=False
	[[ $ha_off == yes ]] && expect_mn=True
	[[ $mn_off == yes ]] && expect_ha=True
	check "$what: MN sends partial checksums: $mn_says, HA: $ha_says" \
		test "$mn_says" = $expect_mn -a "$ha_says" = $expect_ha
	before="$(csum_errors "$NS_SRV") $(csum_errors "$NS_MN")"
	for dir in up down; do
		t0=$(date +%s.%N)
		got=$(transfer $dir)
		secs=$(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $t0 }")
		check "$what: 48 MiB $dir, same SHA-256 at both ends (${secs} s)" test "$got" = "$want"
	done
	after="$(csum_errors "$NS_SRV") $(csum_errors "$NS_MN")"
	check "$what: no TCP checksum errors at the receivers ($before -> $after)" \
		test "$before" = "$after"
	pair_stop
done

# The HA restarted without offload under a running upload: the MN sends
# partial checksums until it re-registers and learns the change; TCP resends
# what was dropped meanwhile, and the bytes still arrive intact.
for ((i = 0; i < 8; i++)); do cat "$TMP/blob"; done >"$TMP/big"
big="$((8 * 48 << 20)) $(sha256sum "$TMP/big" | cut -d' ' -f1)"
if pair_start "$TMP" yes yes; then
	transfer up "$TMP/big" >"$TMP/big.out" &
	xfer=$!
	sleep 0.3
	kill "${pair_pids[0]}"
	wait "${pair_pids[0]}" 2>/dev/null || true
	sed -i 's/^offload = yes$/offload = no/' "$TMP/ha.conf"
	ip netns exec "$NS_HA" "$BUILD/daemons/um3n-ha" -f -c "$TMP/ha.conf" 2>>"$TMP/ha.log" &
	pair_pids[0]=$!
	wait "$xfer" || true
	check "HA restarted without offload during a 384 MiB upload: same SHA-256 at both ends" \
		test "$(cat "$TMP/big.out")" = "$big"
	mn_says=$(n "$NS_MN" "$BUILD/daemons/um3nctl" -s "$TMP/mn.sock" show -j |
		jget 'd["tun"]["csum_partial"]')
	check "after the restart the MN sends complete checksums (partial: $mn_says)" \
		test "$mn_says" = False
else
	bad "HA restart: the MN did not register"
fi
pair_stop

echo
if ((failures)); then
	echo "csum.sh: $failures check(s) failed"
	exit 1
fi
echo "csum.sh: every check held"
