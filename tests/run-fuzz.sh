#!/bin/sh
# Run every fuzz target in DIR for SECONDS each on its seed corpus
# (tests/fuzz/corpus/NAME/, with the regression inputs kept there), JOBS at a
# time (default: the number of CPUs). New corpus entries go to a scratch dir,
# not the source tree. A crash fails.
dir=$1 secs=${2:-30} jobs=${3:-$(nproc 2>/dev/null || echo 1)}
results=$(mktemp -d) || exit 1
trap 'rm -rf "$results"' EXIT INT TERM

one() { # one NAME BINARY: run it, leave NAME.ok or NAME.fail in $results
	seeds=tests/fuzz/corpus/$1
	scratch=$(mktemp -d)
	log=build/fuzz-$1.log
	if "$2" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
		-artifact_prefix="build/fuzz-$1-" "$scratch" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} >"$log" 2>&1; then
		echo "fuzz $1: ok ($(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1) runs in ${secs} s)" >"$results/$1.ok"
	else
		{ echo "fuzz $1: FAILED (see $log)"; tail -n 30 "$log"; } >"$results/$1.fail"
	fi
	rm -rf "$scratch"
}

n=0
for f in "$dir"/fuzz-*; do
	[ -x "$f" ] || continue
	one "$(basename "$f" | sed 's/^fuzz-//')" "$f" &
	n=$((n + 1))
	[ $((n % jobs)) -eq 0 ] && wait
done
wait
cat "$results"/* 2>/dev/null
pass=$(ls "$results" | grep -c '\.ok$') fail=$(ls "$results" | grep -c '\.fail$')
echo "fuzz: $pass passed, $fail failed ($jobs at a time)"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
