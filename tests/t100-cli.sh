#!/bin/sh
# The CLI: usage errors exit 2, bad input exits 1 with one line naming the
# stage and the subject, an unknown package fails fast, before debootstrap.
. tests/lib.sh
expect_fail 2 'usage|unknown command' -- "$TINYX" frobnicate
expect_fail 2 "unknown option '--bogus'" -- "$TINYX" closure nginx --bogus
expect_fail 2 'missing APP' -- "$TINYX" closure
expect_fail 2 "missing --target" -- "$TINYX" kconfig nginx
expect_fail 2 "unknown target 'arm'" -- "$TINYX" kconfig nginx --target arm
expect_fail 2 "bad number of runs" -- "$TINYX" probe out/x --runs zero
expect_fail 1 "^tinyx: closure: invalid package name 'ngi;nx'" -- "$TINYX" closure 'ngi;nx'
expect_fail 1 "^tinyx: closure: invalid package name '../etc'" -- "$TINYX" closure '../etc'
expect_fail 1 "^tinyx: closure: invalid package name '\\\$\(reboot\)'" -- "$TINYX" closure '$(reboot)'
expect_fail 1 "^tinyx: stage: invalid package name 'A'" -- "$TINYX" stage 'A'
t0=$(date +%s)
expect_fail 1 "^tinyx: stage: unknown package 'no-such-package'" -- "$TINYX" closure no-such-package
t1=$(date +%s)
check "unknown package fails within 10 s ($((t1 - t0)) s)" [ $((t1 - t0)) -le 10 ]
expect_fail 1 "^tinyx: stage: 'httpd' is a virtual package" -- "$TINYX" stage httpd
expect_fail 1 "^tinyx: closure: no root tree at '/nonexistent'" -- "$TINYX" closure nginx --root /nonexistent
expect_fail 1 "^tinyx: stage: unsupported mirror URL 'ftp:" -- "$TINYX" stage nginx --mirror ftp://x/debian
"$TINYX" help | grep -q '^usage: tinyx' && ok "help" || nok "help"
# each command takes its own options: another command's is a usage error
expect_fail 2 "option '--iperf3' does not apply to 'stage'" -- "$TINYX" stage nginx --iperf3
expect_fail 2 "option '--minimize' does not apply to 'build'" -- "$TINYX" build nginx --minimize
check "kconfig --help prints the kconfig usage" sh -c '"$1" kconfig --help | grep -q "tinyx kconfig APP --target"' - "$TINYX"
check "probe -h exits 0" sh -c '"$1" probe -h >/dev/null' - "$TINYX"
expect_fail 2 "unknown system 'nosuch' \\(one of: debian-vm" -- "$TINYX" compare nginx --only tinyx-kvm,nosuch
done_tests
