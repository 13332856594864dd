#!/bin/sh
# Boot an image dir N times with the probe and print the figures:
#   bench/probe.sh [DIR] [N] [extra probe options, e.g. --disk]
# DIR defaults to out/nginx/kvm, N to 10. TINYX picks the CLI (build/tinyx).
# Prints median/min/max per phase, sizes, memory, and the issue's targets
# (total image <= 5 MB, HTTP 200 <= 700 ms median under TCG microvm).
# Writes the raw JSON to build/bench/probe-NAME.json. Exit 3 when a run failed.
cd "$(dirname "$0")/.." || exit 1
TINYX=${TINYX:-$PWD/build/tinyx}
dir=${1:-out/nginx/kvm}
n=${2:-10}
[ $# -ge 2 ] && shift 2 || shift $#
name=$(printf '%s' "$dir" | sed 's#^/##; s#^out/##; s#[/ ]#-#g; s#-*$##')
mkdir -p build/bench
json=build/bench/probe-$name.json
echo "probe: $dir, $n runs ($*)"
start=$(date +%s)
"$TINYX" probe "$dir" --runs "$n" --json "$@" > "$json"
rc=$?
echo "wall time: $(( $(date +%s) - start )) s, exit $rc, JSON in $json"
if ! command -v jq >/dev/null; then cat "$json"; exit $rc; fi
jq -r '
  def f: if . == null then "-" else (. * 10 | round / 10 | tostring) end;
  "ok: \(.ok)  runs: \(.runs_ok)/\(.runs)  \(.target) \(.machine) \(.accel) \(.memory_mb) MB  netns_isolated: \(.netns_isolated)",
  "phase (ms)   median      min      max",
  (["console","init","network","service"][] as $p | .boot_ms[$p] as $s |
     "\($p)\(" " * (10 - ($p|length)))  \($s.median|f|" " * (8 - length) + .) \($s.min|f|" " * (8 - length) + .) \($s.max|f|" " * (8 - length) + .)"),
  "size: kernel \(.size_bytes.kernel) B, rootfs \(.size_bytes.rootfs) B, total \(.size_bytes.total) B (\(.size_bytes.total / 1e6 * 100 | round / 100) MB)",
  "memory: guest used \(.memory_kb.guest_used // "-") KB, QEMU RSS \(.memory_kb.qemu_rss // "-") KB",
  "target total <= 5 MB: \(if .size_bytes.total <= 5000000 then "met" else "missed by \((.size_bytes.total - 5000000) / 1e6 * 100 | round / 100) MB" end)",
  "target service median <= 700 ms: \(if .boot_ms.service.median == null then "no data" elif .boot_ms.service.median <= 700 then "met" else "missed by \(.boot_ms.service.median - 700 | . * 10 | round / 10) ms" end)"
' "$json"
exit $rc
