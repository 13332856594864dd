#!/bin/sh
# t220: 'tinyx kconfig nginx --target kvm --minimize' on a small candidate set:
# two options nginx does not need (VIRTIO_CONSOLE: the console is the UART;
# BINFMT_SCRIPT: nothing in the image is a #! script) and one it does
# (VIRTIO_NET: the guest's NIC). All three are narrow (a file or two each to
# rebuild), so the trials are cheap. The required one is kept, the
# others are removed, the result boots and serves (the minimizer verifies it),
# and a second run answers every trial from its record: no kernel build.
# A feature the analysis found (INET) and an option a fragment marks required
# (IPV6: Debian's default site listens on [::]:80) cannot be candidates.
# The kbuild dir and the trial record are the test's own (own_cache in
# lib.sh): another run's build must not hold them.
. tests/lib.sh
own_cache kvm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cands=VIRTIO_CONSOLE,BINFMT_SCRIPT,VIRTIO_NET
num() { grep -o "\"$1\":[0-9]*" "$2" | head -n 1 | cut -d: -f2; }
list() { grep -o "\"$1\":\[[^]]*\]" "$2"; }

expect_fail 1 "^tinyx: kconfig: candidate is required \(.*\) 'INET'$" -- \
	"$TINYX" kconfig nginx --target kvm --minimize --candidates INET -q
expect_fail 1 "^tinyx: kconfig: candidate is required \(kconfig-fragments/apps/nginx.config:[0-9]+\) 'IPV6'$" -- \
	"$TINYX" kconfig nginx --target kvm --minimize --candidates VIRTIO_CONSOLE,IPV6 -q
expect_fail 1 "^tinyx: kconfig: candidate is not an option 'nginx' requests as y or m 'NOPE'$" -- \
	"$TINYX" kconfig nginx --target kvm --minimize --candidates NOPE -q
expect_fail 2 "^tinyx: bad budget \(minutes\) '0'" -- \
	"$TINYX" kconfig nginx --target kvm --minimize --budget 0

if timeout 1500 "$TINYX" kconfig nginx --target kvm --minimize --candidates $cands \
	--budget 20 --runs 1 --json >"$tmp/1.json" 2>"$tmp/1.err"; then
	ok "minimize nginx (kvm) on $cands: $(tr -d '\n' <"$tmp/1.json" | cut -c1-400)"
else
	nok "minimize nginx: $(tail -n 3 "$tmp/1.err")"
	done_tests
	exit 1
fi
case $(list kept "$tmp/1.json") in *'"VIRTIO_NET"'*) ok "VIRTIO_NET kept" ;; *) nok "VIRTIO_NET not kept" ;; esac
case $(list removed "$tmp/1.json") in
*'"VIRTIO_CONSOLE"'* | *'"BINFMT_SCRIPT"'*) ok "removed: $(list removed "$tmp/1.json")" ;;
*) nok "nothing removed: $(list removed "$tmp/1.json")" ;;
esac
case $(list removed "$tmp/1.json") in *'"VIRTIO_NET"'*) nok "VIRTIO_NET removed" ;; esac
frag=$(grep -o '"fragment":"[^"]*"' "$tmp/1.json" | cut -d'"' -f4)
check "fragment written: $frag" test -s "$frag"
check "fragment switches VIRTIO_CONSOLE off" grep -qx '# CONFIG_VIRTIO_CONSOLE is not set' "$frag"
check "fragment leaves VIRTIO_NET alone" sh -c "! grep -q VIRTIO_NET '$frag'"
a=$(num after "$tmp/1.json") b=$(num before "$tmp/1.json")
check "fewer options on ($b -> $a)" test "${a:-0}" -lt "${b:-0}"
# the compression phase: a mode is kept only when smaller and no slower to
# serve than the full kernel (boots in turn, so the choice may differ between
# machines); whichever it is, the fragment and the sizes must say the same
kb=$(grep -o '"kernel_bytes":{[^}]*}' "$tmp/1.json")
kbefore=$(echo "$kb" | grep -o '"before":[0-9]*' | cut -d: -f2)
kopts=$(echo "$kb" | grep -o '"options":[0-9]*' | cut -d: -f2)
kafter=$(echo "$kb" | grep -o '"after":[0-9]*' | cut -d: -f2)
from=$(grep -o '"compression":{"from":"[a-z0-9]*"' "$tmp/1.json" | cut -d'"' -f6)
to=$(grep -o '"compression":{[^}]*}' "$tmp/1.json" | grep -o '"to":"[a-z0-9]*"' | cut -d'"' -f4)
own=$(sed -n 's/^CONFIG_KERNEL_\([A-Z0-9]*\)=y$/\1/p' kconfig-fragments/base.config | tr A-Z a-z)
check "compression reported ($from -> $to)" test "$from" = "$own" -a -n "$to"
check "removals made the kernel smaller ($kbefore -> $kopts)" test "${kopts:-0}" -lt "${kbefore:-0}"
if [ "$to" = "$from" ]; then
	check "no compression line in the fragment" sh -c "! grep -q '^CONFIG_KERNEL_' '$frag'"
	check "same size without a new compression" test "$kafter" = "$kopts"
else
	up=$(echo "$to" | tr a-z A-Z)
	check "fragment asks for $to" grep -qx "CONFIG_KERNEL_$up=y" "$frag"
	check "fragment switches $from off" grep -qx "# CONFIG_KERNEL_$(echo "$from" | tr a-z A-Z) is not set" "$frag"
	check "$to is smaller ($kopts -> $kafter)" test "${kafter:-0}" -lt "${kopts:-0}"
fi

# a trial's config is made once: the build reuses it (the stamp beside
# .config), so kconfig runs no more often than kbuild builds, or finds the
# kernel of that config already in the cache
nk=$(sed -n '/kconfig: minimizing/,$p' "$tmp/1.err" | grep -c 'kconfig: allnoconfig')
nc=$(sed -n '/kconfig: minimizing/,$p' "$tmp/1.err" | grep -c 'kernel: \[kvm\] cached')
b1=$(num builds "$tmp/1.json")
check "one kconfig run per trial built ($nk runs, $b1 builds, $nc cached)" \
	test "$nk" -le "$((${b1:-0} + nc))"

# the second run: every trial from the record
if timeout 600 "$TINYX" kconfig nginx --target kvm --minimize --candidates $cands \
	--budget 20 --runs 1 --json >"$tmp/2.json" 2>"$tmp/2.err"; then
	ok "second run"
else
	nok "second run: $(tail -n 3 "$tmp/2.err")"
fi
t=$(num trials "$tmp/2.json") r=$(num reused "$tmp/2.json") bu=$(num builds "$tmp/2.json")
check "second run: $r of $t trials from the record" test -n "$t" -a "$t" = "$r"
check "second run: no kernel build ($bu)" test "$bu" = 0
check "same fragment" cmp -s "$frag" "$(grep -o '"fragment":"[^"]*"' "$tmp/2.json" | cut -d'"' -f4)"
cache=${TINYX_CACHE:-$HOME/.cache/tinyx}
check "no QEMU of this cache's trials left" test -z "$(own_procs "[q]emu-system.*$cache/kmin/")"
check "output is one JSON object" sh -c "head -c 1 '$tmp/1.json' | grep -q '{' && test \$(wc -l < '$tmp/1.json') = 1"
done_tests
