#!/bin/sh
# tinyx compare nginx --runs 1: every system measured in one run (debian-vm,
# tinyx-kvm (the default: squashfs root disk), tinyx-kvm-initrd, tinyx-xen-pvh,
# tinyx-min, container; minios, Mini-OS under the real Xen, when its sources
# are there, else a row saying where to put them; osv and unikraft saying
# where their sources go: make check-unikernels builds and measures them), every row with every figure it can have, the figures sane
# (non-zero, the Tinyx image smaller than the
# Debian one, tinyx-min smaller than tinyx-kvm-initrd by
# at least half of BusyBox alone under the initrd's zstd -19: the same kernel,
# the initrd without BusyBox; in the image BusyBox, a static glibc binary,
# shares much with the app's libraries and so costs less than alone: 563 KB
# of 924 KB here), the four SVG figures written, and nothing left behind:
# no QEMU, no runc container, no namespace, link or mount, no temp dir. Then
# the same after SIGINT in the middle of the container row.
# Needs root; stages two Debian roots when the cache is cold (~3 min), uses
# the cached nginx kernels (t210/t500 build them).
. tests/lib.sh

[ "$(id -u)" = 0 ] || { nok "needs root (namespaces, tap, runc)"; done_tests; exit 1; }
tmp=$(mktemp -d /tmp/tinyx-t700.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

netns_before=$(ip netns list 2>/dev/null | sort | tr '\n' ' ')
links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')
ctr_tmp_before=$(ls -d /tmp/tinyx-container-* 2>/dev/null | wc -l)

nothing_left() { # nothing_left LABEL
	check "$1: no QEMU of this run left" [ -z "$(pgrep -f "qemu-system.*($tmp|debvm)" )" ]
	check "$1: no runc container left" [ -z "$(runc list -q 2>/dev/null | grep '^tinyx-compare-')" ]
	check "$1: no iperf3 server left" [ -z "$(pgrep -f 'iperf3 -s -1 -J -B 10.201.0.1')" ]
	check "$1: ip netns list unchanged" \
		[ "$(ip netns list 2>/dev/null | sort | tr '\n' ' ')" = "$netns_before" ]
	check "$1: host links unchanged (no tap, no veth)" \
		[ "$(ip -o link show | awk -F': ' '{print $2}' | sort | tr '\n' ' ')" = "$links_before" ]
	check "$1: no overlay mount left" [ -z "$(grep tinyx-container /proc/mounts)" ]
	check "$1: no container temp dir left" \
		[ "$(ls -d /tmp/tinyx-container-* 2>/dev/null | wc -l)" = "$ctr_tmp_before" ]
}

# --stage: the roots only (make check's prefetch staged them already: found cached)
$TINYX compare nginx --stage --out "$tmp/staged" >"$tmp/s.out" 2>"$tmp/s.err"
rc=$?
check "compare --stage exits 0 (rc $rc)" [ "$rc" = 0 ]
check "--stage names the Debian VM's root and the Tinyx images' root" \
	sh -c "grep -q 'compare: debian-vm: root ' '$tmp/s.err' && grep -q \"container's root \" '$tmp/s.err'"
check "--stage builds, boots and prints nothing" \
	sh -c "[ ! -e '$tmp/staged' ] && [ ! -s '$tmp/s.out' ] && ! grep -q 'probe:' '$tmp/s.err'"

# the third-party sources without Unikraft's and OSv's: their builds take
# minutes on two cores (make check-unikernels builds and measures them); the
# rows must say where their sources go
third=${TINYX_THIRD_PARTY:-$(cd "${TINYX_HOME:-.}/.." && pwd)/shared/third_party}
mkdir -p "$tmp/third"
for f in "$third"/mini-os* "$third"/lwip*; do [ -e "$f" ] && ln -s "$f" "$tmp/third/"; done
start=$(date +%s)
TINYX_THIRD_PARTY=$tmp/third $TINYX compare nginx --runs 1 --json --out "$tmp/out" \
	--plot "$tmp/fig" >"$tmp/c.json" 2>"$tmp/c.err"
rc=$?
echo "compare took $(( $(date +%s) - start )) s"
tail -n 30 "$tmp/c.err"
check "compare exits 0" [ "$rc" = 0 ]
check "the report is JSON" jq -e . "$tmp/c.json" >/dev/null
check "progress says the system and the phase" grep -q 'compare: container: run 1/1' "$tmp/c.err"

j() { jq -r "$1" "$tmp/c.json"; }
for s in debian-vm tinyx-kvm tinyx-kvm-initrd tinyx-xen-pvh tinyx-min container; do
	sel=".systems[] | select(.name == \"$s\")"
	check "$s: measured and ok" [ "$(j "$sel | .measured and .ok")" = true ]
	for k in size_bytes.total memory_kb.qemu_rss memory_kb.qemu_pss memory_kb.guest_used \
		memory_mb.min_boot boot_ms.init boot_ms.service rtt_us.median rtt_us.p99 \
		throughput_mbps; do
		v=$(j "$sel | .$k")
		check "$s: $k is a positive number ($v)" \
			[ "$(j "$sel | (.$k | type == \"number\" and . > 0)")" = true ]
	done
	check "$s: boot_ms.network measured" [ "$(j "$sel | .boot_ms.network | type")" = number ]
	[ $s = container ] && continue
	check "$s: boot_ms.console measured" [ "$(j "$sel | .boot_ms.console > 0")" = true ]
	check "$s: served before the service deadline, in order" \
		[ "$(j "$sel | .boot_ms | .console <= .init and .init <= .service")" = true ]
done
check "osv: not measured here, the note says where its sources go" \
	[ "$(j '.systems[] | select(.name == "osv") | (.measured == false) and (.note | test("not measured: no source tree at .*osv"))')" = true ]
check "unikraft: not measured here, the note says where its sources go" \
	[ "$(j '.systems[] | select(.name == "unikraft") | (.measured == false) and (.note | test("not measured: no source tree at .*unikraft"))')" = true ]
# Unikraft's recipe up to its build: a tree without the archives its build
# would download is one line naming what is missing, the row not measured
mkdir -p "$tmp/uk/unikraft-x/unikraft" "$tmp/uk/unikraft-x/archives/musl-1.2.3"
TINYX_THIRD_PARTY=$tmp/uk $TINYX compare nginx --only unikraft --out "$tmp/out4" \
	>"$tmp/u.out" 2>"$tmp/u.err"
rc=$?
check "unikraft: a tree without its archives fails (rc $rc), naming what is missing" \
	sh -c "[ $rc != 0 ] && grep -q \"archives/ dir of '$tmp/uk/unikraft-x' holds 1 of the 3 trees\" '$tmp/u.err'"
# OSv's recipe up to its build: a tree its Makefile cannot build fails in
# one line naming the build's log, the row not measured
mkdir -p "$tmp/ov/osv-x/osv"
TINYX_THIRD_PARTY=$tmp/ov $TINYX compare nginx --only osv --out "$tmp/out5" \
	>"$tmp/o.out" 2>"$tmp/o.err"
rc=$?
check "osv: a tree that does not build fails (rc $rc), naming the build's log" \
	sh -c "[ $rc != 0 ] && grep -q \"the OSv build failed (status 2); see '.*/unikernels/osv-.*\.log'\" '$tmp/o.err'"
# minios: measured under the real Xen when its sources are there, else a row
# that says where to put them (never a silent skip: the test says which)
sel='.systems[] | select(.name == "minios")'
if ls -d "$third"/mini-os* "$third"/lwip* >/dev/null 2>&1; then
	echo "minios: sources in $third: measured"
	check "minios: measured and ok" [ "$(j "$sel | .measured and .ok")" = true ]
	for k in size_bytes.total memory_mb.min_boot boot_ms.init boot_ms.service rtt_us.median; do
		check "minios: $k is a positive number ($(j "$sel | .$k"))" \
			[ "$(j "$sel | (.$k | type == \"number\" and . > 0)")" = true ]
	done
	check "minios: no QEMU memory, guest memory or throughput, and the note says why" \
		[ "$(j "$sel | .memory_kb.qemu_rss == null and .throughput_mbps == null and (.note | test(\"no throughput\"))")" = true ]
	check "minios: its image is smaller than tinyx-kvm's" \
		[ "$(j "$sel | .size_bytes.total")" -lt "$(j '.systems[] | select(.name == "tinyx-kvm") | .size_bytes.total')" ]
else
	echo "minios: no sources in $third: the row must say so"
	check "minios: not measured, the note names $third" \
		[ "$(j "$sel | (.measured == false) and (.note | test(\"not measured: no source tree at\"))")" = true ]
fi
# a dir without the sources: one line, the row says where to put them, exit 0
TINYX_THIRD_PARTY=$tmp/no-sources $TINYX compare nginx --only minios --out "$tmp/out3" \
	>"$tmp/m.out" 2>"$tmp/m.err"
rc=$?
check "no Mini-OS sources: exit 0 (rc $rc), the row names the dir" \
	sh -c "[ $rc = 0 ] && grep -q 'compare: minios: not measured: no source tree at $tmp/no-sources' '$tmp/m.err'"
size() { j ".systems[] | select(.name == \"$1\") | .size_bytes.total"; }
check "tinyx-kvm image smaller than debian-vm's" [ "$(size tinyx-kvm)" -lt "$(size debian-vm)" ]
bb=$(stat -c %s /bin/busybox)
bbz=$(zstd -q -19 --single-thread -c /bin/busybox | wc -c)
kvm=$(size tinyx-kvm-initrd) min=$(size tinyx-min)
check "tinyx-min ($min) smaller than tinyx-kvm-initrd ($kvm) by at least half BusyBox's zstd size ($bbz)" \
	sh -c '[ "$3" -gt 0 ] && [ $(($1 - $2)) -ge $(($3 / 2)) ]' - "${kvm:-0}" "${min:-0}" "$bbz"
echo "busybox: $bb bytes, $bbz with zstd -19; tinyx-kvm-initrd $kvm, tinyx-min $min"
check "ratios to debian-vm present" [ "$(j '.systems[] | select(.name == "tinyx-kvm") | .vs_debian_vm.image > 1')" = true ]
for f in size-memory boot rtt throughput; do
	check "figure $f.svg written" grep -q '<svg' "$tmp/fig/$f.svg"
	check "figure $f.svg has a bar per measured system" \
		[ "$(grep -c "<rect x=.*<title>" "$tmp/fig/$f.svg")" -ge 6 ]
done
nothing_left "after the run"

# --- SIGINT in the middle of the container row --------------------------------
$TINYX compare nginx --only container --no-min-mem --out "$tmp/out2" >"$tmp/i.out" 2>"$tmp/i.err" &
pid=$!
i=0
while [ $i -lt 600 ] && ! runc list -q 2>/dev/null | grep -q "^tinyx-compare-$pid\$"; do
	sleep 0.1; i=$((i + 1))
done
check "the container was running" sh -c 'runc list -q 2>/dev/null | grep -q "^tinyx-compare-$1\$"' - "$pid"
kill -INT $pid
wait $pid
rc=$?
check "SIGINT ends compare by the signal (rc $rc)" [ "$rc" -gt 128 ]
nothing_left "after SIGINT"
done_tests
