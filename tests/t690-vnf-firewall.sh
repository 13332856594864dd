#!/bin/sh
# A firewall/NAT VNF, end to end: `tinyx build nftables --nics 2 --overlay
# DIR --no-verify` (DIR: /etc/nftables.conf forwarding tcp/8080 from eth0 to
# eth1 with masquerade on eth1 and dropping the rest, tcp/9999 among it;
# /etc/sysctl.d/ turning forwarding on; /etc/network/interfaces giving eth1
# its address in the server net). nftables' unit is Type=oneshot: the init
# runs `nft -f` as the app, says "app done" when it exits 0 and keeps the VM
# up (the build cannot verify it: nothing listens; the test does). The
# kernel has nf_tables from kconfig-fragments/features/nftables.config (its
# own config, compiled for speed as it forwards: a whole kbuild; make
# check's prefetch builds it beside the tests from t100 on, at the lowest
# priority, hence this test's place after them). Two network namespaces
# this test creates: the client net (tap0, 10.250.0.1/24; the VM's eth0 is
# 10.250.0.9 from tinyx.ip=, the client's route to the server net goes
# through it) and the server net (BusyBox httpd on 10.251.0.1, ports 8080
# and 9999, and no route back to the client net: only masquerade lets the
# answers return), joined to the VM's eth1 only (tap1 and a veth on a bridge
# without an address). Checked: the client cannot reach the server before
# the VM is up; through the VM tcp/8080 answers and the server saw the VM's
# eth1 address (masquerade); tcp/9999 gets no answer; the console says the
# ruleset loaded and the sysctl was set; the probe's own forwarding mode
# (`tinyx probe IMG --forward 10.251.0.9/24`, its own nets and servers)
# times the first answer through it and leaves what the ruleset drops
# unmeasured, and with --proxy fails, saying why; then the same for the
# standard Debian VM doing the job (`tinyx debian-vm`, Debian's kernel and
# systemd, the same overlay), by the test's nets, and `tinyx compare
# --forward` of the Debian VM, the Tinyx VM and a container. Prints
# the time from QEMU's start to the first answer through each VM (a figure,
# never a bound). Every wait
# is bounded; the namespaces, their taps and bridge, the servers and QEMU go
# on exit, failure or interruption. Needs root, ip, curl, QEMU, BusyBox.
. tests/lib.sh

T=${TINYX_BOOT_TIMEOUT:-60}
vnf_begin t690

ovl=$tmp/ovl
vnf_overlay_net 10.251.0.9/24 forward
cat >"$ovl/etc/nftables.conf" <<'EOF'
#!/usr/sbin/nft -f
flush ruleset
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "eth0" oifname "eth1" tcp dport 9999 drop
		iifname "eth0" oifname "eth1" tcp dport 8080 accept
	}
}
table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "eth1" masquerade
	}
}
EOF

vnf_build nftables
khash=$(jq -r .targets.kvm.kernel_config_hash "$tmp/out/nftables/build.json" 2>/dev/null)
check "the kernel has nf_tables masquerade (features/nftables.config)" \
	grep -qx 'CONFIG_NFT_MASQ=y' "${TINYX_CACHE:-$HOME/.cache/tinyx}/kernels/$khash/config"

mkdir -p "$tmp/www"
echo "server" >"$tmp/www/index.html"
vnf_nets "$nc" "$nsv" 10.250.0.1/24 10.251.0.1/24 &&
	ip -n "$nc" route add 10.251.0.0/24 via 10.250.0.9 ||
	{ nok "network namespaces $nc and $nsv"; done_tests; exit 1; }
for p in 8080 9999; do
	ip netns exec "$nsv" busybox httpd -f -vv -p "10.251.0.1:$p" -h "$tmp/www" \
		>"$tmp/httpd-$p.log" 2>&1 &
done
check "no path from the client to the server without the VM" sh -c \
	"! ip netns exec '$nc' curl -s -m 2 -o /dev/null http://10.251.0.1:8080/"

log=$tmp/console.log
vnf_boot_until "$img" 10.250.0.9/24 10.250.0.1 http://10.251.0.1:8080/ server
if [ -n "$first" ]; then
	ok "tcp/8080 forwarded through the VM after $first ms (boot to forwarding)"
	check "the server saw the VM's eth1 (10.251.0.9): masquerade" \
		grep -q '^10\.251\.0\.9:' "$tmp/httpd-8080.log"
	check "tcp/9999 is dropped" sh -c \
		"! ip netns exec '$nc' curl -s -m 3 -o /dev/null http://10.251.0.1:9999/"
	check "nothing reached the server on tcp/9999" sh -c "! grep -q url: '$tmp/httpd-9999.log'"
	check "console: the ruleset loaded (app done 'nft' status 0)" \
		grep -q "^tinyx: app done '/usr/sbin/nft' status 0" "$log"
	check "console: tinyx: sysctl net.ipv4.ip_forward=1" \
		grep -q '^tinyx: sysctl net.ipv4.ip_forward=1' "$log"
	# nftables.service is Before=network-pre.target: no interface is up
	# (let alone forwarding) before the ruleset is loaded
	check "console: the ruleset loaded before any interface came up" \
		awk '/^tinyx: app done .\/usr\/sbin\/nft/ && !d {d = NR}
			/^tinyx: net eth/ && !n {n = NR} END {exit !(d && n && d < n)}' "$log"
	check "the VM stayed up (no poweroff)" sh -c "! grep -q '^tinyx: poweroff' '$log'"
else
	nok "no answer through the VM within $T s"
	tail -n 30 "$log" | sed 's/^/    /'
fi
kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
qpid=

# The probe's own forwarding mode (src/probe/fwd.h) on IMG (a VM dir): its
# client net, its server net with eth1's address of the overlay, its
# servers; this ruleset forwards tcp/8080 only, so no echo and no iperf3
# cross the VM and those figures stay unmeasured. LABEL names it.
probe_forward() { # IMG LABEL TIMEOUT
	if timeout $(($3 + 120)) "$TINYX" probe "$1" --forward 10.251.0.9/24 --timeout "$3" \
		>"$tmp/fwd.txt" 2>"$tmp/fwd.err"; then
		ok "tinyx probe --forward, $2: $(grep 'forwarding:' "$tmp/fwd.txt" | sed 's/^ *//')"
		check "$2: a server answered through the VM (the probe's check)" \
			grep -q 'check: http 200 from 10.251.0.1 on tcp/8080 through the VM' "$tmp/fwd.txt"
		check "$2: no echo through it (ICMP not forwarded), its own side measured" \
			grep -q 'rtt: to its own side [0-9]* us; none through it (no echo reply)' \
			"$tmp/fwd.txt"
		check "$2: no iperf3 through it (tcp/5201 dropped)" \
			grep -q 'throughput: not measured' "$tmp/fwd.txt"
	else
		nok "tinyx probe --forward, $2"
		tail -n 20 "$tmp/fwd.txt" "$tmp/fwd.err" | sed 's/^/    /'
	fi
}
probe_forward "$img" "the Tinyx VM" "$T"
# --proxy: the client asks the VM's own tcp/8080, where a firewall has
# nothing: no answer, a failed probe that says so
timeout 120 "$TINYX" probe "$img" --forward 10.251.0.9/24 --proxy --timeout 10 \
	>/dev/null 2>"$tmp/fwdp.err"
rc=$?
check "probe --forward --proxy on a firewall fails (exit $rc)" [ "$rc" = 3 ]
check "and says why: no answer through the VM from 10.201.0.2 on tcp/8080" \
	grep -q 'no answer through the VM from 10.201.0.2 on tcp/8080 within 10 s' "$tmp/fwdp.err"
check "the probe left no QEMU" sh -c "! pgrep -f '[q]emu-system.*$tmp/out/nftables' >/dev/null"

# `tinyx compare --forward`: the Debian VM, the Tinyx VM and a container
# doing this job, each through the probe's own nets (the container's eth0
# and eth1 veths, the sysctl set in its namespace, nft run in it), side by
# side: every row forwards, the Tinyx VM sooner than the Debian VM
jqc() { jq -e "$@" >/dev/null; } # a jq test on a file, quiet
compare_forward() {
	if timeout 1200 "$TINYX" compare nftables --forward 10.251.0.9/24 --overlay "$ovl" \
		--out "$tmp/out" --runs 1 --json >"$tmp/cmp.json" 2>"$tmp/cmp.err"; then
		ok "tinyx compare nftables --forward: $(jq -r '[.systems[] |
			"\(.name) \(.boot_ms.service) ms"] | join(", ")' "$tmp/cmp.json")"
	else
		nok "tinyx compare nftables --forward"
		tail -n 20 "$tmp/cmp.err" | sed 's/^/    /'
	fi
	check "compare --forward: three rows, each forwarded (boot to forwarding > 0)" \
		jqc '[.systems[] | select(.measured and .ok and .boot_ms.service > 0)] |
			length == 3' "$tmp/cmp.json"
	check "compare --forward: the rows are the Debian VM, the Tinyx VM, the container" \
		jqc '[.systems[].name] == ["debian-vm", "tinyx-kvm", "container"]' "$tmp/cmp.json"
	check "compare --forward: the Tinyx VM forwards sooner than the Debian VM" \
		jqc '.systems[1].vs_debian_vm.service > 1' "$tmp/cmp.json"
	check "compare --forward: no echo through the firewall, its own side measured" \
		jqc '[.systems[] | select(.rtt_us.median == null and .rtt_own_us > 0)] |
			length == 3' "$tmp/cmp.json"
	check "compare --forward: the container's root is its size" \
		jqc '.systems[2].size_bytes.total > 1000000' "$tmp/cmp.json"
	check "compare --forward left no container" sh -c \
		"! runc list -q 2>/dev/null | grep -q '^tinyx-compare-'"
}

# the standard Debian VM doing the same job (bench/vnf.sh's third system):
# `tinyx debian-vm` with the same overlay, booted the same way in the same
# nets: it forwards tcp/8080 with masquerade and drops tcp/9999 too
dvm=$(timeout 900 "$TINYX" debian-vm nftables --nics 2 --overlay "$ovl" --out "$tmp/out" -q \
	2>"$tmp/dvm.log")
if [ -x "$dvm/run-qemu.sh" ]; then
	ok "tinyx debian-vm nftables --nics 2 --overlay: $dvm"
	: >"$tmp/httpd-8080.log"
	_t=$T T=${TINYX_DEBIAN_TIMEOUT:-300}
	vnf_boot_until "$dvm" 10.250.0.9/24 10.250.0.1 http://10.251.0.1:8080/ server
	T=$_t
	if [ -n "$first" ]; then
		ok "the Debian VM forwards tcp/8080 after $first ms (boot to forwarding)"
		check "the server saw the Debian VM's eth1 (10.251.0.9): masquerade" \
			grep -q '^10\.251\.0\.9:' "$tmp/httpd-8080.log"
		check "the Debian VM drops tcp/9999" sh -c \
			"! ip netns exec '$nc' curl -s -m 3 -o /dev/null http://10.251.0.1:9999/"
	else
		nok "no answer through the Debian VM"
		tail -n 30 "$tmp/console.log" | sed 's/^/    /'
	fi
	kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	qpid=
	compare_forward
else
	nok "tinyx debian-vm nftables --nics 2 --overlay"
	tail -n 20 "$tmp/dvm.log"
fi

# a ruleset nft rejects: the trace boot's own nft says so, the build fails
# verification with nft's message (a oneshot that fails is a failed app)
printf 'table inet filter {\n\tchain forward {\n\t\tno_such_statement\n\t}\n}\n' \
	>"$ovl/etc/nftables.conf"
timeout 900 "$TINYX" build nftables --target kvm --nics 2 --overlay "$ovl" --out "$tmp/bad" \
	>"$tmp/bad.log" 2>&1
rc=$?
check "a ruleset nft rejects fails the build (exit $rc)" [ "$rc" = 3 ]
check "the build names nft's exit" grep -q "'/usr/sbin/nft' exited with status 1" "$tmp/bad.log"
check "nothing published for the bad ruleset" [ ! -e "$tmp/bad/nftables" ]
vnf_end
check "namespaces gone" sh -c "! ip netns list | grep -q -e '^$nc\\b' -e '^$nsv\\b'"
done_tests
