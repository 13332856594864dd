#!/bin/sh
# bench: tinyx build nginx. Warm rebuild time (nothing changed), image sizes
# per target, boot figures (probe, N runs, TCG microvm) for the KVM image from
# its squashfs disk (the default) and from its initrd, and the Xen image on
# QEMU (the same kernel, the squashfs as its ramdisk), and the smallest guest
# RAM (MB) that still boots and serves, by bisection.
# Prints figures; never fails on time.
cd "$(dirname "$0")/.." || exit 1
TINYX=${TINYX:-$PWD/build/tinyx}
APP=${APP:-nginx}
N=${N:-10}
out=${OUT:-out}
"$TINYX" build "$APP" --out "$out" >/dev/null 2>&1 # make sure it exists (cold if need be)
t0=$(date +%s%N)
"$TINYX" build "$APP" --out "$out" >build/bench-build.log 2>&1
t1=$(date +%s%N)
echo "warm rebuild of $APP (verify included): $(( (t1 - t0) / 1000000 )) ms"
jq -r '"timings (ms): \(.timings_ms | to_entries | map("\(.key) \(.value)") | join(", "))"' "$out/$APP/build.json"
jq -r '.targets | to_entries[] | "size \(.key): kernel \(.value.kernel_bytes) B + root (\(.value.root)) = \(.value.total_bytes) B"' "$out/$APP/build.json"
jq -r '"size roots: squashfs \(.rootfs.squashfs_bytes) B, initrd \(.rootfs.initrd_bytes) B"' "$out/$APP/build.json"
sh bench/probe.sh "$out/$APP/kvm" "$N"
sh bench/probe.sh "$out/$APP/kvm" "$N" --initrd
sh bench/probe.sh "$out/$APP/xen" "$N" --qemu
# the smallest RAM that boots and serves, MB steps
for mode in disk initrd; do
	lo=16 hi=128
	flag=
	[ $mode = initrd ] && flag=--initrd
	while [ $((hi - lo)) -gt 1 ]; do
		mid=$(( (lo + hi) / 2 ))
		if "$TINYX" probe "$out/$APP/kvm" --memory $mid --timeout 40 $flag >/dev/null 2>&1; then
			hi=$mid
		else
			lo=$mid
		fi
	done
	echo "smallest guest RAM that serves ($mode root): $hi MB"
done
