#!/bin/sh
# A BGP router VNF, end to end: `tinyx build frr --trim --nics 2 --overlay
# DIR --no-verify` (--trim: FRR's daemons that the trace boot never ran stay
# out of the image, ospfd among them). DIR enables FRR's bgpd in /etc/frr/daemons and holds
# /etc/frr/frr.conf: AS 65001, one eBGP neighbor, 10.241.0.1 (AS 65002) in
# the server net; eth1's address and the sysctl. frr.service is Type=forking
# (/usr/lib/frr/frrinit.sh start: watchfrr, which starts zebra, bgpd and
# staticd and has vtysh load frr.conf); its daemons run as frr and check that
# frr is in frrvty, their vty group (the image's /etc/group keeps a user's
# groups). The kernel has policy routing and multipath from
# kconfig-fragments/features/router.config (zebra is in the image; its own
# config, made by make check's prefetch). The peer is BIRD (bird2), run by
# this test in the server net: it announces 10.252.0.0/24, where the server
# lives (10.252.0.1 on the server net's lo, BusyBox httpd on :8080). The
# client net knows only the VM's eth0 for 10.252.0.0/24, and nothing else
# knows that prefix: the VM forwards to it only by the route it learned over
# BGP. Checked: no path before the VM; the server answers through it and saw
# the client's own address (routed, not NATed); BIRD's session is
# Established and exports the prefix; when BIRD withdraws the prefix the
# server is out of reach, when it announces it again the server answers
# again; the console says watchfrr had all daemons up. Prints the time from
# QEMU's start to the first answer (boot to forwarding; a figure, never a
# bound). Every wait is bounded; the namespaces, BIRD, the servers and QEMU
# go on exit, failure or interruption. Needs root, ip, curl, QEMU, BusyBox
# and bird2.
. tests/lib.sh

T=${TINYX_BOOT_TIMEOUT:-60}
for c in bird birdc; do
	command -v "$c" >/dev/null || { nok "needs $c (src/host-deps.sh test)"; done_tests; exit 1; }
done
vnf_begin t697

ovl=$tmp/ovl
mkdir -p "$ovl/etc/frr" && vnf_overlay_net 10.241.0.9/24 forward
cat >"$ovl/etc/frr/daemons" <<'EOF'
# FRR's daemons file: zebra and staticd always, bgpd asked for here
bgpd=yes
vtysh_enable=yes
zebra_options="  -A 127.0.0.1 -s 90000000"
bgpd_options="   -A 127.0.0.1"
staticd_options="-A 127.0.0.1"
EOF
cat >"$ovl/etc/frr/frr.conf" <<'EOF'
frr defaults traditional
hostname router
log syslog informational
!
router bgp 65001
 bgp router-id 10.241.0.9
 no bgp ebgp-requires-policy
 neighbor 10.241.0.1 remote-as 65002
 neighbor 10.241.0.1 timers 3 9
 neighbor 10.241.0.1 timers connect 1
!
EOF
cat >"$tmp/bird.conf" <<'EOF'
router id 10.241.0.1;
protocol device { }
protocol static announce {
	ipv4;
	route 10.252.0.0/24 blackhole;
}
protocol bgp vm {
	local 10.241.0.1 as 65002;
	neighbor 10.241.0.9 as 65001;
	hold time 9;
	connect retry time 1;
	graceful restart off;
	ipv4 { import none; export all; };
}
EOF

vnf_build frr --trim
check "--trim left FRR's other daemons out (the trace boot never ran them)" sh -c \
	"! grep -q '^file  /usr/lib/frr/ospfd ' '$tmp/out/frr/manifest.txt' &&
	grep -q '^file  /usr/lib/frr/bgpd ' '$tmp/out/frr/manifest.txt'"
check "the kernel has policy routing and multipath (features/router.config)" sh -c \
	"grep -qx CONFIG_IP_MULTIPLE_TABLES=y \
	'${TINYX_CACHE:-$HOME/.cache/tinyx}/kernels/$(jq -r .targets.kvm.kernel_config_hash \
	"$tmp/out/frr/build.json")/config'"
check "the manifest: frr is in frrvty (a group that lists the user)" \
	grep -q '^group frrvty [0-9]* frr  member=frr' "$tmp/out/frr/manifest.txt"

mkdir -p "$tmp/www"
echo "server" >"$tmp/www/index.html"
vnf_nets "$nc" "$nsv" 10.240.0.1/24 10.241.0.1/24 &&
	ip -n "$nsv" addr add 10.252.0.1/32 dev lo &&
	ip -n "$nsv" route add default via 10.241.0.9 &&
	ip -n "$nc" route add 10.252.0.0/24 via 10.240.0.9 dev tap0 ||
	{ nok "network namespaces $nc and $nsv"; done_tests; exit 1; }
ip netns exec "$nsv" busybox httpd -f -vv -p 10.252.0.1:8080 -h "$tmp/www" \
	>"$tmp/httpd.log" 2>&1 &
ctl=$tmp/bird.ctl
birdc_() { timeout 10 ip netns exec "$nsv" birdc -s "$ctl" "$@"; }
ip netns exec "$nsv" bird -c "$tmp/bird.conf" -s "$ctl" -P "$tmp/bird.pid" ||
	{ nok "BIRD in the server net"; done_tests; exit 1; }
check "no path from the client to the server without the VM" sh -c \
	"! ip netns exec '$nc' curl -s -m 2 -o /dev/null http://10.252.0.1:8080/"

log=$tmp/console.log
# wait for the route; fetch URL until it answers WANT (T s at most)
answers() { # SECONDS
	_i=0
	while [ "$_i" -lt "$(($1 * 5))" ]; do
		ip netns exec "$nc" curl -s -m 1 http://10.252.0.1:8080/ 2>/dev/null |
			grep -qx server && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}
vnf_boot_until "$img" 10.240.0.9/24 10.240.0.1 http://10.252.0.1:8080/ server
if [ -n "$first" ]; then
	ok "the server answered through the VM by the BGP route after $first ms (boot to forwarding)"
	check "the server saw the client's own address (routed, not NATed)" \
		grep -q '^10\.240\.0\.1:' "$tmp/httpd.log"
	check "BIRD: the session with the VM is Established" sh -c \
		"timeout 10 ip netns exec '$nsv' birdc -s '$ctl' show protocols vm |
		grep -q Established"
	check "BIRD: it exports 10.252.0.0/24 to the VM" sh -c \
		"timeout 10 ip netns exec '$nsv' birdc -s '$ctl' show route export vm |
		grep -q '^10\.252\.0\.0/24'"
	birdc_ disable announce >/dev/null
	i=0 # the withdrawal reaches the VM within a second or so
	while [ $i -lt 50 ] && ip netns exec "$nc" curl -s -m 1 -o /dev/null \
		http://10.252.0.1:8080/; do
		sleep 0.2
		i=$((i + 1))
	done
	check "prefix withdrawn: the server is out of reach" sh -c \
		"! ip netns exec '$nc' curl -s -m 2 -o /dev/null http://10.252.0.1:8080/"
	birdc_ enable announce >/dev/null
	check "prefix announced again: the server answers through the VM" answers 15
	check "console: watchfrr had zebra, bgpd and staticd up" \
		grep -q 'all daemons up' "$log"
	check "console: tinyx: sysctl net.ipv4.ip_forward=1" \
		grep -q '^tinyx: sysctl net.ipv4.ip_forward=1' "$log"
else
	nok "no answer through the VM within $T s"
	tail -n 30 "$log" | sed 's/^/    /'
	birdc_ show protocols all vm 2>&1 | sed 's/^/    bird: /' | head -n 20
fi
vnf_end
check "namespaces gone" sh -c "! ip netns list | grep -q -e '^$nc\\b' -e '^$nsv\\b'"
check "no BIRD left" sh -c "! pgrep -f '^bird -c $tmp/bird.conf' >/dev/null"
done_tests
