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
# ALONGSIDE (a command) runs in the background from the test named by
# ALONGSIDE_TEST on (or after the last test when that one is not run), and
# counts as one more test: make check runs the fuzz targets, one at a time,
# alongside t700, whose QEMU keeps one of the two cores busy for minutes
# PREFETCH (a command) the same from PREFETCH_TEST on: make check builds
# the network functions' kernels and then stages the Debian roots of the
# later tests from t100 on, at the lowest CPU priority, on the cycles that
# t210's kernel build and the single-core boot tests leave idle (no root
# is staged beside t210's build: dpkg's writes and syncs cost the compiler
# more than they saved); a test that comes to a kernel or root still being
# made waits on its lock, never makes it twice
bg= pf=
# bg_run NAME CMD: CMD in the background, its output in build/test-logs/NAME.log,
# the time it ended in NAME.end
bg_run() {
	rm -f "build/test-logs/$1.end"
	(
		st=0
		sh -c "$2" >"build/test-logs/$1.log" 2>&1 || st=$?
		date +%s >"build/test-logs/$1.end"
		exit $st
	) &
}
alongside() {
	[ -n "${ALONGSIDE:-}" ] && [ -z "$bg" ] || return 0
	bg_start=$(date +%s)
	bg_run alongside "$ALONGSIDE"
	bg=$!
}
prefetch() {
	[ -n "${PREFETCH:-}" ] && [ -z "$pf" ] || return 0
	pf_start=$(date +%s)
	bg_run prefetch "$PREFETCH"
	pf=$!
}
# bg_done NAME PID START CMD: count a background command as a test
bg_done() {
	if wait "$2"; then pass=$((pass + 1)); res=ok; else fail=$((fail + 1)); res=FAIL; failed="$failed $1"; fi
	end=$(cat "build/test-logs/$1.end" 2>/dev/null || date +%s)
	echo "$res $1: $4 ($((end - $3)) s)"
	sed 's/^/    /' "build/test-logs/$1.log" | tail -n 40
}
# TEST_GLOB: another set (make check-unikernels: tests/u[0-9][0-9][0-9]-*.sh)
for t in ${TEST_GLOB:-tests/t[0-9][0-9][0-9]-*.sh}; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	case $name in ${TESTS:-t}*) ;; *) continue ;; esac
	case $name in "${ALONGSIDE_TEST:-}"*) [ -n "${ALONGSIDE_TEST:-}" ] && alongside ;; esac
	case $name in "${PREFETCH_TEST:-}"*) [ -n "${PREFETCH_TEST:-}" ] && prefetch ;; esac
	start=$(date +%s)
	if sh "$t" >"build/test-logs/$name.log" 2>&1; then
		pass=$((pass + 1)); res=ok
	else
		fail=$((fail + 1)); res=FAIL; failed="$failed $name"
	fi
	echo "$res $name ($(( $(date +%s) - start )) s)"
	[ $res = FAIL ] && sed 's/^/    /' "build/test-logs/$name.log" | tail -n 40
done
if [ -n "${PREFETCH:-}" ]; then
	prefetch
	bg_done prefetch "$pf" "$pf_start" "$PREFETCH"
fi
if [ -n "${ALONGSIDE:-}" ]; then
	alongside
	bg_done alongside "$bg" "$bg_start" "$ALONGSIDE"
fi
[ -n "$failed" ] && echo "failed:$failed"
echo "shell tests: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
