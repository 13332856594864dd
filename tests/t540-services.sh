#!/bin/sh
# Two more apps of the public set, end to end, with no hints file: built
# from their Debian packages, booted, and checked by their protocols from
# outside the VM (nginx is t500's). They share nginx's kernel: every app's
# config carries the service baseline (kconfig-fragments/services.config),
# so apps whose other needs agree ask for the same kernel, and this test
# runs no kernel build.
#   - bind9: verified with a DNS answer on udp/53 and a TCP accept on
#     tcp/53; rndc.key (made by its postinst) is not in the image, it is
#     made at boot;
#   - mosquitto as Debian ships it listens on loopback only: the build
#     exits 3 saying so, and is not called verified; with an overlay that
#     makes it listen on all addresses (the operator's config) it is
#     verified with a TCP accept on tcp/1883;
#   - nothing left: no QEMU, no namespace.
# Needs root and nginx's KVM kernel (cached by t210).
. tests/lib.sh

tmp=$(mktemp -d /tmp/tinyx-t540.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
netns_before=$(ip netns list 2>/dev/null | sort | tr '\n' ' ')

# the kernel nginx uses (a cache hit after t210)
nk=$("$TINYX" kernel nginx --target kvm -q 2>"$tmp/k.err" | head -n 1)
check "nginx's kvm kernel is there" test -s "$nk"
nhash=$(basename "$(dirname "$nk")")

# one build: build APP LOG [ARGS...]; the exit code in $rc
build() {
	_app=$1 _log=$2
	shift 2
	t0=$(date +%s)
	timeout 1200 "$TINYX" build "$_app" --target kvm --format none --out "$tmp/out" "$@" \
		>"$_log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	tail -n 3 "$_log"
}
shares_kernel() { # LOG: the build reused nginx's kernel, no kbuild
	grep -q "^tinyx: kernel: \[kvm\] cached $nhash\$" "$1" &&
		! grep -q '^tinyx: kernel: \[kvm\] building' "$1"
}

# 1. bind9, as Debian ships it
build bind9 "$tmp/bind9.log"
j=$tmp/out/bind9/build.json
check "bind9: exit 0 (got $rc) in $secs s" [ $rc = 0 ]
check "bind9: nginx's kernel, no kernel build" shares_kernel "$tmp/bind9.log"
check "bind9: verified" jq -e '.targets.kvm.verified == true' "$j"
check "bind9: a DNS answer on udp/53" jq -e '.targets.kvm.check | test("dns answer on udp/53")' "$j"
check "bind9: a TCP accept on tcp/53" jq -e '.targets.kvm.check | test("tcp accept on tcp/53")' "$j"
check "bind9: no hints file" test ! -e rootfs-overlays/bind9/hints
check "bind9: rndc.key is made at boot, not shipped" \
	sh -c "! grep -q '^file  */etc/bind/rndc.key ' '$tmp/out/bind9/manifest.txt'"
check "bind9: the build says so" grep -q "^tinyx: closure: '/etc/bind/rndc.key' was made" "$tmp/bind9.log"

# 2. mosquitto, as Debian ships it: loopback only
build mosquitto "$tmp/mq0.log"
check "mosquitto (Debian's config): exit 3 (got $rc)" [ $rc = 3 ]
check "mosquitto (Debian's config): one line says it serves loopback only" \
	grep -q "^tinyx: verify: 'mosquitto' listens only on tcp/1883 127.0.0.1 (its own config); add an overlay to serve the network" \
	"$tmp/mq0.log"
check "mosquitto (Debian's config): not called verified" sh -c "! grep -q '^kvm .* yes ' '$tmp/mq0.log'"

# 3. mosquitto with the operator's config
mkdir -p "$tmp/ov/etc/mosquitto/conf.d"
printf 'listener 1883 0.0.0.0\nallow_anonymous true\n' >"$tmp/ov/etc/mosquitto/conf.d/serve.conf"
build mosquitto "$tmp/mq1.log" --overlay "$tmp/ov"
j=$tmp/out/mosquitto/build.json
check "mosquitto (overlay): exit 0 (got $rc) in $secs s" [ $rc = 0 ]
check "mosquitto (overlay): nginx's kernel, no kernel build" shares_kernel "$tmp/mq1.log"
check "mosquitto (overlay): verified" jq -e '.targets.kvm.verified == true' "$j"
check "mosquitto (overlay): a TCP accept on tcp/1883" \
	jq -e '.targets.kvm.check == "tcp accept on tcp/1883"' "$j"
check "mosquitto (overlay): the overlay's config is in the image" \
	grep -q '^file  */etc/mosquitto/conf.d/serve.conf ' "$tmp/out/mosquitto/manifest.txt"

# 4. nothing left
check "no QEMU left" sh -c "! pgrep -f '[q]emu-system.*$tmp' >/dev/null"
check "ip netns list unchanged" \
	[ "$(ip netns list 2>/dev/null | sort | tr '\n' ' ')" = "$netns_before" ]
done_tests
