#!/bin/sh
# Install the Debian packages Tinyx needs that this host lacks, saying which
# and why. Usage: host-deps.sh tool|test
set -eu
set -- "${1:-tool}"
# package:why
tool="gcc:compile tinyx
make:build tinyx and the kernel
libc6-dev:compile tinyx
libelf-dev:read ELF files (libelf from elfutils)
musl-tools:a small static guest init
debootstrap:stage Debian roots for apps
linux-source-6.1:the kernel source
flex:kernel build (kconfig)
bison:kernel build (kconfig)
bc:kernel build
libssl-dev:kernel build (sign-file, certs)
ccache:cheap kernel rebuilds
xz-utils:unpack the kernel source
zstd:compress kernel and initramfs
lz4:compress kernel and initramfs
cpio:kernel build (initramfs tools)
busybox-static:the tools inside images
squashfs-tools:the read-only root disk, without root (mksquashfs)
e2fsprogs:the standard Debian VM of tinyx compare (mke2fs)
qemu-system-x86:boot and verify images
iproute2:private network namespaces for the probe
kmod:depmod for the Xen kit's dom0 modules (the kernel package ships no modules.dep)
dpkg:dpkg-deb unpacks the Xen kit's packages
runc:tinyx compare: the container row
iperf3:tinyx compare: the throughput server on the host side
dosfstools:the bootable disk's FAT, in a file (mkfs.fat)
mtools:files into the bootable disk's FAT without mounting it
syslinux:the bootable disk's BIOS loader (installed with mtools) and MBR code
syslinux-common:the BIOS loader's ldlinux.c32
systemd-boot-efi:the bootable disk's UEFI loader (systemd-boot), for a kernel with an EFI stub
qemu-utils:the bootable disk as qcow2 (qemu-img)
zip:tinyx compare's unikraft row: lwIP's archive where Unikraft's build looks for it
unzip:tinyx compare's unikraft row: Unikraft's build unpacks that archive
patch:tinyx compare's unikraft row: our patch to its core, its own to its libraries"
test="clang:fuzz targets (libFuzzer)
libclang-rt-14-dev:fuzzer and sanitizer runtimes
jq:check JSON output in tests
procps:check for leftover processes in tests
file:check image contents in tests
dnsmasq-base:a DHCP server for the guest's DHCP client in tests (t410; libvirt's network in t420)
libvirt-clients:virt-xml-validate checks the libvirt domains (t410), virsh drives them (t420)
libvirt-daemon:libvirtd (QEMU and network drivers) boots the libvirt domain in a test's namespace (t420); no services started, unlike libvirt-daemon-system
iptables:the NAT rules of libvirt's network, inside the test's namespace (t420)
iputils-ping:ping the guest's NICs, IPv4 and IPv6, in tests (t430)
curl:HTTP checks of the guest from the tests' namespaces (t410, t420, t430, t440)
fdisk:sfdisk reads the bootable disk's partition table in tests (t510)
ovmf:UEFI firmware for the bootable disk's test
wireguard-tools:the VPN gateway's test: its keys (wg genkey) and its peer's tunnel (wg set) (t695)
wireguard-go:the VPN gateway's test: the peer's WireGuard in user space, the host's kernel may lack it (t695)
bird2:the router's test: the BGP peer in the server net that announces a prefix to the VM (t697); its service is not started
g++:tinyx compare's osv row: OSv's kernel is C++ (make check-unikernels builds it; t700 checks its recipe)
libboost-system-dev:tinyx compare's osv row: OSv's kernel links boost's headers and libboost_system.a
python3:tinyx compare's osv row: OSv's build scripts and its image tool (gen-rofs-img.py)"
list=$tool
[ "$1" = test ] && list="$tool
$test"
missing=""
reasons=""
IFS='
'
for line in $list; do
	pkg=${line%%:*}
	why=${line#*:}
	st=$(dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $pkg"; reasons="$reasons
  $pkg: $why" ;;
	esac
done
unset IFS
# the stage checks package names against apt's index: it must exist
if ! ls /var/lib/apt/lists/ 2>/dev/null | grep -q '_Packages'; then
	if [ "$(id -u)" = 0 ]; then
		echo "tinyx: apt has no package index yet: running apt-get update" >&2
		apt-get update -q >&2 || { echo "tinyx: deps: apt-get update failed" >&2; exit 1; }
	fi
fi
[ -z "$missing" ] && exit 0
echo "tinyx: installing missing host packages:$reasons" >&2
if [ "$(id -u)" != 0 ]; then
	echo "tinyx: deps: need root to install:$missing (run as root or install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Tinyx needs the packages' programs, never their services: while it
# installs, a policy-rc.d (when the host has none) tells the maintainer
# scripts not to start any (bird2's would run on the host).
prc=/usr/sbin/policy-rc.d
if [ ! -e "$prc" ]; then
	trap 'rm -f "$prc"' EXIT
	trap 'exit 1' INT TERM
	printf '#!/bin/sh\n# tinyx: host-deps.sh installs packages, starts no service\nexit 101\n' >"$prc"
	chmod 755 "$prc"
fi
apt-get update -q >&2 || { echo "tinyx: deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2 ||
	{ echo "tinyx: deps: cannot install:$missing" >&2; exit 1; }
