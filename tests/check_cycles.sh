#!/bin/sh
# usage: check_cycles.sh LIB.a...
# No dependency cycle between the object files of one archive (issue 10 §1):
# object A depends on B when A uses (nm: U) a symbol B defines. Prints every
# pair that depends both ways, with the symbols each way, and every larger
# strongly connected component (A -> B -> C -> A), then exits 1 if it found
# any; 0 when each archive's dependency graph is acyclic.
set -u
[ $# -gt 0 ] || { echo "usage: $0 LIB.a..." >&2; exit 2; }
rc=0
for lib in "$@"; do
	[ -f "$lib" ] || { echo "$0: $lib: no such archive" >&2; exit 2; }
	# "OBJ KIND SYMBOL" lines, KIND D (defined, global) or U (undefined).
	nm -A "$lib" 2>/dev/null | awk '
		{
			split($1, p, ":"); obj = p[2]
			if ($2 == "U") print obj, "U", $3
			else if (NF == 3 && $2 ~ /^[A-TV-Z]$/ && $2 != "N") print obj, "D", $3
		}' |
	/usr/bin/python3 -c '
import sys
from collections import defaultdict
lib = sys.argv[1]
defs, uses = {}, defaultdict(set)
for line in sys.stdin:
    obj, kind, sym = line.split()
    if kind == "D":
        defs[sym] = obj
    else:
        uses[obj].add(sym)
# edge[a][b] = the symbols a uses that b defines
edge = defaultdict(lambda: defaultdict(set))
for a, syms in uses.items():
    for s in syms:
        b = defs.get(s)
        if b is not None and b != a:
            edge[a][b].add(s)
objs = sorted(set(defs.values()) | set(uses))
found = 0
for a in objs:
    for b in objs:
        if a < b and b in edge[a] and a in edge[b]:
            found += 1
            print("%s: cycle %s <-> %s" % (lib, a, b))
            print("  %s uses from %s: %s" % (a, b, " ".join(sorted(edge[a][b]))))
            print("  %s uses from %s: %s" % (b, a, " ".join(sorted(edge[b][a]))))
# Tarjan: strongly connected components of more than two objects.
index, low, stack, on, sccs = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v); on.add(v)
    for w in sorted(edge[v]):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v:
                break
        sccs.append(sorted(c))
sys.setrecursionlimit(10000)
for v in objs:
    if v not in index:
        visit(v)
for c in sccs:
    if len(c) > 2:
        found += 1
        print("%s: cycle through %d objects: %s" % (lib, len(c), " ".join(c)))
        for a in c:
            for b in c:
                if b in edge[a]:
                    print("  %s uses from %s: %s" % (a, b, " ".join(sorted(edge[a][b]))))
sys.exit(1 if found else 0)
' "$lib" || rc=1
done
[ $rc -eq 0 ] && echo "check_cycles: no cycle in $*"
exit $rc
