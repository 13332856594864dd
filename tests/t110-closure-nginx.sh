#!/bin/sh
# End to end: stage nginx for real (debootstrap, cached) and check its
# closure against what nginx needs, and nothing it does not.
. tests/lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
root=$("$TINYX" stage nginx) || { nok "stage nginx"; done_tests; exit 1; }
ok "staged nginx in $root"
"$TINYX" closure nginx --json >"$tmp/c.json" || { nok "closure nginx --json"; done_tests; exit 1; }
"$TINYX" closure nginx >"$tmp/c.txt" 2>/dev/null
check "json parses" jq -e .app "$tmp/c.json"
has() { jq -e --arg p "$1" '.entries[] | select(.path == $p)' "$tmp/c.json" >/dev/null; }
hasre() { jq -e --arg p "$1" '[.entries[] | select(.path | test($p))] | length > 0' "$tmp/c.json" >/dev/null; }
realfile() { # a library's soname resolves to a real file entry
	jq -e --arg p "$1" '[.entries[] | select(.type == "file" and (.path | contains($p)))] | length > 0' "$tmp/c.json" >/dev/null
}
for p in /usr/sbin/nginx /etc/nginx/nginx.conf /etc/nginx/mime.types /var/www/html; do
	check "has $p" has "$p"
done
check "has the ELF interpreter" hasre 'ld-linux-x86-64\.so\.2$'
for l in libc.so.6 libcrypt.so.1 libpcre2-8.so.0 libssl.so.3 libcrypto.so.3 libz.so.1; do
	check "has $l" hasre "/$l\$"
	check "has the real file of $l" realfile "$l"
done
check "has user www-data" jq -e '[.entries[] | select(.type == "user" and .path == "www-data")] | length == 1' "$tmp/c.json"
check "has user root" jq -e '[.entries[] | select(.type == "user" and .path == "root")] | length == 1' "$tmp/c.json"
for bad in '/usr/share/doc' 'dpkg' '/apt' 'perl' '/bash$' '/usr/share/man' '/locale'; do
	check "nothing matching $bad" jq -e --arg p "$bad" '[.entries[] | select(.path | test($p))] | length == 0' "$tmp/c.json"
done
for f in EPOLL EVENTFD MULTIUSER NET; do
	check "kernel feature $f with its symbol" jq -e --arg f "$f" '[.kernel_features[] | select(.option == $f and (.symbol | length > 0))] | length > 0' "$tmp/c.json"
done
check "every entry has a reason" jq -e '[.entries[] | select(.reason == "")] | length == 0' "$tmp/c.json"
check "file entries have size" jq -e '[.entries[] | select(.type == "file" and (.size | type) != "number")] | length == 0' "$tmp/c.json"
# the paths in the text form are sorted
awk '$1 != "user" && $1 != "group" {print $2}' "$tmp/c.txt" >"$tmp/paths"
check "text manifest is sorted" sort -c "$tmp/paths"
# size: within 15% of nginx plus its libraries as the root's own ldd sees them
need=$(chroot "$root" /usr/bin/ldd /usr/sbin/nginx | awk '/=>/ {print $3} /^\t\// {print $1}' |
	while read -r l; do chroot "$root" readlink -f "$l"; done | sort -u |
	while read -r l; do stat -c %s "$root$l"; done | awk '{s += $1} END {print s}')
need=$((need + $(stat -c %s "$root/usr/sbin/nginx")))
total=$(jq .total_file_bytes "$tmp/c.json")
echo "closure total $total bytes, nginx + libraries (ldd) $need bytes"
check "total within 15% of what nginx needs" test "$total" -ge "$need" -a "$total" -le $((need * 115 / 100))
# same input, same output
"$TINYX" closure nginx --json >"$tmp/c2.json" 2>/dev/null
check "closure is deterministic" cmp -s "$tmp/c.json" "$tmp/c2.json"
# cached stage is reused
t0=$(date +%s%N); "$TINYX" stage nginx >/dev/null 2>&1; t1=$(date +%s%N)
check "stage reuse under 1 s ($(( (t1 - t0) / 1000000 )) ms)" [ $(( (t1 - t0) / 1000000 )) -lt 1000 ]
done_tests
