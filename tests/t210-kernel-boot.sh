#!/bin/sh
# t210: 'tinyx kernel APP --target kvm|xen' builds (or reuses) the kernel: one
# for both targets (the second target is a cache hit, no kbuild); it boots
# under QEMU (TCG) to a sentinel printed by a minimal BusyBox initramfs: the
# bzImage on -M pc and -M microvm, the vmlinux through the PVH entry on
# -M microvm. Every boot has a hard timeout.
# Env: TINYX (default build/tinyx), TINYX_CACHE, TINYX_BOOT_TIMEOUT (s, default 60).
set -u
TINYX=${TINYX:-build/tinyx}
app=${TINYX_TEST_APP:-nginx}
tmo=${TINYX_BOOT_TIMEOUT:-60}
boot=tests/fixtures/kconfig/qemu-boot.sh
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# the path ending in /NAME in the CLI's output
path_of() { tr ' \t' '\n\n' < "$1" | grep "/$2\$" | head -n 1; }

for t in kvm xen; do
	if "$TINYX" kernel "$app" --target $t > "$tmp/$t.out" 2> "$tmp/$t.err"; then
		ok "kernel $app --target $t"
	else
		bad "kernel $app --target $t: $(tail -n 1 "$tmp/$t.err")"
		continue
	fi
	for f in bzImage vmlinux; do
		p=$(path_of "$tmp/$t.out" $f)
		if [ -n "$p" ] && [ -s "$p" ]; then ok "$t: $f $(wc -c < "$p") bytes"
		else bad "$t: no $f in the output"; fi
	done
	# a second run is a cache hit
	s=$(date +%s%N)
	"$TINYX" kernel "$app" --target $t > "$tmp/$t.again" 2>&1
	ms=$((($(date +%s%N) - s) / 1000000))
	if [ "$(path_of "$tmp/$t.again" vmlinux)" = "$(path_of "$tmp/$t.out" vmlinux)" ] && [ $ms -lt 5000 ]; then
		ok "$t: cached rebuild in ${ms} ms"
	else bad "$t: cached rebuild took ${ms} ms or changed paths"; fi
done

if ! command -v qemu-system-x86_64 > /dev/null; then
	bad "qemu-system-x86_64 not found (maybe you need to: apt-get install qemu-system-x86)"
	exit 1
fi
if $boot mkinitrd "$tmp/initrd.zst" zstd; then ok "test initramfs $(wc -c < "$tmp/initrd.zst") bytes"
else bad "cannot make the test initramfs (needs /bin/busybox: busybox-static)"; exit 1; fi

try_boot() { # NAME MACHINE KERNEL [MEM]
	[ -s "$3" ] || { bad "$1: no kernel"; return; }
	if r=$($boot -t "$tmo" -m "${4:-64}" -l "$tmp/console.log" "$2" "$3" "$tmp/initrd.zst"); then
		ok "$1 boots to the sentinel: ${r#ok }s"
	else
		bad "$1: $r"
		tail -n 5 "$tmp/console.log" | sed 's/^/#   /'
	fi
}
if [ "$(path_of "$tmp/kvm.out" bzImage)" = "$(path_of "$tmp/xen.out" bzImage)" ] &&
	grep -q 'cached' "$tmp/xen.err" && ! grep -q 'building bzImage' "$tmp/xen.err"; then
	ok "one kernel for both targets, built once"
else bad "kvm and xen have different kernels: $(path_of "$tmp/kvm.out" bzImage) $(path_of "$tmp/xen.out" bzImage)"; fi
kb=$(path_of "$tmp/kvm.out" bzImage)
kv=$(path_of "$tmp/kvm.out" vmlinux)
try_boot "kvm bzImage on -M pc" pc "$kb"
try_boot "kvm bzImage on -M microvm" microvm "$kb"
try_boot "vmlinux (PVH) on -M microvm" microvm "$kv"
try_boot "vmlinux (PVH) on -M microvm with 24 MB" microvm "$kv" 24

echo "t210-kernel-boot: $n checks, $([ $fail = 0 ] && echo all passed || echo FAILED)"
exit $fail
