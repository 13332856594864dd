#!/bin/sh
# Stage the Debian roots that the later shell tests build from, so that
# make check can run it beside the single-core boot tests (PREFETCH in
# run-shell.sh): the apps of t540, t440 and t690, the Xen dom0's tools of
# t800, and the roots of t700's comparison (`tinyx compare --stage`); and
# t690's kernel (its own config: nf_tables). A root or kernel made here is
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
	# t690's kernel (nf_tables): an incremental kbuild after nginx's, on
	# the core that the single-core boot tests before it leave idle. In a
	# copy of the kvm kbuild dir, bind-mounted over the cache's kbuild/ in
	# a mount namespace of its own (the same paths: incremental), so the
	# lock it holds is its own: the tests meanwhile make their configs in
	# the shared dir (haproxy's in t440) without waiting for it. The kernel
	# goes to the shared kernels/ store, where t690 finds it.
	start=$(date +%s)
	cache=${TINYX_CACHE:-${HOME:-/root}/.cache/tinyx}
	kb=$(mktemp -d /tmp/tinyx-prefetch-kbuild.XXXXXX) &&
		flock -w 120 "$cache/kbuild/kvm.lock" cp -a "$cache/kbuild/kvm" "$kb/" &&
		# shellcheck disable=SC2016
		unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1" "$2" &&
			exec "$3" kernel nftables --target kvm -q' sh "$kb" "$cache/kbuild" \
			"$TINYX" >/dev/null
	st=$?
	[ -n "$kb" ] && rm -rf "$kb"
	if [ "$st" = 0 ]; then
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
