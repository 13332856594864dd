#!/bin/sh
# Secrets a postinst made (closure/closure-secrets.c): no image carries the
# staged root's key; each boot makes its own with the package's own tool.
# The fixture: nginx's staged root, copied, with a key maker
# (/usr/sbin/tinyx-fixture-keygen: a PEM private key of random bytes, and
# its fingerprint on the console) that nginx-common's postinst ran at
# install ("if [ ! -f KEY ]; then tinyx-fixture-keygen; fi"), and the key
# it made then. Checks:
#   - the build says the key is made again at boot, and by what;
#   - the key is in neither the manifest nor the squashfs, though the trace
#     saw it written;
#   - the image is verified (nginx serves), and the maker ran in it;
#   - two boots of one image and one of a second build print three
#     fingerprints, all different, none the staged key's;
#   - a maker the build cannot take (a variable in its block) leaves the
#     key in, and the build refuses the image with one line.
# Needs root and nginx's KVM kernel (cached by t210: same config as here).
. tests/lib.sh

tmp=$(mktemp -d /tmp/tinyx-t530.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
netns_before=$(ip netns list 2>/dev/null | sort | tr '\n' ' ')

root=$tmp/root
nginx_root_copy "$root"
key=/etc/nginx/tinyx-fixture.key
cat >"$root/usr/sbin/tinyx-fixture-keygen" <<EOF
#!/bin/sh
umask 077
{
	echo '-----BEGIN PRIVATE KEY-----'
	head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \\n'
	echo
	echo '-----END PRIVATE KEY-----'
} >$key
echo "fixture key \$(sha256sum <$key | cut -c1-16)"
EOF
chmod 755 "$root/usr/sbin/tinyx-fixture-keygen"
pi=$root/var/lib/dpkg/info/nginx-common.postinst
[ -f "$pi" ] || printf '#!/bin/sh\nset -e\n' >"$pi"
cp "$pi" "$tmp/postinst.orig"
printf 'if [ "$1" = configure ]; then\n  if [ ! -f %s ]; then\n\ttinyx-fixture-keygen\n  fi\nfi\n' \
	"$key" >>"$pi"
# what the postinst made at install (the same maker's format)
{
	echo '-----BEGIN PRIVATE KEY-----'
	head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n'
	echo
	echo '-----END PRIVATE KEY-----'
} >"$root$key"
chmod 600 "$root$key"
staged_fp=$(sha256sum <"$root$key" | cut -c1-16)
check "the staged root has its key ($staged_fp)" [ -n "$staged_fp" -a -f "$root$key" ]

# 1. the build: the key left out, made again at boot
timeout 900 "$TINYX" build nginx --root "$root" --target kvm --format none \
	--out "$tmp/a" >"$tmp/a.log" 2>&1
rc=$?
grep -E 'made again|verify|verified' "$tmp/a.log"
check "build: exit 0 (got $rc)" [ $rc = 0 ]
check "build: says what is made at boot, and by what" grep -q \
	"^tinyx: closure: '$key' was made when the package was installed: made again at boot by nginx-common.postinst's '/usr/sbin/tinyx-fixture-keygen'$" \
	"$tmp/a.log"
check "manifest: no key" sh -c "! grep -qF 'tinyx-fixture.key' '$tmp/a/nginx/manifest.txt'"
check "manifest: the maker is in" grep -q '/usr/sbin/tinyx-fixture-keygen' \
	"$tmp/a/nginx/manifest.txt"
unsquashfs -l "$tmp/a/nginx/kvm/rootfs.squashfs" >"$tmp/a.ls" 2>&1
check "squashfs: listed" grep -q 'squashfs-root/etc/nginx/nginx.conf' "$tmp/a.ls"
check "squashfs: no key" sh -c "! grep -qF 'tinyx-fixture.key' '$tmp/a.ls'"
check "build.json: verified" jq -e '.targets.kvm.verified == true' "$tmp/a/nginx/build.json"

# 2. each boot its own key
fp() { # image dir -> the fingerprint its boot printed
	timeout 300 "$TINYX" probe "$1" --console >"$2.out" 2>"$2.err"
	sed -n 's/.*fixture key \([0-9a-f]*\).*/\1/p' "$2.err" | head -n 1
}
fp1=$(fp "$tmp/a/nginx/kvm" "$tmp/p1")
fp2=$(fp "$tmp/a/nginx/kvm" "$tmp/p2")
timeout 900 "$TINYX" build nginx --root "$root" --target kvm --format none --no-verify \
	--out "$tmp/b" >"$tmp/b.log" 2>&1
check "second build: exit 0" [ $? = 0 ]
fp3=$(fp "$tmp/b/nginx/kvm" "$tmp/p3")
echo "fingerprints: staged $staged_fp, boots $fp1 $fp2, second image $fp3"
check "each boot made a key" [ -n "$fp1" -a -n "$fp2" -a -n "$fp3" ]
check "no boot has the staged key" [ "$fp1" != "$staged_fp" -a "$fp2" != "$staged_fp" -a "$fp3" != "$staged_fp" ]
check "two boots, two keys" [ "$fp1" != "$fp2" ]
check "two images, two keys" [ "$fp1" != "$fp3" -a "$fp2" != "$fp3" ]

# 3. a block the build cannot take: the key stays, the image is refused
cp "$tmp/postinst.orig" "$pi"
printf 'K=%s\nif [ ! -f $K ]; then\n\ttinyx-fixture-keygen >/dev/null\nfi\n' "$key" >>"$pi"
echo "ssl_certificate_key $key;" >"$root/etc/nginx/conf.d/fixture-key.conf"
timeout 900 "$TINYX" build nginx --root "$root" --target kvm --format none --no-verify \
	--no-trace --out "$tmp/c" >"$tmp/c.log" 2>&1
rc=$?
tail -n 1 "$tmp/c.log"
check "no maker: exit 1 (got $rc)" [ $rc = 1 ]
check "no maker: one line naming the key" grep -q \
	"^tinyx: rootfs: '$key' is a private key made when the package was installed" "$tmp/c.log"
check "no maker: no image" [ ! -e "$tmp/c/nginx/kvm/rootfs.squashfs" ]

check "no QEMU left" sh -c "! pgrep -f '[q]emu-system.*$tmp' >/dev/null"
check "ip netns list unchanged" \
	[ "$(ip netns list 2>/dev/null | sort | tr '\n' ' ')" = "$netns_before" ]
done_tests
