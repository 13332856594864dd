#!/bin/sh
# nginx under the real Xen hypervisor (nested in QEMU TCG) with a Tinyx dom0:
# `tinyx probe out/nginx/xen` boots Xen, the dom0 image tinyx built from
# xen-utils-4.17, and `xl create`s the image's own PVH config (then the PV
# one); nginx must answer HTTP 200 on the host side of the probe's private
# namespace through tap -> QEMU NIC -> dom0 bridge -> guest vif. A config
# naming a missing kernel fails with xl's message and exit 3; an apt index
# without the Xen packages fails with one clear line. Afterwards no QEMU,
# namespace, tap or temp dir of the probe is left. Needs root (namespaces,
# tap, debootstrap of the dom0 root on a cold cache).
. tests/lib.sh

T=${TINYX_XEN_TIMEOUT:-240}
tmp=$(mktemp -d /tmp/tinyx-t800.XXXXXX) || exit 1
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
[ "$(id -u)" = 0 ] || { nok "needs root (network namespaces, tap)"; done_tests; exit 1; }

# the image: built by tinyx (the kernel and root come from the shared cache)
if ! timeout 1500 "$TINYX" build nginx --target xen --no-verify --out "$tmp/out" \
	>"$tmp/build.log" 2>&1; then
	cat "$tmp/build.log"
	nok "tinyx build nginx --target xen"
	done_tests; exit 1
fi
img=$tmp/out/nginx/xen
check "the build wrote the PVH config" grep -q '^type = "pvh"' "$img/nginx.cfg"
check "the build wrote the PV config" grep -q '^type = "pv"' "$img/nginx-pv.cfg"

netns_before=$(ip netns list 2>/dev/null | sort | tr '\n' ' ')
links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
dirs_before=$(ls -d /tmp/tinyx-xenprobe.* 2>/dev/null | sort | tr '\n' ' ')
hostns=$(readlink /proc/$$/ns/net)

jqe() { jq -e "$1" "$2" >/dev/null; }
qemu_xen() { pgrep -f "qemu-system.*tinyx-xenprobe" | head -n 1; }
nothing_left() {
	check "$1: no Xen QEMU left" [ -z "$(qemu_xen)" ]
	check "$1: ip netns list unchanged" \
		[ "$(ip netns list 2>/dev/null | sort | tr '\n' ' ')" = "$netns_before" ]
	check "$1: host links unchanged (no tap left)" \
		[ "$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" = "$links_before" ]
	check "$1: no probe temp dir left" \
		[ "$(ls -d /tmp/tinyx-xenprobe.* 2>/dev/null | sort | tr '\n' ' ')" = "$dirs_before" ]
}
# the network namespace of the probe's QEMU while it runs
watch_ns() {
	i=0 q=
	while [ $i -lt 3000 ] && [ -z "$q" ] && kill -0 "$1" 2>/dev/null; do
		q=$(qemu_xen); [ -n "$q" ] || { sleep 0.1; i=$((i + 1)); }
	done
	[ -n "$q" ] && readlink "/proc/$q/ns/net" || echo none
}

# probe_ok LABEL TYPE ARGS...: it serves, with the Xen keys
probe_ok() {
	label=$1 type=$2; shift 2
	start=$(date +%s)
	timeout $((T + 60)) "$TINYX" probe "$img" --json --timeout "$T" "$@" \
		>"$tmp/$label.json" 2>"$tmp/$label.err" &
	pp=$!
	qns=$(watch_ns $pp)
	wait $pp; rc=$?
	echo "$label: exit $rc in $(($(date +%s) - start)) s"
	cat "$tmp/$label.json" "$tmp/$label.err"
	f=$tmp/$label.json
	check "$label: exit 0" [ $rc = 0 ]
	check "$label: ok is true" jqe '.ok == true' "$f"
	check "$label: QEMU ran in a private namespace ($qns)" other_ns "$qns" "$hostns"
	check "$label: netns_isolated" jqe '.netns_isolated == true' "$f"
	check "$label: xen.guest_type is $type" jqe ".xen.guest_type == \"$type\"" "$f"
	check "$label: under Xen (machine xen-on-pc)" jqe '.machine == "xen-on-pc"' "$f"
	for ph in init network service; do
		check "$label: boot_ms.$ph measured" jqe ".boot_ms.$ph.median | type == \"number\"" "$f"
	done
	check "$label: dom0 boot measured" jqe '.xen.dom0_ms.median > 0' "$f"
	check "$label: init <= service and network <= service" \
		jq -e '.boot_ms | .init.min <= .service.min and .network.min <= .service.min' "$f"
	nothing_left "$label"
}

probe_ok pvh pvh
probe_ok pv pv --xen-cfg nginx-pv.cfg

# a config naming a missing kernel: xl's own error, exit 3, in seconds after xl runs
bad=$tmp/bad
cp -r "$img" "$bad"
sed -i 's/^kernel = .*/kernel = "no-such-kernel"/' "$bad/nginx.cfg"
start=$(date +%s)
timeout $((T + 60)) "$TINYX" probe "$bad" -q --timeout "$T" >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
echo "missing kernel: exit $rc in $(($(date +%s) - start)) s"
cat "$tmp/bad.err"
check "missing kernel: exit 3" [ $rc = 3 ]
check "missing kernel: one line" [ "$(grep -c . "$tmp/bad.err")" = 1 ]
check "missing kernel: xl create failed, with xl's message naming the file" \
	grep -q "^tinyx: probe: xl create failed in the dom0 .*no-such-kernel" "$tmp/bad.err"
nothing_left "missing kernel"

# an apt index without the Xen packages: one clear line, exit 1, no QEMU
mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/cache/archives/partial"
printf 'Dir::State::Lists "%s/apt/lists";\nDir::Cache "%s/apt/cache";\n' "$tmp" "$tmp" \
	>"$tmp/apt/apt.conf"
expect_fail 1 "^tinyx: xenkit: no package 'xen-hypervisor-4.17-amd64' in the apt index" -- \
	env APT_CONFIG="$tmp/apt/apt.conf" "$TINYX" probe "$img" -q
nothing_left "no package"
expect_fail 1 "^tinyx: probe: --disk does not apply to a guest under Xen" -- \
	"$TINYX" probe "$img" -q --disk
done_tests
