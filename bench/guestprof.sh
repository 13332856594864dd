#!/bin/sh
# Where a Tinyx guest's boot time goes, by sampling: boots an image dir from
# its squashfs disk under QEMU TCG (-M microvm, as the probe does; no NIC,
# so the network phase is not in it) with a
# monitor socket, reads the vCPU's RIP every few ms until the init says
# "ready", and prints the kernel functions most often seen before /init and
# from /init to ready (vmlinux symbols; lower addresses are user space or,
# before /init, the bzImage's decompressor). Sampling slows the guest (about
# 2x): read the shares, not the times.
#   bench/guestprof.sh IMAGE-DIR VMLINUX [SECONDS]
# VMLINUX: the kernel's vmlinux, $TINYX_CACHE/kernels/HASH/vmlinux (HASH:
# kernel_config_hash in IMAGE-DIR/../build.json). Needs nm (binutils).
# Prints figures; never fails on time.
set -eu
[ $# -ge 2 ] || { echo "usage: bench/guestprof.sh IMAGE-DIR VMLINUX [SECONDS]" >&2; exit 2; }
dir=$1 vml=$2 secs=${3:-20}
for t in nm qemu-system-x86_64; do
	command -v $t >/dev/null || { echo "guestprof: needs $t" >&2; exit 1; }
done
[ -f "$dir/kernel" ] && [ -f "$dir/rootfs.squashfs" ] && [ -f "$dir/image.conf" ] ||
	{ echo "guestprof: not an image dir with a squashfs disk '$dir'" >&2; exit 1; }
tmp=$(mktemp -d) || exit 1
qpid=
trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
append=$(sed -n 's/^append=//p' "$dir/image.conf")
mkfifo "$tmp/mon.in" "$tmp/mon.out"
qemu-system-x86_64 -M microvm,acpi=off -accel tcg -m 64 -smp 1 -nodefaults \
	-no-user-config -display none -no-reboot -kernel "$dir/kernel" \
	-append "$append root=/dev/vda ro rootfstype=squashfs init=/init noapictimer" \
	-serial "file:$tmp/console" -monitor "pipe:$tmp/mon" \
	-drive "file=$dir/rootfs.squashfs,format=raw,if=none,id=d0,readonly=on" \
	-device virtio-blk-device,drive=d0 &
qpid=$!
# the monitor's answers go to a file; 'info version' marks where /init began
cat "$tmp/mon.out" >"$tmp/monlog" &
exec 3>"$tmp/mon.in"
# the sampler: a read every few ms (sleep's own start makes the pace)
(while :; do echo 'info registers'; sleep 0.003; done) >&3 &
spid=$!
end=$(($(date +%s) + secs))
phase=boot
while [ "$(date +%s)" -lt "$end" ]; do
	c=$(cat "$tmp/console" 2>/dev/null)
	case $c in *'tinyx: ready'*) break ;; esac
	case $phase$c in boot*'tinyx: init'*)
		phase=init
		echo 'info version' >&3
		;;
	esac
	sleep 0.01
done
kill "$spid"
exec 3>&-
kill "$qpid" 2>/dev/null || true
wait "$qpid" 2>/dev/null || true
qpid=
wait
grep -q 'tinyx: ready' "$tmp/console" || echo "guestprof: no 'ready' within $secs s" >&2
# the RIPs in order, each tagged with its phase
awk '/^QEMU emulator version|^[0-9]+\.[0-9]+\.[0-9]+/ {p = "init"}
	match($0, /RIP=[0-9a-f]+/) {print substr($0, RSTART + 4, 16), (p ? p : "boot")}' \
	"$tmp/monlog" >"$tmp/samples"
# symbols and samples sorted together by address (16 hex digits sort as
# numbers); each sample takes the name of the symbol before it
nm -n "$vml" | awk '$2 ~ /^[tTwW]$/ && length($1) == 16 {print $1, "S", $3}' >"$tmp/syms"
awk '{print $1, "X", $2}' "$tmp/samples" | cat - "$tmp/syms" | LC_ALL=C sort -k1,1 -k2,2 |
	awk '$2 == "S" {name = $3; next}
		{n = ($1 < "ffff800000000000") ? "[user-or-decompressor]" : name; print $3, n}' |
	sort | uniq -c | sort -k2,2 -k1,1nr >"$tmp/counts"
for ph in boot init; do
	total=$(awk -v p=$ph '$2 == p {s += $1} END {print s + 0}' "$tmp/counts")
	[ "$ph" = boot ] && title="before /init" || title="/init to ready"
	echo "== $title: $total samples"
	awk -v p=$ph -v t="$total" '$2 == p {printf "%5.1f%% %s\n", 100 * $1 / t, $3}' \
		"$tmp/counts" | head -n 15
done
