#!/bin/sh
# Run every unit test binary in DIR from the project dir; sum the counts.
dir=$1
pass=0 fail=0 bad=0
for t in "$dir"/test-*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	p=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/')
	f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
	if [ $rc -ne 0 ] || [ -z "$line" ]; then bad=$((bad + 1)); echo "FAIL: $t (exit $rc)"; fi
done
echo "unit ($dir): $pass passed, $fail failed"
[ $bad -eq 0 ] && [ $fail -eq 0 ]
