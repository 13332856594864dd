#!/bin/sh
# A load balancer VNF, end to end: `tinyx build haproxy --nics 2 --overlay
# DIR` (DIR: haproxy.cfg spreading tcp/80 round robin over two backends, and
# /etc/network/interfaces giving eth1 its address in the server net). Two
# network namespaces this test creates: the client net (tap0, 10.240.0.1/24;
# the VM's eth0 is 10.240.0.9 from tinyx.ip=) and the server net (two
# backends, BusyBox httpd on 10.241.0.1:8080 and 10.241.0.2:8080, each
# serving its own name), joined to the VM's eth1 only: tap1 and a veth to
# the server net on a bridge without an address in the client's namespace.
# Checked: the client cannot reach the backends itself; through the VM
# every request is answered, by both backends (round robin); the backends
# saw the VM's eth1 address as the client; the trace boot saw haproxy wait
# for the kernel's RNG, so the image has a virtio RNG. Prints the time from QEMU's start
# to the first answer through the VM (a figure, never a bound). Every wait is
# bounded; the namespaces, their taps and bridge, the backends and QEMU go
# on exit, failure or interruption. Needs root, ip, curl, QEMU, BusyBox.
. tests/lib.sh

T=${TINYX_BOOT_TIMEOUT:-60}
vnf_begin t440

ovl=$tmp/ovl
mkdir -p "$ovl/etc/haproxy" && vnf_overlay_net 10.241.0.9/24
cat >"$ovl/etc/haproxy/haproxy.cfg" <<'EOF'
global
	maxconn 256
defaults
	mode http
	timeout connect 2s
	timeout client 10s
	timeout server 10s
frontend web
	bind :80
	default_backend pool
backend pool
	balance roundrobin
	server a 10.241.0.1:8080
	server b 10.241.0.2:8080
EOF

vnf_build haproxy
# haproxy seeds OpenSSL's RNG at its start (a getrandom() that waits): the
# trace boot sees it, and the image gets a virtio RNG and its driver
khash=$(jq -r .targets.kvm.kernel_config_hash "$tmp/out/haproxy/build.json" 2>/dev/null)
kcfg=${TINYX_CACHE:-$HOME/.cache/tinyx}/kernels/$khash/config
check "the trace boot saw haproxy wait for the kernel's RNG: image.conf rng=virtio" \
	grep -qx rng=virtio "$img/image.conf"
check "the kernel has the virtio RNG's driver (CONFIG_HW_RANDOM_VIRTIO)" \
	grep -qx CONFIG_HW_RANDOM_VIRTIO=y "$kcfg"
check "run-qemu.sh gives it a virtio RNG" grep -q virtio-rng-device "$img/run-qemu.sh"

# the server net: the backends, each serving its name
mkdir -p "$tmp/a" "$tmp/b"
echo "backend a" >"$tmp/a/index.html"
echo "backend b" >"$tmp/b/index.html"
vnf_nets "$nc" "$nsv" 10.240.0.1/24 10.241.0.1/24 10.241.0.2/24 ||
	{ nok "network namespaces $nc and $nsv"; done_tests; exit 1; }
for s in a:10.241.0.1 b:10.241.0.2; do
	ip netns exec "$nsv" busybox httpd -f -vv -p "${s#*:}:8080" -h "$tmp/${s%%:*}" \
		>"$tmp/httpd-${s%%:*}.log" 2>&1 &
done
check "the client cannot reach a backend itself" sh -c \
	"! ip netns exec '$nc' curl -s -m 2 -o /dev/null http://10.241.0.1:8080/"

log=$tmp/console.log
vnf_boot_until "$img" 10.240.0.9/24 10.240.0.1 http://10.240.0.9/ 'backend [ab]'
if [ -n "$first" ]; then
	ok "first answer through the VM after $first ms (boot to balancing)"
	: >"$tmp/answers"
	n=0
	for _ in 1 2 3 4 5 6; do
		ip netns exec "$nc" curl -s -m 5 http://10.240.0.9/ >>"$tmp/answers" && n=$((n + 1))
	done
	check "6 of 6 requests answered through the VM ($n)" [ "$n" = 6 ]
	check "backend a answered" grep -qx 'backend a' "$tmp/answers"
	check "backend b answered" grep -qx 'backend b' "$tmp/answers"
	check "the backends saw the VM's eth1 (10.241.0.9) as the client" \
		grep -q '10\.241\.0\.9' "$tmp/httpd-a.log" "$tmp/httpd-b.log"
	check "console: tinyx: net eth1 10.241.0.9/24" grep -q '^tinyx: net eth1 10.241.0.9/24' "$log"
	check "console: the init waited for the kernel's RNG (app.conf rng 1)" \
		grep -q '^tinyx: rng ready after [0-9]* ms' "$log"
else
	nok "no answer through the VM within $T s"
	tail -n 30 "$log" | sed 's/^/    /'
fi
kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
qpid=
vnf_end
check "namespaces gone" sh -c "! ip netns list | grep -q -e '^$nc\\b' -e '^$nsv\\b'"
done_tests
