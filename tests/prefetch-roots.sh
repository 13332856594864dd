#!/bin/sh
# Stage the Debian roots that the later shell tests build from, so that
# make check can run it beside the single-core boot tests (PREFETCH in
# run-shell.sh): the apps of t540, t440, t690, t695 and t697, the Xen dom0's
# tools of t800, the roots of t700's comparison (`tinyx compare --stage`)
# and of t690's Debian VM (`tinyx debian-vm --stage`); and the kernels of
# t690 (nf_tables), t695 (WireGuard, nf_tables) and t697 (policy
# routing). A root or kernel made here is
# the one the test would make (the same inputs, the same cache); a test
# that comes first to it waits on its lock. No image or boot: those stay
# in their tests. Exit 1 when a root or kernel cannot be made (the test
# that needs it would fail the same way).
set -u
# the mark of its processes: tests that look for processes left behind
# (tests/lib.sh own_procs) pass over these
export TINYX_PREFETCH=1
TINYX=${TINYX:-build/tinyx}
rc=0
for app in haproxy nftables frr bind9 mosquitto xen-utils-4.17; do
	start=$(date +%s)
	if "$TINYX" stage "$app" >/dev/null; then
		echo "staged $app ($(($(date +%s) - start)) s)"
	else
		echo "cannot stage $app"
		rc=1
	fi
	[ "$app" = frr ] || continue
	# the kernels of t690 (nf_tables), t695 (WireGuard and nf_tables) and
	# t697 (FRR: policy routing, multipath; frr is staged just before):
	# incremental kbuilds after nginx's, one after the other, on the core
	# that the single-core boot tests before them leave idle. In a copy of
	# the kvm kbuild dir, bind-mounted over the cache's kbuild/ in a mount
	# namespace of its own (the same paths: incremental), so the lock it
	# holds is its own: the tests meanwhile make their configs in the
	# shared dir (haproxy's in t440) without waiting for it. The kernels go
	# to the shared kernels/ store, where t690 and t695 find them. t695's
	# closure needs its overlay's wg-quick@wg0 link (a template's instance)
	# and its packages; the three tests' overlays turn forwarding on
	# (net.ipv4.ip_forward = 1: a kernel compiled for speed, image/netcheck.c),
	# the rest of them does not change their kernels.
	cache=${TINYX_CACHE:-${HOME:-/root}/.cache/tinyx}
	kok=0
	kb=$(mktemp -d /tmp/tinyx-prefetch-kbuild.XXXXXX) &&
		fwd=$(mktemp -d /tmp/tinyx-prefetch-fwd.XXXXXX) &&
		mkdir -p "$fwd/etc/sysctl.d" &&
		echo 'net.ipv4.ip_forward = 1' >"$fwd/etc/sysctl.d/50-forward.conf" &&
		ovl=$(mktemp -d /tmp/tinyx-prefetch-ovl.XXXXXX) &&
		cp -a "$fwd/." "$ovl/" &&
		mkdir -p "$ovl/etc/systemd/system/multi-user.target.wants" &&
		ln -s ../../../../lib/systemd/system/wg-quick@.service \
			"$ovl/etc/systemd/system/multi-user.target.wants/wg-quick@wg0.service" &&
		flock -w 120 "$cache/kbuild/kvm.lock" cp -a "$cache/kbuild/kvm" "$kb/" || kok=1
	for k in "nftables --overlay $fwd" "wireguard-tools --add iproute2,nftables --overlay $ovl" \
		"frr --overlay $fwd"; do
		start=$(date +%s)
		# shellcheck disable=SC2016,SC2086
		if [ "$kok" = 0 ] && unshare -m sh -c 'mount --make-rprivate / &&
			mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$kb" "$cache/kbuild" \
			"$TINYX" kernel $k --target kvm -q >/dev/null; then
			echo "built the ${k%% *} kernel ($(($(date +%s) - start)) s)"
		else
			echo "cannot build the ${k%% *} kernel"
			kok=1 rc=1
		fi
	done
	rm -rf "$kb" "$ovl" "$fwd"
done
start=$(date +%s)
if "$TINYX" compare nginx --stage; then
	echo "staged the roots of 'tinyx compare nginx' ($(($(date +%s) - start)) s)"
else
	echo "cannot stage the roots of 'tinyx compare nginx'"
	rc=1
fi
start=$(date +%s)
if "$TINYX" debian-vm nftables --stage -q >/dev/null; then
	echo "staged the root of t690's Debian VM ($(($(date +%s) - start)) s)"
else
	echo "cannot stage the root of 'tinyx debian-vm nftables'"
	rc=1
fi
exit $rc
