#!/bin/sh
# Rootfs figures: the guest init's size, the initrd size and write time per
# compressor, and the boot time to `tinyx: init` (and to `tinyx: ready`) per
# compressor under QEMU TCG -M microvm (and for the squashfs image as a
# read-only virtio disk root), for two images:
#   httpd  tinyx-init + busybox-static running `busybox httpd` (the smallest)
#   nginx  the nginx closure of a staged root (tinyx closure nginx --root R)
#          + tinyx-init + BusyBox, running nginx in the foreground
#   bench/rootfs.sh [RUNS]        RUNS boots per compressor (default 5)
# Env: NGINX_ROOT (default /tmp/roots/nginx, else the cache's), TINYX_CACHE,
# KERNEL_DIR (default the newest dir under .cache/kernels/). A compressor the
# kernel cannot read (no CONFIG_RD_*=y) is sized but not booted. Prints
# figures only: it never fails on a time.
cd "$(dirname "$0")/.." || exit 1
runs=${1:-5}
tmp=$(mktemp -d /tmp/tinyx-bench-rootfs.XXXXXX) || exit 1
qpid=
trap '[ -n "$qpid" ] && kill $qpid 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

make -s build/tinyx-init build/tinyx build/rootfs-driver >/dev/null || exit 1
cp build/rootfs-driver "$tmp/driver" || exit 1

kdir=${KERNEL_DIR:-$(ls -td "${TINYX_CACHE:-.cache}"/kernels/*/ .cache/kernels/*/ 2>/dev/null |
	while read -r d; do [ -f "$d/vmlinux" ] && { echo "$d"; break; }; done)}
echo "guest init: $(wc -c < build/tinyx-init) bytes (build/tinyx-init, static, stripped)"
[ -n "$kdir" ] && echo "kernel: $kdir" || echo "kernel: none (sizes only)"

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# boot INITRD|DISK.squashfs: prints "INIT_MS READY_MS" (- when not seen) for one boot
boot() {
	rm -f "$tmp/fifo"; mkfifo "$tmp/fifo"
	case $1 in
	*.squashfs) set -- -drive "file=$1,format=raw,if=none,id=d0,readonly=on" \
		-device virtio-blk-device,drive=d0 \
		-append "console=ttyS0 panic=-1 quiet root=/dev/vda ro rootfstype=squashfs init=/init" ;;
	*) set -- -initrd "$1" -append "console=ttyS0 panic=-1 quiet" ;;
	esac
	t0=$(ms)
	timeout -s KILL 60 qemu-system-x86_64 -M microvm,acpi=off -accel tcg -m 256 -smp 1 \
		-nodefaults -no-user-config -display none -no-reboot -serial stdio \
		-kernel "$kdir/vmlinux" "$@" </dev/null >"$tmp/fifo" 2>/dev/null &
	qpid=$!
	init=- ready=-
	while IFS= read -r line; do
		case $line in
		*"tinyx: init"*) init=$(( $(ms) - t0 )) ;;
		*"tinyx: ready tcp/"*) ready=$(( $(ms) - t0 )); break ;;
		*"tinyx: app exited"*) break ;;
		esac
	done <"$tmp/fifo"
	kill $qpid 2>/dev/null; wait $qpid 2>/dev/null; qpid=
	echo "$init $ready"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }

bench_image() { # NAME "DRIVER-OPTIONS" -- APP...
	name=$1 opts=$2; shift 3
	echo
	echo "== $name =="
	printf '%-6s %16s %9s %12s %12s\n' comp bytes write_ms 'init_ms(med)' 'ready_ms(med)'
	for c in none zstd xz lz4 gzip squashfs; do
		t0=$(ms)
		# shellcheck disable=SC2086 # the options are words
		if [ $c = squashfs ]; then
			"$tmp/driver" -c none -e "$tmp/$name.$c" $opts "$tmp/$name.x" . build/tinyx-init \
				-- "$@" >/dev/null 2>"$tmp/err"
		else
			"$tmp/driver" -c "$c" $opts "$tmp/$name.$c" . build/tinyx-init -- "$@" \
				>/dev/null 2>"$tmp/err"
		fi || { echo "$c: $(cat "$tmp/err")"; continue; }
		wt=$(( $(ms) - t0 ))
		size=$(wc -c < "$tmp/$name.$c")
		up=$(echo "$c" | tr a-z A-Z)
		inits=- readys=-
		if [ -z "$kdir" ]; then
			:
		elif [ "$c" != none ] && [ "$c" != squashfs ] && ! grep -q "^CONFIG_RD_$up=y" "$kdir/config" "$kdir/.config" 2>/dev/null; then
			inits="(no RD_$up)"
		else
			: >"$tmp/times"
			i=0
			while [ $i -lt "$runs" ]; do boot "$tmp/$name.$c" >>"$tmp/times"; i=$((i + 1)); done
			inits=$(awk '$1 != "-" {print $1}' "$tmp/times" | median)
			readys=$(awk '$2 != "-" {print $2}' "$tmp/times" | median)
		fi
		printf '%-6s %16s %9s %12s %12s\n' "$c" "$size" "$wt" "$inits" "$readys"
		rm -f "$tmp/$name.$c" "$tmp/$name.x"
	done
}

bench_image httpd "" -- /bin/busybox httpd -f -p 8080 -h /

root=${NGINX_ROOT:-/tmp/roots/nginx}
[ -d "$root" ] || root=$(ls -d "${TINYX_CACHE:-.cache/tinyx}"/roots/nginx-*/ 2>/dev/null | head -n 1)
if [ -n "$root" ] && [ -d "$root" ] && build/tinyx closure nginx --root "$root" >"$tmp/nginx.m" 2>"$tmp/err"; then
	echo
	echo "nginx root: $root ($(grep -c . "$tmp/nginx.m") manifest entries)"
	bench_image nginx "-M $tmp/nginx.m -R $root" -- /usr/sbin/nginx -g "daemon off;"
else
	echo; echo "nginx: no staged root or closure failed ($(cat "$tmp/err" 2>/dev/null))"
fi
