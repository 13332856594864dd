#!/bin/sh
# The kernel minimizer for nginx (kvm): trials, time, size and boot change.
# BUDGET (minutes, default 60).
#   (default)  resume: every trial the record holds is answered from it
#   WARM=1     sets aside the trial record and the built kernels (CACHE/kernels):
#              every trial is built and booted again, with ccache and the
#              kbuild dir as they are (the warm-ccache figure)
#   COLD=1     sets aside ccache and the kbuild dir too (the cold figure)
# What was set aside is put back after, and what the run made in its place is
# deleted. Never fails on time; prints the report.
cd "$(dirname "$0")/.." || exit 1
make -s build/tinyx || exit 1
cache=${TINYX_CACHE:-$HOME/.cache/tinyx}
aside=
if [ "${WARM:-0}" = 1 ] || [ "${COLD:-0}" = 1 ]; then
	aside="$cache/kmin/nginx-kvm/trials $cache/kernels"
	[ "${COLD:-0}" = 1 ] && aside="$aside $cache/ccache $cache/kbuild/kvm"
fi
restore() {
	for p in $aside; do
		if [ -e "$p.bench-saved" ]; then
			rm -rf "$p"
			mv "$p.bench-saved" "$p"
		fi
	done
}
for p in $aside; do
	if [ -e "$p" ]; then mv "$p" "$p.bench-saved" || exit 1; fi
done
trap 'restore' EXIT
trap 'exit 130' INT TERM
mode="resuming from the record"
[ "${WARM:-0}" = 1 ] && mode="warm ccache, no record"
[ "${COLD:-0}" = 1 ] && mode="cold ccache, no record"
echo "minimize nginx (kvm): $mode, budget ${BUDGET:-60} min"
start=$(date +%s)
build/tinyx kconfig nginx --target kvm --minimize --budget "${BUDGET:-60}" -q || echo "(minimize failed)"
echo "wall time: $(($(date +%s) - start)) s"
