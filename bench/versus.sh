#!/bin/sh
# Two image dirs booted in turn on the same machine in the same run, N pairs:
#   bench/versus.sh REF NEW [N]
# REF_OPTS and NEW_OPTS add probe options to each side (e.g. NEW_OPTS=--initrd).
# Prints each side's image size, median (min-max) boot to service, the
# smallest RAM that serves (--min-mem), NEW/REF ratios, and whether NEW is
# slower to serve with 95 % confidence: a one-sided paired sign test over the
# pairs (the rule of 'tinyx kconfig --minimize'; with 10 pairs, 9 or more
# slower; with fewer than 5, never). Machines here
# differ 2x in speed: only the ratios travel. TINYX picks the CLI.
cd "$(dirname "$0")/.." || exit 1
TINYX=${TINYX:-$PWD/build/tinyx}
[ $# -ge 2 ] || { echo "usage: bench/versus.sh REF NEW [N]" >&2; exit 2; }
ref=$1 new=$2 n=${3:-10}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
one() { # SIDE DIR OPTS: one boot, its service ms appended to SIDE.ms
	# shellcheck disable=SC2086
	if "$TINYX" probe "$2" --json $3 >"$tmp/$1.json" 2>"$tmp/$1.err"; then
		jq -r '.boot_ms.service.median' "$tmp/$1.json" | tee "$tmp/$1.last" >>"$tmp/$1.ms"
		jq -r '.size_bytes.total' "$tmp/$1.json" >"$tmp/$1.size"
	else
		echo "$1: a boot failed: $(tail -n 1 "$tmp/$1.err")" >&2
		return 1
	fi
}
i=0
: >"$tmp/pairs"
while [ $i -lt "$n" ]; do
	# a pair counts for the sign test only when both sides served
	# (both boot every round, as before: a failed one does not skip the other)
	one ref "$ref" "${REF_OPTS:-}" && r=0 || r=1
	if one new "$new" "${NEW_OPTS:-}" && [ $r = 0 ]; then
		echo "$(cat "$tmp/ref.last") $(cat "$tmp/new.last")" >>"$tmp/pairs"
	fi
	i=$((i + 1))
done
median() { sort -n "$1" | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
range() { sort -n "$1" | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'; }
for s in ref new; do
	[ -s "$tmp/$s.ms" ] || { echo "$s: no boot served" >&2; exit 3; }
	eval "${s}_ms=\$(median "$tmp/$s.ms") ${s}_size=\$(cat "$tmp/$s.size")"
	[ $s = ref ] && o=${REF_OPTS:-} d=$ref || o=${NEW_OPTS:-} d=$new
	# shellcheck disable=SC2086
	mb=$("$TINYX" probe "$d" --min-mem --json $o 2>/dev/null | jq -r '.memory_mb.min_boot // "-"')
	eval "${s}_mb=\$mb"
	eval "printf '%s %s%s: image %s B, service %s ms median (%s, %s boots), min RAM %s MB\n' \
		$s $d \"${o:+ $o}\" \"\$${s}_size\" \"\$${s}_ms\" \"\$(range $tmp/$s.ms)\" \
		\"\$(wc -l <$tmp/$s.ms)\" \"\$${s}_mb\""
done
awk -v a="$new_size" -v b="$ref_size" -v c="$new_ms" -v d="$ref_ms" -v e="$new_mb" -v f="$ref_mb" \
	'BEGIN {printf "new/ref: image %.2f, service %.2f, min RAM %s\n", a / b, c / d,
		(e + 0 > 0 && f + 0 > 0) ? sprintf("%.2f", e / f) : "-"}'
# the sign test: s pairs where NEW was slower, f where it was faster (ties
# dropped); p = P(X >= s), X ~ Bin(s + f, 1/2)
awk '$2 > $1 {s++} $2 < $1 {f++} $2 == $1 {t++}
	END {m = s + f; p = 0; c = 1
		for (k = 0; k <= m; k++) {if (k >= s) p += c; c = c * (m - k) / (k + 1)}
		if (m > 0) p /= 2 ^ m; else p = 1
		printf "sign test: new slower in %d of %d pairs (%d ties), p = %.4f: %s\n", s, m, t + 0, p,
			p < 0.05 ? "new is slower (95 % confidence)" : "new is not shown slower"}' "$tmp/pairs"
