#!/bin/sh
# libvirt end to end: the generated nginx-qemu.xml, as written, boots under
# Debian's libvirt daemon and nginx answers through libvirt's own network.
#
# The test starts its own libvirtd inside a network namespace it creates,
# in a private mount namespace where temp dirs stand in for /etc/libvirt,
# /var and /run (so the daemon reads no host state and leaves none; no
# D-Bus, no systemd, no host cgroups), and /etc/passwd and /etc/group carry
# the libvirt-qemu user that Debian's libvirt resolves at start even when
# qemu.conf says root (libvirt-daemon-system would create it, and with it
# start a daemon and virbr0 on the host: not installed). It defines the
# `default` NAT network there (bridge virbr0, 10.204.0.0/24, libvirt's
# dnsmasq for DHCP), then `virsh define` + `virsh start --console` of the
# XML: the console (a pty, through virsh) shows the guest's markers, the
# guest leases an address from libvirt's dnsmasq (`virsh net-dhcp-leases`),
# and `curl http://ADDR/` from the namespace gets 200. Then destroy,
# undefine, net-destroy, and the daemon stops. Every wait is bounded; on
# exit, failure or interruption everything in the namespace (daemon, QEMU,
# dnsmasq) is killed and the namespace deleted; the mounts live and die
# with the daemon's mount namespace. Needs root, ip, unshare, libvirtd
# (libvirt-daemon), virsh (libvirt-clients), dnsmasq, iptables, script,
# curl, QEMU.
. tests/lib.sh

T=${TINYX_BOOT_TIMEOUT:-60}
[ "$(id -u)" = 0 ] || { nok "needs root (network namespace, libvirtd)"; done_tests; exit 1; }
for c in ip unshare libvirtd virsh dnsmasq iptables script curl qemu-system-x86_64; do
	command -v "$c" >/dev/null || { nok "needs $c (src/host-deps.sh test)"; done_tests; exit 1; }
done
[ -d /etc/libvirt ] || { nok "needs /etc/libvirt (libvirt-clients)"; done_tests; exit 1; }
tmp=$(mktemp -d /tmp/tinyx-t420.XXXXXX) || exit 1
ns=tinyx-t420-$$
dom=tinyx-nginx
uri="qemu:///system?socket=$tmp/run/libvirt/libvirt-sock"
lpid='' cpid=''
v() { timeout 30 virsh -q -c "$uri" "$@" 2>>"$tmp/virsh.err"; }
stop() { # stop PID: TERM, KILL after 5 s, and reap it (a child of this shell)
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	i=0
	while ! gone "$1" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
# every process left in the namespace is this test's: QEMU and dnsmasq
# outlive libvirtd by design (they are daemonized), so kill them by netns
kill_ns() {
	for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	i=0
	while [ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
cleanup() {
	stop "$cpid"
	if [ -n "$lpid" ] && ! gone "$lpid"; then
		v destroy "$dom" >/dev/null
		v undefine "$dom" >/dev/null
		v net-destroy default >/dev/null
	fi
	stop "$lpid"
	kill_ns
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
host_links=$(ip -o link | cut -d: -f2 | sort | tr -d ' \n')
t0=$(date +%s%N)
ms() { echo $((($(date +%s%N) - t0) / 1000000)); }

if ! timeout 900 "$TINYX" build nginx --out "$tmp/out" --no-verify -q >"$tmp/build.log" 2>&1; then
	nok "tinyx build nginx"
	tail -n 20 "$tmp/build.log"
	done_tests; exit 1
fi
xml=$tmp/out/nginx/kvm/nginx-qemu.xml
ok "tinyx build nginx: $(basename "$xml") in $(ms) ms"

# the daemon's world: config, state, cache, logs and runtime dirs of its own
mkdir -p "$tmp/etc/qemu/networks" "$tmp/var/lib/libvirt" "$tmp/var/cache/libvirt" \
	"$tmp/var/log/libvirt" "$tmp/var/tmp" "$tmp/run/lock" "$tmp/run/libvirt" || exit 1
ln -s /run/lock "$tmp/var/lock" # virsh console's lock file (/var/lock/LCK..pts_N)
ln -s /run "$tmp/var/run"
echo 'log_outputs="3:file:/var/log/libvirt/libvirtd.log"' >"$tmp/etc/libvirtd.conf"
# QEMU as root on files it can read as they are: no chown of the image
# (dynamic_ownership), no AppArmor/SELinux, no cgroups, no /dev namespace,
# its stdout/stderr to a file (no virtlogd)
cat >"$tmp/etc/qemu.conf" <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
EOF
cp /etc/passwd "$tmp/passwd" && cp /etc/group "$tmp/group" || exit 1
getent passwd libvirt-qemu >/dev/null ||
	echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/nonexistent:/usr/sbin/nologin' >>"$tmp/passwd"
getent group libvirt-qemu >/dev/null || echo 'libvirt-qemu:x:64055:' >>"$tmp/group"

ip netns add "$ns" && ip -n "$ns" link set lo up || { nok "network namespace $ns"; done_tests; exit 1; }
# ip netns exec and unshare exec: $! is libvirtd, in the foreground
ip netns exec "$ns" unshare -m --propagation private sh -ec '
	t=$1
	mount --bind "$t/etc" /etc/libvirt
	mount --bind "$t/passwd" /etc/passwd
	mount --bind "$t/group" /etc/group
	mount --bind "$t/var" /var
	mount --bind "$t/run" /run
	exec libvirtd' sh "$tmp" >"$tmp/libvirtd.out" 2>&1 &
lpid=$!
t0=$(date +%s%N)
until v version >/dev/null; do
	if gone "$lpid" || [ "$(ms)" -ge 30000 ]; then
		nok "libvirtd did not answer within 30 s"
		tail -n 20 "$tmp/libvirtd.out" "$tmp/var/log/libvirt/libvirtd.log" 2>/dev/null
		done_tests; exit 1
	fi
	sleep 0.2
done
ok "libvirtd answers on $tmp/run/libvirt/libvirt-sock after $(ms) ms"

cat >"$tmp/net.xml" <<'EOF'
<network>
  <name>default</name>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='10.204.0.1' netmask='255.255.255.0'>
    <dhcp><range start='10.204.0.2' end='10.204.0.254'/></dhcp>
  </ip>
</network>
EOF
check "virsh net-define default" v net-define "$tmp/net.xml"
check "virsh net-start default" v net-start default
check "virbr0 and dnsmasq in $ns" sh -c "ip -n '$ns' -o addr show virbr0 | grep -q 10.204.0.1/24 &&
	ip netns pids '$ns' | xargs -r ps -o comm= -p | grep -q dnsmasq"

check "virsh define $(basename "$xml") as written" v define "$xml"
# its own UUID: defining it again (a rebuilt image) updates the domain
want=$(sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' "$xml")
got=$(v define "$xml" >/dev/null && v domuuid "$dom")
check "virsh define again: the same domain, its UUID as written ($want)" [ "${got:-x}" = "${want:-y}" ]
t0=$(date +%s%N)
# the console from the first byte: virsh needs a tty, script gives it one
timeout $((T + 30)) script -qfec "virsh -c '$uri' start --console $dom" "$tmp/console.log" \
	</dev/null >/dev/null 2>&1 &
cpid=$!
mac=
until [ -n "$mac" ] || [ "$(ms)" -ge 30000 ]; do
	sleep 0.2
	mac=$(v domiflist "$dom" | awk '$3 == "default" { print $5 }')
done
check "virsh start: the domain runs, its NIC on default ($mac)" [ -n "$mac" ]
cons() { tr -d '\r' <"$tmp/console.log"; }
addr=
while [ -z "$addr" ] && [ "$(ms)" -lt $((T * 1000)) ] && ! gone "$cpid"; do
	sleep 0.5
	addr=$(v net-dhcp-leases default --mac "$mac" | awk '$4 == "ipv4" { sub("/.*", "", $5); print $5 }')
done
if [ -n "$addr" ]; then
	ok "libvirt's DHCP leased $addr to $mac after $(ms) ms"
	i=0 # the console line comes with the lease, give it a second
	until cons | grep -q "^tinyx: dhcp eth0 $addr/24 via 10.204.0.1\$" || [ $i -ge 20 ]; do
		sleep 0.1; i=$((i + 1))
	done
	check "virsh console: the guest says 'tinyx: dhcp eth0 $addr/24 via 10.204.0.1'" \
		sh -c "tr -d '\\r' <'$tmp/console.log' | grep -q '^tinyx: dhcp eth0 $addr/24 via 10.204.0.1\$'"
	check "virsh console: no ACPI error (the domain has <acpi/>)" sh -c "! grep -q 'ACPI BIOS Error' '$tmp/console.log'"
	check "virsh console: the guest says 'tinyx: ready tcp/80'" sh -c "tr -d '\\r' <'$tmp/console.log' | grep -q '^tinyx: ready tcp/80'"
	code=$(ip netns exec "$ns" curl -s -m 10 -o /dev/null -w '%{http_code}' "http://$addr/")
	check "http://$addr/ through virbr0 answers $code after $(ms) ms" [ "$code" = 200 ]
else
	nok "no lease for $mac after $(ms) ms (bound $T s)"
	cons | tail -n 15 | sed 's/^/    console: /'
	tail -n 5 "$tmp/var/log/libvirt/qemu/$dom.log" 2>/dev/null | sed 's/^/    qemu: /'
fi
check "virsh destroy" v destroy "$dom"
check "virsh undefine" v undefine "$dom"
check "no QEMU left in $ns" sh -c "! ip netns pids '$ns' | xargs -r ps -o comm= -p | grep -q qemu"
check "virsh net-destroy default" v net-destroy default
check "virsh net-undefine default" v net-undefine default
stop "$cpid"; cpid=
stop "$lpid"
check "libvirtd stopped" gone "$lpid"
lpid=
left=$(ip netns pids "$ns")
check "nothing left running in $ns" [ -z "$left" ]
kill_ns # what a failure above left (QEMU, dnsmasq): the namespace goes empty
ip netns del "$ns"
check "namespace gone" sh -c "! ip netns list | grep -q '^$ns\\b'"
check "host links as before" [ "$(ip -o link | cut -d: -f2 | sort | tr -d ' \n')" = "$host_links" ]
check "no host address or rule on 10.204.0.0/24" sh -c "! ip -o addr | grep -q '10\\.204\\.0\\.' &&
	! iptables-save 2>/dev/null | grep -q '10\\.204\\.0\\.'"
check "no mount of $tmp in the host" sh -c "! grep -q '$tmp' /proc/self/mountinfo"
left=$(pgrep -f "$tmp")
check "no process of this test's left" [ -z "$left" ]
done_tests
