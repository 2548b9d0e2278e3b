#!/bin/bash
# The ns-3 TapBridge testbed with the real um3n daemons (see testbed.py).
#   emu/ns3/run.sh [--duration S] [--out DIR] [--only fig5,mptcp,handover] ...
# Daemons and um3n-ns3 from $UM3N_BUILD (default <repo>/build).
# Exit 0 = bounds hold, 1 = a bound failed, 77 = cannot run here (SKIP line).
HERE=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$HERE/testbed.py" "$@"
