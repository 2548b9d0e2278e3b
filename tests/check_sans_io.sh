#!/bin/sh
# core/ is sans-IO: no sockets, clocks, stdio, rand() or malloc (docs/ARCHITECTURE.md, "Engines").
# Fails, listing the offending lines, when any appear. Comments are ignored and
# calls through the injected environment (env->alloc, env->free, env->log) are fine.
dir=${1:-core}
pattern='\b(socket|bind|connect|send|sendto|sendmsg|recv|recvfrom|recvmsg|read|write|open|close|clock_gettime|gettimeofday|time|sleep|usleep|nanosleep|rand|random|srand|getrandom|printf|fprintf|puts|fputs|fopen|fwrite|fread|malloc|calloc|realloc|free|exit|abort)[[:space:]]*\('
hits=$(find "$dir" -name '*.[ch]' | sort | while read -r f; do
	sed -e 's#/\*.*\*/##g' -e 's#//.*##' -e 's#^[[:space:]]*\*.*##' "$f" |
		grep -nE "$pattern" | grep -vE '(->|\.)(free|alloc|log)[[:space:]]*\(' |
		sed "s#^#$f:#"
done)
if [ -n "$hits" ]; then
	echo "core/ must stay sans-IO; found:"
	echo "$hits"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "sans-IO check: 1 passed, 0 failed"
