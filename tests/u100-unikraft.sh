#!/bin/sh
# make check-unikernels: the unikraft row of tinyx compare from an empty
# cache: Unikraft's nginx built from the third-party tree (minutes on two
# cores: too long for make check, whose t700 checks that the row says where
# its sources go), booted on QEMU pc by the probe and measured; then again
# from the cache, the same kernel and initrd, no build. Nothing left behind.
# Needs root (the probe's namespace and tap) and the sources in
# $TINYX_THIRD_PARTY (default ../shared/third_party): without them it fails,
# saying where they go.
. tests/lib.sh

[ "$(id -u)" = 0 ] || { nok "needs root (namespaces, tap)"; done_tests; exit 1; }
third=${TINYX_THIRD_PARTY:-$(cd "${TINYX_HOME:-.}/.." && pwd)/shared/third_party}
if ! ls -d "$third"/unikraft* >/dev/null 2>&1; then
	nok "no Unikraft sources in $third (unikraft*.tar.xz or a unikraft* dir; TINYX_THIRD_PARTY names another)"
	done_tests
	exit 1
fi
tmp=$(mktemp -d /tmp/tinyx-u100.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
netns_before=$(ip netns list 2>/dev/null | sort | tr '\n' ' ')
links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')

run() { # run NAME: tinyx compare nginx --only unikraft, a cache of its own
	start=$(date +%s)
	TINYX_CACHE=$tmp/cache $TINYX compare nginx --only unikraft --runs 1 --json \
		--out "$tmp/$1" >"$tmp/$1.json" 2>"$tmp/$1.err"
	rc=$?
	echo "$1: compare took $(( $(date +%s) - start )) s"
	tail -n 15 "$tmp/$1.err"
	check "$1: compare exits 0 (rc $rc)" [ "$rc" = 0 ]
}
j() { jq -r ".systems[] | select(.name == \"unikraft\") | $2" "$tmp/$1.json"; }

run cold
check "cold: built from the sources" grep -q 'compare: unikraft: building nginx on Unikraft' "$tmp/cold.err"
check "cold: the row is measured and ok" [ "$(j cold '.measured and .ok')" = true ]
for k in size_bytes.total memory_kb.qemu_rss memory_kb.qemu_pss memory_mb.min_boot \
	boot_ms.console boot_ms.init boot_ms.service rtt_us.median rtt_us.p99; do
	check "cold: $k is a positive number ($(j cold ".$k"))" \
		[ "$(j cold "(.$k | type == \"number\" and . > 0)")" = true ]
done
check "cold: console <= init (Unikraft's banner) <= service" \
	[ "$(j cold '.boot_ms | .console <= .init and .init <= .service')" = true ]
check "cold: no guest memory count or throughput, and the note says why" \
	[ "$(j cold '.memory_kb.guest_used == null and .throughput_mbps == null and (.note | test("no iperf3 client in the unikernel"))')" = true ]
img=$tmp/cold/compare/nginx/unikraft
check "the image dir has the kernel, the initrd and image.conf (cmdline=unikraft)" \
	sh -c "[ -s '$img/kernel' ] && [ -s '$img/initrd' ] && grep -qx 'cmdline=unikraft' '$img/image.conf'"
check "the kernel is a multiboot ELF" sh -c "file '$img/kernel' | grep -q ELF"
check "the initrd is a CPIO archive with nginx's config" \
	sh -c "cpio -it < '$img/initrd' 2>/dev/null | grep -qx 'nginx/conf/nginx.conf'"
check "the row's size is the kernel plus the initrd" \
	[ "$(j cold .size_bytes.total)" = $(( $(stat -c %s "$img/kernel") + $(stat -c %s "$img/initrd") )) ]

run warm
check "warm: no build" sh -c "! grep -q 'building nginx on Unikraft' '$tmp/warm.err'"
check "warm: measured and ok" [ "$(j warm '.measured and .ok')" = true ]
check "warm: the same kernel and initrd" \
	sh -c "cmp -s '$img/kernel' '$tmp/warm/compare/nginx/unikraft/kernel' && cmp -s '$img/initrd' '$tmp/warm/compare/nginx/unikraft/initrd'"
check "one cache entry" [ "$(find "$tmp/cache/unikernels" -maxdepth 1 -type d -name 'unikraft-*' | wc -l)" = 1 ]

check "no QEMU of this test left" [ -z "$(pgrep -f "qemu-system.*$tmp")" ]
check "ip netns list unchanged" [ "$(ip netns list 2>/dev/null | sort | tr '\n' ' ')" = "$netns_before" ]
check "host links unchanged" \
	[ "$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" = "$links_before" ]
done_tests
