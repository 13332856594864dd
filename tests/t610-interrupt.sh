#!/bin/sh
# t610: SIGINT and SIGTERM at several points of a run (debootstrap in a fresh
# cache, apt-get in the app root's chroot, kconfig's make, rootfs, the verification boot). After each: the
# command died of the signal, no temp dir (OUT/.APP.tmp.*, ROOTS/*.tmp.*), no
# output dir, no lock held, no child left (debootstrap, make, mke2fs, QEMU:
# so no namespace or tap either, they live only as long as QEMU and the
# probe), no mount left below the cache; then the next build succeeds and
# reuses the cache (the kernel is not rebuilt). The kbuild dir and its lock
# are the test's own (own_cache in lib.sh): another run's build must not
# hold them.
. tests/lib.sh
own_cache kvm
tmp=$(mktemp -d /tmp/tinyx-t610.XXXXXX) || exit 1
bpid=
cleanup() {
	[ -n "$bpid" ] && kill -KILL "$bpid" 2>/dev/null
	for m in $(awk -v d="$tmp/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount -l "$m"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
NGINX=$("$TINYX" stage nginx 2>/dev/null) || { nok "stage nginx"; done_tests; exit 1; }
CACHE=${TINYX_CACHE:-$HOME/.cache/tinyx}
netns_before=$(ip netns list 2>/dev/null | sort)

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	_n=$(($1 * 10)); shift
	while [ $_n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1; _n=$((_n - 1))
	done
	return 1
}
signum() { case $1 in INT) echo 2 ;; TERM) echo 15 ;; HUP) echo 1 ;; esac; }
has_glob() { for _f in $1; do [ -e "$_f" ] && return 0; done; return 1; }
# processes (other than this test) whose command line names PATTERN
procs() { own_procs "$1"; }
after_kill() { # after_kill LABEL SIGNAL OUTDIR PATTERN-OF-CHILDREN
	wait "$bpid"; rc=$?; bpid=
	want=$((128 + $(signum "$2")))
	check "$1: died of SIG$2 (exit $rc, want $want)" [ "$rc" = "$want" ]
	sleep 0.5
	check "$1: no temp or output dir left in '$3'" [ -z "$(ls -A "$3" 2>/dev/null)" ]
	left=$(procs "$4")
	check "$1: no child process left ($left)" [ -z "$left" ]
	check "$1: the kbuild lock is free" flock -n -w 5 "$CACHE/kbuild/kvm.lock" true
	check "$1: the staged root's lock is free" flock -n "$NGINX.lock" true
}

# 1. during rootfs (the cpio archive, zstd, mksquashfs), written anew (an
# empty rootfs/ cache, lib.sh fresh_roots): as soon as the temp dir appears
for sig in INT TERM; do
	out=$tmp/out-rootfs-$sig
	mkdir -p "$out"
	(fresh_roots "$tmp/rc-$sig" "$TINYX" build nginx --root "$NGINX" --target kvm --no-verify \
		--out "$out") >"$tmp/r-$sig.log" 2>&1 &
	bpid=$!
	if wait_for 120 has_glob "$out/.nginx.tmp.*"; then
		sleep 0.5
		kill -"$sig" "$bpid"
		after_kill "rootfs/$sig" "$sig" "$out" "$out"
		check "rootfs/$sig: no half-made root left in the rootfs cache" \
			[ -z "$(ls -A "$tmp/rc-$sig" 2>/dev/null | grep -v '\.lock$')" ]
	else
		nok "rootfs/$sig: the build never reached rootfs"; cat "$tmp/r-$sig.log"
	fi
done

# 2. during the verification boot: once QEMU runs
for sig in INT TERM; do
	out=$tmp/out-boot-$sig
	mkdir -p "$out"
	"$TINYX" build nginx --root "$NGINX" --target kvm --out "$out" >"$tmp/b-$sig.log" 2>&1 &
	bpid=$!
	if wait_for 180 sh -c "pgrep -f '[q]emu-system-x86_64.*$out' >/dev/null"; then
		qpid=$(pgrep -f "[q]emu-system-x86_64.*$out" | head -n 1)
		qns=$(readlink "/proc/$qpid/ns/net" 2>/dev/null)
		hostns=$(readlink /proc/$$/ns/net)
		check "boot/$sig: QEMU runs in its own network namespace ($qns)" \
			other_ns "$qns" "$hostns"
		sleep 0.2 # the boot takes over a second under TCG: still booting
		kill -"$sig" "$bpid"
		after_kill "boot/$sig" "$sig" "$out" "$out"
		# the namespace lived only in QEMU and the probe: none of ours holds
		# it (namespace numbers are reused at once: other runs may get it)
		holders=$(for p in /proc/[0-9]*; do
			[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$qns" ] &&
				tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "$tmp" && echo "${p#/proc/}"
		done)
		check "boot/$sig: no process left in QEMU's namespace ($holders)" [ -z "$holders" ]
	else
		nok "boot/$sig: QEMU never started"; tail -n 5 "$tmp/b-$sig.log"
	fi
done
check "no named namespace added" [ "$(ip netns list 2>/dev/null | sort)" = "$netns_before" ]

# 3. during kconfig's make (allnoconfig, under the kbuild lock); without
# the stamp beside .config, which lets the same requests reuse the .config
# they made (t210's build left one for nginx's), make runs again
for sig in INT TERM; do
	rm -f "$CACHE/kbuild/kvm/tinyx.configured"
	"$TINYX" kconfig nginx --target kvm --root "$NGINX" >"$tmp/k-$sig.log" 2>&1 &
	bpid=$!
	if wait_for 60 sh -c "grep -q 'allnoconfig' '$tmp/k-$sig.log'"; then
		sleep 0.3
		kill -"$sig" "$bpid"
		after_kill "kconfig/$sig" "$sig" "$tmp/none" "make.*O=$CACHE/kbuild/kvm"
	else
		nok "kconfig/$sig: make never started"; cat "$tmp/k-$sig.log"
	fi
done

# 4. during debootstrap (of the minbase root every app's root is copied
# from), in a fresh cache (killed in its first seconds)
for sig in INT TERM; do
	c=$tmp/cache-$sig
	TINYX_CACHE=$c "$TINYX" stage hello >"$tmp/s-$sig.log" 2>&1 &
	bpid=$!
	if wait_for 120 has_glob "$c/roots/_minbase-*.tmp.*/debootstrap"; then
		sleep 2
		kill -"$sig" "$bpid"
		wait "$bpid"; rc=$?; bpid=
		check "stage/$sig: died of SIG$sig (exit $rc)" [ "$rc" = $((128 + $(signum $sig))) ]
		sleep 0.5
		check "stage/$sig: no half-made root ($(ls "$c/roots" | tr '\n' ' '))" \
			sh -c "! ls '$c/roots' | grep -v '\.lock\$' | grep -v '\.log\$' | grep -q ."
		left=$(procs "$c")
		check "stage/$sig: no debootstrap left ($left)" [ -z "$left" ]
		check "stage/$sig: no mount left below the cache" \
			sh -c "! awk '{print \$2}' /proc/self/mounts | grep -q '^$c/'"
		for l in "$c"/roots/*.lock; do
			check "stage/$sig: lock free: $(basename "$l")" flock -n "$l" true
		done
	else
		nok "stage/$sig: debootstrap never started"; cat "$tmp/s-$sig.log"
	fi
done

# 4b. during apt-get in the chroot (the copy of the minbase root, with /proc
# and /sys mounted in it): a fresh cache seeded with this cache's minbase root
base=$(ls "$CACHE/roots" 2>/dev/null | grep '^_minbase-[0-9a-f]*$' | head -n 1)
base=${base:+$CACHE/roots/$base}
# processes whose root dir is below DIR (apt-get and dpkg in the chroot)
in_root() { ls -l /proc/[0-9]*/root 2>/dev/null | grep -F -- "-> $1/"; }
for sig in INT TERM; do
	c=$tmp/cache-apt-$sig
	mkdir -p "$c/roots"
	[ -n "$base" ] && cp -a "$base" "$c/roots/"
	TINYX_CACHE=$c "$TINYX" stage hello >"$tmp/a-$sig.log" 2>&1 &
	bpid=$!
	if [ -n "$base" ] && wait_for 120 sh -c "grep -q ' $c/roots/hello-[^ ]*/proc ' /proc/self/mounts"; then
		sleep 1
		kill -"$sig" "$bpid"
		wait "$bpid"; rc=$?; bpid=
		check "apt/$sig: died of SIG$sig (exit $rc)" [ "$rc" = $((128 + $(signum $sig))) ]
		sleep 0.5
		check "apt/$sig: no half-made root ($(ls "$c/roots" | tr '\n' ' '))" \
			sh -c "! ls '$c/roots' | grep -v '^_minbase-[0-9a-f]*\$' | grep -v '\.lock\$' | grep -v '\.log\$' | grep -q ."
		left=$(in_root "$c")
		check "apt/$sig: no process left in the chroot ($left)" [ -z "$left" ]
		check "apt/$sig: no mount left below the cache" \
			sh -c "! awk '{print \$2}' /proc/self/mounts | grep -q '^$c/'"
	else
		nok "apt/$sig: apt-get never started (minbase root: '$base')"; cat "$tmp/a-$sig.log"
	fi
done

# 5. the next build succeeds and reuses the cache
out=$tmp/out-boot-TERM
timeout 600 "$TINYX" build nginx --root "$NGINX" --target kvm --out "$out" >"$tmp/final.log" 2>&1
rc=$?
check "the next build succeeds (exit $rc)" [ $rc = 0 ]
check "it reuses the cached kernel" grep -q 'kvm reused from the cache' "$tmp/final.log"
check "it wrote the image" sh -c '[ -s "$1" ] && [ -s "$2" ]' - "$out/nginx/kvm/rootfs.squashfs" "$out/nginx/build.json"
check "no QEMU left" [ -z "$(procs "[q]emu-system-x86_64.*$tmp")" ]
[ $T_FAIL = 0 ] || tail -n 5 "$tmp/final.log"
done_tests
