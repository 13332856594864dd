#!/bin/sh
# Stage the Debian roots that the later shell tests build from, so that
# make check can run it beside the single-core boot tests (PREFETCH in
# run-shell.sh): the apps of t540 and t440, the Xen dom0's tools of t800, and the
# roots of t700's comparison (`tinyx compare --stage`). A root staged here
# is the one the test would stage (the same package set, the same cache);
# a test that comes first to it waits on the root's lock. No kernel, image
# or boot: those stay in their tests. Exit 1 when a root cannot be staged
# (the test that needs it would fail the same way).
set -u
TINYX=${TINYX:-build/tinyx}
rc=0
for app in haproxy bind9 mosquitto xen-utils-4.17; do
	start=$(date +%s)
	if "$TINYX" stage "$app" >/dev/null; then
		echo "staged $app ($(($(date +%s) - start)) s)"
	else
		echo "cannot stage $app"
		rc=1
	fi
done
start=$(date +%s)
if "$TINYX" compare nginx --stage; then
	echo "staged the roots of 'tinyx compare nginx' ($(($(date +%s) - start)) s)"
else
	echo "cannot stage the roots of 'tinyx compare nginx'"
	rc=1
fi
exit $rc
