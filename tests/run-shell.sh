#!/bin/sh
# Run the shell tests (tests/tNNN-*.sh) in order from the project dir, each
# with TINYX (the CLI) and TINYX_CACHE set; print one line a test and the
# plain closing count. TESTS=t1 (a name prefix) limits the set.
cd "$(dirname "$0")/.." || exit 1
export TINYX="${TINYX:-$PWD/build/tinyx}"
export TINYX_HOME="$PWD"
# the boot tests must find the kernels t210 built, never skip
export TINYX_NEED_KERNEL=1
# the tool's own default, so that `make check` after `./tinyx build nginx` reuses
# its staged roots and kernels (CI points it at an empty dir instead)
export TINYX_CACHE="${TINYX_CACHE:-${HOME:-/root}/.cache/tinyx}"
mkdir -p "$TINYX_CACHE" build/test-logs
pass=0 fail=0 failed=""
for t in tests/t[0-9][0-9][0-9]-*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	case $name in ${TESTS:-t}*) ;; *) continue ;; esac
	start=$(date +%s)
	if sh "$t" >"build/test-logs/$name.log" 2>&1; then
		pass=$((pass + 1)); res=ok
	else
		fail=$((fail + 1)); res=FAIL; failed="$failed $name"
	fi
	echo "$res $name ($(( $(date +%s) - start )) s)"
	[ $res = FAIL ] && sed 's/^/    /' "build/test-logs/$name.log" | tail -n 40
done
[ -n "$failed" ] && echo "failed:$failed"
echo "shell tests: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
