#!/bin/sh
# The study's comparison for one app, on this machine:
#   bench/compare.sh [APP] [RUNS]        (default nginx, 3)
# Runs `tinyx compare APP --runs RUNS --json --plot out/figures`, keeps the
# JSON in build/bench/compare-APP.json, prints the table and the issue's
# targets (Tinyx image >= 50x smaller than debian-vm, smallest RAM >= 4x
# smaller, boot to service >= 10x faster), each met or missed by how much,
# and tinyx-kvm against each unikernel row measured (minios, osv, unikraft):
# ahead or behind on each figure, by how much.
# The figures go to out/figures/*.svg and are copied to docs/figures/, which
# the README shows.
cd "$(dirname "$0")/.." || exit 1
TINYX=${TINYX:-$PWD/build/tinyx}
app=${1:-nginx}
runs=${2:-3}
mkdir -p build/bench
json=build/bench/compare-$app.json
start=$(date +%s)
"$TINYX" compare "$app" --runs "$runs" --json --plot out/figures > "$json"
rc=$?
echo "wall time: $(( $(date +%s) - start )) s, exit $rc, JSON in $json, figures in out/figures"
mkdir -p docs/figures && cp out/figures/*.svg docs/figures/ 2>/dev/null
command -v jq >/dev/null || { cat "$json"; exit $rc; }
jq -r '
  def r: if . == null then "-" else (. * 10 | round / 10 | tostring) end;
  def kb: if . == null then null else . / 1024 end;
  def mb: if . == null then "-" else (. / 1e6 * 100 | round / 100 | tostring) end;
  def pad(n): tostring | . + " " * ([n - length, 1] | max);
  "system          image MB  RSS MB  PSS MB  used MB  min MB  init ms  net ms  serve ms  rtt us  p99 us  Mbit/s",
  (.systems[] | if .measured then
     "\(.name|pad(16))\(.size_bytes.total|mb|pad(10))\(.memory_kb.qemu_rss|kb|r|pad(8))\(.memory_kb.qemu_pss|kb|r|pad(8))\(.memory_kb.guest_used|kb|r|pad(9))\(.memory_mb.min_boot|r|pad(8))\(.boot_ms.init|r|pad(9))\(.boot_ms.network|r|pad(8))\(.boot_ms.service|r|pad(10))\(.rtt_us.median|r|pad(8))\(.rtt_us.p99|r|pad(8))\(.throughput_mbps|r)"
   else "\(.name|pad(16))\(.note)" end),
  "",
  (.systems[] | select(.name | startswith("tinyx")) | .name as $n | .vs_debian_vm as $v |
   "\($n) vs debian-vm: image \($v.image|r)x smaller (target 50x: \(if $v.image >= 50 then "met" else "missed" end)), smallest RAM \($v.min_boot|r)x (target 4x: \(if $v.min_boot >= 4 then "met" else "missed" end)), boot to service \($v.service|r)x faster (target 10x: \(if $v.service >= 10 then "met" else "missed" end))"),
  "",
  # tinyx-kvm against each measured unikernel: ahead or behind, by how much
  def cmp(a; b; low):
    if a == null or b == null or a <= 0 or b <= 0 then "-"
    elif (low and a <= b) or ((low | not) and a >= b) then "\((if low then b / a else a / b end) | r)x ahead"
    else "\((if low then a / b else b / a end) | r)x behind" end;
  ([.systems[] | select(.name == "tinyx-kvm" and .measured)] | first) as $t |
  (.systems[] | select(.measured and (.name == "minios" or .name == "osv" or .name == "unikraft")) |
   if $t == null then "\(.name): no tinyx-kvm row to compare with" else
   "tinyx-kvm vs \(.name): image \(cmp($t.size_bytes.total; .size_bytes.total; true)), smallest RAM \(cmp($t.memory_mb.min_boot; .memory_mb.min_boot; true)), QEMU RSS \(cmp($t.memory_kb.qemu_rss; .memory_kb.qemu_rss; true)), boot to service \(cmp($t.boot_ms.service; .boot_ms.service; true)), RTT \(cmp($t.rtt_us.median; .rtt_us.median; true)), throughput \(cmp($t.throughput_mbps; .throughput_mbps; false))" end)
' "$json"
exit $rc
