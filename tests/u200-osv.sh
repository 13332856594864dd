#!/bin/sh
# make check-unikernels: the osv row of tinyx compare from an empty
# unikernel cache: OSv's kernel built from the third-party tree (minutes on
# two cores: too long for make check, whose t700 checks that the row says
# where its sources go and that a broken tree fails in one line), its
# read-only root made from nginx's closure, booted on QEMU pc by the probe,
# served HTTP 200 and iperf3, measured; then again from the cache: no build,
# the same kernel and the same disk, byte for byte. Nothing left behind.
# The rest of the cache (the staged root, the Tinyx images' kernels) is
# shared: only unikernels/ starts empty. Needs root (the probe's namespace
# and tap) and the sources in $TINYX_THIRD_PARTY (default
# ../shared/third_party): without them it fails, saying where they go.
. tests/lib.sh

[ "$(id -u)" = 0 ] || { nok "needs root (namespaces, tap)"; done_tests; exit 1; }
third=${TINYX_THIRD_PARTY:-$(cd "${TINYX_HOME:-.}/.." && pwd)/shared/third_party}
if ! ls -d "$third"/osv* >/dev/null 2>&1; then
	nok "no OSv sources in $third (osv*.tar.xz or an osv* dir; TINYX_THIRD_PARTY names another)"
	done_tests
	exit 1
fi
tmp=$(mktemp -d /tmp/tinyx-u200.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
netns_before=$(ip netns list 2>/dev/null | sort | tr '\n' ' ')
links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
shared=${TINYX_CACHE:-${HOME:-/root}/.cache/tinyx}
mkdir -p "$tmp/cache/unikernels" "$shared"
for e in "$shared"/*; do
	[ -e "$e" ] && [ "${e##*/}" != unikernels ] && ln -s "$e" "$tmp/cache/"
done

run() { # run NAME: tinyx compare nginx --only osv
	start=$(date +%s)
	TINYX_CACHE=$tmp/cache $TINYX compare nginx --only osv --runs 1 --json \
		--out "$tmp/$1" >"$tmp/$1.json" 2>"$tmp/$1.err"
	rc=$?
	echo "$1: compare took $(( $(date +%s) - start )) s"
	tail -n 15 "$tmp/$1.err"
	check "$1: compare exits 0 (rc $rc)" [ "$rc" = 0 ]
}
j() { jq -r ".systems[] | select(.name == \"osv\") | $2" "$tmp/$1.json"; }

run cold
check "cold: built from the sources" grep -q 'compare: osv: building the OSv kernel' "$tmp/cold.err"
check "cold: the row is measured and ok" [ "$(j cold '.measured and .ok')" = true ]
for k in size_bytes.total memory_kb.qemu_rss memory_kb.qemu_pss memory_mb.min_boot \
	boot_ms.console boot_ms.init boot_ms.service rtt_us.median rtt_us.p99 throughput_mbps; do
	check "cold: $k is a positive number ($(j cold ".$k"))" \
		[ "$(j cold "(.$k | type == \"number\" and . > 0)")" = true ]
done
check "cold: console <= init (OSv's Cmdline:) <= service" \
	[ "$(j cold '.boot_ms | .console <= .init and .init <= .service')" = true ]
check "cold: no guest memory count, the throughput from iperf3's server in OSv, the note says so" \
	[ "$(j cold '.memory_kb.guest_used == null and (.note | test("iperf3.s server in the unikernel"))')" = true ]
img=$tmp/cold/compare/nginx/osv
check "the image dir has the kernel, the disk and image.conf (cmdline=osv, iperf3=server)" \
	sh -c "[ -s '$img/kernel' ] && [ -s '$img/disk.img' ] && grep -qx 'cmdline=osv' '$img/image.conf' && grep -qx 'iperf3=server' '$img/image.conf'"
check "the kernel is an ELF (OSv's loader, booted by its PVH entry)" \
	sh -c "file '$img/kernel' | grep -q ELF"
check "the disk's MBR has OSv's root as its second entry, right after the MBR" \
	sh -c "[ \"\$(od -An -tx1 -j 466 -N 1 '$img/disk.img' | tr -d ' ')\" = 83 ] && [ \"\$(od -An -tu4 -j 470 -N 4 '$img/disk.img' | tr -d ' ')\" = 1 ]"
check "the root holds nginx and its libraries, not the ones OSv supplies (libc.so.6)" \
	sh -c "grep -q '^/usr/sbin/nginx: ' '$img/usr.manifest' && grep -q '^/usr/lib/libpcre2-8.so.0: ->' '$img/usr.manifest' && ! grep -q 'libc\\.so\\.6' '$img/usr.manifest'"
check "nginx's log dir is a link to OSv's /tmp (its root is read-only)" \
	grep -qx '/var/log/nginx: ->/tmp' "$img/usr.manifest"
check "the command: nginx in the foreground, iperf3's server beside it" \
	sh -c "grep -q '^append=--rootfs=rofs /usr/bin/iperf3 -s -p 5201 & /usr/sbin/nginx -g \"daemon off; master_process off;\"' '$img/image.conf'"
check "the row's size is the kernel plus the disk" \
	[ "$(j cold .size_bytes.total)" = $(( $(stat -c %s "$img/kernel") + $(stat -c %s "$img/disk.img") )) ]

run warm
check "warm: no build" sh -c "! grep -q 'building the OSv kernel' '$tmp/warm.err'"
check "warm: measured and ok" [ "$(j warm '.measured and .ok')" = true ]
check "warm: the same kernel and disk, byte for byte" \
	sh -c "cmp -s '$img/kernel' '$tmp/warm/compare/nginx/osv/kernel' && cmp -s '$img/disk.img' '$tmp/warm/compare/nginx/osv/disk.img'"
check "one cache entry" [ "$(find "$tmp/cache/unikernels" -maxdepth 1 -type d -name 'osv-*' | wc -l)" = 1 ]

check "no QEMU of this test left" [ -z "$(pgrep -f "qemu-system.*$tmp")" ]
check "no iperf3 client left" [ -z "$(pgrep -f 'iperf3 -c 10.201.0.2')" ]
check "ip netns list unchanged" [ "$(ip netns list 2>/dev/null | sort | tr '\n' ' ')" = "$netns_before" ]
check "host links unchanged" \
	[ "$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" = "$links_before" ]
done_tests
