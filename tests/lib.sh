# Shared helpers for the shell tests (sourced). POSIX sh.
: "${TINYX:=$PWD/build/tinyx}"
T_PASS=0
T_FAIL=0
ok() { T_PASS=$((T_PASS + 1)); echo "ok: $*"; }
nok() { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*"; }
check() { # check "description" command...
	_t_d=$1; shift
	if "$@"; then ok "$_t_d"; else nok "$_t_d"; fi
}
# other_ns NS HOSTNS: NS names a network namespace (not empty, not "none")
# other than the host's. One command, so that `check "…" other_ns …` checks
# both halves: `check "…" [ a ] && [ b ]` would run `[ b ]` outside check.
other_ns() { [ -n "$1" ] && [ "$1" != none ] && [ "$1" != "$2" ]; }
# gone PID: PID names a process that has died: no such process, or a zombie
# (dead; its reaper may take a second: PID 1 of some sandboxes reaps lazily)
gone() {
	[ -n "$1" ] || return 1
	_t_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	case $_t_st in '' | Z | X) return 0 ;; *) return 1 ;; esac
}
# expect_fail CODE PATTERN -- command...: exit code and one-line stderr matching PATTERN
expect_fail() {
	_t_code=$1 _t_pat=$2; shift 3
	_t_err=$("$@" 2>&1 >/dev/null); _t_rc=$?
	_t_lines=$(printf '%s\n' "$_t_err" | grep -c .)
	if [ "$_t_rc" = "$_t_code" ] && printf '%s' "$_t_err" | grep -Eq -- "$_t_pat" && [ "$_t_lines" -le 1 ]; then
		ok "exit $_t_code: $_t_err"
	else
		nok "expected exit $_t_code matching '$_t_pat', got exit $_t_rc: $_t_err"
	fi
}
done_tests() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
