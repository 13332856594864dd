#!/bin/sh
# t620: builds at the same time share the cache safely (flock per key: the
# staged root, kbuild/TARGET, kernels/HASH) and give the bytes a serial build
# gives.
#  1. two builds of nginx into the same out dir, verified (two QEMU at once,
#     each in its own namespace): both succeed, one OUT/nginx, nothing left;
#  2. two builds of nginx into two out dirs while a second app (redis-server)
#     is staged, analysed and its kernel config made, twice, in the same
#     kbuild dir nginx's kernel lookup uses: all succeed, nginx gets its own
#     kernel, redis's config equals the one a serial run gives.
# A second app's own kernel build would cost ~4 min cold per target, so the
# second app stops at kconfig: that is where two apps meet in the cache
# (kbuild/TARGET/.config under one lock); kernels/HASH is shared by hash.
. tests/lib.sh
tmp=$(mktemp -d /tmp/tinyx-t620.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
NGINX=$("$TINYX" stage nginx 2>/dev/null) || { nok "stage nginx"; done_tests; exit 1; }
same() { # same DIR-A DIR-B: the image files are byte-identical
	for f in manifest.txt kvm/kernel kvm/initrd kvm/rootfs.squashfs kvm/image.conf kvm/run-qemu.sh; do
		cmp -s "$1/$f" "$2/$f" || { echo "differs: $f ($1 vs $2)"; return 1; }
	done
}
leftovers() { ls -A "$1" | grep -v '^nginx$' || true; }

# the serial reference (and redis's serial kernel config)
"$TINYX" build nginx --target kvm --no-verify --out "$tmp/serial" -q >"$tmp/serial.log" 2>&1
check "serial build" [ -s "$tmp/serial/nginx/kvm/initrd" ]
"$TINYX" kconfig redis-server --target kvm -q >"$tmp/redis-serial.txt" 2>"$tmp/redis-serial.err"
check "serial kconfig redis-server" [ -s "$tmp/redis-serial.txt" ]

# 1. same out dir, verified
for i in 1 2; do
	timeout 600 "$TINYX" build nginx --target kvm --out "$tmp/same" >"$tmp/same$i.log" 2>&1 &
	eval "p$i=\$!"
done
wait "$p1"; r1=$?
wait "$p2"; r2=$?
check "same out dir: both builds succeed (exit $r1, $r2)" [ "$r1$r2" = 00 ]
check "same out dir: both verified" grep -q '"verified": true' "$tmp/same/nginx/build.json"
check "same out dir: nothing else left ($(leftovers "$tmp/same"))" [ -z "$(leftovers "$tmp/same")" ]
check "same out dir: identical to the serial build" same "$tmp/serial/nginx" "$tmp/same/nginx"
[ "$r1$r2" = 00 ] || tail -n 3 "$tmp/same1.log" "$tmp/same2.log"

# 2. two out dirs, and a second app in the same cache
"$TINYX" build nginx --target kvm --no-verify --out "$tmp/a" >"$tmp/a.log" 2>&1 &
pa=$!
"$TINYX" build nginx --target kvm --no-verify --out "$tmp/b" >"$tmp/b.log" 2>&1 &
pb=$!
(
	rc=0
	for i in 1 2; do
		"$TINYX" closure redis-server -q >"$tmp/redis-closure$i.txt" || rc=1
		"$TINYX" kconfig redis-server --target kvm -q >"$tmp/redis$i.txt" || rc=1
	done
	exit $rc
) 2>"$tmp/redis.err" &
pr=$!
wait "$pa"; ra=$?
wait "$pb"; rb=$?
wait "$pr"; rr=$?
check "two out dirs: both builds succeed (exit $ra, $rb)" [ "$ra$rb" = 00 ]
check "two out dirs: build a identical to the serial build" same "$tmp/serial/nginx" "$tmp/a/nginx"
check "two out dirs: build b identical to the serial build" same "$tmp/serial/nginx" "$tmp/b/nginx"
check "second app: closure and kconfig succeed meanwhile (exit $rr)" [ "$rr" = 0 ]
for i in 1 2; do
	check "second app: kernel config $i equals the serial one" cmp -s "$tmp/redis-serial.txt" "$tmp/redis$i.txt"
done
check "second app: its closures are equal" cmp -s "$tmp/redis-closure1.txt" "$tmp/redis-closure2.txt"
check "no temp dir left" [ -z "$(ls -A "$tmp/a" "$tmp/b" | grep '^\.' || true)" ]
[ "$rr" = 0 ] || cat "$tmp/redis.err"
done_tests
