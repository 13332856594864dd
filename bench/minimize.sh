#!/bin/sh
# The kernel minimizer for nginx (kvm): trials, time, size and boot change.
# BUDGET (minutes, default 60). FRESH=1 sets the trial record aside first, so
# every trial is built and booted again (with whatever ccache holds: run it a
# second time to see the warm-ccache figure); the record is put back after.
# Never fails on time; prints the report.
cd "$(dirname "$0")/.." || exit 1
make -s build/tinyx || exit 1
cache=${TINYX_CACHE:-$HOME/.cache/tinyx}
rec=$cache/kmin/nginx-kvm/trials
if [ "${FRESH:-0}" = 1 ] && [ -f "$rec" ]; then
	mv "$rec" "$rec.bench-saved"
	trap 'mv "$rec.bench-saved" "$rec"' EXIT INT TERM
fi
start=$(date +%s)
build/tinyx kconfig nginx --target kvm --minimize --budget "${BUDGET:-60}" -q || echo "(minimize failed)"
echo "wall time: $(($(date +%s) - start)) s"
