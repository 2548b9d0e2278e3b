#!/bin/sh
# ctest wire_interop: writes the pcap with WRITER, then runs the tshark check
# (check.sh) and the scapy check (check_scapy.py, with /usr/bin/python3).
# Exit 0 = both passed, 1 = a failure, 77 = a tool is missing (ctest: skipped;
# the other check still runs and must pass).
# Usage: run.sh WRITER OUT.pcap
set -u
writer=${1:?usage: run.sh WRITER OUT.pcap}
pcap=${2:?usage: run.sh WRITER OUT.pcap}
here=$(cd "$(dirname "$0")" && pwd)
skipped=0
failed=0

"$writer" "$pcap" || { echo "writer failed"; exit 1; }
sh "$here/check.sh" "$pcap"
case $? in 0) ;; 77) skipped=1 ;; *) failed=1 ;; esac
if [ -x /usr/bin/python3 ]; then
	/usr/bin/python3 "$here/check_scapy.py" "$pcap"
	case $? in 0) ;; 77) skipped=1 ;; *) failed=1 ;; esac
else
	echo "SKIP: /usr/bin/python3 missing"
	skipped=1
fi
[ "$failed" -eq 0 ] || exit 1
[ "$skipped" -eq 0 ] || exit 77
exit 0
