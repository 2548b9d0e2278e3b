#!/usr/bin/env bash
# The C sources' formatting against the repository's .clang-format.
#   ci/format.sh check   lists the files clang-format would change; exit 1 if any
#   ci/format.sh fix     formats them in place
# Covers the C files of core/, sim/, daemons/, tests/, fuzz/ and bench/.
# emu/ns3/*.cc is left out: it follows the ns-3 project's own style (4-space
# GNU-like indents), not ours. CLANG_FORMAT picks the binary (default
# clang-format, which ci/deps.sh installs).
set -uo pipefail
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-clang-format}
mode=${1:-check}

command -v "$cf" >/dev/null || { echo "ci/format.sh: $cf not found (ci/deps.sh installs it)" >&2; exit 2; }
mapfile -t files < <(git ls-files -- 'core/*.[ch]' 'sim/*.[ch]' 'daemons/*.[ch]' 'tests/*.[ch]' \
	'fuzz/*.[ch]' 'bench/*.[ch]' 2>/dev/null ||
	find core sim daemons tests fuzz bench -name '*.[ch]' | sort)

case $mode in
check)
	bad=0
	for f in "${files[@]}"; do
		if ! "$cf" --style=file "$f" | cmp -s - "$f"; then
			echo "$f"
			bad=$((bad + 1))
		fi
	done
	if ((bad)); then
		echo "ci/format.sh: $bad of ${#files[@]} files not formatted (ci/format.sh fix)" >&2
		exit 1
	fi
	echo "ci/format.sh: ${#files[@]} files formatted"
	;;
fix)
	"$cf" -i --style=file "${files[@]}"
	;;
*)
	echo "usage: $0 check|fix" >&2
	exit 2
	;;
esac
