#!/bin/sh
# What the later shell tests need, made ahead beside the tests (PREFETCH in
# run-shell.sh, from t100 on, at the lowest CPU priority): first the kernels
# of t690 (nf_tables), t695 (WireGuard, nf_tables) and t697 (policy
# routing; FRR's root comes with it), then the Debian roots of the apps
# of t440 and t540, of
# t700's comparison (`tinyx compare --stage`), of t690's Debian VM (`tinyx
# debian-vm --stage`) and the Xen dom0's tools of t800. A root or kernel
# made here is the one the test would make (the same inputs, the same
# cache); a test that comes first to it waits on its lock. No image or
# boot: those stay in their tests. Exit 1 when a root or kernel cannot be
# made (the test that needs it would fail the same way).
set -u
# the mark of its processes: tests that look for processes left behind
# (tests/lib.sh own_procs) pass over these
export TINYX_PREFETCH=1
TINYX=${TINYX:-build/tinyx}
rc=0
# The three kernels are compiled for speed (their overlays turn forwarding
# on: net.ipv4.ip_forward = 1, image/netcheck.c), every other image's for
# size, so the first of them is a whole kbuild whatever tree it starts
# from: it starts in an empty kbuild dir of its own at once, beside t110 to
# t220 (t210 builds nginx's kernel meanwhile; at nice 19 this one takes the
# cycles that build and the single-core tests leave), the other two after
# it, incremental, in the same dir. That dir is bind-mounted over the
# cache's kbuild/ in a mount namespace of its own (the paths a test's build
# would have), so its lock is its own: the tests make their configs in the
# shared dir meanwhile. The kernels go to the shared kernels/ store, where
# the tests find them by their config's hash (one that comes to a config
# still building waits for it: kernel.c's build_lock). t695's closure needs its
# overlay's wg-quick@wg0 link (a template's instance) and its packages; the
# rest of the three overlays does not change their kernels.
cache=${TINYX_CACHE:-${HOME:-/root}/.cache/tinyx}
kok=0
kb=$(mktemp -d /tmp/tinyx-prefetch-kbuild.XXXXXX) &&
	fwd=$(mktemp -d /tmp/tinyx-prefetch-fwd.XXXXXX) &&
	mkdir -p "$fwd/etc/sysctl.d" "$cache/kbuild" &&
	echo 'net.ipv4.ip_forward = 1' >"$fwd/etc/sysctl.d/50-forward.conf" &&
	ovl=$(mktemp -d /tmp/tinyx-prefetch-ovl.XXXXXX) &&
	cp -a "$fwd/." "$ovl/" &&
	mkdir -p "$ovl/etc/systemd/system/multi-user.target.wants" &&
	ln -s ../../../../lib/systemd/system/wg-quick@.service \
		"$ovl/etc/systemd/system/multi-user.target.wants/wg-quick@wg0.service" || kok=1
# kernel NAME ARGS...: one kernel in the private kbuild dir
kernel() {
	start=$(date +%s)
	# shellcheck disable=SC2016
	if [ "$kok" = 0 ] && unshare -m sh -c 'mount --make-rprivate / &&
		mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$kb" "$cache/kbuild" \
		"$TINYX" kernel "$@" --target kvm -q >/dev/null; then
		echo "built the $1 kernel ($(($(date +%s) - start)) s)"
	else
		echo "cannot build the $1 kernel"
		kok=1 rc=1
	fi
}
# stage WHAT CMD...: one root (or set of roots)
stage() {
	start=$(date +%s)
	what=$1
	shift
	if "$@" >/dev/null; then
		echo "staged $what ($(($(date +%s) - start)) s)"
	else
		echo "cannot stage $what"
		rc=1
	fi
}
# in the order the tests come to them: t690's kernel and its Debian VM's
# root, t695's and t697's kernels, t700's roots, the roots of t440 and
# t540 (made by then, mostly by the tests themselves), t800's
kernel nftables --overlay "$fwd"
stage "the root of t690's Debian VM" "$TINYX" debian-vm nftables --stage -q
kernel wireguard-tools --add iproute2,nftables --overlay "$ovl"
kernel frr --overlay "$fwd"
rm -rf "${kb:-}" "${ovl:-}" "${fwd:-}"
stage "the roots of 'tinyx compare nginx'" "$TINYX" compare nginx --stage
for app in haproxy bind9 mosquitto xen-utils-4.17; do
	stage "$app" "$TINYX" stage "$app"
done
exit $rc
