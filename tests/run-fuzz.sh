#!/bin/sh
# Run every fuzz target in DIR for SECONDS each on its seed corpus
# (tests/fuzz/corpus/NAME/, with the regression inputs kept there). New
# corpus entries go to a scratch dir, not the source tree. A crash fails.
dir=$1 secs=${2:-30}
pass=0 fail=0
for f in "$dir"/fuzz-*; do
	[ -x "$f" ] || continue
	name=$(basename "$f" | sed 's/^fuzz-//')
	seeds=tests/fuzz/corpus/$name
	scratch=$(mktemp -d)
	log=build/fuzz-$name.log
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
		-artifact_prefix="build/fuzz-$name-" "$scratch" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "fuzz $name: ok ($(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1) runs in ${secs} s)"
	else
		fail=$((fail + 1))
		echo "fuzz $name: FAILED (see $log)"
		tail -n 30 "$log"
	fi
	rm -rf "$scratch"
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
