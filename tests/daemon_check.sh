#!/bin/sh
# `um3n-mn -n` / `um3n-ha -n` (issue 15 item 3): as a user the check reads
# everything it may and passes with a note when the only thing it could not
# read is a key file only root may read; a missing key, a key others may read,
# a bad key (readable) or a bad config still fail with exit status 2 and one
# line. The example configs with their key paths moved into a temporary
# directory; the user is nobody (setpriv). Needs root to switch users: skipped
# (77) otherwise.
# usage: daemon_check.sh BUILD/daemons EXAMPLES_DIR
set -eu
bin=$1
ex=$2
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	echo "skipped: needs root and setpriv to run the check as nobody"
	exit 77
fi
dir=$(mktemp -d /tmp/um3n-check.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
fail=0

sed "s|/etc/um3n/mn1.key|$dir/mn1.key|" "$ex/ha.conf" > "$dir/ha.conf"
sed "s|/etc/um3n/mn.key|$dir/mn.key|" "$ex/mn.conf" > "$dir/mn.conf"
chmod 644 "$dir/ha.conf" "$dir/mn.conf"
key() { # file [mode] [text]
	rm -f "$1"
	(umask 077 && printf '%s\n' "${3:-00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff}" > "$1")
	chmod "${2:-600}" "$1"
}
key "$dir/mn.key"
key "$dir/mn1.key"

# name user program config expected-status stderr-pattern ('' = stderr empty)
check() {
	set +e
	if [ "$2" = root ]; then
		"$bin/um3n-$3" -n -c "$4" > /dev/null 2> "$dir/err"
	else
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$bin/um3n-$3" -n -c "$4" > /dev/null 2> "$dir/err"
	fi
	rc=$?
	set -e
	lines=$(wc -l < "$dir/err")
	if [ -z "$6" ]; then
		[ "$lines" -eq 0 ] && said=yes || said=no
	else
		[ "$lines" -eq 1 ] && grep -q -- "$6" "$dir/err" && said=yes || said=no
	fi
	if [ "$rc" -eq "$5" ] && [ $said = yes ]; then
		echo "ok   $1: exit $rc $(cat "$dir/err")"
	else
		echo "FAIL $1: exit $rc (want $5), stderr ($lines lines):"
		cat "$dir/err"
		fail=1
	fi
}

for p in mn ha; do
	check "$p as root: all checked" root $p "$dir/$p.conf" 0 ''
	check "$p as nobody: key noted" nobody $p "$dir/$p.conf" 0 \
		"key_file: .*: Permission denied: the key needs root to read .*the rest is good$"
done

key "$dir/mn.key" 640
check "mn as nobody: key others may read" nobody mn "$dir/mn.conf" 2 "mode 640 lets group/other"
rm -f "$dir/mn.key"
check "mn as nobody: key missing" nobody mn "$dir/mn.conf" 2 "mn.key: No such file"
key "$dir/mn.key" 600 "not hex"
check "mn as root: key not hex" root mn "$dir/mn.conf" 2 "want one hex string"
check "mn as nobody: unreadable, not judged" nobody mn "$dir/mn.conf" 0 "needs root to read"
key "$dir/mn.key"
sed 's/^lifetime = 300/lifetime = 0/' "$dir/mn.conf" > "$dir/bad.conf"
chmod 644 "$dir/bad.conf"
check "mn as nobody: bad key in the config" nobody mn "$dir/bad.conf" 2 "bad.conf:[0-9]*: \[mn\] lifetime"
# steering modes (um3n.conf(5)): good ones pass, bad values fail in one line
for r in "10.9.1.0/24 wifi load-balance 70" "0.0.0.0/0 wifi smallest-delay rtt_ms=150 loss_pct=5" \
	"10.9.3.0/24 cell priority" "10.9.4.0/24 wifi prefer"; do
	sed "s|^\[policy\]|[policy]\nrule = $r|" "$dir/mn.conf" > "$dir/bad.conf"
	check "mn rule $r" root mn "$dir/bad.conf" 0 ''
done
for r in "wifi load-balance" "wifi load-balance 101" "wifi smallest-delay rtt_ms=0" \
	"wifi priority loss_pct=200" "wifi sideways"; do
	sed "s|^\[policy\]|[policy]\nrule = 10.9.1.0/24 $r|" "$dir/mn.conf" > "$dir/bad.conf"
	check "mn bad rule $r" root mn "$dir/bad.conf" 2 "bad.conf:[0-9]*: \[policy\] rule: "
done
rm -f "$dir/bad.conf"
check "mn as nobody: config missing" nobody mn "$dir/bad.conf" 2 "bad.conf: No such file"

# two MNs whose keys only root reads: the first named, both counted; a real
# problem with a later key still fails
printf '\n[mn 10.200.0.3]\nspi = 300\nkey_file = mn2.key\n' >> "$dir/ha.conf"
key "$dir/mn2.key"
check "ha as nobody: two keys noted" nobody ha "$dir/ha.conf" 0 "mn1.key: .*; 2 key files in all"
rm -f "$dir/mn2.key"
check "ha as nobody: second key missing" nobody ha "$dir/ha.conf" 2 "\[mn 10.200.0.3\] key_file: .*mn2.key: No such file"
exit $fail
