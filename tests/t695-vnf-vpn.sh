#!/bin/sh
# A VPN gateway VNF, end to end: `tinyx build wireguard-tools --trim --add
# iproute2,nftables --nics 2 --overlay DIR --no-verify` (--trim: iproute2's
# tools other than ip, which wg-quick runs, stay out). DIR enables
# wg-quick@wg0 (a template unit: the link in multi-user.target.wants names
# the instance; Type=oneshot, so the init says "app done" and keeps the VM
# up) with /etc/wireguard/wg0.conf (keys made by this test), and
# /etc/nftables.conf, which nftables' oneshot unit (--add) loads before the
# app: forwarding only from the tunnel to the server net (and the answers).
# The kernel has WireGuard and nf_tables from kconfig-fragments/features/
# (its own config; make check's prefetch builds it after the firewall's,
# incrementally, beside the tests). The peer is the client net, a
# namespace this test makes, with wireguard-go (WireGuard in user space: the
# host's kernel may lack the module) on 10.250.0.2, the VM's eth0
# (10.240.0.9, tap0) its endpoint; the server net (BusyBox httpd on
# 10.241.0.1:8080, routes back through the VM) is joined to the VM's eth1
# only. Checked: no path before the VM; through the tunnel the server
# answers and saw the tunnel's address; the handshake happened; with the
# tunnel down, the same request sent in the clear to the VM reaches nothing
# (nft drops it); with the tunnel up again it answers again; the console
# says wg-quick ran and that the init waited for the kernel's RNG first
# (WireGuard drops handshakes until it is ready: "# init: rng" in
# kconfig-fragments/features/wireguard.config). Prints the time from QEMU's start to
# the first answer through the tunnel (a figure, never a bound). Every wait
# is bounded; the namespaces, wireguard-go, the servers and QEMU go on exit,
# failure or interruption. Needs root, ip, curl, QEMU, BusyBox, wg and
# wireguard-go.
. tests/lib.sh

T=${TINYX_BOOT_TIMEOUT:-60}
for c in wg wireguard-go; do
	command -v "$c" >/dev/null || { nok "needs $c (src/host-deps.sh test)"; done_tests; exit 1; }
done
vnf_begin t695

umask 077
wg genkey >"$tmp/vm.key" && wg pubkey <"$tmp/vm.key" >"$tmp/vm.pub" &&
	wg genkey >"$tmp/peer.key" && wg pubkey <"$tmp/peer.key" >"$tmp/peer.pub" ||
	{ nok "wg genkey"; done_tests; exit 1; }
umask 022
ovl=$tmp/ovl
wants=$ovl/etc/systemd/system/multi-user.target.wants
mkdir -p "$ovl/etc/wireguard" "$wants" && vnf_overlay_net 10.241.0.9/24 forward
ln -s ../../../../lib/systemd/system/wg-quick@.service "$wants/wg-quick@wg0.service"
cat >"$ovl/etc/wireguard/wg0.conf" <<EOF
[Interface]
Address = 10.250.0.1/24
ListenPort = 51820
PrivateKey = $(cat "$tmp/vm.key")

[Peer]
PublicKey = $(cat "$tmp/peer.pub")
AllowedIPs = 10.250.0.2/32
EOF
chmod 600 "$ovl/etc/wireguard/wg0.conf"
cat >"$ovl/etc/nftables.conf" <<'EOF'
#!/usr/sbin/nft -f
flush ruleset
table inet vpn {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "wg0" oifname "eth1" accept
	}
}
EOF

timeout 900 "$TINYX" build wireguard-tools --trim --add iproute2,nftables --target kvm --nics 2 \
	--overlay "$ovl" --out "$tmp/out" --no-verify -q >"$tmp/build.log" 2>&1
img=$tmp/out/wireguard-tools/kvm
if [ ! -x "$img/run-qemu.sh" ]; then
	nok "tinyx build wireguard-tools --add iproute2,nftables --nics 2 --overlay"
	tail -n 20 "$tmp/build.log"
	done_tests
	exit 1
fi
ok "tinyx build wireguard-tools --trim --add iproute2,nftables ($(du -k "$img/kernel" \
	"$img/rootfs.squashfs" | awk '{s += $1} END {printf "%.2f MB", s / 1024}') kernel + root)"
khash=$(jq -r .targets.kvm.kernel_config_hash "$tmp/out/wireguard-tools/build.json" 2>/dev/null)
kcfg=${TINYX_CACHE:-$HOME/.cache/tinyx}/kernels/$khash/config
check "the kernel has WireGuard and nf_tables (features/)" \
	sh -c "grep -qx CONFIG_WIREGUARD=y '$kcfg' && grep -qx CONFIG_NF_TABLES=y '$kcfg'"
check "# init: rng (features/wireguard.config): a virtio RNG and its driver" \
	sh -c "grep -qx rng=virtio '$img/image.conf' && grep -qx CONFIG_HW_RANDOM_VIRTIO=y '$kcfg'"

mkdir -p "$tmp/www"
echo "server" >"$tmp/www/index.html"
vnf_nets "$nc" "$nsv" 10.240.0.1/24 10.241.0.1/24 &&
	ip -n "$nsv" route add default via 10.241.0.9 ||
	{ nok "network namespaces $nc and $nsv"; done_tests; exit 1; }
ip netns exec "$nsv" busybox httpd -f -vv -p 10.241.0.1:8080 -h "$tmp/www" \
	>"$tmp/httpd.log" 2>&1 &
# the peer: WireGuard in user space, its endpoint the VM's eth0
WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 ip netns exec "$nc" \
	wireguard-go -f wg0 >"$tmp/wireguard-go.log" 2>&1 &
i=0
while [ $i -lt 50 ] && ! ip -n "$nc" link show wg0 >/dev/null 2>&1; do
	sleep 0.1; i=$((i + 1))
done
ip netns exec "$nc" wg set wg0 private-key "$tmp/peer.key" peer "$(cat "$tmp/vm.pub")" \
	endpoint 10.240.0.9:51820 allowed-ips 10.250.0.0/24,10.241.0.0/24 &&
	ip -n "$nc" addr add 10.250.0.2/24 dev wg0 && ip -n "$nc" link set wg0 up &&
	ip -n "$nc" route add 10.241.0.0/24 dev wg0 ||
	{ nok "the peer's WireGuard (wireguard-go)"; cat "$tmp/wireguard-go.log"; done_tests; exit 1; }
check "no path from the peer to the server without the VM" sh -c \
	"! ip netns exec '$nc' curl -s -m 2 -o /dev/null http://10.241.0.1:8080/"

log=$tmp/console.log
vnf_boot_until "$img" 10.240.0.9/24 10.240.0.1 http://10.241.0.1:8080/ server
if [ -n "$first" ]; then
	ok "the server answered through the tunnel after $first ms (boot to forwarding)"
	check "the server saw the tunnel's address (10.250.0.2)" \
		grep -q '^10\.250\.0\.2:' "$tmp/httpd.log"
	check "the peer has a handshake with the VM" sh -c \
		"ip netns exec '$nc' wg show wg0 latest-handshakes | awk '{exit !(\$2 > 0)}'"
	# the tunnel down: the same request in the clear, routed to the VM's eth0
	ip -n "$nc" link set wg0 down &&
		ip -n "$nc" route replace 10.241.0.0/24 via 10.240.0.9 dev tap0
	: >"$tmp/httpd.log"
	check "tunnel down: the request in the clear gets no answer" sh -c \
		"! ip netns exec '$nc' curl -s -m 3 -o /dev/null http://10.241.0.1:8080/"
	check "tunnel down: nothing reached the server" sh -c "! grep -q url: '$tmp/httpd.log'"
	ip -n "$nc" link set wg0 up && ip -n "$nc" route replace 10.241.0.0/24 dev wg0
	check "tunnel up again: the server answers through it" sh -c \
		"ip netns exec '$nc' curl -s -m 5 http://10.241.0.1:8080/ | grep -qx server"
	check "console: wg-quick brought wg0 up (app done status 0)" \
		grep -q "^tinyx: app done '/usr/bin/wg-quick' status 0" "$log"
	check "console: the init waited for the kernel's RNG (features/wireguard.config)" \
		grep -q '^tinyx: rng ready after [0-9]* ms' "$log"
	check "console: tinyx: sysctl net.ipv4.ip_forward=1" \
		grep -q '^tinyx: sysctl net.ipv4.ip_forward=1' "$log"
	check "the VM stayed up (no poweroff)" sh -c "! grep -q '^tinyx: poweroff' '$log'"
else
	nok "no answer through the tunnel within $T s"
	tail -n 30 "$log" | sed 's/^/    /'
	ip netns exec "$nc" wg show wg0 | sed 's/^/    peer: /'
	sed 's/^/    wireguard-go: /' "$tmp/wireguard-go.log" | tail -n 10
fi
vnf_end
i=0 # wireguard-go ends on the SIGTERM vnf_end sent it
while [ $i -lt 50 ] && pgrep -f '^wireguard-go -f wg0' >/dev/null; do
	sleep 0.1; i=$((i + 1))
done
check "namespaces gone" sh -c "! ip netns list | grep -q -e '^$nc\\b' -e '^$nsv\\b'"
check "no wireguard-go left" sh -c "! pgrep -f '^wireguard-go -f wg0' >/dev/null"
done_tests
