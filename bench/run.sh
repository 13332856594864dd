#!/bin/sh
# make bench: every benchmark in turn; each prints its figures (none fails on
# time). The README's figures come from this output. bench/minimize.sh (the
# kernel minimizer, 40 min cold) and bench/services.sh (a kernel build per
# app, 15-20 min each cold) are run on their own.
cd "$(dirname "$0")/.." || exit 1
for b in closure kernel rootfs probe build compare; do
	[ -x "bench/$b.sh" ] || [ -f "bench/$b.sh" ] || continue
	echo "== bench/$b.sh"
	sh "bench/$b.sh" || echo "(bench/$b.sh could not finish)"
done
