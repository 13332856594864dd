#!/bin/sh
# bench: tinyx build nginx. Warm rebuild time (nothing changed), image sizes
# per target, boot figures (probe, N runs, TCG microvm) for the KVM image from
# its initrd and from its ext4 disk, and the Xen image through its PVH entry,
# and the smallest guest RAM (MB) that still boots and serves, by bisection.
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
jq -r '.targets | to_entries[] | "size \(.key): kernel \(.value.kernel_bytes) B + rootfs (initrd) = \(.value.total_bytes) B"' "$out/$APP/build.json"
jq -r '"size rootfs: initrd \(.rootfs.initrd_bytes) B, ext4 \(.rootfs.ext4_bytes) B"' "$out/$APP/build.json"
sh bench/probe.sh "$out/$APP/kvm" "$N"
sh bench/probe.sh "$out/$APP/kvm" "$N" --disk
sh bench/probe.sh "$out/$APP/xen" "$N"
# the smallest RAM that boots and serves, MB steps
for mode in initrd disk; do
	lo=16 hi=128
	flag=
	[ $mode = disk ] && flag=--disk
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
