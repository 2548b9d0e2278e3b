#!/usr/bin/env bash
# Installs (with apt-get, Debian 12) every package the build, the tests and the
# reproduction need, when missing. Usage: ci/deps.sh [extra-package ...]
set -euo pipefail

packages=(
	build-essential cmake pkg-config clang clang-format libfuzzer-14-dev libclang-rt-14-dev
	libsodium-dev libpcap-dev libcunit1-dev libmnl-dev libinih-dev
	tshark python3-scapy python3-matplotlib iptables
	iproute2 iperf3 tcpdump iputils-ping valgrind
	parallel munge slurmctld slurmd slurm-client
	"$@"
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	exit 0
fi
echo "ci/deps.sh: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
