#!/bin/sh
# The boot probe's logic without a kernel: a fake qemu-system-x86_64
# (tests/fixtures/probe/fake-qemu.sh, first in PATH) plays the guest inside
# the probe's private network namespace. Checks the JSON, that the fake QEMU
# ran in a namespace that is not the host's, the failure paths (no service,
# QEMU exits, kernel panic: exit 3 with the console tail in the message) and
# that SIGINT/SIGTERM leave no process behind. Needs root. Takes ~20 s.
. tests/lib.sh

[ "$(id -u)" = 0 ] || { nok "needs root (network namespaces, tap)"; done_tests; exit 1; }
tmp=$(mktemp -d /tmp/tinyx-t401.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp/bin" "$tmp/img"
ln -s "$PWD/tests/fixtures/probe/fake-qemu.sh" "$tmp/bin/qemu-system-x86_64"
PATH=$tmp/bin:$PATH
export PATH
echo kernel > "$tmp/img/kernel"
echo initrd > "$tmp/img/initrd"
printf 'machine=microvm\nappend=console=ttyS0\nport=80\nservice=http\nnote=fake\n' \
	> "$tmp/img/image.conf"
hostns=$(readlink /proc/$$/ns/net)
links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
netns_before=$(ip netns list 2>/dev/null | sort | tr '\n' ' ')
export FAKE_QEMU_NSFILE=$tmp/ns FAKE_QEMU_PIDFILE=$tmp/pid

nothing_left() { # LABEL
	ns=$(cat "$tmp/ns" 2>/dev/null) pid=$(cat "$tmp/pid" 2>/dev/null) left=
	check "$1: fake QEMU ran in a private namespace ($ns, host $hostns)" \
		other_ns "$ns" "$hostns"
	check "$1: fake QEMU ($pid) is gone" gone "$pid"
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$ns" ] && left="$left ${p#/proc/}"
	done
	check "$1: no process left in $ns${left:+ (pids$left)}" [ -z "$left" ]
	check "$1: host links unchanged" \
		[ "$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" = "$links_before" ]
	check "$1: ip netns list unchanged" \
		[ "$(ip netns list 2>/dev/null | sort | tr '\n' ' ')" = "$netns_before" ]
	check "$1: no 10.201.0.x address on the host" [ "$(ip -o addr show | grep -c '10\.201\.0\.')" = 0 ]
	rm -f "$tmp/ns" "$tmp/pid"
}

# serves
timeout 60 "$TINYX" probe "$tmp/img" --runs 3 --json > "$tmp/ok.json" 2> "$tmp/ok.err"
rc=$?
cat "$tmp/ok.json" "$tmp/ok.err"
check "serves: exit 0" [ $rc = 0 ]
if command -v jq >/dev/null; then
	j() { jq -r "$1" "$tmp/ok.json"; }
	check "ok true" [ "$(j .ok)" = true ]
	check "runs 3, runs_ok 3" [ "$(j .runs)/$(j .runs_ok)" = 3/3 ]
	check "netns_isolated true" [ "$(j .netns_isolated)" = true ]
	for ph in console init network service; do
		check "boot_ms.$ph has median/min/max" \
			[ "$(j "[.boot_ms.$ph.median, .boot_ms.$ph.min, .boot_ms.$ph.max] | map(type) | unique")" = '[
  "number"
]' ]
	done
	check "min <= median <= max" [ "$(j '.boot_ms.service | .min <= .median and .median <= .max')" = true ]
	check "size_bytes" [ "$(j '.size_bytes | [.kernel, .rootfs, .total] == [7, 7, 14]')" = true ]
	check "memory_kb.guest_used from the marker" [ "$(j .memory_kb.guest_used)" = 1234 ]
	check "per_run has 3 runs" [ "$(j '.per_run | length')" = 3 ]
	check "note" [ "$(j .note)" = fake ]
else
	check "ok true" grep -q '"ok": true' "$tmp/ok.json"
	check "netns_isolated true" grep -q '"netns_isolated": true' "$tmp/ok.json"
fi
nothing_left "after success"

# no service= in image.conf: every port the init says the app serves is
# checked by what it speaks
mkdir -p "$tmp/auto"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Werror -o "$tmp/fake-dns" tests/fixtures/probe/fake-dns.c ||
	nok "build tests/fixtures/probe/fake-dns.c"
export FAKE_DNS=$tmp/fake-dns
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=fake \
	-keyout "$tmp/tls.key" -out "$tmp/tls.crt" >/dev/null 2>&1 || nok "make a TLS certificate"
export FAKE_TLS_CERT=$tmp/tls.crt FAKE_TLS_KEY=$tmp/tls.key
cp "$tmp/img/kernel" "$tmp/img/initrd" "$tmp/auto/"
printf 'machine=microvm\nappend=console=ttyS0\n' > "$tmp/auto/image.conf"
FAKE_QEMU_MODE=ports timeout 60 "$TINYX" probe "$tmp/auto" --json > "$tmp/ports.json" 2> "$tmp/ports.err"
rc=$?
cat "$tmp/ports.json" "$tmp/ports.err"
check "ports: exit 0 (got $rc)" [ $rc = 0 ]
check "ports: http, tcp, dns and tls checked" grep -q \
	'"check": "http 200 on tcp/80, tcp accept on tcp/8080, dns answer on udp/53, tls handshake on tcp/8443"' "$tmp/ports.json"
nothing_left "after ports"

# failures of the app itself: exit 3, the cause, the app's last lines
for m in failed local silent; do
	start=$(date +%s)
	FAKE_QEMU_MODE=$m timeout 60 "$TINYX" probe "$tmp/auto" --timeout 8 > "$tmp/$m.out" 2> "$tmp/$m.err"
	rc=$? el=$(( $(date +%s) - start ))
	cat "$tmp/$m.err"
	check "$m: exit 3 (got $rc)" [ $rc = 3 ]
	case $m in
	failed) pat="'tinyx-t401[^']*': '/usr/sbin/fake' exited with status 255 after 2 restarts (image '$tmp/auto'); last output: .*fake: cannot load module Foo::Bar"
		check "$m: at once ($el s)" [ $el -le 4 ] ;;
	local) pat="'[^']*' listens only on udp/53 127.0.0.1 (its own config); add an overlay to serve the network"
		check "$m: within 5 s of the line ($el s)" [ $el -le 7 ] ;;
	silent) pat="'[^']*' never listened on a port within 8 s (image '$tmp/auto'); last output: .*fake: running"
		check "$m: within the timeout ($el s)" [ $el -le 10 ] ;;
	esac
	check "$m: message" grep -q "^tinyx: probe: $pat" "$tmp/$m.err"
	check "$m: not verified" grep -q "FAILED" "$tmp/$m.out"
	nothing_left "after $m"
done

# failures: exit 3, one line naming the image and the console tail
for m in noserve exit panic; do
	start=$(date +%s)
	FAKE_QEMU_MODE=$m timeout 60 "$TINYX" probe "$tmp/img" --timeout 4 > "$tmp/$m.out" 2> "$tmp/$m.err"
	rc=$? el=$(( $(date +%s) - start ))
	cat "$tmp/$m.err"
	check "$m: exit 3 (got $rc)" [ $rc = 3 ]
	check "$m: within the timeout ($el s)" [ $el -le 6 ]
	case $m in
	noserve) pat="'[^']*' did not answer on tcp/80 within 4 s (image '$tmp/img'); last output: .*Linux version" ;;
	exit) pat="QEMU exited with status 1 .*last output: .*could not load kernel" ;;
	panic) pat="the guest kernel panicked .*last output: .*Kernel panic - not syncing" ;;
	esac
	check "$m: message" grep -q "^tinyx: probe: $pat" "$tmp/$m.err"
	check "$m: report shows the console" grep -q "console (last lines)" "$tmp/$m.out"
	[ $m = exit ] || nothing_left "after $m"
done

# signals mid-boot
for s in INT TERM HUP; do
	FAKE_QEMU_MODE=hang "$TINYX" probe "$tmp/img" --timeout 60 > /dev/null 2>&1 &
	pp=$!
	i=0; while [ ! -s "$tmp/pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.2
	start=$(date +%s)
	kill -$s $pp
	wait $pp; rc=$?
	el=$(( $(date +%s) - start ))
	check "SIG$s: probe ends ($rc) within 3 s ($el s)" sh -c '[ "$1" != 0 ] && [ "$2" -le 3 ]' - "$rc" "$el"
	nothing_left "after SIG$s"
done

# SIGKILL: the fake QEMU dies with the probe (parent-death signal)
FAKE_QEMU_MODE=hang "$TINYX" probe "$tmp/img" --timeout 60 > /dev/null 2>&1 &
pp=$!
i=0; while [ ! -s "$tmp/pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -KILL $pp
wait $pp 2>/dev/null
sleep 0.5
nothing_left "after SIGKILL"

done_tests
