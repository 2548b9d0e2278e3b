#!/bin/sh
# Runs every libFuzzer target for SECONDS over a scratch copy of its seed corpus.
# Usage: fuzz/run.sh BUILD_DIR SECONDS   (BUILD_DIR configured with CC=clang -DUM3N_FUZZ=ON)
# Fails (exit 1) on the first crash, leak or sanitizer report; the crashing input
# is left in BUILD_DIR/fuzz-out/<target>/ (libFuzzer's crash-* file).
set -eu
build=${1:?usage: run.sh BUILD_DIR SECONDS}
build=$(cd "$build" && pwd) # absolute: each target runs from its own work folder
secs=${2:?usage: run.sh BUILD_DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
# Every fuzz target built from fuzz/fuzz_<name>.c; the wire ones must exist.
targets="rrq_decode rrp_decode tunnel_decode ip_parse"
for src in "$here"/fuzz_*.c; do
	t=$(basename "$src" .c)
	t=${t#fuzz_}
	case " $targets " in *" $t "*) ;; *) targets="$targets $t" ;; esac
done
passed=0
failed=0
for t in $targets; do
	bin="$build/fuzz/fuzz_$t"
	if [ ! -x "$bin" ]; then
		case $t in
		rrq_decode | rrp_decode | tunnel_decode | ip_parse)
			echo "missing $bin (build with CC=clang -DUM3N_FUZZ=ON, target fuzz_all)" >&2
			exit 2 ;;
		esac
		echo "== fuzz_$t not built (its dependencies are missing): skipped"
		continue
	fi
	work="$build/fuzz-out/$t"
	rm -rf "$work"
	mkdir -p "$work/corpus"
	cp "$here/corpus/$t/"* "$work/corpus/" 2>/dev/null || true
	echo "== fuzz_$t for ${secs}s"
	if (cd "$work" && "$bin" -max_total_time="$secs" -max_len=2048 -print_final_stats=1 \
		corpus >"$work/log" 2>&1); then
		grep -E "stat::number_of_executed_units|cov:" "$work/log" | tail -2
		passed=$((passed + 1))
	else
		tail -40 "$work/log"
		echo "fuzz_$t FAILED (log and crash input in $work)"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
