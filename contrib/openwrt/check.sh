#!/bin/bash
# What can be checked of contrib/openwrt/um3n without an OpenWrt SDK (which
# this repository's CI does not download): the source subset its
# Build/Prepare copies configures and builds the daemons alone; CMake's
# install (prefix /usr, as OpenWrt's cmake.mk) has every file the
# Package/*/install sections take from $(PKG_INSTALL_DIR); the configs' sed
# moves only control_socket; the procd script parses and runs the systemd
# units' command lines. usage: contrib/openwrt/check.sh [TOOLCHAIN_FILE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mk=$here/um3n/Makefile
tmp=$(mktemp -d /tmp/um3n-owrt.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }

# Build/Prepare, as the Makefile does it
src=$tmp/src
mkdir -p "$src"
cp -r "$top/CMakeLists.txt" "$top/core" "$top/daemons" "$top/cmake" "$src/"
for d in tests bench fuzz sim tools emu; do mkdir -p "$src/$d" && : >"$src/$d/CMakeLists.txt"; done
grep -q 'foreach d,tests bench fuzz sim tools emu,' "$mk" || bad "Build/Prepare's stub list changed: update check.sh"
tc=()
[[ $# -gt 0 ]] && tc=(-DCMAKE_TOOLCHAIN_FILE="$1")
cmake -S "$src" -B "$tmp/b" "${tc[@]}" -DUM3N_WERROR=OFF -DCMAKE_INSTALL_PREFIX=/usr >"$tmp/log" 2>&1 &&
	cmake --build "$tmp/b" -j2 --target um3n-mn um3n-ha um3nctl >>"$tmp/log" 2>&1 &&
	DESTDIR=$tmp/ipkg-install cmake --install "$tmp/b" >>"$tmp/log" 2>&1 ||
	{ tail -20 "$tmp/log"; echo "FAIL the Build/Prepare subset does not build"; exit 1; }
for f in $(sed -n 's/.*\$(PKG_INSTALL_DIR)\([^ ]*\) .*/\1/p' "$mk"); do
	[[ -x $tmp/ipkg-install$f ]] || bad "install takes $f, which CMake does not install"
done
for f in $(sed -n 's/.*\$(PKG_BUILD_DIR)\/\([^ ]*\) .*/\1/p' "$mk" | grep -v '^/\|\$('); do
	[[ -f $src/$f ]] || bad "install takes $f, which Build/Prepare does not copy"
done
# the configs' sed (SOCKDIR) changes the control_socket line and nothing else
sed_expr=$(sed -n 's/^SOCKDIR:=//p' "$mk")
for c in mn ha; do
	n=$(sed "$sed_expr" "$top/daemons/examples/$c.conf" | diff - "$top/daemons/examples/$c.conf" |
		grep -c '^<' || true)
	[[ $n -eq 1 ]] || bad "SOCKDIR changes $n lines of $c.conf, not its control_socket alone"
	sed "$sed_expr" "$top/daemons/examples/$c.conf" | grep -q "^control_socket = /var/run/um3n/$c.sock" ||
		bad "$c.conf's control_socket not moved to /var/run/um3n"
done
# the procd script: parses; its command lines are the units'
init=$here/um3n/files/um3n.init
sh -n "$init" || bad "um3n.init does not parse"
for c in mn ha; do
	for key in ExecStartPre ExecStart; do
		line=$(sed -n "s/^$key=@SBINDIR@\/um3n-$c //p" "$top/daemons/systemd/um3n-$c.service.in")
		opt=${line%% *}
		grep -q "\"\$PROG\" $opt -c \"\$CONF\"" "$init" ||
			bad "um3n.init does not run um3n-$c $opt -c CONF like the unit's $key"
	done
done
file -b "$tmp/ipkg-install/usr/sbin/um3n-mn" | sed 's/, BuildID.*//; s/^/um3n-mn: /'
((fail == 0)) && echo "ok: OpenWrt Makefile's sources, install paths, configs and init script agree"
exit $fail
