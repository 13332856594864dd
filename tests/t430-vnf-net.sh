#!/bin/sh
# Network functions' plumbing: `tinyx build nginx --nics 2 --overlay DIR`
# (from the cached kernel and root), where DIR has /etc/network/interfaces
# giving eth1 a static IPv4 and IPv6 address, an MTU and a route, and sysctl.d
# files (/etc/sysctl.d/50-vnf.conf sets net.ipv4.conf.all.log_martians=1
# and hides /usr/lib/sysctl.d/50-vnf.conf, which says 0; /usr/lib/sysctl.d/
# 10-rp.conf sets rp_filter; "-kernel.no_such_key" fails silently; no key
# turns forwarding on, which would ask for a kernel compiled for speed: this
# image keeps nginx's kernel, the forwarding ones are t690's, t695's and
# t697's). The sysctls need
# CONFIG_PROC_SYSCTL (no /proc/sys without it), which every kernel has (the
# build would ask for it, and for each key's option, from the files). The image's
# run-qemu.sh boots it with TAP=tap0 TAP1=tap1 in a network namespace this
# test creates: eth0 takes tinyx.ip= from the command line, eth1 its
# address from the file; the console says so; both answer ping and nginx
# answers HTTP 200 on both. Then bad input: --nics 0 and 9 (exit 2), an
# interfaces line that does not parse, an interface the image lacks, a
# sysctl line without '=' (exit 1, one line naming the file and line, no
# image written). Every wait is bounded; the namespace, its taps and QEMU
# go on exit, failure or interruption. Needs root, ip, curl, ping, QEMU.
. tests/lib.sh

T=${TINYX_BOOT_TIMEOUT:-60}
[ "$(id -u)" = 0 ] || { nok "needs root (network namespace, tap)"; done_tests; exit 1; }
for c in ip curl ping qemu-system-x86_64; do
	command -v "$c" >/dev/null || { nok "needs $c (src/host-deps.sh test)"; done_tests; exit 1; }
done
tmp=$(mktemp -d /tmp/tinyx-t430.XXXXXX) || exit 1
ns=tinyx-t430-$$
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ovl=$tmp/ovl
mkdir -p "$ovl/etc/network" "$ovl/etc/sysctl.d" "$ovl/usr/lib/sysctl.d"
cat >"$ovl/etc/network/interfaces" <<'EOF'
# eth0: tinyx.ip= on the kernel command line (one image, many instances)
auto eth1
iface eth1 inet static
    address 10.231.0.9/24
    mtu 1400
    up ip route add 10.232.0.0/24 via 10.231.0.1
iface eth1 inet6 static
    address fd00:231::9/64
EOF
printf 'net.ipv4.conf.all.log_martians = 1\n-kernel.no_such_key = 1\n' \
	>"$ovl/etc/sysctl.d/50-vnf.conf"
printf 'net.ipv4.conf.all.log_martians = 0\n' >"$ovl/usr/lib/sysctl.d/50-vnf.conf"
printf 'net.ipv4.conf.all.rp_filter = 2\n' >"$ovl/usr/lib/sysctl.d/10-rp.conf"

build() { timeout 900 "$TINYX" build nginx --nics 2 --overlay "$ovl" --out "$tmp/out" \
	--no-verify -q >"$tmp/build.log" 2>&1; }
sysctls=1
build
khash=$(jq -r .targets.kvm.kernel_config_hash "$tmp/out/nginx/build.json" 2>/dev/null)
check "the image's kernel has PROC_SYSCTL" \
	grep -qx 'CONFIG_PROC_SYSCTL=y' "${TINYX_CACHE:-$HOME/.cache/tinyx}/kernels/$khash/config"
if [ ! -d "$tmp/out/nginx/kvm" ]; then
	nok "tinyx build nginx --nics 2 --overlay"
	tail -n 20 "$tmp/build.log"
	done_tests; exit 1
fi
img=$tmp/out/nginx/kvm
ok "tinyx build nginx --nics 2 --overlay"
check "image.conf says nics=2" grep -qx 'nics=2' "$img/image.conf"
check "the libvirt domain has 2 interfaces" [ "$(grep -c '<interface ' "$img/nginx.xml")" = 2 ]
check "the xl config has 2 vifs" grep -q "vif = \[ 'bridge=xenbr0', 'bridge=xenbr0' \]" \
	"$tmp/out/nginx/xen/nginx.cfg"
check "run-qemu.sh puts NIC 1 on \$TAP1" grep -q 'ifname=$TAP1' "$img/run-qemu.sh"
if command -v virt-xml-validate >/dev/null; then
	check "nginx.xml validates" virt-xml-validate "$img/nginx.xml" domain
fi

# the namespace: tap0 (10.230.0.1/24) for eth0, tap1 (10.231.0.1/24) for eth1
ip netns add "$ns" && ip -n "$ns" link set lo up &&
	ip -n "$ns" tuntap add tap0 mode tap && ip -n "$ns" tuntap add tap1 mode tap &&
	ip -n "$ns" addr add 10.230.0.1/24 dev tap0 && ip -n "$ns" addr add 10.231.0.1/24 dev tap1 &&
	ip -n "$ns" link set tap0 up && ip -n "$ns" link set tap1 up ||
	{ nok "network namespace $ns"; done_tests; exit 1; }

log=$tmp/console.log
: >"$log"
ip netns exec "$ns" env TAP=tap0 TAP1=tap1 IP=10.230.0.9/24 GW=10.230.0.1 \
	timeout -s KILL "$((T + 30))" "$img/run-qemu.sh" </dev/null >"$log" 2>&1 &
qpid=$!
t0=$(date +%s%N)
ms() { echo $((($(date +%s%N) - t0) / 1000000)); }
wait_for() { # PATTERN SECONDS: a console line matching PATTERN, while QEMU runs
	while ! grep -Eq -- "$1" "$log"; do
		kill -0 "$qpid" 2>/dev/null || return 1
		[ "$(ms)" -ge $(($2 * 1000)) ] && return 1
		sleep 0.1
	done
}
if wait_for '^tinyx: ready tcp/80' "$T"; then
	ok "nginx ready after $(ms) ms"
	for l in 'tinyx: net eth0 10.230.0.9/24' 'tinyx: net eth1 10.231.0.9/24' \
		'tinyx: net eth1 fd00:231::9/64' 'tinyx: route 10.232.0.0/24 via 10.231.0.1 dev eth1'; do
		check "console: $l" grep -q "^$l" "$log"
	done
	if [ $sysctls = 1 ]; then
		for l in 'tinyx: sysctl net.ipv4.conf.all.rp_filter=2' \
			'tinyx: sysctl net.ipv4.conf.all.log_martians=1'; do
			check "console: $l" grep -q "^$l" "$log"
		done
		check "the /usr/lib file hidden by /etc's (no log_martians=0)" \
			sh -c "! grep -q '^tinyx: sysctl net.ipv4.conf.all.log_martians=0' '$log'"
		check "rp_filter (10-rp.conf) before log_martians (50-vnf.conf)" \
			sh -c "grep '^tinyx: sysctl' '$log' | head -n 1 | grep -q rp_filter"
		check "no failure for -kernel.no_such_key" sh -c "! grep -q 'no_such_key' '$log'"
	fi
	check "no DHCP (eth0 from tinyx.ip=, eth1 from the file)" sh -c "! grep -q '^tinyx: dhcp' '$log'"
	check "ping eth0 10.230.0.9" ip netns exec "$ns" ping -c 1 -W 5 10.230.0.9
	check "ping eth1 10.231.0.9" ip netns exec "$ns" ping -c 1 -W 5 10.231.0.9
	# -w: an echo a second until the first reply; the guest's address
	# answers once its duplicate address detection is done (a second or
	# more after ready, when the host is busy: CI's prefetch beside)
	check "ping eth1 fd00:231::9 (IPv6 from the file)" sh -c \
		"ip -n '$ns' addr add fd00:231::1/64 dev tap1 nodad && ip netns exec '$ns' ping -6 -c 1 -w 10 fd00:231::9 >/dev/null"
	for a in 10.230.0.9 10.231.0.9; do
		code=$(ip netns exec "$ns" curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$a/")
		check "nginx answers on $a: $code" [ "$code" = 200 ]
	done
else
	nok "no 'tinyx: ready tcp/80' within $T s"
	tail -n 30 "$log" | sed 's/^/    /'
fi
kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
qpid=

# bad input: one line, the right exit code, nothing written
expect_fail 2 "bad number of NICs '0'" -- "$TINYX" build nginx --nics 0 --out "$tmp/bad"
expect_fail 2 "bad number of NICs '9'" -- "$TINYX" build nginx --nics 9 --out "$tmp/bad"
bad_overlay() { # FILE TEXT: an overlay with that one file
	rm -rf "$tmp/b" && mkdir -p "$tmp/b/$(dirname "$1")" && printf '%s' "$2" >"$tmp/b/$1"
}
bad_overlay etc/network/interfaces "$(printf 'auto eth1\niface eth1 inet static\n address 10.0.0.300/24\n')"
expect_fail 1 "bad IPv4 address at .*/etc/network/interfaces:3 '10.0.0.300/24'" -- \
	"$TINYX" build nginx --nics 2 --overlay "$tmp/b" --out "$tmp/bad" --no-verify -q
bad_overlay etc/network/interfaces "$(printf 'auto eth1\niface eth1 inet dhcp\n')"
expect_fail 1 "interface the image does not have .*interfaces:2 'eth1'" -- \
	"$TINYX" build nginx --overlay "$tmp/b" --out "$tmp/bad" --no-verify -q
bad_overlay etc/sysctl.d/1.conf "$(printf '# x\nnet.ipv4.ip_forward\n')"
expect_fail 1 "want key = value at .*/etc/sysctl.d/1.conf:2" -- \
	"$TINYX" build nginx --overlay "$tmp/b" --out "$tmp/bad" --no-verify -q
check "nothing written for bad input" sh -c "! ls '$tmp/bad/nginx' >/dev/null 2>&1"

ip netns del "$ns"
check "namespace gone" sh -c "! ip netns list | grep -q '^$ns\\b'"
done_tests
