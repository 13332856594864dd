#!/bin/sh
# bench/kernel.sh: kernel build times, sizes per compressor, boot-to-sentinel
# times under QEMU TCG and the smallest guest RAM that boots. Prints figures,
# never passes or fails on them.
#
# Env: TINYX (CLI, default build/tinyx), TINYX_CACHE, APP (default nginx),
#      RUNS (boots per figure, default 5), COLD=0 to skip the cold build (~4 min),
#      KERNEL_DIR=CACHE/kernels/HASH to bench a kernel without the CLI.
set -u
TINYX=${TINYX:-build/tinyx}
APP=${APP:-nginx}
RUNS=${RUNS:-5}
COLD=${COLD:-1}
CACHE=${TINYX_CACHE:-$HOME/.cache/tinyx}
boot=tests/fixtures/kconfig/qemu-boot.sh
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

path_of() { tr ' \t' '\n\n' < "$1" | grep "/$2\$" | head -n 1; }
now() { date +%s%N; }
secs() { ms=$((($2 - $1) / 1000000)); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }
# median min max of the numbers on stdin
stats() { sort -n | awk '{a[NR]=$1} END {if (!NR) {print "n/a"; exit} printf "median %.3f s (min %.3f, max %.3f, %d runs)", a[int((NR+1)/2)], a[1], a[NR], NR}'; }
boots() { # MACHINE KERNEL INITRD [APPEND]
	i=0
	while [ $i -lt "$RUNS" ]; do
		r=$($boot -t 30 -a "${4:-}" "$1" "$2" "$3") && echo "${r#ok }"
		i=$((i + 1))
	done | stats
}
minram() { # MACHINE KERNEL INITRD: bisect the smallest -m (MB) that boots
	lo=8 hi=64
	$boot -t 30 -m $hi "$1" "$2" "$3" > /dev/null || { echo "n/a (does not boot with $hi MB)"; return; }
	while [ $((hi - lo)) -gt 1 ]; do
		mid=$(((lo + hi) / 2))
		if $boot -t 30 -m $mid "$1" "$2" "$3" > /dev/null; then hi=$mid; else lo=$mid; fi
	done
	echo "$hi MB"
}

echo "== kernel bench ($APP, $(nproc) cores, $(uname -m); load $(cut -d' ' -f1-3 /proc/loadavg))"
if [ -z "${KERNEL_DIR:-}" ]; then
	"$TINYX" kernel "$APP" --target kvm > "$tmp/kvm.out" 2> "$tmp/kvm.err" || {
		echo "cannot build the kvm kernel: $(tail -n 1 "$tmp/kvm.err")"; exit 1; }
	s=$(now)
	"$TINYX" kernel "$APP" --target kvm > "$tmp/kvm.out" 2> /dev/null
	echo "build, cached (tinyx kernel, unchanged config): $(secs "$s" "$(now)") s"
	KERNEL_DIR=$(dirname "$(path_of "$tmp/kvm.out" vmlinux)")
fi
cfg=$KERNEL_DIR/config
src=$(ls -d "$CACHE"/linux/*/ 2> /dev/null | head -n 1)
[ -s "$cfg" ] && [ -n "$src" ] || { echo "no kernel in '$KERNEL_DIR' or no source in '$CACHE/linux'"; exit 1; }
echo "kernel: $KERNEL_DIR"
echo "source: $src"

# kbuild by hand on the same .config: O=DIR, through ccache in CCDIR
kb() { # O CCDIR TARGET...
	o=$1 cc=$2
	shift 2
	env CCACHE_DIR="$cc" KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970" \
		KBUILD_BUILD_USER=tinyx KBUILD_BUILD_HOST=tinyx KBUILD_BUILD_VERSION=1 \
		make -s -C "$src" O="$o" -j"$(nproc)" CC="ccache gcc" "$@" > "$o.log" 2>&1
}
if [ "$COLD" = 1 ]; then
	mkdir -p "$tmp/cold" "$tmp/ccache"
	cp "$cfg" "$tmp/cold/.config"
	s=$(now)
	kb "$tmp/cold" "$tmp/ccache" olddefconfig && kb "$tmp/cold" "$tmp/ccache" bzImage
	echo "build, cold (empty ccache, new build dir, -j$(nproc)): $(secs "$s" "$(now)") s"
	rm -rf "$tmp/cold"
	mkdir -p "$tmp/warm"
	cp "$cfg" "$tmp/warm/.config"
	s=$(now)
	kb "$tmp/warm" "$tmp/ccache" olddefconfig && kb "$tmp/warm" "$tmp/ccache" bzImage
	echo "build, ccache warm (new build dir): $(secs "$s" "$(now)") s"
	s=$(now)
	kb "$tmp/warm" "$tmp/ccache" bzImage
	echo "build, no-op (same build dir): $(secs "$s" "$(now)") s"
	rm -rf "$tmp/warm" "$tmp/ccache"
fi

vm=$KERNEL_DIR/vmlinux
echo "vmlinux: $(wc -c < "$vm") bytes; $(size "$vm" | awk 'NR==2 {printf "text %d, data %d, bss %d", $1, $2, $3}')"
echo "bzImage (as built): $(wc -c < "$KERNEL_DIR/bzImage") bytes"

$boot mkinitrd "$tmp/initrd.zst" zstd && $boot mkinitrd "$tmp/initrd.lz4" lz4 &&
	$boot mkinitrd "$tmp/initrd.cpio" none || exit 1
echo "test initramfs: zstd $(wc -c < "$tmp/initrd.zst") bytes, lz4 $(wc -c < "$tmp/initrd.lz4") bytes"

# The same .config with each kernel compressor (and both initramfs decompressors,
# so one kernel can unpack either), in one build dir: only the boot stub relinks.
bd=$CACHE/kbuild/bench
mkdir -p "$bd"
for c in ZSTD LZ4 XZ GZIP; do
	sed -e '/^CONFIG_KERNEL_[A-Z0-9]*=y/d' -e '/^# CONFIG_KERNEL_[A-Z0-9]* is not set/d' \
		-e '/CONFIG_RD_LZ4/d' -e '/CONFIG_RD_ZSTD/d' "$cfg" > "$bd/.config"
	printf 'CONFIG_KERNEL_%s=y\nCONFIG_RD_LZ4=y\nCONFIG_RD_ZSTD=y\n' $c >> "$bd/.config"
	s=$(now)
	if ! kb "$bd" "$CACHE/ccache" olddefconfig || ! kb "$bd" "$CACHE/ccache" bzImage; then
		echo "bzImage $c: build failed (see $bd.log)"
		continue
	fi
	t=$(secs "$s" "$(now)")
	cp "$bd/arch/x86/boot/bzImage" "$tmp/bzImage.$c"
	echo "bzImage $c: $(wc -c < "$tmp/bzImage.$c") bytes (built in $t s); boot -M pc: $(boots pc "$tmp/bzImage.$c" "$tmp/initrd.zst")"
done
cp "$bd/vmlinux" "$tmp/vmlinux.rd"
echo "vmlinux PVH -M microvm, zstd initramfs: $(boots microvm "$tmp/vmlinux.rd" "$tmp/initrd.zst")"
echo "vmlinux PVH -M microvm, lz4 initramfs:  $(boots microvm "$tmp/vmlinux.rd" "$tmp/initrd.lz4")"

echo "as built, vmlinux PVH -M microvm: $(boots microvm "$vm" "$tmp/initrd.zst")"
echo "as built, bzImage -M pc: $(boots pc "$KERNEL_DIR/bzImage" "$tmp/initrd.zst")"
echo "as built, bzImage -M microvm: $(boots microvm "$KERNEL_DIR/bzImage" "$tmp/initrd.zst")"
# under TCG the LAPIC timer setup costs ~0.2 s: these are launcher options (not
# built in: on real KVM the LAPIC/TSC-deadline timer is the right one)
for tcg in "noapictimer" "noapictimer quiet lpj=1000000"; do
	echo "as built + '$tcg', vmlinux PVH -M microvm: $(boots microvm "$vm" "$tmp/initrd.zst" "$tcg")"
	echo "as built + '$tcg', bzImage -M pc: $(boots pc "$KERNEL_DIR/bzImage" "$tmp/initrd.zst" "$tcg")"
done
echo "as built + 'noapictimer', vmlinux PVH -M microvm, uncompressed initramfs: $(boots microvm "$vm" "$tmp/initrd.cpio" noapictimer)"
echo "min RAM, vmlinux PVH -M microvm: $(minram microvm "$vm" "$tmp/initrd.zst")"
echo "min RAM, bzImage -M pc: $(minram pc "$KERNEL_DIR/bzImage" "$tmp/initrd.zst")"
