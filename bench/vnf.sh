#!/bin/sh
# bench: a firewall/NAT network function (nftables and the ruleset of
# bench/overlays/nftables-fw: tcp/8080, iperf3 and ICMP echo forwarded from
# the client net to the server net with masquerade, the rest dropped) as a
# Tinyx VM and as a container doing the same job, side by side in one run:
#   - image: the VM's kernel + root; the container's: the staged root (du);
#   - boot to forwarding: from QEMU's start (the container: from creating
#     its network namespace) to the first HTTP answer of a server in the
#     server net to a client in the client net, through the function;
#   - RTT through the function to the server (ping, 200 echoes: min, avg,
#     max), and from the client to the function's own side (the difference
#     is what forwarding adds);
#   - throughput through it (iperf3, client -> server, 5 s).
# The VM: `tinyx build nftables --nics 2 --overlay bench/overlays/nftables-fw
# --no-verify` (an incremental kernel after nginx's when not cached), its
# run-qemu.sh under TCG with eth0 and eth1 on taps. The container: a network
# namespace with the same two interfaces (veths named eth0 and eth1), the
# same sysctl and the staged root's own nft loading the same file (chroot),
# on the host's kernel. The namespaces are the tests' (tests/lib.sh
# vnf_nets); everything goes at the end. N rounds (default 5), the VM and
# the container in turn. Prints figures; never fails on time. Needs root,
# ip, curl, ping, iperf3, busybox, QEMU.
#   bench/vnf.sh [N]
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
n=${1:-5}
T=${TINYX_BOOT_TIMEOUT:-60}
ovl=$PWD/bench/overlays/nftables-fw
vnf_begin bench-vnf
nf=tinyx-bench-vnf-f-$$
trap 'ip netns del "$nf" 2>/dev/null; vnf_end' EXIT

mkdir -p "$tmp/ovl" && cp -a "$ovl/." "$tmp/ovl/"
vnf_build nftables
root=$("$TINYX" stage nftables 2>/dev/null)
echo "image: VM kernel + root $(du -k "$img/kernel" "$img/rootfs.squashfs" |
	awk '{s += $1} END {printf "%.2f MB", s / 1024}'); container root $(du -sk "$root" |
	awk '{printf "%.2f MB", $1 / 1024}') (the staged root, apt lists and caches included)"

mkdir -p "$tmp/www"
echo server >"$tmp/www/index.html"
server_up() { # the server net's HTTP and iperf3 servers (its namespace is fresh)
	ip netns exec "$nsv" busybox httpd -f -p 10.251.0.1:8080 -h "$tmp/www" &
	ip netns exec "$nsv" iperf3 -s -B 10.251.0.1 -D >/dev/null 2>&1
}
# ping summary: "LABEL: rtt WHAT: min/avg/max MS"
rtt() { # LABEL WHAT ADDR
	ip netns exec "$nc" ping -q -c 200 -i 0.01 -W 2 "$3" 2>/dev/null |
		awk -v l="$1" -v w="$2" -F' = ' '/^rtt/ {split($2, v, " "); printf "%s: rtt %s: min/avg/max/mdev %s ms\n", l, w, v[1]}'
}
# the figures through the function: RTT to the server and to the
# function's own side (the difference is what it adds), throughput
measure() { # LABEL
	rtt "$1" "through it to the server" 10.251.0.1
	rtt "$1" "to its own side" 10.250.0.9
	echo "$1: throughput through it $(ip netns exec "$nc" iperf3 -c 10.251.0.1 -t 5 -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e6 | floor') Mbit/s"
}

i=1
while [ "$i" -le "$n" ]; do
	# the VM
	vnf_nets "$nc" "$nsv" 10.250.0.1/24 10.251.0.1/24 &&
		ip -n "$nc" route add 10.251.0.0/24 via 10.250.0.9 || { echo "cannot make the nets"; exit 1; }
	server_up
	if vnf_boot_until "$img" 10.250.0.9/24 10.250.0.1 http://10.251.0.1:8080/ server; then
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
		ip -n "$nc" route add 10.251.0.0/24 via 10.250.0.9 &&
		ip netns exec "$nf" sysctl -q net.ipv4.ip_forward=1 &&
		ip netns exec "$nf" chroot "$root" /usr/sbin/nft -f - <"$ovl/etc/nftables.conf" ||
		{ echo "cannot make the container's function"; exit 1; }
	server_up
	first=
	while [ $((($(date +%s%N) - t0) / 1000000)) -lt $((T * 1000)) ]; do
		if ip netns exec "$nc" curl -s -m 1 http://10.251.0.1:8080/ | grep -qx server; then
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
