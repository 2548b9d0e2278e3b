#!/usr/bin/env bash
# The tiny sweep (sweep_tiny.sh) on a one-node Slurm cluster that this test
# starts from Debian's packages (munge, slurmctld, slurmd) with everything in a
# temporary directory: a fresh munge key, its own socket, a one-node slurm.conf
# for this host on free ports, no cgroups (proctrack/linuxproc, task/none), no
# accounting. um3n-sweep submits the job array and gathers it; the tables must
# equal a local serial run's. The daemons are stopped by pid afterwards.
# usage: sweep_slurm.sh UM3N_SIM SCENARIOS_DIR       (exit 77 = skipped)
set -uo pipefail
sim=$1 scenarios=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
if [[ $(id -u) -ne 0 ]]; then
	echo "SKIP: sweep_slurm needs root (it starts munged, slurmctld and slurmd)"
	exit 77
fi
for t in munged slurmctld slurmd sbatch squeue; do
	command -v $t >/dev/null || { echo "SKIP: $t missing (ci/deps.sh installs munge slurm-wlm)"; exit 77; }
done
tmp=$(mktemp -d /tmp/um3n-sweep-slurm.XXXXXX)
pids=()
stop() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	pids=()
}
trap 'stop; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM # so that the EXIT trap stops the daemons
fail() {
	echo "FAIL: $*"
	tail -n 20 "$tmp"/*.out "$tmp"/*.log 2>/dev/null
	exit 1
}

# munge: its socket directory must be reachable by everyone, the key private
c=$tmp/cluster
mkdir -p "$c/state" "$c/spool" && chmod 711 "$tmp" "$c"
head -c 1024 /dev/urandom >"$c/munge.key" && chmod 400 "$c/munge.key"
munged -F --key-file="$c/munge.key" --socket="$c/munge.sock" --pid-file="$c/munged.pid" \
	--seed-file="$c/munged.seed" --log-file=/dev/null >"$tmp/munged.out" 2>&1 &
pids+=($!)
host=$(hostname -s)
read -r p1 p2 < <(/usr/bin/python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
cat >"$c/slurm.conf" <<CONF
ClusterName=um3nsweep
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$p1
SlurmdPort=$p2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$c/munge.sock
StateSaveLocation=$c/state
SlurmdSpoolDir=$c/spool
SlurmctldPidFile=$c/slurmctld.pid
SlurmdPidFile=$c/slurmd.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=sweep Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$c/slurm.conf
for _ in $(seq 50); do [[ -S $c/munge.sock ]] && break; sleep 0.1; done
[[ -S $c/munge.sock ]] || fail "munged did not start"
slurmctld -D -f "$SLURM_CONF" >"$tmp/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$tmp/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	[[ $(sinfo -h -N -o %t 2>/dev/null) == idle ]] && break
	sleep 0.2
done
[[ $(sinfo -h -N -o %t 2>/dev/null) == idle ]] || fail "the node did not come up: $(sinfo 2>&1)"
echo "sweep_slurm: one-node cluster $host up (ports $p1, $p2)"

"$here/sweep_tiny.sh" "$scenarios" >"$tmp/tiny.ini"
# 5 runs per array task: 3 tasks for the 12 runs, the last one short
"$here/um3n-sweep" run "$tmp/tiny.ini" --sim "$sim" --results "$tmp/slurm" --engine slurm \
	--runs-per-task 5 --poll 1 --sbatch-arg=--time=5 || fail "um3n-sweep on slurm"
d=$tmp/slurm/sweep-tiny
grep -q '^#SBATCH --array=0-2$' "$d/sweep.sbatch" || fail "sbatch script: $(cat "$d/sweep.sbatch")"
grep -q '^#SBATCH --time=5$' "$d/sweep.sbatch" || fail "--sbatch-arg not in the script"
[[ $(find "$d/slurm" -name 'task-*.out' | wc -l) -eq 3 ]] || fail "expected the output of 3 array tasks"
"$here/sweep_check.py" "$d" 12 || fail "tables of the slurm run"
"$here/um3n-sweep" run "$tmp/tiny.ini" --sim "$sim" --results "$tmp/ser" --engine serial >/dev/null ||
	fail "serial run"
cmp "$d/runs.csv" "$tmp/ser/sweep-tiny/runs.csv" || fail "slurm and serial runs.csv differ"
stop
echo "sweep_slurm: OK"
