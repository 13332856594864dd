#!/bin/sh
# bench/services.sh: the public set of Debian services, each built by the
# mechanism alone (no hints file), booted,
# and checked from outside the VM by its protocol. Per app: verified or the
# build's one-line cause, what answered, image size (kernel + root), boot to
# service, files the trace boot added, the first build's time (it may build
# a kernel) and a warm rebuild's, and the kernel it used (the first 8 hex
# of its config hash; "built" when this run built it, else cached: apps
# whose configs agree share one). Prints figures, never fails on them.
#
# unbound and mosquitto listen on loopback only in Debian's config, knot
# on no address at all, and
# haproxy's has no frontend: each gets the overlay in bench/overlays/APP
# (an operator's config); without it the build must say so (run with
# NO_OVERLAY=1 to see).
#
# Env: TINYX (default build/tinyx), APPS (default the public set), OUT
# (default a temp dir), NO_OVERLAY=1.
set -u
TINYX=${TINYX:-build/tinyx}
APPS=${APPS:-nginx varnish bind9 nsd knot unbound mosquitto haproxy}
tmp=$(mktemp -d) || exit 1
OUT=${OUT:-$tmp/out}
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

now() { date +%s%N; }
secs() { echo $((($2 - $1) / 1000000)) | awk '{printf "%.1f", $1 / 1000}'; }

echo "== services bench ($(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-10s %-8s %-44s %8s %9s %6s %8s %8s  %s\n' app verified check "MB" "serve ms" traced "first s" "warm s" kernel
for app in $APPS; do
	set --
	if [ -d "bench/overlays/$app" ] && [ -z "${NO_OVERLAY:-}" ]; then
		set -- --overlay "bench/overlays/$app"
	fi
	s=$(now)
	"$TINYX" build "$app" --target kvm --format none --out "$OUT" "$@" \
		>"$tmp/$app.log" 2>&1
	rc=$?
	first=$(secs "$s" "$(now)")
	warm=-
	if [ $rc = 0 ]; then
		s=$(now)
		"$TINYX" build "$app" --target kvm --format none --out "$OUT" "$@" \
			>"$tmp/$app.warm" 2>&1 && warm=$(secs "$s" "$(now)")
	fi
	j=$OUT/$app/build.json
	kernel=-
	[ -f "$j" ] && kernel="$(jq -r '.targets.kvm.kernel_config_hash[0:8] + " " +
		(if .targets.kvm.kernel_cached then "cached" else "built" end)' "$j")"
	if [ $rc = 0 ] && [ -f "$j" ]; then
		printf '%-10s %-8s %-44s %8s %9s %6s %8s %8s  %s\n' "$app" yes \
			"$(jq -r '.targets.kvm.check' "$j")" \
			"$(jq -r '.targets.kvm.total_bytes / 1e6 * 100 | floor / 100' "$j")" \
			"$(jq -r '.targets.kvm.boot_ms.service | floor' "$j")" \
			"$(jq -r '.trace.added | length' "$j")" "$first" "$warm" "$kernel"
	else
		printf '%-10s %-8s exit %s after %s s: %s\n' "$app" no "$rc" "$first" \
			"$(tail -n 1 "$tmp/$app.log" | cut -c1-400)"
	fi
done
