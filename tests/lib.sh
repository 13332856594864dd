# Shared helpers for the shell tests (sourced). POSIX sh.
: "${TINYX:=$PWD/build/tinyx}"
T_PASS=0
T_FAIL=0
ok() { T_PASS=$((T_PASS + 1)); echo "ok: $*"; }
nok() { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*"; }
check() { # check "description" command...
	d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
# expect_fail CODE PATTERN -- command...: exit code and one-line stderr matching PATTERN
expect_fail() {
	code=$1 pat=$2; shift 3
	err=$("$@" 2>&1 >/dev/null); rc=$?
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ "$rc" = "$code" ] && printf '%s' "$err" | grep -Eq -- "$pat" && [ "$lines" -le 1 ]; then
		ok "exit $code: $err"
	else
		nok "expected exit $code matching '$pat', got exit $rc: $err"
	fi
}
done_tests() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
