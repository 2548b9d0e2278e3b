#!/usr/bin/env bash
# Installs (with apt-get, Debian 12) every package the build, the tests and the
# reproduction need, when missing. Usage: ci/deps.sh [--cross] [extra-package ...]
# --cross: also the ARM cross toolchains, qemu-user and the target's libraries
# through Debian multiarch (ci/cross.sh; README, "Cross builds").
set -euo pipefail

cross() { # the arm64 and armhf architectures, for their -dev:<arch> packages
	local a
	for a in arm64 armhf; do
		dpkg --print-foreign-architectures | grep -qx "$a" || ${SUDO:-} dpkg --add-architecture "$a"
	done
	echo gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf qemu-user-static file
	for a in arm64 armhf; do
		echo libsodium-dev:$a libpcap-dev:$a libcunit1-dev:$a libmnl-dev:$a libinih-dev:$a
	done
}
[[ $(id -u) -ne 0 ]] && SUDO=sudo || SUDO=
extra=()
[[ ${1:-} == --cross ]] && { shift; read -ra extra <<<"$(cross | tr '\n' ' ')"; }

packages=(
	build-essential cmake pkg-config clang clang-format libfuzzer-14-dev libclang-rt-14-dev
	libsodium-dev libpcap-dev libcunit1-dev libmnl-dev libinih-dev
	tshark python3-scapy python3-matplotlib iptables nftables conntrack
	iproute2 iperf3 tcpdump iputils-ping valgrind
	parallel munge slurmctld slurmd slurm-client
	"${extra[@]}" "$@"
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	exit 0
fi
echo "ci/deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
