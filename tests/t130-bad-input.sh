#!/bin/sh
# Bad input on a real staged root: one line naming the stage and the subject,
# exit 1, nothing written.
. tests/lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
root=$("$TINYX" stage nginx 2>/dev/null) || { nok "stage nginx"; done_tests; exit 1; }
# installed, but ships no executable
expect_fail 1 "^tinyx: closure: cannot tell how to start 'debian-archive-keyring' \(no unit, no executable" -- \
	"$TINYX" closure debian-archive-keyring --root "$root"
# not installed in that root
expect_fail 1 "^tinyx: closure: package 'jq' is not installed in '" -- "$TINYX" closure jq --root "$root"
# --out names a file
: >"$tmp/file"
expect_fail 1 "^tinyx: build: output path is not a directory '$tmp/file'" -- \
	"$TINYX" build nginx --root "$root" --out "$tmp/file"
check "nothing written beside it" test "$(ls -A "$tmp")" = file
done_tests
