#!/bin/sh
# t630: the same inputs give the same bytes.
#  - two builds from the same staged root, into different out dirs, from
#    different working dirs, at different times, with different TMPDIRs,
#    each writing its roots anew (an empty dir bind-mounted over the cache's
#    rootfs/ in a private mount namespace): byte-identical initrd,
#    rootfs.squashfs, kernel, manifest.txt, image.conf; a third build takes
#    its roots from the cache (it says so) and they are the same bytes;
#  - no build path and no host name inside the images;
#  - build.json records the sha256 of the kernel, initrd and squashfs, and they
#    are the files' hashes;
#  - SOURCE_DATE_EPOCH is honoured (another epoch: other bytes, so the
#    comparison above can fail);
#  - the kernel: relinked in a copy of the kbuild dir with every output
#    removed that can carry a time, a place or a host (the archives, vmlinux
#    and its kallsyms passes, the version objects, the boot setup and the
#    compressed image) and an empty kernel store, both bind-mounted in a
#    private mount namespace over the cache's own so the paths are the same,
#    it has the same bytes as the cached one. Why not from an empty kbuild
#    dir: ccache serves every compile there too (the same paths, the same
#    headers), so that rebuild redoes no more of what could differ, and costs
#    four minutes of kbuild overhead on two cores. TINYX_T630_KERNEL=0 skips
#    that part.
. tests/lib.sh
tmp=$(mktemp -d /tmp/tinyx-t630.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
NGINX=$("$TINYX" stage nginx 2>/dev/null) || { nok "stage nginx"; done_tests; exit 1; }
CACHE=${TINYX_CACHE:-$HOME/.cache/tinyx}
files="manifest.txt kvm/kernel kvm/initrd kvm/rootfs.squashfs kvm/image.conf kvm/run-qemu.sh xen/kernel xen/rootfs.squashfs xen/image.conf xen/nginx.cfg"

mkdir -p "$tmp/w1" "$tmp/w2/deeper/dir" "$tmp/t1" "$tmp/t2"
(cd "$tmp/w1" && TMPDIR=$tmp/t1 fresh_roots "$tmp/rc1" "$TINYX" build nginx --root "$NGINX" --no-verify --out "$tmp/o1") >"$tmp/b1.log" 2>&1
check "first build" [ -s "$tmp/o1/nginx/kvm/initrd" ]
check "first build: roots written anew" sh -c "grep -q 'rootfs:.*squashfs' '$tmp/b1.log' && ! grep -q 'rootfs:.*reused' '$tmp/b1.log'"
sleep 1
(cd "$tmp/w2/deeper/dir" && TMPDIR=$tmp/t2 fresh_roots "$tmp/rc2" "$TINYX" build nginx --root "$NGINX" --no-verify --out ../../../some/where/o2) >"$tmp/b2.log" 2>&1
check "second build" [ -s "$tmp/some/where/o2/nginx/kvm/initrd" ]
check "second build: roots written anew" sh -c "grep -q 'rootfs:.*squashfs' '$tmp/b2.log' && ! grep -q 'rootfs:.*reused' '$tmp/b2.log'"
for f in $files; do
	check "identical: $f" cmp "$tmp/o1/nginx/$f" "$tmp/some/where/o2/nginx/$f"
done
"$TINYX" build nginx --root "$NGINX" --no-verify --out "$tmp/o4" >"$tmp/b4.log" 2>&1
"$TINYX" build nginx --root "$NGINX" --no-verify --out "$tmp/o4" >"$tmp/b4.log" 2>&1
check "a repeated build reuses its roots from the cache" grep -q 'rootfs:.*reused from the cache' "$tmp/b4.log"
for f in kvm/initrd kvm/rootfs.squashfs xen/rootfs.squashfs; do
	check "from the cache, identical: $f" cmp "$tmp/o1/nginx/$f" "$tmp/o4/nginx/$f"
done

# no build path, no host name inside
zstd -dc "$tmp/o1/nginx/kvm/initrd" >"$tmp/initrd.cpio" 2>/dev/null ||
	xz -dc "$tmp/o1/nginx/kvm/initrd" >"$tmp/initrd.cpio" 2>/dev/null ||
	gzip -dc "$tmp/o1/nginx/kvm/initrd" >"$tmp/initrd.cpio"
check "the initrd decompresses" [ -s "$tmp/initrd.cpio" ]
for img in "$tmp/initrd.cpio" "$tmp/o1/nginx/kvm/rootfs.squashfs" "$tmp/o1/nginx/manifest.txt"; do
	n=$(basename "$img")
	check "no build path in $n" sh -c "! grep -aq -e '$tmp' -e '$PWD' '$img'"
	h=$(hostname)
	if [ ${#h} -ge 6 ] && [ "$h" != localhost ]; then
		check "no host name in $n" sh -c "! grep -aqF '$h' '$img'"
	fi
done

# build.json: the hashes are recorded and true
j=$tmp/o1/nginx/build.json
for t in kvm xen; do
	check "build.json: $t kernel_sha256" test "$(jq -r ".targets.$t.kernel_sha256" "$j")" = \
		"$(sha256sum <"$tmp/o1/nginx/$t/kernel" | cut -d' ' -f1)"
done
check "build.json: initrd_sha256" test "$(jq -r .rootfs.initrd_sha256 "$j")" = \
	"$(sha256sum <"$tmp/o1/nginx/kvm/initrd" | cut -d' ' -f1)"
check "build.json: squashfs_sha256" test "$(jq -r .rootfs.squashfs_sha256 "$j")" = \
	"$(sha256sum <"$tmp/o1/nginx/kvm/rootfs.squashfs" | cut -d' ' -f1)"

# SOURCE_DATE_EPOCH: another epoch, other bytes
SOURCE_DATE_EPOCH=1700000000 "$TINYX" build nginx --root "$NGINX" --target kvm --no-verify -q --out "$tmp/o3" >"$tmp/b3.log" 2>&1
check "another SOURCE_DATE_EPOCH gives another initrd" sh -c "! cmp -s '$tmp/o1/nginx/kvm/initrd' '$tmp/o3/nginx/kvm/initrd'"
check "another SOURCE_DATE_EPOCH gives another squashfs" sh -c "! cmp -s '$tmp/o1/nginx/kvm/rootfs.squashfs' '$tmp/o3/nginx/kvm/rootfs.squashfs'"

# the kernel, relinked without a single output of the link in its kbuild dir
if [ "${TINYX_T630_KERNEL:-1}" = 1 ]; then
	ref=$("$TINYX" kernel nginx --target kvm --root "$NGINX" -q 2>"$tmp/k0.err" | head -n 1)
	check "the cached kvm kernel ($ref)" [ -s "$ref" ]
	cp "$ref" "$tmp/ref-bzImage"
	cp "$(dirname "$ref")/vmlinux" "$tmp/ref-vmlinux"
	mkdir -p "$tmp/kbuild" "$tmp/kernels"
	flock -w 60 "$CACHE/kbuild/kvm.lock" cp -a "$CACHE/kbuild/kvm" "$tmp/kbuild/"
	check "a copy of the kvm kbuild dir" [ -s "$tmp/kbuild/kvm/.config" ]
	(cd "$tmp/kbuild/kvm" && rm -rf vmlinux vmlinux.o vmlinux.a .vmlinux.* .tmp_vmlinux* \
		System.map .version modules.builtin* Module.symvers arch/x86/boot \
		arch/x86_64/boot/bzImage init/version.o init/version-timestamp.o \
		init/utsversion-tmp.h include/generated/utsversion.h include/generated/compile.h &&
		find . -name built-in.a -delete)
	check "no link output left in the copy" sh -c "cd '$tmp/kbuild/kvm' &&
		! ls -d vmlinux vmlinux.o arch/x86/boot init/version*.o 2>/dev/null | grep -q . &&
		! find . -name built-in.a | grep -q ."
	t0=$(date +%s)
	# shellcheck disable=SC2016
	unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1/kbuild" "$2/kbuild" &&
		mount --bind "$1/kernels" "$2/kernels" &&
		"$3" kernel nginx --target kvm --root "$4" >"$1/k1.all" &&
		head -n 1 "$1/k1.all" | sed "s|^$2/kernels|$1/kernels|"' \
		sh "$tmp" "$CACHE" "$TINYX" "$NGINX" >"$tmp/k1.out" 2>"$tmp/k1.err"
	rc=$?
	t1=$(date +%s)
	new=$(cat "$tmp/k1.out")
	check "kernel relinked in $((t1 - t0)) s (exit $rc)" test "$rc" = 0 -a -s "$new"
	grep -q 'cached' "$tmp/k1.err" && nok "the relink must not come from the kernel store"
	check "the link ran: a new vmlinux.o in the copy" [ "$tmp/kbuild/kvm/vmlinux.o" -nt "$tmp/ref-bzImage" ]
	check "same config, same bzImage bytes" cmp "$tmp/ref-bzImage" "$new"
	check "same config, same vmlinux bytes" cmp "$tmp/ref-vmlinux" "$(dirname "$new")/vmlinux"
	[ "$rc" = 0 ] || tail -n 5 "$tmp/k1.err"
fi
done_tests
