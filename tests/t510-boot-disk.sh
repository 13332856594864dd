#!/bin/sh
# The KVM image's bootable disk (src/image/disk.h): `tinyx build nginx
# --format both` writes nginx.qcow2 and nginx.img; two builds give the same
# bytes; the MBR, FAT and root partition hold what they should (the kernel
# and the squashfs byte for byte, the command line); the disk boots from
# SeaBIOS on -M pc with no -kernel and nginx answers through `tinyx probe
# --boot-disk` with the same check as the direct boot; the qcow2 as built
# (not the probe's copy) boots to the app through run-qemu.sh DISK=1. With
# the EFI-stub kernel (vm.config) the disk has systemd-boot and its entry and
# boots the same under UEFI (OVMF, -M q35): `tinyx probe --firmware uefi`
# and run-qemu.sh UEFI=1 DISK=1. Bad --format, --firmware and option mixes
# fail in one line. Uses nginx's cached kernel and root (seconds); needs
# root (the probe's network namespace).
. tests/lib.sh
tmp=$(mktemp -d /tmp/tinyx-t510.XXXXXX) || exit 1
qpid=""
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$tmp/vars.orig" 2>/dev/null
[ "$(id -u)" = 0 ] || { nok "needs root (network namespaces, tap)"; done_tests; exit 1; }

for n in 1 2; do
	if ! timeout 900 "$TINYX" build nginx --target kvm --no-verify --format both \
		--out "$tmp/o$n" >"$tmp/build$n.log" 2>&1; then
		cat "$tmp/build$n.log"
		nok "tinyx build nginx --format both (build $n)"
		done_tests
		exit 1
	fi
done
ok "two builds with --format both"
d=$tmp/o1/nginx/kvm
j=$tmp/o1/nginx/build.json
check "has nginx.qcow2" test -s "$d/nginx.qcow2"
check "has nginx.img" test -s "$d/nginx.img"
check "image.conf names the qcow2" grep -qx 'boot_disk=nginx.qcow2' "$d/image.conf"
check "the step's progress line" grep -q '^tinyx: disk: nginx.qcow2 .* MB' "$tmp/build1.log"
check "its time in build.json" jq -e '.timings_ms["disk-kvm"] > 0' "$j"
for f in nginx.qcow2 nginx.img; do
	check "$f: the same bytes from a second build" cmp "$d/$f" "$tmp/o2/nginx/kvm/$f"
done
check "qcow2 sha256 in build.json" jq -e --arg s "$(sha256sum <"$d/nginx.qcow2" | cut -c1-64)" \
	'.targets.kvm.boot_disk_qcow2.sha256 == $s' "$j"
check "raw size in build.json" jq -e --argjson n "$(stat -c %s "$d/nginx.img")" \
	'.targets.kvm.boot_disk_raw.bytes == $n' "$j"
check "qcow2: a qcow2 of the raw disk, no backing file" sh -c \
	"qemu-img info --output=json '$d/nginx.qcow2' | jq -e '.format == \"qcow2\" and
	 (.\"backing-filename\" == null)' >/dev/null && qemu-img compare -q '$d/nginx.qcow2' '$d/nginx.img'"
check "raw: a whole number of MiB" test $(($(stat -c %s "$d/nginx.img") % 1048576)) = 0

# --- what is inside ---------------------------------------------------------
sfdisk -d "$d/nginx.img" >"$tmp/pt" 2>/dev/null
check "MBR: disk id 0x54494e58" grep -q '^label-id: 0x54494e58' "$tmp/pt"
check "MBR: partition 1 at 1 MiB, active" grep -Eq 'img1 : start= *2048, .*bootable' "$tmp/pt"
p2=$(sed -n 's/.*img2 : start= *\([0-9]*\),.*/\1/p' "$tmp/pt")
sq=$(stat -c %s "$d/rootfs.squashfs")
dd if="$d/nginx.img" of="$tmp/p2" bs=512 skip="$p2" count=$(((sq + 511) / 512)) status=none
truncate -s "$sq" "$tmp/p2"
check "partition 2 is rootfs.squashfs byte for byte" cmp "$tmp/p2" "$d/rootfs.squashfs"
fat="$d/nginx.img@@1M"
MTOOLS_SKIP_CHECK=1 mcopy -i "$fat" ::kernel "$tmp/kernel" 2>/dev/null
check "the FAT's kernel is the image's kernel" cmp "$tmp/kernel" "$d/kernel"
MTOOLS_SKIP_CHECK=1 mcopy -i "$fat" ::syslinux.cfg "$tmp/cfg" 2>/dev/null
check "syslinux.cfg: the image's command line, root on partition 2" grep -q \
	"APPEND $(sed -n 's/^append=//p' "$d/image.conf") root=PARTUUID=54494e58-02 ro" "$tmp/cfg"
check "syslinux installed (ldlinux.sys, ldlinux.c32)" sh -c \
	"MTOOLS_SKIP_CHECK=1 mdir -a -b -i '$fat' :: | grep -qx '::/ldlinux.sys' &&
	 MTOOLS_SKIP_CHECK=1 mdir -a -b -i '$fat' :: | grep -qx '::/ldlinux.c32'"

# --- it boots: SeaBIOS, no -kernel ------------------------------------------
"$TINYX" probe "$d" --json >"$tmp/direct.json" 2>"$tmp/direct.err"
check "direct boot serves" jq -e '.ok == true' "$tmp/direct.json"
"$TINYX" probe "$d" --boot-disk --json --timeout 60 >"$tmp/disk.json" 2>"$tmp/disk.err"
check "boot disk serves (probe --boot-disk)" jq -e '.ok == true and .boot_disk == true and
	.machine == "pc"' "$tmp/disk.json"
check "boot disk: the same check as the direct boot" jq -e --arg c \
	"$(jq -r .check "$tmp/direct.json")" '.check == $c and $c == "http 200 on tcp/80"' \
	"$tmp/disk.json"
check "probe's temp copy removed" sh -c "! ls -d \${TMPDIR:-/tmp}/tinyx-bootdisk.* 2>/dev/null |
	grep -q ."
jq -c '{check, boot_ms: {init: .boot_ms.init.median, service: .boot_ms.service.median}}' \
	"$tmp/direct.json" "$tmp/disk.json"

# the qcow2 as built, by run-qemu.sh DISK=1 (user-mode net, no address yet):
# run_script LOG SECONDS VAR=VALUE...: until nginx listens, then stopped
run_script() {
	_log=$1 _s=$2
	shift 2
	(cd "$d" && exec env "$@" timeout "$_s" ./run-qemu.sh </dev/null >"$_log" 2>&1) &
	qpid=$!
	i=0
	while [ $i -lt $((_s * 10)) ] && ! grep -q 'tinyx: ready tcp/80' "$_log" && ! gone "$qpid"; do
		sleep 0.1
		i=$((i + 1))
	done
	kill "$qpid" 2>/dev/null
	wait "$qpid" 2>/dev/null
	qpid=""
}
run_script "$tmp/run.log" 60 DISK=1
check "run-qemu.sh DISK=1: the qcow2 as built boots to nginx listening" \
	grep -q 'tinyx: ready tcp/80' "$tmp/run.log"
check "... through syslinux, no -kernel" grep -q '^SYSLINUX' "$tmp/run.log"
sleep 0.5
check "no QEMU left on the disk" sh -c "! pgrep -f 'file=[.]/nginx[.]qcow2' >/dev/null"

# --- UEFI: systemd-boot from OVMF on -M q35 -----------------------------------
# vm.config gives the kernel an EFI stub: the disk must have the UEFI loader
if grep -qx 'CONFIG_EFI_STUB=y' kconfig-fragments/vm.config; then
	check "build.json: uefi (the kernel has an EFI stub)" \
		jq -e '.targets.kvm.boot_disk_qcow2.uefi == true' "$j"
	check "MBR: partition 1 is an EFI system partition (0xef)" \
		grep -Eq 'img1 : .*type=ef' "$tmp/pt"
	MTOOLS_SKIP_CHECK=1 mcopy -i "$fat" ::EFI/BOOT/BOOTX64.EFI "$tmp/efi" 2>/dev/null
	check "EFI/BOOT/BOOTX64.EFI is systemd-boot" \
		cmp "$tmp/efi" /usr/lib/systemd/boot/efi/systemd-bootx64.efi
	MTOOLS_SKIP_CHECK=1 mcopy -i "$fat" ::loader/entries/tinyx.conf "$tmp/entry" 2>/dev/null
	check "its entry: /kernel with syslinux.cfg's command line" sh -c \
		"grep -qx 'linux /kernel' '$tmp/entry' &&
		 grep -qxF \"options \$(sed -n 's/^ *APPEND //p' '$tmp/cfg')\" '$tmp/entry'"
	"$TINYX" probe "$d" --firmware uefi --json >"$tmp/uefi.json" 2>"$tmp/uefi.err"
	check "UEFI: the disk boots under OVMF and serves (probe --firmware uefi)" \
		jq -e '.ok == true and .boot_disk == true and .firmware == "uefi" and
		.machine == "q35" and .memory_mb >= 96' "$tmp/uefi.json"
	check "UEFI: the same check as the direct boot" jq -e --arg c \
		"$(jq -r .check "$tmp/direct.json")" '.check == $c' "$tmp/uefi.json"
	check "UEFI: the probe's temp copy removed" sh -c \
		"! ls -d \${TMPDIR:-/tmp}/tinyx-bootdisk.* 2>/dev/null | grep -q ."
	jq -c '{firmware, boot_ms: {console: .boot_ms.console.median,
		init: .boot_ms.init.median, service: .boot_ms.service.median}}' "$tmp/uefi.json"
	run_script "$tmp/run-uefi.log" 120 DISK=1 UEFI=1
	check "run-qemu.sh UEFI=1 DISK=1: the qcow2 as built boots to nginx listening" \
		grep -q 'tinyx: ready tcp/80' "$tmp/run-uefi.log"
	check "... from OVMF's boot manager, no -kernel" grep -q 'BdsDxe: starting' "$tmp/run-uefi.log"
	sleep 0.5
	check "no QEMU left on the disk" sh -c "! pgrep -f 'file=[.]/nginx[.]qcow2' >/dev/null"
	check "OVMF's variables untouched" cmp /usr/share/OVMF/OVMF_VARS_4M.fd \
		"$tmp/vars.orig"
else
	echo "note: UEFI not checked: vm.config gives the kernel no EFI stub"
	check "no UEFI loader for a kernel without an EFI stub" sh -c \
		"! MTOOLS_SKIP_CHECK=1 mdir -b -i '$fat' ::EFI >/dev/null 2>&1"
fi

# --- bad input --------------------------------------------------------------
expect_fail 1 "build: unknown disk format 'vmdk'" -- \
	"$TINYX" build nginx --target kvm --format vmdk --out "$tmp/bad"
check "... and no output" test ! -e "$tmp/bad/nginx"
expect_fail 1 "probe: --initrd and --boot-disk together" -- \
	"$TINYX" probe "$d" --boot-disk --initrd
expect_fail 2 "unknown firmware 'coreboot'" -- "$TINYX" probe "$d" --firmware coreboot
# a disk without the UEFI loader (as from a kernel with no EFI stub)
MTOOLS_SKIP_CHECK=1 mdeltree -i "$tmp/o2/nginx/kvm/nginx.img@@1M" ::loader ::EFI 2>/dev/null
sed -i 's/^boot_disk=.*/boot_disk=nginx.img/' "$tmp/o2/nginx/kvm/image.conf"
expect_fail 1 "probe: the bootable disk has no UEFI loader" -- \
	"$TINYX" probe "$tmp/o2/nginx/kvm" --firmware uefi
sed -i '/^boot_disk=/d' "$tmp/o2/nginx/kvm/image.conf"
expect_fail 1 "probe: the image has no bootable disk" -- \
	"$TINYX" probe "$tmp/o2/nginx/kvm" --boot-disk
done_tests
