#!/bin/sh
# bench: the analyzer. Time of `tinyx closure nginx` on a staged root (the
# tool's own figure, and the whole process), and a scan of every ELF file in
# that root. Prints figures; never fails on time.
set -eu
cd "$(dirname "$0")/.."
TINYX=${TINYX:-build/tinyx}
APP=${APP:-nginx}
N=${N:-20}
root=$("$TINYX" stage "$APP" 2>/dev/null)
"$TINYX" closure "$APP" >/dev/null 2>&1 # warm the page cache
i=0
: >build/bench-closure.txt
while [ $i -lt "$N" ]; do
	t0=$(date +%s%N)
	"$TINYX" closure "$APP" 2>&1 >/dev/null | sed -n 's/.* in \([0-9.]*\) ms$/\1/p' >>build/bench-closure.txt
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000 )) >>build/bench-closure-proc.txt
	i=$((i + 1))
done
med() { sort -n "$1" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
echo "closure $APP: median $(med build/bench-closure.txt) ms in the analyzer, $(( $(med build/bench-closure-proc.txt) / 1000 )) ms for the whole command (stage lookup included), $N runs"
rm -f build/bench-closure.txt build/bench-closure-proc.txt
"$TINYX" closure "$APP" --json 2>/dev/null | jq -r '"closure \(.app): \(.entries | length) entries, \(.total_file_bytes) bytes of files, \(.kernel_features | map(.option) | unique | length) kernel options implied"'
make -s build/bench-elfscan
build/bench-elfscan "$root"
