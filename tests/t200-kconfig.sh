#!/bin/sh
# t200: 'tinyx kconfig APP --target kvm|xen [--json]': the merged, verified
# kernel config, with a reason for every requested option.
# Env: TINYX (the CLI, default build/tinyx), TINYX_CACHE. Run from the project dir.
set -u
TINYX=${TINYX:-build/tinyx}
app=${TINYX_TEST_APP:-nginx}
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
has() { printf '%s' "$2" | grep -q -- "$1"; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

if "$TINYX" kconfig "$app" --target kvm --json > "$tmp/kvm.json" 2> "$tmp/kvm.err"; then
	ok "kconfig $app --target kvm --json"
else
	bad "kconfig $app --target kvm --json: $(tail -n 1 "$tmp/kvm.err")"
fi
kvm=$(cat "$tmp/kvm.json")
# options (name -> value) and reasons (name -> fragment:line or the app's symbol)
for o in 64BIT PRINTK SERIAL_8250_CONSOLE BLK_DEV_INITRD DEVTMPFS BINFMT_ELF UNIX INET \
	VIRTIO_NET VIRTIO_BLK VIRTIO_MMIO VIRTIO_PCI PVH MULTIUSER EPOLL EVENTFD; do
	if has "\"$o\":\"y\"" "$kvm"; then ok "kvm: $o=y"; else bad "kvm: $o=y missing"; fi
done
for o in UNIX INET VIRTIO_NET; do
	if has "\"$o\":\"kconfig-fragments/[a-z]*.config:[0-9]*\"" "$kvm"; then
		ok "kvm: reason for $o names a fragment line"
	else bad "kvm: reason for $o"; fi
done
for o in MULTIUSER EPOLL EVENTFD; do
	if has "\"$o\":\"$app: [a-z_0-9]* (/" "$kvm"; then
		ok "kvm: reason for $o names $app's symbol"
	else bad "kvm: reason for $o should name $app's symbol"; fi
done
# trimmed by measurement: no keyboard controller, no VT (ACPI is on: the one
# kernel of both targets needs it for Xen PVH; microvm boots with acpi=off)
for o in SERIO_I8042 VT INPUT MODULES; do
	if has "\"$o\":\"y\"" "$kvm"; then bad "kvm: $o should be off"; else ok "kvm: $o off"; fi
done
# the app fragment: what analysis cannot see, e.g. nginx's default site listens on [::]:80
if [ -f "kconfig-fragments/apps/$app.config" ]; then
	if has '"reasons":{.*"[A-Z0-9_]*":"kconfig-fragments/apps/'"$app"'.config:[0-9]*"' "$kvm"; then
		ok "kvm: the app fragment's options name it"
	else bad "kvm: no option from kconfig-fragments/apps/$app.config"; fi
fi
# the text form: one line per request with its reason
if "$TINYX" kconfig "$app" --target kvm > "$tmp/kvm.txt" 2>&1 &&
	grep -q '^CONFIG_64BIT=y .*# kconfig-fragments/base.config:[0-9]' "$tmp/kvm.txt"; then
	ok "kconfig text report"
else bad "kconfig text report: $(tail -n 1 "$tmp/kvm.txt")"; fi

if "$TINYX" kconfig "$app" --target xen --json > "$tmp/xen.json" 2> "$tmp/xen.err"; then
	ok "kconfig $app --target xen --json"
else
	bad "kconfig $app --target xen --json: $(tail -n 1 "$tmp/xen.err")"
fi
xen=$(cat "$tmp/xen.json")
for o in XEN XEN_PVH XEN_PV PVH XEN_NETDEV_FRONTEND XEN_BLKDEV_FRONTEND HVC_XEN VIRTIO_MMIO EPOLL; do
	if has "\"$o\":\"y\"" "$xen"; then ok "xen: $o=y"; else bad "xen: $o=y missing"; fi
done

if "$TINYX" kconfig "$app" --target hvm > "$tmp/hvm.out" 2>&1; then
	bad "an unknown target should fail"
elif grep -q "unknown target 'hvm'" "$tmp/hvm.out"; then
	ok "unknown target fails with a message"
else bad "unknown target message: $(tail -n 1 "$tmp/hvm.out")"; fi

# A dropped option is explained by the kernel's own Kconfig parser (the kexplain
# helper), conditions of enclosing blocks included: IPV6 sits inside 'if INET'
# in net/Kconfig, which a walker of single Kconfig files did not see. Its own
# project dir (fragments that ask for IPV6 and switch INET off) and its own kbuild dir
# (a cache sharing only the unpacked source and the staged root).
if root=$("$TINYX" stage "$app" 2>"$tmp/stage.err") && [ -d "$TINYX_CACHE/linux" ]; then
	mkdir -p "$tmp/proj/kconfig-fragments/apps" "$tmp/cache"
	for f in "${TINYX_HOME:-$PWD}"/*; do
		[ "$(basename "$f")" = kconfig-fragments ] || ln -s "$f" "$tmp/proj/"
	done
	ln -s "$TINYX_CACHE/linux" "$tmp/cache/linux"
	printf 'CONFIG_NET=y\nCONFIG_IPV6=y\n' >"$tmp/proj/kconfig-fragments/base.config"
	# the app fragment comes last: it wins over the features that ask for INET
	printf '# CONFIG_INET is not set\n' >"$tmp/proj/kconfig-fragments/apps/$app.config"
	: >"$tmp/proj/kconfig-fragments/vm.config"
	: >"$tmp/proj/kconfig-fragments/services.config"
	TINYX_HOME=$tmp/proj TINYX_CACHE=$tmp/cache "$TINYX" kconfig "$app" --target kvm \
		--root "$root" >"$tmp/ipv6.out" 2>&1
	st=$?
	want="tinyx: kconfig: option 'IPV6' dropped by kconfig (requested at kconfig-fragments/base.config:2; depends on NET && INET; unmet: INET)"
	if [ $st = 1 ] && grep -qxF "$want" "$tmp/ipv6.out"; then
		ok "a dropped IPV6 is explained by its enclosing 'if INET'"
	else bad "IPV6 without INET (exit $st): $(tail -n 1 "$tmp/ipv6.out")"; fi
else bad "stage $app for the IPV6 check: $(tail -n 1 "$tmp/stage.err")"; fi

# Kernel features from what the image holds (kconfig-fragments/features/):
# nftables' nft brings nf_tables with NAT and masquerade, each with the
# fragment as its reason. nft calls no set*id function, so MULTIUSER comes
# from the service baseline, which needs it for NAMESPACES (without it the
# baseline's own request was dropped and the config failed).
if "$TINYX" kconfig nftables --target kvm --json >"$tmp/nft.json" 2>"$tmp/nft.err"; then
	ok "kconfig nftables --target kvm --json (an app without set*id calls)"
else
	bad "kconfig nftables --target kvm --json: $(tail -n 1 "$tmp/nft.err")"
fi
nft=$(cat "$tmp/nft.json")
for o in NF_TABLES NF_TABLES_INET NFT_CT NFT_NAT NFT_MASQ NF_CONNTRACK; do
	if has "\"$o\":\"nftables: features/nftables.config (/usr/sbin/nft)" "$nft"; then
		ok "nftables: $o from features/nftables.config"
	else bad "nftables: $o should come from features/nftables.config"; fi
done
for o in MULTIUSER NAMESPACES; do
	if has "\"$o\":\"y\"" "$nft"; then ok "nftables: $o=y"; else bad "nftables: $o=y missing"; fi
done

echo "t200-kconfig: $n checks, $([ $fail = 0 ] && echo all passed || echo FAILED)"
exit $fail
