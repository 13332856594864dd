#!/bin/sh
# tinyx build nginx, for real: both images, verified by booting; the image
# content rules; reproducible initrd and squashfs root; the squashfs holds what
# the initrd holds; the default (disk) root and the initrd both serve; a failing service makes build exit 3 with the console in the message.
. tests/lib.sh
tmp=$(mktemp -d)
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
out=$tmp/out
if ! timeout 1500 "$TINYX" build nginx --out "$out" >"$tmp/build1.log" 2>&1; then
	cat "$tmp/build1.log"
	nok "tinyx build nginx"
	done_tests
	exit 1
fi
ok "tinyx build nginx"
cat "$tmp/build1.log" | tail -n 8
d=$out/nginx
for f in manifest.txt build.json kvm/kernel kvm/initrd kvm/rootfs.squashfs kvm/run-qemu.sh \
	kvm/nginx.xml kvm/nginx-qemu.xml kvm/nginx.qcow2 kvm/image.conf xen/kernel xen/rootfs.squashfs xen/nginx.cfg xen/image.conf; do
	check "has $f" test -s "$d/$f"
done
check "no temp dir left in the out dir" test -z "$(ls -A "$out" | grep -v '^nginx$')"
check "kvm verified" jq -e '.targets.kvm.verified == true' "$d/build.json"
check "xen verified" jq -e '.targets.xen.verified == true' "$d/build.json"
check "kvm: what answered" jq -e '.targets.kvm.check == "http 200 on tcp/80"' "$d/build.json"
check "summary printed" grep -q '^kvm ' "$tmp/build1.log"
check "xen config is PVH" grep -q '^type = "pvh"' "$d/xen/nginx.cfg"
check "xen PV config" grep -q '^type = "pv"' "$d/xen/nginx-pv.cfg"
check "xen root: the squashfs as its ramdisk" grep -q '^ramdisk = "rootfs.squashfs"' "$d/xen/nginx.cfg"
check "xen kernel is a (compressed) bzImage" sh -c "file '$d/xen/kernel' | grep -q 'Linux kernel x86 boot'"
check "one kernel for both targets" cmp -s "$d/kvm/kernel" "$d/xen/kernel"
check "kvm kernel is a bzImage" sh -c "file '$d/kvm/kernel' | grep -q 'Linux kernel x86 boot'"
# content rules, from the initrd itself
zstd -dc "$d/kvm/initrd" >"$tmp/initrd.cpio"
(mkdir "$tmp/x" && cd "$tmp/x" && cpio -id --quiet <"$tmp/initrd.cpio" 2>/dev/null)
cpio -itv --quiet <"$tmp/initrd.cpio" >"$tmp/list" 2>/dev/null
for bad in 'var/lib/dpkg' 'usr/bin/apt' 'usr/share/doc' 'usr/share/man' 'bin/bash$' 'bin/perl'; do
	check "initrd has no $bad" sh -c "! grep -Eq ' $bad' '$tmp/list'"
done
check "initrd has /init" test -x "$tmp/x/init"
check "initrd has nginx" test -x "$tmp/x/usr/sbin/nginx"
check "no password in /etc/shadow" awk -F: '$2 != "*" && $2 != "!" && $2 != "!*" {bad = 1} END {exit bad}' "$tmp/x/etc/shadow"
check "passwd has no hash" sh -c "awk -F: '\$2 != \"x\" {exit 1}' '$tmp/x/etc/passwd'"
check "files owned by root but for the app's" sh -c "awk '\$3 != \"root\" && \$3 != \"0\" {print}' '$tmp/list' | grep -v 'var/log/nginx' | grep -q . && exit 1 || exit 0"
check "no debug shell unless asked" test ! -e "$tmp/x/etc/tinyx/debug-shell"
# no hints file: the init runs nginx as Debian's unit says (forking, its pid
# file, the config test of ExecStartPre= first)
check "nginx has no hints file" test ! -e rootfs-overlays/nginx/hints
check "the init runs nginx as its unit does" sh -c "grep -q '^arg daemon on; master_process on;' '$tmp/x/etc/tinyx/app.conf' &&
	grep -q '^forking 1' '$tmp/x/etc/tinyx/app.conf' && grep -q '^pidfile /run/nginx.pid' '$tmp/x/etc/tinyx/app.conf' &&
	grep -q '^pre .*/usr/sbin/nginx.*-t' '$tmp/x/etc/tinyx/app.conf'"
# the squashfs root holds the initrd's paths
unsquashfs -l "$d/kvm/rootfs.squashfs" | sed -n 's|^squashfs-root/||p' | sort >"$tmp/sq.list"
cpio -it --quiet <"$tmp/initrd.cpio" 2>/dev/null | sed 's|^\./||' | grep -vx '\.' | sort >"$tmp/cp.list"
check "the squashfs has the initrd's paths ($(wc -l <"$tmp/sq.list"))" diff "$tmp/sq.list" "$tmp/cp.list"
# a second build: seconds, reused, same bytes
sha1=$(sha256sum "$d/kvm/initrd" | cut -d' ' -f1)
sq1=$(sha256sum "$d/kvm/rootfs.squashfs" | cut -d' ' -f1)
t0=$(date +%s)
timeout 600 "$TINYX" build nginx --out "$out" >"$tmp/build2.log" 2>&1 || { cat "$tmp/build2.log"; nok "second build"; }
t1=$(date +%s)
check "second build reuses the root and kernels" sh -c "grep -q 'reusing' '$tmp/build2.log' && grep -q 'reused from the cache' '$tmp/build2.log'"
echo "second build: $((t1 - t0)) s"
check "same initrd bytes" test "$sha1" = "$(sha256sum "$d/kvm/initrd" | cut -d' ' -f1)"
check "same squashfs bytes" test "$sq1" = "$(sha256sum "$d/kvm/rootfs.squashfs" | cut -d' ' -f1)"
# the probe, several runs, JSON keys
if timeout 300 "$TINYX" probe "$d/kvm" --runs 2 --json >"$tmp/p.json" 2>"$tmp/p.err"; then
	ok "probe kvm --runs 2"
else
	cat "$tmp/p.err"; nok "probe kvm --runs 2"
fi
for k in console init network service; do
	check "probe key boot_ms.$k" jq -e ".boot_ms.$k.median > 0 and .boot_ms.$k.min > 0 and .boot_ms.$k.max > 0" "$tmp/p.json"
done
check "probe sizes" jq -e '.size_bytes.kernel > 0 and .size_bytes.rootfs > 0 and .size_bytes.total == .size_bytes.kernel + .size_bytes.rootfs' "$tmp/p.json"
check "probe ok, from the squashfs disk" jq -e '.ok == true and .disk == true' "$tmp/p.json"
check "probe sockets lived in its own namespace" jq -e '.netns_isolated == true' "$tmp/p.json"
# the initrd, the other root the image ships, boots and serves too
if timeout 200 "$TINYX" probe "$d/kvm" --initrd --json >"$tmp/rd.json" 2>"$tmp/rd.err"; then
	ok "boots and serves from the initrd"
else
	cat "$tmp/rd.err"; nok "boots and serves from the initrd"
fi
# a failing service: nginx with a broken config -> exit 3, console in the message
root=$("$TINYX" stage nginx 2>/dev/null)
cp -a "$root" "$tmp/broken"
echo 'this is not nginx syntax' >>"$tmp/broken/etc/nginx/nginx.conf"
timeout 600 "$TINYX" build nginx --root "$tmp/broken" --target kvm --out "$tmp/out2" >"$tmp/b3.log" 2>&1
rc=$?
check "failing service: build exits 3 (got $rc)" test $rc = 3
check "failing service: the console is in the message" grep -q 'nginx' "$tmp/b3.log"
check "failing service: no output dir" test ! -e "$tmp/out2/nginx"
tail -n 5 "$tmp/b3.log"
# Ctrl-C while the image boots: no partial output, no QEMU, and the next
# build succeeds
"$TINYX" build nginx --target kvm --out "$tmp/out3" >"$tmp/b4.log" 2>&1 &
bpid=$!
# kill as soon as QEMU runs (it serves after about a second; a later kill
# could come after the build is done)
i=0
while [ $i -lt 3000 ] && ! pgrep -f '[q]emu-system-x86_64.*out3' >/dev/null; do
	sleep 0.05
	i=$((i + 1))
done
check "interrupted build: SIGINT reached it while it was booting" kill -INT $bpid
wait $bpid
sleep 1
check "interrupted build: no partial output" test -z "$(ls -A "$tmp/out3" 2>/dev/null)"
check "interrupted build: no QEMU left" sh -c "! pgrep -f '[q]emu-system-x86_64.*out3' >/dev/null"
timeout 600 "$TINYX" build nginx --target kvm --out "$tmp/out3" >"$tmp/b5.log" 2>&1
check "the next build succeeds" test -s "$tmp/out3/nginx/kvm/initrd"
check "no QEMU left" sh -c "! pgrep -f '[q]emu-system-x86_64.*$tmp' >/dev/null"
check "no namespace left" sh -c "! ip netns list | grep -q tinyx"

# --overlay: the operator's config over the staged root before the analysis
# (nginx finds the new server's root through it) and in the image, root's
ov=$tmp/overlay
mkdir -p "$ov/etc/nginx/conf.d" "$ov/var/www/ovl"
printf 'server {\n\tlisten 8080;\n\troot /var/www/ovl;\n}\n' > "$ov/etc/nginx/conf.d/extra.conf"
echo "from the overlay" > "$ov/var/www/ovl/index.html"
chown -R 1000:1000 "$ov"
timeout 600 "$TINYX" build nginx --target kvm --out "$tmp/out4" --overlay "$ov" >"$tmp/b6.log" 2>&1
rc=$?
tail -n 4 "$tmp/b6.log"
check "overlay: build verified (exit $rc)" [ $rc = 0 ]
check "overlay: its files in the manifest, root's" \
	grep -q '^file  /etc/nginx/conf.d/extra.conf 0644 0 0 .*overlay=operator' "$tmp/out4/nginx/manifest.txt"
check "overlay: the analysis followed its config (no uid 1000 anywhere)" \
	sh -c "grep -q '^dir   /var/www/ovl 0755 0 0 *named-in=/etc/nginx/conf.d/extra.conf' '$tmp/out4/nginx/manifest.txt' && ! grep -q ' 1000 1000 ' '$tmp/out4/nginx/manifest.txt'"
# every port nginx serves is checked, by the build and by the probe
check "overlay: the build checked the overlay's server on 8080" grep -q 'http 200 on tcp/8080' "$tmp/b6.log"
timeout 300 "$TINYX" probe "$tmp/out4/nginx/kvm" --json >"$tmp/p8080.json" 2>"$tmp/p8080.err"
check "overlay: nginx serves the overlay's server on 8080" jq -e '(.check | test("http 200 on tcp/8080")) and (.check | test("http 200 on tcp/80(,|$)"))' "$tmp/p8080.json"
check "overlay: nothing left mounted" sh -c "! grep -q tinyx-overlay /proc/mounts"
mkdir -p "$tmp/bad-ov/etc"
ln -s /etc/shadow "$tmp/bad-ov/etc/evil"
timeout 600 "$TINYX" build nginx --target kvm --out "$tmp/out5" --overlay "$tmp/bad-ov" >"$tmp/b7.log" 2>&1
rc=$?
check "bad overlay: exit 1 ($rc)" [ $rc = 1 ]
check "bad overlay: one line naming the link" grep -q "^tinyx: overlay: overlay symlink '$tmp/bad-ov/etc/evil' -> '/etc/shadow' is absolute" "$tmp/b7.log"
check "bad overlay: no output" test ! -e "$tmp/out5/nginx"
done_tests
