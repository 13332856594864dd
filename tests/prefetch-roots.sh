#!/bin/sh
# Stage the Debian roots that the later shell tests build from, so that
# make check can run it beside the single-core boot tests (PREFETCH in
# run-shell.sh): the apps of t540, t440 and t450, the Xen dom0's tools of
# t800, and the roots of t700's comparison (`tinyx compare --stage`); and
# t450's kernel (its own config: nf_tables). A root or kernel made here is
# the one the test would make (the same inputs, the same cache); a test
# that comes first to it waits on its lock. No image or boot: those stay
# in their tests. Exit 1 when a root or kernel cannot be made (the test
# that needs it would fail the same way).
set -u
TINYX=${TINYX:-build/tinyx}
rc=0
for app in haproxy nftables bind9 mosquitto xen-utils-4.17; do
	start=$(date +%s)
	if "$TINYX" stage "$app" >/dev/null; then
		echo "staged $app ($(($(date +%s) - start)) s)"
	else
		echo "cannot stage $app"
		rc=1
	fi
	[ "$app" = nftables ] || continue
	# t450's kernel (nf_tables): an incremental kbuild after nginx's, on
	# the core that the single-core boot tests before it leave idle
	start=$(date +%s)
	if "$TINYX" kernel nftables --target kvm -q >/dev/null; then
		echo "built the nftables kernel ($(($(date +%s) - start)) s)"
	else
		echo "cannot build the nftables kernel"
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
