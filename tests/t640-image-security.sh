#!/bin/sh
# t640: what an nginx image holds and how it runs.
#  - no account has a password: every shadow field is '*' or '!...', every
#    passwd field 'x' or '*'; nothing of the build host (stage marker, mirror);
#  - no login service: no getty, login, sshd, telnetd, su; no debug shell
#    unless asked (--debug-shell);
#  - files are root's except the app's own run-time data (under /var, /run):
#    no code or config the app's user could change; no setuid/setgid file, no
#    world-writable file, the image listing agrees with the manifest;
#  - the app runs as its unit says: nginx's unit has no User=, so the master
#    runs as root and drops its workers to www-data (nginx.conf "user"):
#    checked inside the guest, through the debug shell on the console;
#  - the probe's sockets never live in the host's network namespace: sampled
#    from the host while a probe runs, and the probe's own netns_isolated.
. tests/lib.sh
tmp=$(mktemp -d /tmp/tinyx-t640.XXXXXX) || exit 1
qpid= ppid=
cleanup() {
	[ -n "$qpid" ] && kill -KILL "$qpid" 2>/dev/null
	[ -n "$ppid" ] && kill -TERM "$ppid" 2>/dev/null && wait "$ppid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
NGINX=$("$TINYX" stage nginx 2>/dev/null) || { nok "stage nginx"; done_tests; exit 1; }
"$TINYX" build nginx --root "$NGINX" --target kvm --no-verify -q --out "$tmp/o" >"$tmp/b.log" 2>&1
img=$tmp/o/nginx/kvm
check "build" [ -s "$img/initrd" ]
mkdir -p "$tmp/x"
zstd -dc "$img/initrd" >"$tmp/initrd.cpio" 2>/dev/null || xz -dc "$img/initrd" >"$tmp/initrd.cpio"
(cd "$tmp/x" && cpio -id --quiet etc/shadow etc/passwd etc/group etc/tinyx/app.conf <"$tmp/initrd.cpio")
cpio -itv --quiet --numeric-uid-gid <"$tmp/initrd.cpio" >"$tmp/list"
check "the image lists entries" [ "$(wc -l <"$tmp/list")" -gt 50 ]

# accounts
check "shadow exists" [ -s "$tmp/x/etc/shadow" ]
bad=$(awk -F: '$2 !~ /^(\*|!.*)$/ { print $1 }' "$tmp/x/etc/shadow")
check "no account has a password in shadow ($bad)" [ -z "$bad" ]
bad=$(awk -F: '$2 != "x" && $2 != "*" { print $1 }' "$tmp/x/etc/passwd")
check "no password (or empty one) in passwd ($bad)" [ -z "$bad" ]
check "www-data is there for nginx's workers" grep -q '^www-data:x:33:33:' "$tmp/x/etc/passwd"
check "no stage marker" sh -c "! grep -q '\.tinyx-stage' '$tmp/list'"
check "no mirror URL in the image" sh -c "! grep -aq 'mirror=' '$tmp/initrd.cpio'"

# no way to log in
bad=$(awk '{ print $NF }' "$tmp/list" | grep -E '(^|/)(getty|agetty|login|sshd|dropbear|telnetd|su|sudo|inittab)$' || true)
check "no login service or tool ($bad)" [ -z "$bad" ]
check "no debug shell flag unless asked" sh -c "! grep -q 'etc/tinyx/debug-shell' '$tmp/list'"
check "the init runs nginx, not a shell" grep -q '^arg /usr/sbin/nginx$' "$tmp/x/etc/tinyx/app.conf"
check "the unit has no User=: no user line in app.conf" sh -c "! grep -q '^user ' '$tmp/x/etc/tinyx/app.conf'"

# ownership and modes (cpio -tv: MODE LINKS UID GID SIZE MONTH DAY TIME NAME)
bad=$(awk '$3 != 0 || $4 != 0 { print $NF }' "$tmp/list" | grep -vE '^(var|run)/' || true)
check "non-root files only under /var and /run ($bad)" [ -z "$bad" ]
bad=$(awk '$1 ~ /^-.*[sS]/ { print $NF }' "$tmp/list")
check "no setuid or setgid file ($bad)" [ -z "$bad" ]
bad=$(awk '$1 ~ /^-.......w./ { print $NF }' "$tmp/list")
check "no world-writable file ($bad)" [ -z "$bad" ]
bad=$(awk '$1 ~ /^d.......w[^t]/ { print $NF }' "$tmp/list")
check "world-writable dirs are sticky ($bad)" [ -z "$bad" ]
# every non-root entry is in the manifest with those ids
mismatch=$(awk '$3 != 0 || $4 != 0 { print "/" $NF, $3, $4 }' "$tmp/list" | while read -r p u g; do
	awk -v p="$p" -v u="$u" -v g="$g" '$2 == p && $4 == u && $5 == g { f = 1 } END { exit !f }' \
		"$tmp/o/nginx/manifest.txt" || echo "$p"
done)
check "non-root owners as in the manifest ($mismatch)" [ -z "$mismatch" ]

# inside the guest: which uid each process has (debug shell on the console)
"$TINYX" build nginx --root "$NGINX" --target kvm --no-verify --debug-shell -q --out "$tmp/d" >"$tmp/d.log" 2>&1
check "debug build" [ -s "$tmp/d/nginx/kvm/initrd" ]
check "the debug build says so in its image" grep -q 'etc/tinyx/debug-shell' "$tmp/d/nginx/manifest.txt"
mkfifo "$tmp/in"
append="console=ttyS0 quiet panic=-1 tinyx.hostname=nginx tinyx.debug_shell=1 tsc=reliable"
timeout 120 qemu-system-x86_64 -M microvm,acpi=off -accel tcg -m 64 -nodefaults -no-user-config \
	-nographic -no-reboot -kernel "$tmp/d/nginx/kvm/kernel" -initrd "$tmp/d/nginx/kvm/initrd" \
	-append "$append" -serial stdio <"$tmp/in" >"$tmp/console" 2>&1 &
qpid=$!
exec 9>"$tmp/in"
i=0
while [ $i -lt 900 ] && ! grep -q 'tinyx: ready tcp/80' "$tmp/console"; do sleep 0.1; i=$((i + 1)); done
check "the guest serves (ready tcp/80)" grep -q 'tinyx: ready tcp/80' "$tmp/console"
sleep 1
printf '%s\n' 'for p in /proc/[0-9]*; do echo "PS $(cat $p/comm) $(grep ^Uid: $p/status | tr -s "\t " " " | cut -d" " -f2)"; done; echo PS-END' >&9
i=0
while [ $i -lt 300 ] && ! grep -q '^PS-END' "$tmp/console"; do sleep 0.1; i=$((i + 1)); done
exec 9>&-
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null; qpid=
tr -d '\r' <"$tmp/console" | grep '^PS ' >"$tmp/ps"
check "nginx master runs as root (the unit has no User=)" grep -q '^PS nginx 0$' "$tmp/ps"
check "nginx workers run as www-data (uid 33)" grep -q '^PS nginx 33$' "$tmp/ps"
bad=$(grep '^PS nginx ' "$tmp/ps" | grep -v ' 0$' | grep -v ' 33$' || true)
check "no nginx process as anyone else ($bad)" [ -z "$bad" ]
[ -s "$tmp/ps" ] || tail -n 20 "$tmp/console"

# the probe's sockets: never in the host namespace
"$TINYX" probe "$img" --json >"$tmp/probe.json" 2>"$tmp/probe.err" &
ppid=$!
seen= samples=0
while kill -0 "$ppid" 2>/dev/null; do
	s=$(ss -tuanpH 2>/dev/null | grep -E "pid=$ppid,|\"qemu-system-x86\",pid=[0-9]+" | grep -F "$tmp" || true)
	s2=$(ss -tuanpH 2>/dev/null | grep "pid=$ppid," || true)
	[ -n "$s$s2" ] && seen="$seen $s$s2"
	samples=$((samples + 1))
	sleep 0.05
done
wait "$ppid"; prc=$?; ppid=
check "probe served (exit $prc)" [ "$prc" = 0 ]
check "no socket of the probe in the host namespace ($samples samples)" test -z "$seen" -a "$samples" -gt 5
check "the probe reports its sockets isolated" grep -q '"netns_isolated": true' "$tmp/probe.json"
done_tests
