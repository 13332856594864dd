#!/bin/sh
# bench: a network function as a Tinyx VM, as the standard Debian VM and as
# a container doing the same job, side by side in one run. FUNCTION is
#   firewall (default): nftables and the ruleset of bench/overlays/nftables-fw
#     (tcp/8080, iperf3 and ICMP echo forwarded from the client net to the
#     server net with masquerade, the rest dropped);
#   router: FRR (bgpd, bench/overlays/frr-bgp) with BIRD in the server net as
#     its eBGP peer, which announces the server's prefix 10.252.0.0/24: the
#     function forwards to the server by the route it learned (the VM built
#     with --trim);
#   lb: haproxy (bench/overlays/haproxy-lb) on the VM's eth0, HTTP spread
#     round robin over two backends in the server net (10.251.0.1 and .2),
#     tcp/5201 proxied to the first one's iperf3: the client talks to the
#     balancer's address, "through it" means through the proxy (no ping
#     crosses a proxy: its RTT through it is not measured);
#   vpn: a WireGuard gateway (wireguard-tools --trim --add
#     iproute2,nftables, bench/overlays/wg-vpn plus a wg0.conf with keys made
#     for the run): the client is its peer (wireguard-go, the host has no
#     WireGuard module) and reaches the server net through the tunnel only;
#     nftables forwards what leaves the tunnel to eth1. The container runs
#     wireguard-go too, with the same keys and the staged root's nft.
# Figures:
#   - image: the VMs' kernel + root (the Debian VM's: + initramfs, its ext4
#     disk as allocated); the container's: the staged root (du);
#   - boot to forwarding: from QEMU's start (the container: from creating
#     its network namespace) to the first HTTP answer of a server in the
#     server net to a client in the client net, through the function;
#   - RTT through the function to the server (ping, 200 echoes: min, avg,
#     max), and from the client to the function's own side (the difference
#     is what forwarding adds);
#   - throughput through it (iperf3, client -> server, 5 s).
# The VM: `tinyx build APP --nics 2 --overlay bench/overlays/DIR --no-verify`
# (an incremental kernel after nginx's when not cached), its run-qemu.sh
# under TCG with eth0 and eth1 on taps. The Debian VM: `tinyx debian-vm APP
# --nics 2 --overlay bench/overlays/DIR` (Debian's kernel, systemd, the
# package's units enabled, the same overlay), its run-qemu.sh the same way
# (the same QEMU, machine pc, virtio-net-pci; 512 MB; TINYX_DEBIAN_TIMEOUT,
# default 300 s, for its boot). The container: a network namespace
# with the same two interfaces (veths named eth0 and eth1), the same sysctl
# and the staged root's own programs with the same files (the firewall: its
# nft loads the ruleset in a chroot; the router: frrinit.sh starts FRR in a
# chroot of the staged root under an overlayfs with the overlay's files, in
# a mount namespace of its own), on the host's kernel. The namespaces are
# the tests' (tests/lib.sh vnf_nets); everything goes at the end. N rounds
# (default 5), the VM, the Debian VM and the container in turn, each measured
# every round; at the end the medians and the ratios. Prints figures; never
# fails on time. Needs root, ip, curl, ping, iperf3, busybox, QEMU (the
# router: bird2).
#   bench/vnf.sh [N] [firewall|router|lb|vpn]
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
n=${1:-5}
fn=${2:-firewall}
T=${TINYX_BOOT_TIMEOUT:-60}
case $fn in
firewall) app=nftables opt='' srv=10.251.0.1 net=10.251.0.0/24 ovl=$PWD/bench/overlays/nftables-fw ;;
router) app=frr opt=--trim srv=10.252.0.1 net=10.252.0.0/24 ovl=$PWD/bench/overlays/frr-bgp ;;
lb) app=haproxy opt='' srv=10.251.0.1 net=10.251.0.0/24 ovl=$PWD/bench/overlays/haproxy-lb ;;
vpn) app=wireguard-tools opt='--trim --add iproute2,nftables' srv=10.251.0.1 net=10.251.0.0/24 \
	ovl=$PWD/bench/overlays/wg-vpn ;;
*) echo "usage: bench/vnf.sh [N] [firewall|router|lb|vpn]" >&2; exit 2 ;;
esac
# what the client asks: the server through the function, or the balancer
url=http://$srv:8080/ want=server thru=$srv
[ "$fn" != lb ] || url=http://10.250.0.9:8080/ want='backend [ab]' thru=10.250.0.9
if [ "$fn" = router ] && ! command -v bird >/dev/null; then
	echo "the router needs bird (bird2)" >&2
	exit 1
fi
if [ "$fn" = vpn ] && ! command -v wireguard-go >/dev/null; then
	echo "the VPN gateway needs wg and wireguard-go (src/host-deps.sh test)" >&2
	exit 1
fi
vnf_begin bench-vnf
nf=tinyx-bench-vnf-f-$$
trap 'ip netns pids "$nf" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$nf" 2>/dev/null; vnf_end' EXIT
echo "function: $fn ($app)"

mkdir -p "$tmp/ovl" && cp -a "$ovl/." "$tmp/ovl/"
if [ "$fn" = vpn ]; then
	# the keys of this run, the gateway's wg0.conf (the tunnel 10.249.0.0/24;
	# both ends know the other's address, as site-to-site: the gateway
	# makes the handshake as soon as its wg0 is up, so the first packet does
	# not wait for WireGuard's 5 s handshake retry)
	umask 077
	wg genkey >"$tmp/vm.key" && wg pubkey <"$tmp/vm.key" >"$tmp/vm.pub" &&
		wg genkey >"$tmp/peer.key" && wg pubkey <"$tmp/peer.key" >"$tmp/peer.pub" &&
		mkdir -p "$tmp/ovl/etc/wireguard" &&
		printf '%s\n' "[Interface]" "Address = 10.249.0.1/24" "ListenPort = 51820" \
			"PrivateKey = $(cat "$tmp/vm.key")" "" "[Peer]" \
			"PublicKey = $(cat "$tmp/peer.pub")" "AllowedIPs = 10.249.0.2/32" \
			"Endpoint = 10.250.0.1:51820" "PersistentKeepalive = 25" \
			>"$tmp/ovl/etc/wireguard/wg0.conf" || { echo "wg genkey failed"; exit 1; }
	umask 022
	ovl=$tmp/ovl
fi
# shellcheck disable=SC2086
vnf_build $app $opt
add=$(printf '%s\n' "$opt" | sed -n 's/.*--add \([^ ]*\).*/\1/p')
root=$("$TINYX" stage "$app" ${add:+--with "$add"} 2>/dev/null)
dvm=$("$TINYX" debian-vm "$app" ${add:+--add "$add"} --nics 2 --overlay "$tmp/ovl" \
	--out "$tmp/out" -q) ||
	{ echo "tinyx debian-vm $app failed"; exit 1; }
mb() { du -k "$@" | awk '{s += $1} END {printf "%.2f MB", s / 1024}'; }
echo "image: VM kernel + root $(mb "$img/kernel" "$img/rootfs.squashfs");" \
	"Debian VM kernel + initramfs + disk $(mb "$dvm/kernel" "$dvm/initrd" "$dvm/disk.ext4");" \
	"container root $(mb -s "$root") (the staged root, apt lists and caches included)"

mkdir -p "$tmp/www" "$tmp/a" "$tmp/b"
echo server >"$tmp/www/index.html"
echo "backend a" >"$tmp/a/index.html"
echo "backend b" >"$tmp/b/index.html"
cat >"$tmp/bird.conf" <<'EOF'
router id 10.251.0.1;
protocol device { }
protocol static announce {
	ipv4;
	route 10.252.0.0/24 blackhole;
}
protocol bgp fn {
	local 10.251.0.1 as 65002;
	neighbor 10.251.0.9 as 65001;
	hold time 3;
	keepalive time 1;
	connect delay time 1;
	connect retry time 1;
	error wait time 1, 5;
	graceful restart off;
	ipv4 { import none; export all; };
}
EOF
# the server net's HTTP and iperf3 servers on srv (its namespace is fresh);
# the router's: the server on lo, its way back through the function, BIRD
server_up() {
	if [ "$fn" = router ]; then
		ip -n "$nsv" addr add 10.252.0.1/32 dev lo &&
			ip -n "$nsv" route add default via 10.251.0.9 &&
			ip netns exec "$nsv" bird -c "$tmp/bird.conf" -s "$tmp/bird.ctl" ||
			{ echo "cannot start the server net's BIRD"; exit 1; }
	fi
	[ "$fn" != vpn ] || ip -n "$nsv" route add default via 10.251.0.9 ||
		{ echo "cannot route the server net back"; exit 1; }
	if [ "$fn" = lb ]; then
		ip netns exec "$nsv" busybox httpd -f -p 10.251.0.1:8080 -h "$tmp/a" &
		ip netns exec "$nsv" busybox httpd -f -p 10.251.0.2:8080 -h "$tmp/b" &
	else
		ip netns exec "$nsv" busybox httpd -f -p "$srv:8080" -h "$tmp/www" &
	fi
	ip netns exec "$nsv" iperf3 -s -B "$srv" -D >/dev/null 2>&1
}
# wireguard-go's interface IF in namespace NS with KEY, ADDR/P, and the
# peer PUB with ALLOWED; IFW: more words for the interface (listen-port N),
# PEERW: for the peer (endpoint A:P). The client's is wgc, the container's
# wg0 (as the ruleset names it): wireguard-go's control sockets share the
# host's /run/wireguard, one name each.
wg_up() { # NS IF KEY ADDR/P PUB ALLOWED IFW PEERW
	_ns=$1 _if=$2
	WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 ip netns exec "$_ns" wireguard-go "$_if" \
		>/dev/null 2>&1 || return 1
	_i=0
	while [ $_i -lt 50 ] && ! ip -n "$_ns" link show "$_if" >/dev/null 2>&1; do
		sleep 0.1
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	ip netns exec "$_ns" wg set "$_if" private-key "$3" $7 peer "$5" allowed-ips "$6" $8 &&
		ip -n "$_ns" addr add "$4" dev "$_if" && ip -n "$_ns" link set "$_if" up
}
# the client's way to the server net: through the function's eth0, or for
# the VPN through the tunnel (the client is the gateway's peer)
client_up() {
	if [ "$fn" = vpn ]; then
		wg_up "$nc" wgc "$tmp/peer.key" 10.249.0.2/24 "$(cat "$tmp/vm.pub")" \
			10.249.0.0/24,10.251.0.0/24 "listen-port 51820" "endpoint 10.250.0.9:51820" &&
			ip -n "$nc" route add "$net" dev wgc
	else
		ip -n "$nc" route add "$net" via 10.250.0.9
	fi
}
# the container's function in the namespace nf (its interfaces are up)
ctr_function() {
	ip netns exec "$nf" sysctl -q net.ipv4.ip_forward=1 || return 1
	case $fn in
	firewall)
		ip netns exec "$nf" chroot "$root" /usr/sbin/nft -f - <"$ovl/etc/nftables.conf"
		return ;;
	vpn)
		wg_up "$nf" wg0 "$tmp/vm.key" 10.249.0.1/24 "$(cat "$tmp/peer.pub")" 10.249.0.2/32 \
			"listen-port 51820" "endpoint 10.250.0.1:51820 persistent-keepalive 25" &&
			ip netns exec "$nf" chroot "$root" /usr/sbin/nft -f - <"$ovl/etc/nftables.conf"
		return ;;
	router) cmd='/usr/lib/frr/frrinit.sh start' ;;
	lb) cmd='/usr/sbin/haproxy -D -f /etc/haproxy/haproxy.cfg' ;;
	esac
	# the program from the staged root, the overlay's files over it
	# (overlayfs: the cached root stays as it is), /proc, /sys, /dev and a
	# fresh /run
	rm -rf "$tmp/c" && mkdir -p "$tmp/c/up" "$tmp/c/work" "$tmp/c/root" || return 1
	# shellcheck disable=SC2016
	ip netns exec "$nf" unshare -m sh -c 'mount --make-rprivate / &&
		mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/up,workdir=$2/work" "$2/root" &&
		cp -a "$3/." "$2/root/" && mount -t proc proc "$2/root/proc" &&
		mount --rbind /sys "$2/root/sys" && mount --rbind /dev "$2/root/dev" &&
		mount -t tmpfs tmpfs "$2/root/run" &&
		exec chroot "$2/root" $4' sh "$root" "$tmp/c" "$ovl" "$cmd" >/dev/null 2>&1
}
# ping summary: "LABEL: rtt WHAT: min/avg/max MS"; the avg in $tmp/fig.LABEL.KEY
rtt() { # LABEL WHAT ADDR KEY
	ip netns exec "$nc" ping -q -c 200 -i 0.01 -W 2 "$3" 2>/dev/null |
		awk -v l="$1" -v w="$2" -v f="$tmp/fig.$1.$4" -F' = ' '/^rtt/ {split($2, v, " ");
			printf "%s: rtt %s: min/avg/max/mdev %s ms\n", l, w, v[1]; split(v[1], a, "/");
			print a[2] >>f}'
}
# the figures through the function: RTT to the server and to the
# function's own side (the difference is what it adds), throughput; each
# also in $tmp/fig.LABEL.KEY, one line a round
measure() { # LABEL
	[ "$fn" = lb ] || rtt "$1" "through it to the server" "$srv" rtt
	rtt "$1" "to its own side" 10.250.0.9 rtt0
	_m=$(ip netns exec "$nc" iperf3 -c "$thru" -t 5 -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e6 | floor')
	echo "$1: throughput through it ${_m:-none} Mbit/s"
	[ -z "$_m" ] || echo "$_m" >>"$tmp/fig.$1.mbit"
}
# the median of the lines of $tmp/fig.LABEL.KEY, "-" when none
median() { # LABEL KEY
	sort -n "$tmp/fig.$1.$2" 2>/dev/null | awk '{v[NR] = $1} END {
		if (!NR) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
		else printf "%g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
# a / b to one decimal, "-" when either is missing
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "-" || b == "-" || b == 0) print "-";
	else printf "%.1f\n", a / b}'; }

# one round of the VM in dir IMG (its run-qemu.sh), TIMEOUT s for its boot
vm_round() { # LABEL IMG TIMEOUT
	vnf_nets "$nc" "$nsv" 10.250.0.1/24 10.251.0.1/24 10.251.0.2/24 && client_up ||
		{ echo "cannot make the nets"; exit 1; }
	server_up
	_t=$T T=$3
	if vnf_boot_until "$2" 10.250.0.9/24 10.250.0.1 "$url" "$want"; then
		echo "round $i $1: boot to forwarding $first ms"
		echo "$first" >>"$tmp/fig.$1.boot"
		measure "$1"
	else
		echo "round $i $1: no answer through it within $3 s"
		sed 's/^/  console: /' "$tmp/console.log" | tail -n 15
	fi
	T=$_t
	vnf_down "$nc" "$nsv" "$qpid"
	qpid=
}

i=1
while [ "$i" -le "$n" ]; do
	vm_round vm "$img" "$T"
	vm_round debian-vm "$dvm" "${TINYX_DEBIAN_TIMEOUT:-300}"
	# the container: the same nets, the function a namespace on the host's kernel
	t0=$(date +%s%N)
	ip netns add "$nf" && ip netns add "$nc" && ip netns add "$nsv" &&
		ip -n "$nc" link add c0 type veth peer name eth0 netns "$nf" &&
		ip -n "$nsv" link add vs type veth peer name eth1 netns "$nf" &&
		ip -n "$nc" addr add 10.250.0.1/24 dev c0 && ip -n "$nf" addr add 10.250.0.9/24 dev eth0 &&
		ip -n "$nf" addr add 10.251.0.9/24 dev eth1 && ip -n "$nsv" addr add 10.251.0.1/24 dev vs &&
		ip -n "$nsv" addr add 10.251.0.2/24 dev vs &&
		for l in "$nc:c0" "$nf:eth0" "$nf:eth1" "$nsv:vs" "$nc:lo" "$nf:lo" "$nsv:lo"; do
			ip -n "${l%%:*}" link set "${l#*:}" up || exit 1
		done &&
		client_up && ctr_function ||
		{ echo "cannot make the container's function"; exit 1; }
	server_up
	first=
	while [ $((($(date +%s%N) - t0) / 1000000)) -lt $((T * 1000)) ]; do
		if ip netns exec "$nc" curl -s --connect-timeout 0.25 -m 2 "$url" | grep -qx "$want"; then
			first=$((($(date +%s%N) - t0) / 1000000))
			break
		fi
		sleep 0.01
	done
	echo "round $i container: boot to forwarding ${first:-none} ms"
	if [ -n "$first" ]; then
		echo "$first" >>"$tmp/fig.container.boot"
		measure container
	fi
	vnf_down "$nc" "$nsv" ""
	ip netns pids "$nf" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$nf" 2>/dev/null
	i=$((i + 1))
done

# the medians of the rounds, and the Tinyx VM against the others
echo "medians of $n rounds ($fn):"
printf '  %-10s %12s %14s %16s %14s\n' system "boot->fwd ms" "rtt to srv ms" "rtt own side ms" "iperf3 Mbit/s"
for l in vm debian-vm container; do
	printf '  %-10s %12s %14s %16s %14s\n' "$l" "$(median "$l" boot)" "$(median "$l" rtt)" \
		"$(median "$l" rtt0)" "$(median "$l" mbit)"
done
echo "  boot to forwarding: the Debian VM takes $(ratio "$(median debian-vm boot)" "$(median vm boot)")x the Tinyx VM's time"
echo "  throughput: the Tinyx VM forwards $(ratio "$(median vm mbit)" "$(median debian-vm mbit)")x the Debian VM's"
echo "  rtt through it: the Tinyx VM's is $(ratio "$(median vm rtt)" "$(median debian-vm rtt)")x the Debian VM's"
