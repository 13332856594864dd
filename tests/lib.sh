# Shared helpers for the shell tests (sourced). POSIX sh.
: "${TINYX:=$PWD/build/tinyx}"
T_PASS=0
T_FAIL=0
ok() { T_PASS=$((T_PASS + 1)); echo "ok: $*"; }
nok() { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*"; }
check() { # check "description" command...
	_t_d=$1; shift
	if "$@"; then ok "$_t_d"; else nok "$_t_d"; fi
}
# other_ns NS HOSTNS: NS names a network namespace (not empty, not "none")
# other than the host's. One command, so that `check "…" other_ns …` checks
# both halves: `check "…" [ a ] && [ b ]` would run `[ b ]` outside check.
other_ns() { [ -n "$1" ] && [ "$1" != none ] && [ "$1" != "$2" ]; }
# gone PID: PID names a process that has died: no such process, or a zombie
# (dead; its reaper may take a second: PID 1 of some sandboxes reaps lazily)
gone() {
	[ -n "$1" ] || return 1
	_t_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	case $_t_st in '' | Z | X) return 0 ;; *) return 1 ;; esac
}
# expect_fail CODE PATTERN -- command...: exit code and one-line stderr matching PATTERN
expect_fail() {
	_t_code=$1 _t_pat=$2; shift 3
	_t_err=$("$@" 2>&1 >/dev/null); _t_rc=$?
	_t_lines=$(printf '%s\n' "$_t_err" | grep -c .)
	if [ "$_t_rc" = "$_t_code" ] && printf '%s' "$_t_err" | grep -Eq -- "$_t_pat" && [ "$_t_lines" -le 1 ]; then
		ok "exit $_t_code: $_t_err"
	else
		nok "expected exit $_t_code matching '$_t_pat', got exit $_t_rc: $_t_err"
	fi
}
done_tests() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

# own_cache TARGET...: run this test with kbuild/ and kmin/ of its own; call
# it first thing, before any other command of the test.
#
# Why: the cache ($TINYX_CACHE) is shared with the user's and other runs'
# builds. kbuild/TARGET (the out-of-tree kernel build dir) is held under
# kbuild/TARGET.lock for the whole configure-and-build of any `tinyx build`,
# `kernel` or `kconfig`, and kmin/APP-TARGET/ holds the minimizer's lock and
# trial record. A test that asserts on that state ("the kbuild lock is free",
# "make never started", "no kernel build", "trials from the record") failed
# only because a `tinyx build` of another app held the shared kbuild dir.
# The rest of the cache is safe to share and must be shared: roots/ (one
# lock per root, renamed into place), linux/ (the unpacked source),
# kernels/ (content-addressed by config hash, temp dir + rename; by-input/
# maps requests to a hash), ccache/ (ccache locks itself).
#
# How: the test re-runs itself in a private mount namespace (unshare -m)
# where DIR/kbuild and DIR/kmin are bind-mounted over the shared cache's
# kbuild/ and kmin/. The paths stay the same, and that is what keeps it
# cheap: kbuild records the source and include paths of every object in
# its .cmd files and ccache hashes them, so a kbuild dir at another path
# (a second cache dir with linux/ linked in) would recompile the whole
# kernel with no ccache hit. kbuild/TARGET is seeded with a copy of the
# shared one (cp -a --reflink=auto: free on btrfs/xfs; on ext4 a copy of
# the trimmed kernel's build dir, about a second), taken under the shared
# lock so that it is consistent. Not hard links (cp -al): the compiler
# rewrites objects in place and would change the shared files behind their
# lock. When another build holds the shared lock for more than 30 s the
# copy is skipped: the first kernel build here then starts from an empty
# dir, the same paths, so ccache answers nearly every object.
# Processes of other runs have the same command lines: look for this
# test's own with own_procs. Needs root; without it the test runs in the
# shared cache (and says so).
own_cache() {
	_t_c=${TINYX_CACHE:-${HOME:-/root}/.cache/tinyx}
	if [ -n "$TINYX_OWN_CACHE" ]; then # inside: the mounts
		mount --bind "$TINYX_OWN_CACHE/kbuild" "$_t_c/kbuild" &&
			mount --bind "$TINYX_OWN_CACHE/kmin" "$_t_c/kmin" && return 0
		nok "cannot mount the test's own kbuild and kmin dirs"
		done_tests
		exit 1
	fi
	if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
		echo "note: in the shared cache '$_t_c' (a cache of its own needs root)"
		return 0
	fi
	TINYX_OWN_CACHE=$(mktemp -d /tmp/tinyx-owncache.XXXXXX) || exit 1
	mkdir -p "$_t_c/kbuild" "$_t_c/kmin" "$TINYX_OWN_CACHE/kbuild" "$TINYX_OWN_CACHE/kmin"
	_t_s=$(date +%s)
	for _t_k in "$@"; do
		[ -d "$_t_c/kbuild/$_t_k" ] || continue
		if flock -w 30 "$_t_c/kbuild/$_t_k.lock" \
			cp -a --reflink=auto "$_t_c/kbuild/$_t_k" "$TINYX_OWN_CACHE/kbuild/"; then
			echo "own cache: kbuild/$_t_k copied ($(du -sm "$TINYX_OWN_CACHE/kbuild/$_t_k" |
				cut -f1) MB, $(($(date +%s) - _t_s)) s)"
		else
			rm -rf "${TINYX_OWN_CACHE:?}/kbuild/$_t_k"
			echo "own cache: kbuild/$_t_k busy or not copied: an empty one (ccache)"
		fi
	done
	TINYX_HOST_MNTNS=$(readlink /proc/$$/ns/mnt)
	export TINYX_OWN_CACHE TINYX_HOST_MNTNS TINYX_CACHE="$_t_c"
	unshare -m --propagation private sh "$0"
	_t_rc=$?
	rm -rf "$TINYX_OWN_CACHE"
	exit $_t_rc
}
# own_procs PATTERN: pids whose command line matches PATTERN, but for this
# shell, make check's prefetch (tests/prefetch-roots.sh marks its processes
# with TINYX_PREFETCH=1: its kernel builds run beside the tests, in a
# kbuild dir of its own mounted at the same path) and, under own_cache, other
# runs' (in the host's mount namespace)
own_procs() {
	for _t_p in $(pgrep -f "$1"); do
		[ "$_t_p" = $$ ] && continue
		tr '\0' '\n' <"/proc/$_t_p/environ" 2>/dev/null | grep -qx 'TINYX_PREFETCH=1' && continue
		_t_ns=$(readlink "/proc/$_t_p/ns/mnt" 2>/dev/null) || continue
		[ -n "$TINYX_HOST_MNTNS" ] && [ "$_t_ns" = "$TINYX_HOST_MNTNS" ] && continue
		echo "$_t_p"
	done
}

# nginx_root_copy DIR: a copy of nginx's staged root at DIR (a fixture to
# change), or the test ends with a failure saying why.
nginx_root_copy() {
	_t_st=$("$TINYX" stage nginx 2>/dev/null | tail -n 1)
	if [ ! -d "$_t_st/etc/nginx" ]; then
		nok "no staged nginx root ('tinyx stage nginx' said '$_t_st')"
		done_tests
		exit 1
	fi
	cp -a "$_t_st" "$1" || { nok "copy the staged root"; done_tests; exit 1; }
}

# The network function tests' topology (t440, t690): the client net NC with
# tap0 (CLIENT, the host's address for the VM's eth0) and tap1 on a bridge
# without an address, and the server net NSV reached through that bridge
# only (veth vc in NC, vs in NSV with the SERVER addresses): what the client
# sends to the server net crosses the VM (eth0 on tap0, eth1 on tap1).
vnf_nets() { # NC NSV CLIENT/P SERVER/P...
	_c=$1 _s=$2 _a=$3
	shift 3
	ip netns add "$_c" && ip netns add "$_s" &&
		ip -n "$_c" link set lo up && ip -n "$_s" link set lo up &&
		ip -n "$_c" tuntap add tap0 mode tap && ip -n "$_c" tuntap add tap1 mode tap &&
		ip -n "$_c" addr add "$_a" dev tap0 && ip -n "$_c" link add br1 type bridge &&
		ip -n "$_c" link add vc type veth peer name vs netns "$_s" &&
		ip -n "$_c" link set tap1 master br1 && ip -n "$_c" link set vc master br1 || return 1
	for _a in "$@"; do
		ip -n "$_s" addr add "$_a" dev vs || return 1
	done
	for _l in tap0 tap1 br1 vc; do
		ip -n "$_c" link set "$_l" up || return 1
	done
	ip -n "$_s" link set vs up
}
# Its end: QEMU (pid QPID, may be empty), every process in both nets, the nets.
vnf_down() { # NC NSV QPID
	[ -n "$3" ] && kill "$3" 2>/dev/null && wait "$3" 2>/dev/null
	for _n in "$2" "$1"; do
		ip netns pids "$_n" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$_n" 2>/dev/null
	done
	return 0
}
# The start of such a test: root and the tools, then tmp (a temp dir), nc and
# nsv (the nets' names) and qpid (QEMU's pid, once it runs), all undone on
# exit, failure or interruption (vnf_end undoes them before the last checks).
vnf_begin() { # NAME (t440)
	[ "$(id -u)" = 0 ] || { nok "needs root (network namespaces, taps)"; done_tests; exit 1; }
	for _c in ip curl qemu-system-x86_64 busybox; do
		command -v "$_c" >/dev/null ||
			{ nok "needs $_c (src/host-deps.sh test)"; done_tests; exit 1; }
	done
	tmp=$(mktemp -d "/tmp/tinyx-$1.XXXXXX") || exit 1
	nc=tinyx-${1}c-$$ nsv=tinyx-${1}s-$$ qpid=
	trap vnf_end EXIT
	trap 'exit 1' INT TERM
}
vnf_end() {
	vnf_down "$nc" "$nsv" "$qpid"
	qpid=
	rm -rf "$tmp"
	trap - EXIT
}
# Boot IMG's run-qemu.sh in the client net (eth0 ADDR/P via GW on tap0, eth1
# on tap1), its console in $tmp/console.log, and wait (T s at most) until
# the client gets an answer from URL matching the grep -x pattern WANT:
# first is the time from QEMU's start to it in ms, empty when none came.
vnf_boot_until() { # IMG ADDR/P GW URL WANT
	: >"$tmp/console.log"
	_t0=$(date +%s%N)
	ip netns exec "$nc" env TAP=tap0 TAP1=tap1 IP="$2" GW="$3" \
		timeout -s KILL "$((T + 30))" "$1/run-qemu.sh" </dev/null >"$tmp/console.log" 2>&1 &
	qpid=$!
	first=
	while [ $((($(date +%s%N) - _t0) / 1000000)) -lt $((T * 1000)) ] &&
		kill -0 "$qpid" 2>/dev/null; do
		# a connect that gets no answer in 0.25 s is tried anew: TCP would
		# resend its SYN only after 1 s, and the figure would be that coarse
		if ip netns exec "$nc" curl -s --connect-timeout 0.25 -m 2 -o "$tmp/first" "$4" &&
			grep -qx "$5" "$tmp/first"; then
			first=$((($(date +%s%N) - _t0) / 1000000))
			return 0
		fi
		sleep 0.05
	done
	return 1
}
# The overlay's network part, in $tmp/ovl: eth1's address ADDR/P in
# /etc/network/interfaces (eth0's comes from tinyx.ip=), and with "forward"
# the sysctl that makes the VM forward.
vnf_overlay_net() { # ADDR/P [forward]
	mkdir -p "$tmp/ovl/etc/network" "$tmp/ovl/etc/sysctl.d" || return 1
	printf '%s\n' "# eth0 (the client net's side): tinyx.ip= on the kernel command line" \
		"auto eth1" "iface eth1 inet static" "    address $1" >"$tmp/ovl/etc/network/interfaces"
	[ "${2:-}" != forward ] ||
		printf 'net.ipv4.ip_forward = 1\n' >"$tmp/ovl/etc/sysctl.d/50-forward.conf"
}
# tinyx build APP --target kvm --nics 2 --overlay $tmp/ovl --no-verify OPT...
# into $tmp/out: img is its kvm dir; one ok line with its size, else the
# test ends.
vnf_build() { # APP OPT...
	timeout 900 "$TINYX" build "$@" --target kvm --nics 2 --overlay "$tmp/ovl" \
		--out "$tmp/out" --no-verify -q >"$tmp/build.log" 2>&1
	img=$tmp/out/$1/kvm
	if [ ! -x "$img/run-qemu.sh" ]; then
		nok "tinyx build $* --nics 2 --overlay"
		tail -n 20 "$tmp/build.log"
		done_tests
		exit 1
	fi
	ok "tinyx build $* --nics 2 --overlay ($(du -k "$img/kernel" "$img/rootfs.squashfs" |
		awk '{s += $1} END {printf "%.2f MB", s / 1024}') kernel + root)"
}

# COMMAND... with the empty dir DIR as the cache's rootfs/ (in a mount
# namespace of its own): the build writes its roots anew, nothing reused
# (t610 interrupts that, t630 compares it). COMMAND keeps the caller's pid.
fresh_roots() { # DIR COMMAND...
	_d=$1
	shift
	_rc=${TINYX_CACHE:-${HOME:-/root}/.cache/tinyx}/rootfs
	mkdir -p "$_d" "$_rc"
	# shellcheck disable=SC2016
	exec unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1" "$2" && shift 2 &&
		exec "$@"' sh "$_d" "$_rc" "$@"
}
