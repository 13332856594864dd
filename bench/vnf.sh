#!/bin/sh
# bench: a network function as a Tinyx VM and as a container doing the same
# job, side by side in one run. FUNCTION is
#   firewall (default): nftables and the ruleset of bench/overlays/nftables-fw
#     (tcp/8080, iperf3 and ICMP echo forwarded from the client net to the
#     server net with masquerade, the rest dropped);
#   router: FRR (bgpd, bench/overlays/frr-bgp) with BIRD in the server net as
#     its eBGP peer, which announces the server's prefix 10.252.0.0/24: the
#     function forwards to the server by the route it learned (the VM built
#     with --trim).
# Figures:
#   - image: the VM's kernel + root; the container's: the staged root (du);
#   - boot to forwarding: from QEMU's start (the container: from creating
#     its network namespace) to the first HTTP answer of a server in the
#     server net to a client in the client net, through the function;
#   - RTT through the function to the server (ping, 200 echoes: min, avg,
#     max), and from the client to the function's own side (the difference
#     is what forwarding adds);
#   - throughput through it (iperf3, client -> server, 5 s).
# The VM: `tinyx build APP --nics 2 --overlay bench/overlays/DIR --no-verify`
# (an incremental kernel after nginx's when not cached), its run-qemu.sh
# under TCG with eth0 and eth1 on taps. The container: a network namespace
# with the same two interfaces (veths named eth0 and eth1), the same sysctl
# and the staged root's own programs with the same files (the firewall: its
# nft loads the ruleset in a chroot; the router: frrinit.sh starts FRR in a
# chroot of the staged root under an overlayfs with the overlay's files, in
# a mount namespace of its own), on the host's kernel. The namespaces are
# the tests' (tests/lib.sh vnf_nets); everything goes at the end. N rounds
# (default 5), the VM and the container in turn. Prints figures; never
# fails on time. Needs root, ip, curl, ping, iperf3, busybox, QEMU (the
# router: bird2).
#   bench/vnf.sh [N] [firewall|router]
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
n=${1:-5}
fn=${2:-firewall}
T=${TINYX_BOOT_TIMEOUT:-60}
case $fn in
firewall) app=nftables opt='' srv=10.251.0.1 net=10.251.0.0/24 ovl=$PWD/bench/overlays/nftables-fw ;;
router) app=frr opt=--trim srv=10.252.0.1 net=10.252.0.0/24 ovl=$PWD/bench/overlays/frr-bgp ;;
*) echo "usage: bench/vnf.sh [N] [firewall|router]" >&2; exit 2 ;;
esac
if [ "$fn" = router ] && ! command -v bird >/dev/null; then
	echo "the router needs bird (bird2)" >&2
	exit 1
fi
vnf_begin bench-vnf
nf=tinyx-bench-vnf-f-$$
trap 'ip netns pids "$nf" 2>/dev/null | xargs -r kill 2>/dev/null; ip netns del "$nf" 2>/dev/null; vnf_end' EXIT
echo "function: $fn ($app)"

mkdir -p "$tmp/ovl" && cp -a "$ovl/." "$tmp/ovl/"
# shellcheck disable=SC2086
vnf_build $app $opt
root=$("$TINYX" stage "$app" 2>/dev/null)
echo "image: VM kernel + root $(du -k "$img/kernel" "$img/rootfs.squashfs" |
	awk '{s += $1} END {printf "%.2f MB", s / 1024}'); container root $(du -sk "$root" |
	awk '{printf "%.2f MB", $1 / 1024}') (the staged root, apt lists and caches included)"

mkdir -p "$tmp/www"
echo server >"$tmp/www/index.html"
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
	hold time 9;
	connect retry time 1;
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
	ip netns exec "$nsv" busybox httpd -f -p "$srv:8080" -h "$tmp/www" &
	ip netns exec "$nsv" iperf3 -s -B "$srv" -D >/dev/null 2>&1
}
# the container's function in the namespace nf (its interfaces are up)
ctr_function() {
	ip netns exec "$nf" sysctl -q net.ipv4.ip_forward=1 || return 1
	if [ "$fn" = firewall ]; then
		ip netns exec "$nf" chroot "$root" /usr/sbin/nft -f - <"$ovl/etc/nftables.conf"
		return
	fi
	# FRR from the staged root, the overlay's files over it (overlayfs:
	# the cached root stays as it is), /proc, /sys, /dev and a fresh /run
	rm -rf "$tmp/c" && mkdir -p "$tmp/c/up" "$tmp/c/work" "$tmp/c/root" || return 1
	# shellcheck disable=SC2016
	ip netns exec "$nf" unshare -m sh -c 'mount --make-rprivate / &&
		mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/up,workdir=$2/work" "$2/root" &&
		cp -a "$3/." "$2/root/" && mount -t proc proc "$2/root/proc" &&
		mount --rbind /sys "$2/root/sys" && mount --rbind /dev "$2/root/dev" &&
		mount -t tmpfs tmpfs "$2/root/run" &&
		chroot "$2/root" /usr/lib/frr/frrinit.sh start' sh "$root" "$tmp/c" "$ovl" >/dev/null 2>&1
}
# ping summary: "LABEL: rtt WHAT: min/avg/max MS"
rtt() { # LABEL WHAT ADDR
	ip netns exec "$nc" ping -q -c 200 -i 0.01 -W 2 "$3" 2>/dev/null |
		awk -v l="$1" -v w="$2" -F' = ' '/^rtt/ {split($2, v, " "); printf "%s: rtt %s: min/avg/max/mdev %s ms\n", l, w, v[1]}'
}
# the figures through the function: RTT to the server and to the
# function's own side (the difference is what it adds), throughput
measure() { # LABEL
	rtt "$1" "through it to the server" "$srv"
	rtt "$1" "to its own side" 10.250.0.9
	echo "$1: throughput through it $(ip netns exec "$nc" iperf3 -c "$srv" -t 5 -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e6 | floor') Mbit/s"
}

i=1
while [ "$i" -le "$n" ]; do
	# the VM
	vnf_nets "$nc" "$nsv" 10.250.0.1/24 10.251.0.1/24 &&
		ip -n "$nc" route add "$net" via 10.250.0.9 || { echo "cannot make the nets"; exit 1; }
	server_up
	if vnf_boot_until "$img" 10.250.0.9/24 10.250.0.1 "http://$srv:8080/" server; then
		echo "round $i vm: boot to forwarding $first ms"
		[ "$i" = 1 ] && measure vm
	else
		echo "round $i vm: no answer through the VM within $T s"
	fi
	vnf_down "$nc" "$nsv" "$qpid"
	qpid=
	# the container: the same nets, the function a namespace on the host's kernel
	t0=$(date +%s%N)
	ip netns add "$nf" && ip netns add "$nc" && ip netns add "$nsv" &&
		ip -n "$nc" link add c0 type veth peer name eth0 netns "$nf" &&
		ip -n "$nsv" link add vs type veth peer name eth1 netns "$nf" &&
		ip -n "$nc" addr add 10.250.0.1/24 dev c0 && ip -n "$nf" addr add 10.250.0.9/24 dev eth0 &&
		ip -n "$nf" addr add 10.251.0.9/24 dev eth1 && ip -n "$nsv" addr add 10.251.0.1/24 dev vs &&
		for l in "$nc:c0" "$nf:eth0" "$nf:eth1" "$nsv:vs" "$nc:lo" "$nf:lo" "$nsv:lo"; do
			ip -n "${l%%:*}" link set "${l#*:}" up || exit 1
		done &&
		ip -n "$nc" route add "$net" via 10.250.0.9 && ctr_function ||
		{ echo "cannot make the container's function"; exit 1; }
	server_up
	first=
	while [ $((($(date +%s%N) - t0) / 1000000)) -lt $((T * 1000)) ]; do
		if ip netns exec "$nc" curl -s -m 1 "http://$srv:8080/" | grep -qx server; then
			first=$((($(date +%s%N) - t0) / 1000000))
			break
		fi
		sleep 0.01
	done
	echo "round $i container: boot to forwarding ${first:-none} ms"
	[ "$i" = 1 ] && [ -n "$first" ] && measure container
	vnf_down "$nc" "$nsv" ""
	ip netns pids "$nf" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$nf" 2>/dev/null
	i=$((i + 1))
done
