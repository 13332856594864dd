#!/bin/sh
# t600: the bad-input suite. Every case of tests/bad-input.table, one a line:
#   NAME | EXIT | REGEX | COMMAND
# must give exactly that exit code and one stderr line matching REGEX (which
# names the stage and the subject), leave no output dir and no temp dir, and
# write nothing outside the output and cache dirs. COMMAND is run by sh from
# an empty dir with TINYX, F (the fixtures made below), NGINX (the staged
# nginx root) and OUT (an empty output dir) set. With build/tinyx-asan there
# (make check builds it), the whole table runs again under ASan and UBSan.
. tests/lib.sh
here=$PWD
F=$(mktemp -d /tmp/tinyx-t600.XXXXXX) || exit 1
cleanup() {
	mountpoint -q "$F/full" 2>/dev/null && umount "$F/full"
	chmod -R u+rwX "$F" 2>/dev/null
	rm -rf "$F"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export F TINYX

# ---- fixture roots: the closure fixture (package demo, /usr/sbin/demod) plus
# the ELF fixture tree, with demod or a library replaced per case
sh tests/fixtures/elf/make.sh "$F/elf" >/dev/null 2>&1 || { nok "tests/fixtures/elf/make.sh"; done_tests; exit 1; }
E=$F/elf/root
demo() { # demo NAME [ELF to install as demod]: a fixture root in $F/NAME
	mkdir -p "$F/$1"
	cp -a tests/fixtures/closure/root/. "$F/$1/"
	cp -a "$E/." "$F/$1/"
	mkdir -p "$F/$1/usr/sbin"
	[ -n "${2:-}" ] && cp "$2" "$F/$1/usr/sbin/demod"
	chmod 755 "$F/$1/usr/sbin/demod" 2>/dev/null
	true
}
demo ok "$E/bin/app-loop"
demo trunc-exe && head -c 100 "$E/bin/app-loop" >"$F/trunc-exe/usr/sbin/demod"
demo empty-exe && : >"$F/empty-exe/usr/sbin/demod"
demo class-exe "$E/opt/l32/libw.so" # a 32-bit ELF as the command
demo garbage-exe && { printf '\177ELF\002\001\001'; head -c 2000 /dev/zero | tr '\0' '\377'; } \
	>"$F/garbage-exe/usr/sbin/demod"
demo script && printf '#!/bin/sh\nexec sleep 1\n' >"$F/script/usr/sbin/demod"
demo trunc-lib "$E/bin/app-trunc"
demo empty-lib "$E/bin/app-empty"
demo missing-lib "$E/bin/app-missing"
demo class-lib "$E/bin/app-class" && rm "$F/class-lib/opt/l64/libw.so" # only the 32-bit one left
demo loop "$E/bin/app-loop" # DT_NEEDED loop libloopa <-> libloopb
# a library that needs itself, found through DT_RUNPATH $ORIGIN (its own dir)
b=$F/elf/build
echo 'int s(void) { return 0; }' >"$b/self.c"
cc -shared -fPIC -nostdlib -o "$b/libself.so" "$b/self.c" -Wl,-soname,libself.so
cc -shared -fPIC -nostdlib -o "$b/libself2.so" "$b/self.c" -Wl,-soname,libself.so \
	-L"$b" -lself -Wl,--enable-new-dtags,-rpath,'$ORIGIN'
echo 'int s(void); void _start(void) { s(); }' >"$b/appself.c"
cc -nostdlib -fPIE -pie -o "$b/app-self" "$b/appself.c" -Wl,-e,_start -L"$b" -lself \
	-Wl,--enable-new-dtags,-rpath,/opt/self
demo self-runpath "$b/app-self" && mkdir -p "$F/self-runpath/opt/self" &&
	cp "$b/libself2.so" "$F/self-runpath/opt/self/libself.so"
demo status-cut "$E/bin/app-loop" && head -c 300 tests/fixtures/closure/root/var/lib/dpkg/status \
	>"$F/status-cut/var/lib/dpkg/status"
demo status-junk "$E/bin/app-loop" && printf 'Package: demo\nStatus: install ok installed\n Version: 1\n\377\376\n' \
	>"$F/status-junk/var/lib/dpkg/status"
demo status-empty "$E/bin/app-loop" && : >"$F/status-empty/var/lib/dpkg/status"
demo no-execstart "$E/bin/app-loop" && sed -i '/^ExecStart/d' "$F/no-execstart/lib/systemd/system/demo.service"

# ---- project dirs (TINYX_HOME) with a bad overlay or a bad kconfig fragment
proj() { # proj NAME: a project dir sharing this one's build and fragments
	mkdir -p "$F/$1/rootfs-overlays/nginx"
	ln -s "$here/build" "$F/$1/build"
	ln -s "$here/kconfig-fragments" "$F/$1/kconfig-fragments"
	ln -s "$here/rootfs-overlays/common" "$F/$1/rootfs-overlays/common"
	echo '# a hints file of the test project (nginx needs none)' >"$F/$1/rootfs-overlays/nginx/hints"
	mkdir -p "$F/$1/rootfs-overlays/nginx/etc"
}
proj ov-up && ln -s ../../etc/shadow "$F/ov-up/rootfs-overlays/nginx/etc/evil"
proj ov-abs && ln -s /etc/shadow "$F/ov-abs/rootfs-overlays/nginx/etc/evil"
proj ov-dev && mknod "$F/ov-dev/rootfs-overlays/nginx/etc/null" c 1 3
proj ov-fifo && mkfifo "$F/ov-fifo/rootfs-overlays/nginx/etc/fifo"
proj ov-unread && echo secret >"$F/ov-unread/rootfs-overlays/nginx/etc/unreadable" &&
	chmod 000 "$F/ov-unread/rootfs-overlays/nginx/etc/unreadable"
# fine: a relative link that stays inside (kept as a link in the image)
proj ov-inlink && ln -s ../usr/share/nginx/html/index.html "$F/ov-inlink/rootfs-overlays/nginx/etc/idx"
proj hint-bad && echo 'frobnicate /etc/x' >>"$F/hint-bad/rootfs-overlays/nginx/hints"
proj hint-port && echo 'service http 99999' >>"$F/hint-port/rootfs-overlays/nginx/hints"
kfrag() { # kfrag NAME LINE: a project dir whose nginx fragment ends with LINE
	mkdir -p "$F/$1/kconfig-fragments/apps"
	ln -s "$here/build" "$F/$1/build"
	ln -s "$here/rootfs-overlays" "$F/$1/rootfs-overlays"
	cp "$here"/kconfig-fragments/*.config "$F/$1/kconfig-fragments/"
	{ cat "$here/kconfig-fragments/apps/nginx.config"; printf '%s\n' "$2"; } \
		>"$F/$1/kconfig-fragments/apps/nginx.config"
}
# the kconfig cases get a cache of their own (the kernel source linked in):
# their bad .config never lands in the shared kbuild dir, and they do not
# wait for kernel builds of other runs
CACHE=${TINYX_CACHE:-$HOME/.cache/tinyx}
mkdir -p "$F/kcache"
ln -s "$CACHE/linux" "$F/kcache/linux"
kfrag kc-unknown 'CONFIG_NO_SUCH_OPTION_T600=y'
kfrag kc-syntax 'CONFIG_EPOLL y'
kfrag kc-unmet 'CONFIG_KVM=y' # depends on VIRTUALIZATION, which nothing sets
: >"$F/a-file"

NGINX=$("$TINYX" stage nginx 2>/dev/null) || { nok "stage nginx"; done_tests; exit 1; }
export NGINX

# ---- run the table
snap() { # the fixtures and the project dir, as the case may not change them
	find "$F" -mindepth 1 \( -path "$F/out" -o -path "$F/cwd" -o -path "$F/full" -o -path "$F/kcache" -o -path "$F/.snap*" \) -prune -o \
		-printf '%p %s %T@ %m\n' 2>/dev/null | sort
	git -C "$here" status --porcelain 2>/dev/null
}
run_table() { # run_table TINYX-BINARY LABEL
	while IFS= read -r line; do
		case $line in '' | '#'*) continue ;; esac
		name=$(printf '%s' "$line" | cut -d'|' -f1 | sed 's/ *$//')
		code=$(printf '%s' "$line" | cut -d'|' -f2 | tr -d ' ')
		pat=$(printf '%s' "$line" | cut -d'|' -f3 | sed 's/^ //; s/ $//')
		cmd=$(printf '%s' "$line" | cut -d'|' -f4- | sed 's/^ //')
		rm -rf "$F/out" "$F/cwd" "$F/full/out"
		mkdir -p "$F/out" "$F/cwd"
		[ -d "$F/full" ] && mountpoint -q "$F/full" && mkdir -p "$F/full/out"
		snap >"$F/.snap-before"
		err=$(cd "$F/cwd" && TINYX=$1 OUT=$F/out sh -c "$cmd" 2>&1 >/dev/null)
		rc=$?
		lines=$(printf '%s\n' "$err" | grep -c .)
		what="$2 $name: exit $rc: $err"
		if [ "$rc" = "$code" ] && [ "$lines" -le 1 ] &&
			{ [ "$pat" = '^$' ] && [ -z "$err" ] || printf '%s' "$err" | grep -Eq -- "$pat"; }; then
			ok "$what"
		else
			nok "$what (expected exit $code matching '$pat')"
			continue
		fi
		left=$(ls -A "$F/out" "$F/cwd" "$F/full/out" 2>/dev/null | grep -v '^/\|^$' || true)
		# a case that succeeds may publish OUT/nginx, and only that
		[ "$code" = 0 ] && left=$(printf '%s\n' "$left" | grep -v '^nginx$' || true)
		snap >"$F/.snap-after"
		if [ -z "$left" ] && cmp -s "$F/.snap-before" "$F/.snap-after"; then
			ok "$2 $name: nothing written (output dir, cwd, fixtures, project dir)"
		else
			nok "$2 $name: left behind: $left $(diff "$F/.snap-before" "$F/.snap-after" | grep '^[<>]')"
		fi
	done <tests/bad-input.table
}

# a full filesystem for the output dir: a tmpfs too small for the images
mkdir -p "$F/full"
if mount -t tmpfs -o size=1m tinyx-t600 "$F/full" 2>/dev/null; then
	:
else
	echo "# cannot mount a tmpfs: the full-filesystem case fails" >&2
fi

run_table "$TINYX" plain
asan=${TINYX_ASAN:-$here/build/tinyx-asan}
if [ -x "$asan" ]; then
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		run_table "$asan" asan
else
	nok "no ASan build '$asan' (make build/tinyx-asan)"
fi
done_tests
