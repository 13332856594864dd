#!/bin/sh
# The guest init booted for real: a tiny rootfs (tinyx-init + busybox-static +
# an app.conf running `busybox httpd -f -p 8080`) made by the rootfs stage
# through tests/fixtures/rootfs-driver.c, booted under QEMU (TCG unless
# /dev/kvm works) on -M microvm with the PVH vmlinux and on -M pc with the
# bzImage, then as a read-only squashfs disk root (the app writes to /etc
# first: the init's tmpfs overlay must take it, and the disk must not change). Checks the console markers `tinyx: init`
# and `tinyx: ready tcp/8080`, the crash report and power off of an app that
# exits, restart on-failure with its cap, a user and a dir made for it, and
# a forking daemon followed through its pid file. (microvm runs with acpi=off:
# QEMU then names its virtio-mmio devices on the kernel command line.)
# Needs nginx's KVM kernel ('tinyx kernel nginx --target kvm', cached by t210).
# (skipped without one unless TINYX_NEED_KERNEL=1). POSIX sh; every QEMU runs
# under a hard `timeout` and is killed on failure.
. tests/lib.sh

T=${TINYX_BOOT_TIMEOUT:-60}
tmp=$(mktemp -d /tmp/tinyx-t300.XXXXXX) || exit 1
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# nginx's KVM kernel (cached by t210; the cache also holds other kernels, e.g.
# the minimizer's trials, so never just the newest one)
bz= vm=
if [ "${TINYX_NEED_KERNEL:-0}" = 1 ] || ls "${TINYX_CACHE:-$HOME/.cache/tinyx}"/kernels/*/bzImage >/dev/null 2>&1; then
	kout=$("${TINYX:-build/tinyx}" kernel nginx --target kvm 2>/dev/null)
	bz=$(printf '%s\n' "$kout" | grep '/bzImage$' | head -n 1)
	vm=$(printf '%s\n' "$kout" | grep '/vmlinux$' | head -n 1)
fi
if [ -z "$bz$vm" ]; then
	if [ "${TINYX_NEED_KERNEL:-0}" = 1 ]; then
		nok "no kernel: 'tinyx kernel nginx --target kvm' failed"
		done_tests; exit 1
	fi
	echo "skip: no kernel in the cache yet"
	exit 0
fi
echo "kernels: ${vm:-none} ${bz:-none}"
accel=${TINYX_ACCEL:-tcg} # TINYX_ACCEL=kvm where /dev/kvm really works

make -s build/tinyx-init >/dev/null || { nok "make"; done_tests; exit 1; }
make -s build/rootfs-driver >/dev/null && cp build/rootfs-driver "$tmp/driver" ||
	{ nok "build the rootfs driver"; done_tests; exit 1; }

mk() { # NAME DRIVER-ARGS... -- APP...
	name=$1; shift
	"$tmp/driver" "$@" >"$tmp/$name.manifest" 2>"$tmp/$name.err"
}
check "rootfs with httpd" mk httpd -e "$tmp/httpd.squashfs" "$tmp/httpd.initrd" . build/tinyx-init \
	-- /bin/busybox sh -c 'echo w >/etc/written && exec /bin/busybox httpd -f -p 8080 -h /'
sq0=$(sha256sum <"$tmp/httpd.squashfs")
check "rootfs with an app that fails" mk fail "$tmp/fail.initrd" . build/tinyx-init \
	-- /bin/busybox sh -c "echo failing; exit 3"
check "rootfs with restart on-failure" mk restart -r "$tmp/restart.initrd" . build/tinyx-init \
	-- /bin/busybox false
check "rootfs with a user and a dir" mk user -u 33:34 -k "/run/x/y 0750 33 34" "$tmp/user.initrd" \
	. build/tinyx-init -- /bin/busybox sh -c 'id; stat -c "dir %a %u %g" /run/x/y'
# a daemon that forks, writes its pid file, and is killed 3 s later
check "rootfs with a forking daemon" mk fork -F /run/h.pid "$tmp/fork.initrd" . build/tinyx-init \
	-- /bin/busybox sh -c 'httpd -p 8080 -h /; pidof httpd >/run/h.pid; (sleep 3; killall httpd) &'
# the same without a pid file: the init takes the process left over (httpd)
check "rootfs with a forking daemon, no pid file" mk forkp -P "$tmp/forkp.initrd" . build/tinyx-init \
	-- /bin/busybox sh -c 'httpd -p 8080 -h /; (sleep 3; killall httpd) &'
# the unit's hooks: ExecStartPre= (a "-" one that fails is passed over),
# ExecStartPost=; a failing ExecStartPre= stops the start
TAB=$(printf '\t')
check "rootfs with ExecStartPre/Post" mk hooks \
	-B ".$TAB/bin/busybox${TAB}sh$TAB-c${TAB}echo pre-ran >/run/pre" \
	-B "-$TAB/bin/busybox${TAB}false" -A "+$TAB/bin/busybox${TAB}echo${TAB}post-ran" \
	-U 027 -N "4096 8192" "$tmp/hooks.initrd" . build/tinyx-init \
	-- /bin/busybox sh -c 'cat /run/pre; echo "umask $(umask) nofile $(ulimit -n)"; exec httpd -f -p 8080 -h /'
check "rootfs with a failing ExecStartPre" mk prefail -B ".$TAB/bin/busybox${TAB}false" \
	"$tmp/prefail.initrd" . build/tinyx-init -- /bin/busybox httpd -f -p 8080 -h /
# Type=notify: READY=1 on NOTIFY_SOCKET, then its ExecStartPost=
cc -static -O2 -o "$tmp/sd-ready" tests/fixtures/guest/sd-ready.c || nok "build sd-ready.c"
check "rootfs with a Type=notify app" mk notify -Y -I "/bin/sd-ready=$tmp/sd-ready" \
	-A ".$TAB/bin/busybox${TAB}echo${TAB}post-after-ready" "$tmp/notify.initrd" . build/tinyx-init \
	-- /bin/sd-ready /bin/busybox sh -c 'echo "path $PATH"; exec httpd -f -p 8080 -h /'
# a daemon that goes to the background with no unit to say so (exit 0)
check "rootfs with a self-backgrounding daemon" mk bg "$tmp/bg.initrd" . build/tinyx-init \
	-- /bin/busybox httpd -p 8080 -h /
for n in httpd fail restart user fork forkp hooks prefail bg notify; do [ -s "$tmp/$n.err" ] && cat "$tmp/$n.err"; done

# boot NAME WANT-EXIT(0: kill it once the markers are seen; 1: it must power
# off by itself) MARKER... -- QEMU-ARGS...
boot() {
	name=$1 selfexit=$2; shift 2
	markers=
	while [ "$1" != -- ]; do markers="$markers
$1"; shift; done
	shift
	log=$tmp/$name.log
	: >"$log"
	timeout -s KILL "$((T + 5))" qemu-system-x86_64 -accel $accel -m 128 -smp 1 \
		-nodefaults -no-user-config -display none -no-reboot \
		-serial "file:$log" "$@" </dev/null >"$tmp/$name.qemu" 2>&1 &
	qpid=$!
	start=$(date +%s)
	ok_all=0
	while :; do
		ok_all=1
		missing=$(printf '%s\n' "$markers" | while IFS= read -r m; do
			[ -z "$m" ] && continue
			grep -qF -- "$m" "$log" || echo "$m"
		done)
		[ -z "$missing" ] && break
		ok_all=0
		kill -0 "$qpid" 2>/dev/null || break
		[ $(( $(date +%s) - start )) -ge "$T" ] && break
		sleep 0.2
	done
	if [ "$selfexit" = 1 ] && [ $ok_all = 1 ]; then
		# it must power off by itself, soon
		i=0
		while kill -0 "$qpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
		kill -0 "$qpid" 2>/dev/null && { ok_all=0; missing="power off"; }
	fi
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	qpid=
	if [ $ok_all = 1 ]; then
		ok "$name: $(printf '%s' "$markers" | tr '\n' ' ') after $(( $(date +%s) - start )) s"
	else
		nok "$name: missing '$(printf '%s' "$missing" | tr '\n' ' ')'; console tail:"
		tail -n 25 "$log" | sed 's/^/    /'
		sed 's/^/    qemu: /' "$tmp/$name.qemu"
	fi
}

APPEND="console=ttyS0 panic=-1 tinyx.ip=10.0.2.15/24 tinyx.gw=10.0.2.2 tinyx.hostname=t300"
NET="-netdev user,id=n0,restrict=on"
if [ -n "$vm" ]; then
	boot microvm 0 "tinyx: init" "tinyx: net eth0 10.0.2.15/24" "tinyx: ready tcp/8080" \
		"tinyx: mem used" -- -M microvm,acpi=off -kernel "$vm" -initrd "$tmp/httpd.initrd" -append "$APPEND" \
		$NET -device virtio-net-device,netdev=n0
	boot microvm-fail 1 "tinyx: init" "failing" "tinyx: app exited status 3" \
		"tinyx: poweroff" -- \
		-M microvm,acpi=off -kernel "$vm" -initrd "$tmp/fail.initrd" -append "$APPEND"
	# no shell unless the image was built with one, whatever the command line says
	boot microvm-noshell 1 "tinyx: app exited status 3" "tinyx: poweroff" -- \
		-M microvm,acpi=off -kernel "$vm" -initrd "$tmp/fail.initrd" \
		-append "$APPEND tinyx.debug_shell=1"
	check "tinyx.debug_shell=1 ignored without /etc/tinyx/debug-shell" \
		sh -c '! grep -q "debug shell" "$1"' - "$tmp/microvm-noshell.log"
	boot microvm-user 1 "uid=33 gid=34" "dir 750 33 34" "tinyx: app exited status 0" \
		"tinyx: poweroff" -- \
		-M microvm,acpi=off -kernel "$vm" -initrd "$tmp/user.initrd" -append "$APPEND"
	boot microvm-forking 1 "tinyx: ready tcp/8080" "tinyx: app killed by signal 15" \
		"tinyx: poweroff" -- \
		-M microvm,acpi=off -kernel "$vm" -initrd "$tmp/fork.initrd" -append "$APPEND"
	boot microvm-forking-nopid 1 "tinyx: ready tcp/8080" "tinyx: app killed by signal 15" \
		"tinyx: app failed '/bin/busybox' was killed by signal 15" "tinyx: poweroff" -- \
		-M microvm,acpi=off -kernel "$vm" -initrd "$tmp/forkp.initrd" -append "$APPEND"
	boot microvm-restart 1 "tinyx: restarting app (5/5)" "tinyx: poweroff" -- \
		-M microvm,acpi=off -kernel "$vm" -initrd "$tmp/restart.initrd" -append "$APPEND"
	boot microvm-hooks 0 "pre-ran" "umask 0027 nofile 4096" "tinyx: ready tcp/8080" "post-ran" -- \
		-M microvm,acpi=off -kernel "$vm" -initrd "$tmp/hooks.initrd" -append "$APPEND"
	check "hooks: the failing '-' ExecStartPre is passed over" \
		sh -c '! grep -q "ExecStartPre .* failed" "$1"' - "$tmp/microvm-hooks.log"
	boot microvm-prefail 1 "tinyx: ExecStartPre '/bin/busybox' failed: status 1" \
		"tinyx: app failed '/bin/busybox' exited with status 1" "tinyx: poweroff" -- \
		-M microvm,acpi=off -kernel "$vm" -initrd "$tmp/prefail.initrd" -append "$APPEND"
	check "prefail: the app itself never ran" \
		sh -c '! grep -q "ready tcp/8080" "$1"' - "$tmp/microvm-prefail.log"
	boot microvm-notify 0 "sd-ready: notified /run/tinyx/notify" "path /usr/local/sbin:" \
		"tinyx: app says READY=1" "]: said to syslog in two lines" \
		"post-after-ready" "tinyx: ready tcp/8080" -- \
		-M microvm,acpi=off -kernel "$vm" -initrd "$tmp/notify.initrd" -append "$APPEND"
	check "syslog: one console line, no priority, no time stamp" \
		sh -c 'tr -d "\r" <"$1" | grep -Eq "^sd-ready\[[0-9]+\]: said to syslog in two lines\$"' \
		- "$tmp/microvm-notify.log"
	check "notify: ExecStartPost after READY=1" sh -c \
		'[ "$(grep -n "READY=1" "$1" | head -n 1 | cut -d: -f1)" -lt "$(grep -n post-after-ready "$1" | head -n 1 | cut -d: -f1)" ]' \
		- "$tmp/microvm-notify.log"
	boot microvm-background 0 "exited 0 at start: following what it left running" \
		"tinyx: ready tcp/8080" -- \
		-M microvm,acpi=off -kernel "$vm" -initrd "$tmp/bg.initrd" -append "$APPEND"
	check "background: not taken for an exit" \
		sh -c '! grep -q "app failed" "$1"' - "$tmp/microvm-background.log"
fi
# kconfig OPTION...: all set (=y) in the config beside the kernel (true when
# there is no config to read)
kconfig() {
	cfg=$(dirname "${vm:-$bz}")/config
	[ -f "$cfg" ] || cfg=$(dirname "${vm:-$bz}")/.config
	[ -f "$cfg" ] || return 0
	for o; do grep -q "^CONFIG_$o=y" "$cfg" || return 1; done
}
DISK_APPEND="$APPEND root=/dev/vda ro rootfstype=squashfs init=/init"
if [ -n "$vm" ] && kconfig SQUASHFS OVERLAY_FS VIRTIO_BLK VIRTIO_MMIO; then
	# the squashfs image as the root disk (written to, if anything could)
	boot microvm-disk 0 "tinyx: init" "tinyx: ready tcp/8080" -- \
		-M microvm,acpi=off -kernel "$vm" -append "$DISK_APPEND" \
		-drive "file=$tmp/httpd.squashfs,format=raw,if=none,id=d0" \
		-device virtio-blk-device,drive=d0
	check "no overlay error on the console" sh -c "! grep -q 'cannot put a writable overlay' '$tmp/microvm-disk.log'"
	check "the squashfs root is unchanged" [ "$(sha256sum <"$tmp/httpd.squashfs")" = "$sq0" ]
fi
if [ -n "$bz" ] && kconfig PCI VIRTIO_PCI; then
	boot pc 0 "tinyx: init" "tinyx: net eth0 10.0.2.15/24" "tinyx: ready tcp/8080" -- \
		-M pc -kernel "$bz" -initrd "$tmp/httpd.initrd" -append "$APPEND" \
		$NET -device virtio-net-pci,netdev=n0
	if kconfig SQUASHFS OVERLAY_FS VIRTIO_BLK; then
		boot pc-disk 0 "tinyx: init" "tinyx: ready tcp/8080" -- \
			-M pc -kernel "$bz" -append "$DISK_APPEND" \
			-drive "file=$tmp/httpd.squashfs,format=raw,if=virtio,readonly=on" \
			$NET -device virtio-net-pci,netdev=n0
	fi
elif [ -n "$bz" ]; then
	echo "note: the kernel has no PCI: -M pc boots without a NIC or a disk"
	boot pc 0 "tinyx: init" "tinyx: ready tcp/8080" -- \
		-M pc -kernel "$bz" -initrd "$tmp/httpd.initrd" -append "$APPEND"
fi
done_tests
