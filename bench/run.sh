#!/bin/sh
# make bench: every benchmark in turn; each prints its figures (none fails on
# time). The README's figures come from this output. bench/minimize.sh (the
# kernel minimizer, 40 min cold), bench/services.sh (a kernel build per
# app, 15-20 min each cold) and bench/vnf.sh (a network function against a
# Debian VM and a container, 6-9 min each for 3 rounds) are run on their own.
cd "$(dirname "$0")/.." || exit 1
for b in closure kernel rootfs probe build compare; do
	[ -x "bench/$b.sh" ] || [ -f "bench/$b.sh" ] || continue
	echo "== bench/$b.sh"
	sh "bench/$b.sh" || echo "(bench/$b.sh could not finish)"
done
