#!/bin/sh
# The boot probe on a hand-made image: a kernel from the cache plus a tiny
# initrd (the guest init, busybox-static, an app.conf running busybox httpd).
# Checks: it serves (ok=true and the JSON keys), QEMU and the probe's sockets
# are in a private network namespace while it runs, nothing is left behind
# (namespace, tap, QEMU) after success, after a service that never comes up
# (exit 3 within the timeout, the console tail in the message), and after
# SIGINT mid-boot. Needs root (network namespaces, tap) and nginx's KVM kernel
# ('tinyx kernel nginx --target kvm', cached by t210).
. tests/lib.sh

T=${TINYX_PROBE_TIMEOUT:-60}
INIT=${TINYX_INIT:-build/tinyx-init}
tmp=$(mktemp -d /tmp/tinyx-t400.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# nginx's KVM kernel, cached by t210 (the cache holds other kernels too)
kernel=$("$TINYX" kernel nginx --target kvm 2>/dev/null | grep '/bzImage$' | head -n 1)
if [ -z "$kernel" ]; then
	nok "no kernel: 'tinyx kernel nginx --target kvm' failed"
	done_tests; exit 1
fi
[ "$(id -u)" = 0 ] || { nok "needs root (network namespaces, tap)"; done_tests; exit 1; }
echo "kernel: $kernel"

# --- a tiny initrd ------------------------------------------------------------
root=$tmp/root
mkdir -p "$root/bin" "$root/etc/tinyx" "$root/www" "$root/dev" "$root/proc" "$root/sys" \
	"$root/run" "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
mknod -m 600 "$root/dev/console" c 5 1
mknod -m 666 "$root/dev/null" c 1 3
echo '<h1>tinyx probe test</h1>' > "$root/www/index.html"
if [ -x "$INIT" ]; then
	cp "$INIT" "$root/init"
	printf 'arg /bin/busybox\narg httpd\narg -f\narg -p\narg 80\narg -h\narg /www\n' \
		> "$root/etc/tinyx/app.conf"
else
	# no guest init built: a shell init printing the same markers
	cat > "$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
echo "tinyx: init"
ip=$(/bin/busybox sed -n 's/.*tinyx.ip=\([^ ]*\).*/\1/p' /proc/cmdline)
/bin/busybox ip link set lo up
/bin/busybox ip link set eth0 up
/bin/busybox ip addr add "$ip" dev eth0
/bin/busybox httpd -p 80 -h /www
echo "tinyx: ready tcp/80"
while :; do /bin/busybox sleep 1000; done
EOF
	chmod 755 "$root/init"
fi
img=$tmp/img
mkdir -p "$img"
cp "$kernel" "$img/kernel"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$img/initrd" || { nok "cpio"; exit 1; }
cat > "$img/image.conf" <<EOF
# hand-made by t400-probe.sh
machine=microvm
kernel=kernel
initrd=initrd
append=console=ttyS0 panic=-1 tinyx.off=reboot
memory_mb=64
vcpus=1
port=80
service=http
target=kvm
EOF
bad=$tmp/bad
mkdir -p "$bad"
ln "$img/kernel" "$bad/kernel" 2>/dev/null || cp "$img/kernel" "$bad/kernel"
ln "$img/initrd" "$bad/initrd" 2>/dev/null || cp "$img/initrd" "$bad/initrd"
sed 's/^port=80/port=81/' "$img/image.conf" > "$bad/image.conf" # nobody listens on 81

hostns=$(readlink /proc/$$/ns/net)
netns_before=$(ip netns list 2>/dev/null | sort | tr '\n' ' ')
links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')

# qemu_of DIR: pid of a QEMU whose command line names DIR
qemu_of() { pgrep -f "qemu-system.*$1/kernel" | head -n 1; }

# nothing_left LABEL DIR NSINODE: no QEMU, no process in that namespace,
# no new named netns, no new host link
nothing_left() {
	check "$1: no QEMU left" [ -z "$(qemu_of "$2")" ]
	left=
	if [ -n "$3" ]; then
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$3" ] && left="$left ${p#/proc/}"
		done
	fi
	check "$1: no process left in the probe's namespace $3${left:+ (pids$left)}" [ -z "$left" ]
	check "$1: ip netns list unchanged" \
		[ "$(ip netns list 2>/dev/null | sort | tr '\n' ' ')" = "$netns_before" ]
	check "$1: host links unchanged" \
		[ "$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" = "$links_before" ]
}

# watch DIR PROBEPID: wait for QEMU, then record its namespace and compare
watch_ns() {
	i=0 q=
	while [ $i -lt 600 ] && [ -z "$q" ]; do
		q=$(qemu_of "$1"); [ -n "$q" ] || { sleep 0.05; i=$((i + 1)); }
	done
	[ -n "$q" ] || { echo "none"; return; }
	qns=$(readlink "/proc/$q/ns/net")
	# the probe is QEMU's parent; its (single) thread holds the measuring sockets
	pp2=$(ps -o ppid= -p "$q" | tr -d ' ')
	pns=$(readlink "/proc/$pp2/ns/net")
	# the host must not see the probe's tap or route
	hostview=$(ip -o addr show | grep -c '10\.201\.0\.' ; true)
	echo "$qns $pns $hostview"
}

jget() { jq -r "$1" "$2" 2>/dev/null; }

# --- 1. it serves --------------------------------------------------------------
start=$(date +%s)
timeout $((T * 3)) "$TINYX" probe "$img" --runs 2 --json --timeout "$T" \
	> "$tmp/ok.json" 2> "$tmp/ok.err" &
pp=$!
set -- $(watch_ns "$img" "$pp")
wait $pp; rc=$?
echo "probe: exit $rc in $(( $(date +%s) - start )) s"; cat "$tmp/ok.json"; cat "$tmp/ok.err"
check "probe serves: exit 0" [ $rc = 0 ]
check "QEMU seen while probing" [ "$1" != none ]
check "QEMU in a private network namespace ($1 vs host $hostns)" other_ns "$1" "$hostns"
check "the probe itself is in that namespace while it measures ($2)" [ "$2" = "$1" ]
check "host namespace has no 10.201.0.x address while probing" [ "${3:-x}" = 0 ]
if command -v jq >/dev/null; then
	f=$tmp/ok.json
	check "ok is true" [ "$(jget .ok "$f")" = true ]
	check "runs is 2" [ "$(jget .runs "$f")" = 2 ]
	check "netns_isolated is true" [ "$(jget .netns_isolated "$f")" = true ]
	for ph in console init network service; do
		for s in median min max; do
			v=$(jget ".boot_ms.$ph.$s" "$f")
			check "boot_ms.$ph.$s is a number ($v)" [ "$(jget ".boot_ms.$ph.$s | type" "$f")" = number ]
		done
	done
	for s in kernel rootfs total; do
		check "size_bytes.$s > 0" [ "$(jget ".size_bytes.$s > 0" "$f")" = true ]
	done
	check "size total = kernel + rootfs" \
		[ "$(jget '.size_bytes.total == .size_bytes.kernel + .size_bytes.rootfs' "$f")" = true ]
	check "phases in order" [ "$(jget '.boot_ms | .console.min <= .init.min and .init.min <= .service.min and .network.min <= .service.min' "$f")" = true ]
	check "per_run has 2 entries" [ "$(jget '.per_run | length' "$f")" = 2 ]
else
	check "ok is true" grep -q '"ok": true' "$tmp/ok.json"
	check "netns_isolated is true" grep -q '"netns_isolated": true' "$tmp/ok.json"
	for k in console init network service; do
		check "boot_ms.$k" grep -Eq "\"$k\": \\{\"median\": [0-9]" "$tmp/ok.json"
	done
fi
nothing_left "after success" "$img" "$1"

# the text report
timeout $((T * 2)) "$TINYX" probe "$img" --timeout "$T" > "$tmp/ok.txt" 2>&1
rc=$?
cat "$tmp/ok.txt"
check "text report: exit 0" [ $rc = 0 ]
check "text report has the service line" grep -Eq '^  service +[0-9]' "$tmp/ok.txt"

# --- 1b. the same rootfs as a squashfs disk root: the default once the image
# has a disk (--initrd boots the initrd); the file is never written
mksquashfs "$root" "$img/rootfs.squashfs" -comp zstd -all-root -noappend -quiet -no-progress >/dev/null
echo "disk=rootfs.squashfs" >> "$img/image.conf"
h1=$(sha256sum < "$img/rootfs.squashfs")
sz=$(stat -c %s "$img/rootfs.squashfs")
timeout $((T * 2)) "$TINYX" probe "$img" --json --timeout "$T" > "$tmp/disk.json" 2> "$tmp/disk.err"
rc=$?
cat "$tmp/disk.err"
check "disk root: exit 0" [ $rc = 0 ]
check "disk root: ok, booted from the disk" jq -e '.ok and .disk' "$tmp/disk.json"
check "disk root: the image file is unchanged" [ "$(sha256sum < "$img/rootfs.squashfs")" = "$h1" ]
check "disk root: size_bytes.rootfs is the disk" grep -q "\"rootfs\": $sz" "$tmp/disk.json"
nothing_left "after disk boot" "$img" ""
timeout $((T * 2)) "$TINYX" probe "$img" --initrd --json --timeout "$T" > "$tmp/initrd.json" 2> "$tmp/initrd.err"
check "--initrd: exit 0, booted from the initrd" jq -e '.ok and (.disk | not)' "$tmp/initrd.json"
expect_fail 1 "^tinyx: probe: --disk and --initrd together" -- "$TINYX" probe "$img" --disk --initrd
sed -i '/^disk=/d' "$img/image.conf"

# --- 2. a service that never comes up -------------------------------------------
FT=8
start=$(date +%s)
timeout $((FT + 30)) "$TINYX" probe "$bad" --timeout $FT > "$tmp/bad.out" 2> "$tmp/bad.err" &
pp=$!
set -- $(watch_ns "$bad" "$pp")
wait $pp; rc=$?
el=$(( $(date +%s) - start ))
cat "$tmp/bad.err"
check "no service: exit 3 (got $rc)" [ $rc = 3 ]
check "no service: ends within the timeout + 10 s ($el s)" [ $el -le $((FT + 10)) ]
check "no service: message says it did not answer" \
	grep -q "^tinyx: probe: '[^']*' did not answer on tcp/81 within $FT s (image '$bad'); last output: ." "$tmp/bad.err"
nothing_left "after failure" "$bad" "$1"

# --- 2b. the app's own failures, with no service= (the probe checks the ports
# the init says the app serves): an app that serves, one that exits at start
# (restarted, then given up), one that never listens ------------------------------
variant() { # NAME APP.CONF-TEXT
	mkdir -p "$tmp/$1"
	cp "$img/kernel" "$tmp/$1/kernel"
	printf '%b' "$2" > "$root/etc/tinyx/app.conf"
	(cd "$root" && find . | cpio -o -H newc --quiet) > "$tmp/$1/initrd"
	grep -v '^port=\|^service=' "$img/image.conf" > "$tmp/$1/image.conf"
}
if [ -x "$INIT" ]; then
	variant auto 'arg /bin/busybox\narg httpd\narg -f\narg -p\narg 80\narg -h\narg /www\n'
	variant gone 'arg /bin/busybox\narg sh\narg -c\narg echo cannot load Foo/Bar.pm; exit 255\nrestart on-failure\n'
	variant silent 'arg /bin/busybox\narg sleep\narg 1000\n'
	printf 'arg /bin/busybox\narg httpd\narg -f\narg -p\narg 80\narg -h\narg /www\n' \
		> "$root/etc/tinyx/app.conf"
	timeout $((T * 2)) "$TINYX" probe "$tmp/auto" --json --timeout "$T" > "$tmp/auto.json" 2> "$tmp/auto.err"
	rc=$?
	cat "$tmp/auto.err"
	check "no service=: exit 0 (got $rc)" [ $rc = 0 ]
	check "no service=: the port the init found answers HTTP" \
		grep -q '"check": "http 200 on tcp/80"' "$tmp/auto.json"
	start=$(date +%s)
	timeout $((T * 2)) "$TINYX" probe "$tmp/gone" --timeout "$T" > "$tmp/gone.out" 2> "$tmp/gone.err"
	rc=$? el=$(( $(date +%s) - start ))
	cat "$tmp/gone.err"
	check "exits at start: exit 3 (got $rc)" [ $rc = 3 ]
	check "exits at start: the cause and its output" grep -q \
		"^tinyx: probe: '[^']*': '/bin/busybox' exited with status 255 after 5 restarts (image '$tmp/gone'); last output: .*cannot load Foo/Bar.pm" \
		"$tmp/gone.err"
	check "exits at start: not verified" grep -q "FAILED" "$tmp/gone.out"
	check "exits at start: ends once the init gives up ($el s, timeout $T s)" [ $el -lt "$T" ]
	timeout $((FT + 30)) "$TINYX" probe "$tmp/silent" --timeout $FT > "$tmp/silent.out" 2> "$tmp/silent.err"
	rc=$?
	cat "$tmp/silent.err"
	check "never listens: exit 3 (got $rc)" [ $rc = 3 ]
	check "never listens: the cause" grep -q \
		"^tinyx: probe: '[^']*' never listened on a port within $FT s (image '$tmp/silent')" "$tmp/silent.err"
	check "no QEMU left after the app's failures" [ -z "$(pgrep -f "qemu-system.*$tmp/")" ]
fi

# --- 3. SIGINT mid-boot ----------------------------------------------------------
start=$(date +%s)
"$TINYX" probe "$bad" --timeout 60 > "$tmp/int.out" 2> "$tmp/int.err" &
pp=$!
set -- $(watch_ns "$bad" "$pp")
sleep 0.3
kill -INT $pp
( sleep 20; kill -KILL $pp 2>/dev/null ) & wd=$!
wait $pp; rc=$?
kill $wd 2>/dev/null
el=$(( $(date +%s) - start ))
echo "after SIGINT: exit $rc in $el s"; cat "$tmp/int.err"
check "SIGINT: probe stops within 10 s ($el s)" [ $el -le 10 ]
check "SIGINT: non-zero exit ($rc)" [ $rc != 0 ]
nothing_left "after SIGINT" "$bad" "$1"

# --- 4. SIGTERM to the probe ------------------------------------------------------
"$TINYX" probe "$bad" --timeout 60 > /dev/null 2>&1 &
pp=$!
set -- $(watch_ns "$bad" "$pp")
kill -TERM $pp
wait $pp; rc=$?
check "SIGTERM: non-zero exit ($rc)" [ $rc != 0 ]
nothing_left "after SIGTERM" "$bad" "$1"

# --- 5. SIGKILL to the probe: QEMU goes too (parent-death signal) -----------------
"$TINYX" probe "$bad" --timeout 60 > /dev/null 2>&1 &
pp=$!
set -- $(watch_ns "$bad" "$pp")
kill -KILL $pp
wait $pp 2>/dev/null
sleep 1
nothing_left "after SIGKILL" "$bad" "$1"

# --- 6. bad image dirs: exit 1, nothing started -----------------------------------
mkdir -p "$tmp/evil"
printf 'kernel=../img/kernel\n' > "$tmp/evil/image.conf"
expect_fail 1 "plain file name" -- "$TINYX" probe "$tmp/evil"
expect_fail 1 "image.conf" -- "$TINYX" probe "$tmp/root"

done_tests
