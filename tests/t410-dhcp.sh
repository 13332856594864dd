#!/bin/sh
# DHCP by default: the nginx image (built from the cached kernel and root)
# booted under QEMU on a tap in a network namespace this test creates, where
# dnsmasq serves 10.203.0.0/24 on a bridge. Without tinyx.ip= the guest
# leases an address ("tinyx: dhcp eth0 ADDR/24 via 10.203.0.1") and nginx
# answers HTTP 200 on it; with tinyx.ip= it asks nobody; with no DHCP server
# the app still starts ("tinyx: ready tcp/80") and the client keeps asking
# until a server comes. Also the libvirt domains (kvm and qemu) validate
# with virt-xml-validate. Every wait is bounded; the namespace, its bridge
# and tap, dnsmasq and QEMU go on exit, failure or interruption. Needs root,
# ip, dnsmasq, curl, QEMU.
. tests/lib.sh

T=${TINYX_BOOT_TIMEOUT:-60}
[ "$(id -u)" = 0 ] || { nok "needs root (network namespace, tap)"; done_tests; exit 1; }
for c in ip dnsmasq curl qemu-system-x86_64; do
	command -v "$c" >/dev/null || { nok "needs $c (src/host-deps.sh test)"; done_tests; exit 1; }
done
tmp=$(mktemp -d /tmp/tinyx-t410.XXXXXX) || exit 1
ns=tinyx-t410-$$
qpid= dpid=
stop() { # stop PID: kill it and wait for it (a child of this shell)
	[ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null
	return 0
}
cleanup() {
	stop "$qpid"
	stop "$dpid"
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! timeout 900 "$TINYX" build nginx --out "$tmp/out" --no-verify -q >"$tmp/build.log" 2>&1; then
	nok "tinyx build nginx"
	tail -n 20 "$tmp/build.log"
	done_tests; exit 1
fi
img=$tmp/out/nginx/kvm
ok "tinyx build nginx ($(du -k "$img/rootfs.squashfs" | cut -f1) KB root)"

# libvirt: one domain per type, both valid
for x in nginx.xml nginx-qemu.xml; do
	check "$x written" test -s "$img/$x"
	if command -v virt-xml-validate >/dev/null; then
		check "$x validates" virt-xml-validate "$img/$x" domain
	else
		echo "note: no virt-xml-validate (libvirt-clients): $x not validated"
	fi
done
check "nginx.xml is type kvm" grep -q "<domain type='kvm'>" "$img/nginx.xml"
check "nginx-qemu.xml is type qemu" grep -q "<domain type='qemu'>" "$img/nginx-qemu.xml"
check "no address in the libvirt command lines" sh -c "! grep -q 'tinyx.ip=' '$img/nginx.xml' '$img/nginx-qemu.xml'"

# the namespace: br0 (10.203.0.1/24, where dnsmasq listens) with tap0 on it
ip netns add "$ns" && ip -n "$ns" link set lo up &&
	ip -n "$ns" link add br0 type bridge && ip -n "$ns" addr add 10.203.0.1/24 dev br0 &&
	ip -n "$ns" tuntap add tap0 mode tap && ip -n "$ns" link set tap0 master br0 &&
	ip -n "$ns" link set tap0 up && ip -n "$ns" link set br0 up ||
	{ nok "network namespace $ns"; done_tests; exit 1; }

dnsmasq_start() {
	: >"$tmp/dnsmasq.log"
	ip netns exec "$ns" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
		--bind-interfaces --interface=br0 --except-interface=lo --pid-file= --log-dhcp \
		--dhcp-leasefile="$tmp/leases" --log-facility="$tmp/dnsmasq.log" \
		--dhcp-range=10.203.0.50,10.203.0.60,255.255.255.0,1h \
		--dhcp-option=option:dns-server,10.203.0.1 --domain=t410.test &
	dpid=$!
	i=0 # dnsmasq is up when its log says so
	until grep -q 'DHCP, sockets bound' "$tmp/dnsmasq.log" 2>/dev/null || [ $i -ge 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

# boot NAME MAC EXTRA-APPEND: QEMU on tap0 (the disk root, as run-qemu.sh)
append=$(sed -n 's/^append=//p' "$img/image.conf")
boot() {
	log=$tmp/$1.log
	: >"$log"
	ip netns exec "$ns" timeout -s KILL "$((T + 30))" qemu-system-x86_64 \
		-M microvm,acpi=off -accel tcg -m 64 -smp 1 -nodefaults -no-user-config \
		-display none -no-reboot -kernel "$img/kernel" \
		-append "$append root=/dev/vda ro rootfstype=squashfs init=/init noapictimer $3" \
		-serial "file:$log" -netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device "virtio-net-device,netdev=n0,mac=$2" \
		-drive "file=$img/rootfs.squashfs,format=raw,if=none,id=d0,readonly=on" \
		-device virtio-blk-device,drive=d0 </dev/null >"$tmp/$1.qemu" 2>&1 &
	qpid=$!
	t0=$(date +%s%N)
}
ms() { echo $((($(date +%s%N) - t0) / 1000000)); }
# wait_for PATTERN SECONDS: a console line matching PATTERN (grep -E) within
# SECONDS of the boot, while QEMU runs
wait_for() {
	while ! grep -Eq -- "$1" "$log"; do
		kill -0 "$qpid" 2>/dev/null || return 1
		[ "$(ms)" -ge $(($2 * 1000)) ] && return 1
		sleep 0.1
	done
}
tail_log() { tail -n 15 "$log" | sed 's/^/    /'; sed 's/^/    qemu: /' "$tmp/$name.qemu"; }
leased() { sed -n 's/^tinyx: dhcp eth0 \([0-9.]*\)\/.*/\1/p' "$log" | tail -n 1; }
http() { ip netns exec "$ns" curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$1/"; }

# 1. no tinyx.ip=, a server: a lease, and nginx answers on it
dnsmasq_start
name=dhcp
boot $name 52:54:00:41:00:01 ""
if wait_for '^tinyx: dhcp eth0 10\.203\.0\.[0-9]+/24 via 10\.203\.0\.1[[:space:]]*$' "$T"; then
	lease_ms=$(ms)
	addr=$(leased)
	ok "dhcp: $(grep '^tinyx: dhcp' "$log") after $lease_ms ms"
	wait_for '^tinyx: ready tcp/80' "$T"
	code=$(http "$addr")
	check "dhcp: http://$addr/ answers $code" [ "$code" = 200 ]
	check "dhcp: the lease names the guest (option 12)" grep -q "52:54:00:41:00:01 $addr nginx" "$tmp/leases"
	check "dhcp: the app's ports do not list the client's udp/68" sh -c "! grep -q 'ready udp/68' '$log'"
else
	nok "$name: no 'tinyx: dhcp' line within $T s"
	tail_log
fi
stop "$qpid"; qpid=

# 2. tinyx.ip= given: a static address, no DHCP
name=static
boot $name 52:54:00:41:00:02 "tinyx.ip=10.203.0.9/24 tinyx.gw=10.203.0.1"
if wait_for '^tinyx: ready tcp/80' "$T" && wait_for '^tinyx: net eth0 10.203.0.9/24' 5; then
	sleep 1 # a DHCP client would have asked by now
	code=$(http 10.203.0.9)
	check "static: http://10.203.0.9/ answers $code" [ "$code" = 200 ]
	check "static: no dhcp line" sh -c "! grep -q '^tinyx: dhcp' '$log'"
	check "static: the server saw nothing from it" sh -c "! grep -qi '52:54:00:41:00:02' '$tmp/dnsmasq.log'"
else
	nok "$name: no 'ready tcp/80' and 'net eth0 10.203.0.9/24' within $T s"
	tail_log
fi
stop "$qpid"; qpid=

# 3. no server: the app starts all the same, the client keeps asking, and
# takes a lease once a server answers
stop "$dpid"; dpid=
name=noserver
boot $name 52:54:00:41:00:03 ""
if wait_for '^tinyx: ready tcp/80' "$T"; then
	ok "noserver: the app is ready after $(ms) ms with no lease"
	check "noserver: no lease yet" sh -c "! grep -q '^tinyx: dhcp eth0 [0-9]' '$log'"
	if wait_for '^tinyx: dhcp eth0: no lease yet' 30; then
		ok "noserver: the client says it is still asking"
	else
		nok "noserver: no 'no lease yet' line"
	fi
	dnsmasq_start
	if wait_for '^tinyx: dhcp eth0 10\.203\.0\.[0-9]+/24' "$T"; then
		addr=$(leased)
		code=$(http "$addr")
		check "noserver: leased $addr once a server came, http answers $code" [ "$code" = 200 ]
	else
		nok "noserver: no lease within $T s of the server's start"
		tail_log
	fi
else
	nok "$name: the app never said ready without a server"
	tail_log
fi
stop "$qpid"; qpid=
stop "$dpid"; dpid=
ip netns del "$ns"
check "namespace gone" sh -c "! ip netns list | grep -q '^$ns\\b'"
done_tests
