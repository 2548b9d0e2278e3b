#!/bin/sh
# `cmake --install` (issue 15 item 6): into a scratch prefix, then every
# program a systemd unit runs must be the installed one, executable, and the
# man pages and example configs must be where README says.
# usage: daemon_install.sh CMAKE BUILD_DIR
set -eu
cmake=$1
build=$2
pre=$(mktemp -d /tmp/um3n-install.XXXXXX)
trap 'rm -rf "$pre"' EXIT
"$cmake" --install "$build" --prefix "$pre" > /dev/null
fail=0
for f in sbin/um3n-mn sbin/um3n-ha sbin/um3nctl share/man/man8/um3n-mn.8 \
	share/man/man8/um3n-ha.8 share/man/man8/um3nctl.8 share/man/man5/um3n.conf.5 \
	share/doc/um3n/examples/README share/doc/um3n/examples/mn.conf \
	share/doc/um3n/examples/ha.conf lib/systemd/system/um3n-mn.service \
	lib/systemd/system/um3n-ha.service; do
	[ -f "$pre/$f" ] || { echo "FAIL missing $f"; fail=1; }
done
for u in "$pre"/lib/systemd/system/*.service; do
	for prog in $(sed -n 's/^Exec[A-Za-z]*=\([^ ]*\).*/\1/p' "$u"); do
		case $prog in
		/bin/kill) ;;
		"$pre"/sbin/*) [ -x "$prog" ] || { echo "FAIL $u: $prog not executable"; fail=1; } ;;
		*) echo "FAIL $u runs $prog, not the installed program"; fail=1 ;;
		esac
	done
	grep -q '@' "$u" && { echo "FAIL $u: unsubstituted @VAR@"; fail=1; }
done
[ $fail -eq 0 ] && echo "ok: $(cd "$pre" && find . -type f | wc -l) files, units run $pre/sbin/*"
exit $fail
