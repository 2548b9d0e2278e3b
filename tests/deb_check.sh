#!/bin/bash
# The Debian package (cmake/package.cmake; README, "Packages"), issue 17:
# `cpack -G DEB`, unpacked with dpkg -x into a scratch root (the host's /usr
# and dpkg database are not touched), must agree with itself on its paths:
# the units' programs, man pages, config files and run-time directory are the
# package's, the example configs the units name are shipped. Then both
# daemons are started from the units' ExecStartPre/ExecStart command lines in
# network namespaces (names arm<pid>-*), with the package's /usr/sbin bound
# over /usr/sbin in their private mount namespaces, and the MN must register
# on both uplinks and be reachable through the tunnel.
# usage: deb_check.sh BUILD_DIR   (root; run under flock on shared machines)
# Exit 0 = every check held, 1 = one failed, 77 = cannot run here.
set -u
BUILD=$(cd "${1:?usage: deb_check.sh BUILD_DIR}" && pwd)
[[ $(id -u) -eq 0 ]] || { echo "deb_check.sh: needs root"; exit 77; }
for t in ip cpack dpkg-deb ping; do
	command -v "$t" >/dev/null || { echo "deb_check.sh: $t missing"; exit 77; }
done
[[ -x $BUILD/daemons/um3n-mn ]] || { echo "deb_check.sh: no daemons in $BUILD"; exit 1; }
P="arm$$"
NS_MN=$P-mn NS_HA=$P-ha
TMP=$(mktemp -d /tmp/um3n-deb.XXXXXX)
R=$TMP/root
made_dirs=()
mn_pid= ha_pid=
fail=0
bad() { echo "FAIL $*"; fail=1; }

cleanup() {
	for pid in $mn_pid $ha_pid; do kill "$pid" 2>/dev/null; done
	for pid in $mn_pid $ha_pid; do wait "$pid" 2>/dev/null; done
	ip netns del "$NS_MN" 2>/dev/null
	ip netns del "$NS_HA" 2>/dev/null
	for d in "${made_dirs[@]}"; do rmdir "$d" 2>/dev/null; done
	((fail)) && tail -n 20 "$TMP"/*.log 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# ---- build and unpack ------------------------------------------------------
(cd "$TMP" && cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$TMP/pkg" >"$TMP/cpack.log" 2>&1) ||
	{ tail "$TMP/cpack.log"; bad "cpack -G DEB"; exit 1; }
deb=$(ls "$TMP"/pkg/um3n_*.deb)
dpkg -x "$deb" "$R"
arch=$(dpkg-deb -f "$deb" Architecture)
[[ $arch == "$(dpkg --print-architecture)" ]] || bad "package is for $arch, not this host"
echo "package: $(basename "$deb"), $(find "$R" -type f | wc -l) files"

# ---- paths agree -------------------------------------------------------------
unit() { sed -n "s/^$2=//p" "$R/usr/lib/systemd/system/um3n-$1.service"; }
for d in mn ha; do
	u=$R/usr/lib/systemd/system/um3n-$d.service
	[[ -f $u ]] || { bad "no unit um3n-$d.service in /usr/lib/systemd/system"; continue; }
	grep -q '@' "$u" && bad "$u: unsubstituted @VAR@"
	for prog in $(sed -n 's/^Exec[A-Za-z]*=\([^ ]*\).*/\1/p' "$u"); do
		[[ $prog == /bin/kill ]] && continue
		[[ $prog == /usr/sbin/um3n-$d ]] || bad "um3n-$d.service runs $prog, not /usr/sbin/um3n-$d"
		[[ -x $R$prog ]] || bad "um3n-$d.service: $prog not in the package"
	done
	for m in $(unit "$d" Documentation); do # man:um3n-mn(8) -> man8/um3n-mn.8
		m=${m#man:}
		s=${m#*(}
		s=${s%)}
		[[ -f $R/usr/share/man/man$s/${m%(*}.$s ]] || bad "um3n-$d.service: no man page $m"
	done
	conf=$(unit "$d" ExecStart | sed -n 's/.* -c \([^ ]*\).*/\1/p')
	[[ $conf == /etc/um3n/$d.conf ]] || bad "um3n-$d.service reads $conf"
	ex=$R/usr/share/doc/um3n/examples/$d.conf
	[[ -f $ex ]] || { bad "no example $d.conf"; continue; }
	head -1 "$ex" | grep -qF "$conf" || bad "example $d.conf does not say it is $conf"
	sock=$(sed -n 's/^control_socket *= *\([^ ;]*\).*/\1/p' "$ex")
	[[ $(dirname "$sock") == /run/$(unit "$d" RuntimeDirectory) ]] ||
		bad "example $d.conf's control_socket $sock is not in the unit's RuntimeDirectory"
	# um3nctl's default socket (its man page) is the example's
	grep -qF "$sock" "$R/usr/share/man/man8/um3nctl.8" || bad "um3nctl(8) does not name $sock"
done
[[ -x $R/usr/sbin/um3nctl ]] || bad "no /usr/sbin/um3nctl"
grep -qF 'cd /usr/share/doc/um3n/examples' "$BUILD/../README.md" 2>/dev/null ||
	grep -qF 'cd /usr/share/doc/um3n/examples' "$(dirname "$0")/../README.md" ||
	bad "README no longer installs the examples from /usr/share/doc/um3n/examples"
((fail)) && exit 1
echo "ok: units, programs, man pages, example configs and sockets agree on their paths"

# ---- start both daemons from the units' command lines ------------------------
# As in emu/walkthrough.sh: each namespace gets its own /etc/um3n and
# /run/um3n, and here also the package's /usr/sbin, in the private mount
# namespace of `ip netns exec`; the host's directories are only mount points.
for d in /etc/um3n /run/um3n; do
	[[ -d $d ]] || { mkdir "$d" && made_dirs+=("$d"); }
done
BIND='mount --bind "$0/etc" /etc/um3n && mount --bind "$0/run" /run/um3n &&
	mount --bind "$0/../root/usr/sbin" /usr/sbin && exec "$@"'
n() { local ns=$1; shift; ip netns exec "$ns" sh -c "$BIND" "$TMP/$ns" "$@"; }
for ns in $NS_MN $NS_HA; do
	mkdir -p "$TMP/$ns/etc" "$TMP/$ns/run"
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
# The example mn.conf's uplinks are veth-cell and veth-wifi: used as they are.
ip link add veth-cell netns "$NS_MN" type veth peer name hc netns "$NS_HA"
ip link add veth-wifi netns "$NS_MN" type veth peer name hw netns "$NS_HA"
ip -n "$NS_MN" addr add 10.1.1.2/24 dev veth-cell
ip -n "$NS_MN" addr add 10.2.2.2/24 dev veth-wifi
ip -n "$NS_HA" addr add 10.1.1.1/24 dev hc
ip -n "$NS_HA" addr add 10.2.2.1/24 dev hw
ip -n "$NS_HA" addr add 192.0.2.1/32 dev lo
for l in veth-cell veth-wifi; do ip -n "$NS_MN" link set "$l" up; done
for l in hc hw; do ip -n "$NS_HA" link set "$l" up; done
ip -n "$NS_MN" route add default via 10.1.1.1 metric 700
ip -n "$NS_MN" route add default via 10.2.2.1 metric 600
ip netns exec "$NS_MN" sysctl -qw net.ipv4.conf.all.rp_filter=2

EX=$R/usr/share/doc/um3n/examples
install -m 0644 "$EX/ha.conf" "$TMP/$NS_HA/etc/ha.conf"
install -m 0644 "$EX/mn.conf" "$TMP/$NS_MN/etc/mn.conf"
(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$TMP/$NS_HA/etc/mn1.key")
install -m 0600 "$TMP/$NS_HA/etc/mn1.key" "$TMP/$NS_MN/etc/mn.key"

start() { # mn|ha: the unit's ExecStartPre, then its ExecStart in the background
	local ns=$NS_MN
	[[ $1 == ha ]] && ns=$NS_HA
	n "$ns" $(unit "$1" ExecStartPre) >>"$TMP/$1.log" 2>&1 || bad "um3n-$1: ExecStartPre failed"
	ip netns exec "$ns" sh -c "$BIND" "$TMP/$ns" $(unit "$1" ExecStart) 2>>"$TMP/$1.log" &
	eval "$1_pid=$!"
}
start ha
start mn
((fail)) && exit 1
up=0
for _ in $(seq 100); do # 10 s
	if n "$NS_MN" /usr/sbin/um3nctl show 2>/dev/null >"$TMP/show.txt" &&
		[[ $(grep -c registered "$TMP/show.txt") -ge 2 ]]; then
		up=1
		break
	fi
	sleep 0.1
done
((up)) || { cat "$TMP/show.txt"; bad "both uplinks registered within 10 s"; exit 1; }
echo "ok: um3n-ha and um3n-mn started from the units' ExecStart lines, both uplinks registered"
ip netns exec "$NS_HA" ping -c 3 -i 0.2 -W 2 -q 10.200.0.2 >"$TMP/ping.log" 2>&1 ||
	bad "HA to the MN's home address through the tunnel"
kill -TERM "$mn_pid" "$ha_pid"
wait "$mn_pid" || bad "um3n-mn exited with $? on SIGTERM (the unit's KillSignal)"
wait "$ha_pid" || bad "um3n-ha exited with $? on SIGTERM"
mn_pid= ha_pid=
((fail)) && exit 1
echo "ok: home address reachable through the tunnel; both daemons stopped cleanly"
exit 0
