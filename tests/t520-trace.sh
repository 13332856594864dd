#!/bin/sh
# The trace boot (image/trace.c, guest/trace.c): a file the app needs that
# no static analysis sees is found by running the app once on its whole
# staged root. The fixture: nginx's staged root, copied, with a config that
# includes "tracefix.conf" by a relative path (nginx resolves it against
# /etc/nginx; the closure's config scan takes absolute paths only), which
# serves tcp/8080. Checks:
#   - with --no-trace the build fails as it must (exit 3, nginx's own message
#     naming the file): the static closure alone misses it;
#   - with the trace it is verified, the manifest has the file with reason
#     opened-at-runtime, build.json lists it, and 8080 answers;
#   - a second build reuses the cached trace; a changed root does not;
#   - nothing left: no QEMU, no namespace, no temp dir in the trace cache.
# Needs root and nginx's KVM kernel (cached by t210: same config as here).
. tests/lib.sh

tmp=$(mktemp -d /tmp/tinyx-t520.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
netns_before=$(ip netns list 2>/dev/null | sort | tr '\n' ' ')

root=$tmp/root
nginx_root_copy "$root"
sed -i 's|^\([[:space:]]*include /etc/nginx/sites-enabled/\*;\)|\1\n\tinclude tracefix.conf;|' \
	"$root/etc/nginx/nginx.conf"
check "the fixture's include is in nginx.conf" grep -q '^	include tracefix.conf;' \
	"$root/etc/nginx/nginx.conf"
cat >"$root/etc/nginx/tracefix.conf" <<'EOF'
server {
	listen 8080;
	location / { return 200 "found by the trace\n"; }
}
EOF

# 1. the static closure alone: nginx cannot start, and the build says so
timeout 600 "$TINYX" build nginx --root "$root" --target kvm --format none --no-trace \
	--out "$tmp/out0" >"$tmp/b0.log" 2>&1
rc=$?
tail -n 3 "$tmp/b0.log"
check "--no-trace: exit 3 (got $rc)" [ $rc = 3 ]
check "--no-trace: the message is nginx's, naming the file" \
	grep -q "^tinyx: verify: .*tracefix.conf" "$tmp/b0.log"
check "--no-trace: no trace boot" sh -c "! grep -q 'trace:' '$tmp/b0.log'"

# 2. with the trace: found, added, verified
t0=$(date +%s)
timeout 900 "$TINYX" build nginx --root "$root" --target kvm --format none \
	--out "$tmp/out" >"$tmp/b1.log" 2>&1
rc=$?
t1=$(date +%s)
grep 'trace' "$tmp/b1.log"
tail -n 4 "$tmp/b1.log"
check "trace: exit 0 (got $rc) in $((t1 - t0)) s" [ $rc = 0 ]
check "trace: the boot ran" grep -q '^tinyx: trace: booting nginx on its whole staged root' "$tmp/b1.log"
m=$tmp/out/nginx/manifest.txt
check "manifest: tracefix.conf, opened-at-runtime" \
	grep -Eq '^file +/etc/nginx/tracefix.conf .* opened-at-runtime$' "$m"
check "manifest: the static closure's reasons stay (nginx needed-by, not runtime)" \
	sh -c "! grep -E 'libc.so.6 .*opened-at-runtime' '$m'"
j=$tmp/out/nginx/build.json
check "build.json: trace.added has it" \
	jq -e '.trace.added | index("/etc/nginx/tracefix.conf") != null' "$j"
check "build.json: trace.cached is false" jq -e '.trace.cached == false' "$j"
check "build.json: verified" jq -e '.targets.kvm.verified == true' "$j"
# the probe of the image checks every port the app serves: 8080 too
timeout 300 "$TINYX" probe "$tmp/out/nginx/kvm" --json >"$tmp/p.json" 2>"$tmp/p.err"
rc=$?
cat "$tmp/p.err" | tail -n 2
check "probe: exit 0 (got $rc)" [ $rc = 0 ]
check "probe: tcp/8080 answers http" jq -e '.check | test("http 200 on tcp/8080")' "$tmp/p.json"

# 3. cached by its inputs
timeout 600 "$TINYX" build nginx --root "$root" --target kvm --format none --no-verify \
	--out "$tmp/out" >"$tmp/b2.log" 2>&1
check "second build: the trace is reused" grep -q '^tinyx: trace: reused from the cache' "$tmp/b2.log"
check "second build: same manifest" sh -c "grep -q opened-at-runtime '$m'"
echo '# changed' >>"$root/etc/nginx/tracefix.conf"
timeout 900 "$TINYX" build nginx --root "$root" --target kvm --format none --no-verify \
	--out "$tmp/out" >"$tmp/b3.log" 2>&1
check "changed root: the trace runs again" grep -q '^tinyx: trace: booting' "$tmp/b3.log"

# 4. nothing left
check "no QEMU left" sh -c "! pgrep -f '[q]emu-system.*traces/' >/dev/null"
check "ip netns list unchanged" \
	[ "$(ip netns list 2>/dev/null | sort | tr '\n' ' ')" = "$netns_before" ]
cache=${TINYX_CACHE:-$HOME/.cache/tinyx}
check "no temp dir in the trace cache" \
	sh -c "! ls -A '$cache/traces' | grep -Eq '\\.tmp\\.|^\\.gen\\.'"
done_tests
