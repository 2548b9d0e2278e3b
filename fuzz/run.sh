#!/bin/sh
# Runs every libFuzzer target over a scratch copy of its seed corpus.
# Usage: fuzz/run.sh BUILD_DIR SECONDS          short: each target for SECONDS (CI)
#        fuzz/run.sh --long BUILD_DIR [RUNS]    long: each target for RUNS executions
#                                                (default 10000000), one at a time
# (BUILD_DIR configured with CC=clang CXX=clang++ -DUM3N_FUZZ=ON, target fuzz_all.)
# UM3N_FUZZ_TARGETS="a b" runs only those targets (names without fuzz_);
# UM3N_FUZZ_MAX_SECONDS=N stops each long run after N seconds too (a loaded
# machine): the table then says "ok (time cap)" beside fewer executions.
# Both modes print each target's executions, cov and ft (libFuzzer's final
# figures) and end with a table, also written to BUILD_DIR/fuzz-out/summary.txt.
# Fails (exit 1) on any crash, leak or sanitizer report; the crashing input is
# left in BUILD_DIR/fuzz-out/<target>/ (libFuzzer's crash-* or leak-* file).
set -eu
usage="usage: run.sh BUILD_DIR SECONDS | run.sh --long BUILD_DIR [RUNS]"
long=0
if [ "${1:-}" = --long ]; then
	long=1
	shift
fi
build=${1:?$usage}
build=$(cd "$build" && pwd) # absolute: each target runs from its own work folder
if [ "$long" -eq 1 ]; then
	runs=${2:-10000000}
	limit="-runs=$runs"
	what="$runs executions"
	if [ -n "${UM3N_FUZZ_MAX_SECONDS:-}" ]; then
		limit="$limit -max_total_time=$UM3N_FUZZ_MAX_SECONDS"
		what="$what (at most ${UM3N_FUZZ_MAX_SECONDS}s)"
	fi
else
	secs=${2:?$usage}
	limit="-max_total_time=$secs"
	what="${secs}s"
fi
here=$(cd "$(dirname "$0")" && pwd)
# Every fuzz target built from fuzz/fuzz_<name>.c; the wire ones must exist.
targets="rrq_decode rrp_decode tunnel_decode ip_parse"
for src in "$here"/fuzz_*.c "$here"/fuzz_*.cc; do
	t=$(basename "$src")
	t=${t%.c*}
	t=${t#fuzz_}
	case " $targets " in *" $t "*) ;; *) targets="$targets $t" ;; esac
done
targets=${UM3N_FUZZ_TARGETS:-$targets}
mkdir -p "$build/fuzz-out"
summary="$build/fuzz-out/summary.txt"
table=$(mktemp)
trap 'rm -f "$table"' EXIT
passed=0
failed=0
for t in $targets; do
	bin="$build/fuzz/fuzz_$t"
	if [ ! -x "$bin" ]; then
		case $t in
		rrq_decode | rrp_decode | tunnel_decode | ip_parse)
			echo "missing $bin (build with CC=clang CXX=clang++ -DUM3N_FUZZ=ON, target fuzz_all)" >&2
			exit 2 ;;
		esac
		echo "== fuzz_$t not built (its dependencies are missing): skipped"
		printf '%-22s %12s %8s %8s %8s  %s\n' "$t" - - - - "not built" >>"$table"
		continue
	fi
	work="$build/fuzz-out/$t"
	rm -rf "$work"
	mkdir -p "$work/corpus"
	cp "$here/corpus/$t/"* "$work/corpus/" 2>/dev/null || true
	echo "== fuzz_$t for $what"
	t0=$(date +%s)
	# shellcheck disable=SC2086 # $limit is one or two options
	if (cd "$work" && "$bin" $limit -max_len=2048 -print_final_stats=1 \
		corpus >"$work/log" 2>&1); then
		result=ok
		passed=$((passed + 1))
	else
		tail -40 "$work/log"
		echo "fuzz_$t FAILED (log and crash input in $work)"
		result=FAILED
		failed=$((failed + 1))
	fi
	secs_taken=$(($(date +%s) - t0))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
	if [ "$long" -eq 1 ] && [ "$result" = ok ] && [ "${execs:-0}" -lt "$runs" ]; then
		result="ok (time cap)"
	fi
	# libFuzzer's last status line: "#N DONE cov: C ft: F corp: ..." (or the last pulse).
	last=$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	echo "   executions ${execs:--} cov ${cov:--} ft ${ft:--} in ${secs_taken}s: $result"
	printf '%-22s %12s %8s %8s %8s  %s\n' "$t" "${execs:--}" "${cov:--}" "${ft:--}" \
		"$secs_taken" "$result" >>"$table"
done
{
	echo "fuzz ($what per target), $(date -u '+%Y-%m-%d %H:%M UTC')"
	printf '%-22s %12s %8s %8s %8s  %s\n' target executions cov ft seconds result
	cat "$table"
	echo "fuzz: $passed passed, $failed failed"
} >"$summary"
cat "$summary"
[ "$failed" -eq 0 ]
