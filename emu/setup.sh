#!/bin/bash
# Install what the emulation testbeds (emu/mininet, emu/ns3) need on Debian 12,
# and fix the ns-3 3.37 tap-creator path (docs/ARCHITECTURE.md §3, "emu/"). Idempotent; run as root.
#   emu/setup.sh            install + fix
#   emu/setup.sh --check    only report what is missing (exit 1 if anything is)
#   emu/setup.sh --fix-tap  only the tap-creator symlink (no apt-get)
set -u

PKGS=(
	mininet            # Topo/TCLink testbed (controller=None, no switches needed)
	ns3 libns3-dev     # TapBridge + point-to-point links, headers and libraries
	vsftpd             # the real FTP server
	curl lftp          # FTP clients on the MN
	ffmpeg             # 720p30 H.264 test-pattern source (MPEG-TS over UDP)
	iperf3             # plain TCP/UDP throughput
	mptcpize           # mptcpize run: Linux kernel MPTCP baseline (LD_PRELOAD)
	tcpdump            # pcaps of each uplink and of the MN's TUN
	iproute2 ethtool
	python3-matplotlib python3-scapy
	g++ cmake pkg-config
)

missing() {
	local p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}

# The Debian build of libns3-tap-bridge execs the tap creator from the path it
# was built with; point that path at the installed binary.
tap_creator_fix() {
	local lib want have
	lib=$(ls /usr/lib/*/libns3*-tap-bridge.so.* /usr/lib/libns3*-tap-bridge.so.* 2>/dev/null | head -1)
	[[ -n $lib ]] || { echo "setup: libns3 tap-bridge not installed"; return 1; }
	want=$(strings "$lib" | grep -E '/[^ ]*tap-creator$' | head -1)
	have=$(ls /usr/libexec/ns3/ns3*-tap-creator /usr/lib/*/ns3/ns3*-tap-creator 2>/dev/null | head -1)
	[[ -n $have ]] || { echo "setup: tap-creator binary not found"; return 1; }
	if [[ -z $want ]]; then
		echo "setup: no tap-creator path in $lib (nothing to fix)"
		return 0
	fi
	if [[ ! -e $want ]]; then
		mkdir -p "$(dirname "$want")"
		ln -sf "$have" "$want"
		echo "setup: linked $want -> $have"
	fi
	# The creator must be setuid root or run by root; we run as root.
	return 0
}

if [[ ${1:-} == --fix-tap ]]; then
	[[ $(id -u) -eq 0 ]] || { echo "setup: needs root"; exit 1; }
	tap_creator_fix
	exit
fi
if [[ ${1:-} == --check ]]; then
	m=$(missing)
	[[ -z $m ]] && { echo "setup: all packages present"; exit 0; }
	echo "setup: missing: $(echo $m)"
	exit 1
fi

[[ $(id -u) -eq 0 ]] || { echo "setup: needs root (apt-get)"; exit 1; }
m=$(missing)
if [[ -n $m ]]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || true
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $m || { echo "setup: apt-get install failed"; exit 1; }
fi
# vsftpd and mininet's OVS must not run as system services here: the testbeds
# start their own vsftpd inside a namespace.
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now vsftpd >/dev/null 2>&1 || true
fi
tap_creator_fix || exit 1
echo "setup: ok"
