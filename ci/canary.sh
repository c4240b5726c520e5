#!/bin/sh
# The CI job on canary kernels: run the suite on a candidate kernel inside QEMU and compare it
# with a reference kernel (booted alongside, rounds alternating) or with a stored baseline
# results file. Exit 0 when every metric was compared and nothing regressed, 1 on a regression,
# 2 on bad arguments, 3 when the candidate could not be tested (did not boot; with --baseline
# also when it lacks metrics of the baseline), 4 when the candidate lacks metrics of the
# reference (a skipped scenario, a feature compiled out): a job never passes on what did not
# run. Pass `-- --allow-missing` or `-- --ignore-scenario NAME` to accept a known gap.
#
# Usage:
#   ci/canary.sh --candidate KERNEL (--reference KERNEL | --baseline RESULTS.json)
#                [--rounds N|auto] [--out DIR] [--deterministic] [--accel auto|kvm|tcg]
#                [-- KCANARY_OPTION... SCENARIO...]
#   After `--`, anything `kcanary vm` / `bisect-step` accepts: scenario names, --set, and the
#   gate's options (--fail-on-inconclusive, --junit FILE, --threshold F, ...).
# KERNEL: a linux-image .deb, a bzImage, or a kernel build directory.
# Environment: KCANARY (the kcanary to run; default: target/release/kcanary, else PATH),
#   KCANARY_GUEST_BINARY (the kcanary to run as the guest's init; default: $KCANARY itself).
set -eu

candidate="" reference="" baseline="" rounds=3 out="kcanary-canary" extra=""
while [ $# -gt 0 ]; do
    case "$1" in
        --candidate) candidate=$2; shift 2 ;;
        --reference) reference=$2; shift 2 ;;
        --baseline) baseline=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --deterministic) extra="$extra --deterministic"; shift ;;
        --accel) extra="$extra --accel $2"; shift 2 ;;
        --help|-h) sed -n '2,18p' "$0"; exit 0 ;;
        --) shift; break ;;
        -*) echo "canary: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
if [ -z "$candidate" ] || { [ -z "$reference" ] && [ -z "$baseline" ]; }; then
    echo "canary: need --candidate and one of --reference / --baseline (see --help)" >&2
    exit 2
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
kcanary=${KCANARY:-}
if [ -z "$kcanary" ]; then
    if [ -x "$target/release/kcanary" ]; then kcanary="$target/release/kcanary"
    else kcanary=$(command -v kcanary || true); fi
fi
if [ -z "$kcanary" ]; then
    (cd "$repo" && cargo build --release --locked)
    kcanary="$target/release/kcanary"
fi

mkdir -p "$out"
set +e
if [ -n "$reference" ]; then
    # shellcheck disable=SC2086
    "$kcanary" vm --kernel "$reference" --kernel "$candidate" --rounds "$rounds" --out "$out" $extra "$@" \
        > "$out/compare.txt"
    status=$?
else
    # shellcheck disable=SC2086
    "$kcanary" bisect-step --kernel "$candidate" --baseline "$baseline" --rounds "$rounds" --out "$out" $extra "$@" \
        > "$out/compare.txt"
    status=$?
    case $status in
        0|1) ;;
        125) status=3 ;;   # the candidate could not be tested, or lacks the baseline's metrics
        *) status=2 ;;     # bad arguments or baseline
    esac
fi
set -e
cat "$out/compare.txt"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    { echo '```'; cat "$out/compare.txt"; echo '```'; } >> "$GITHUB_STEP_SUMMARY"
fi
case $status in
    0) echo "canary: no regression" ;;
    1) echo "canary: REGRESSION (see the table above; results and console logs in $out)" ;;
    3) echo "canary: the candidate kernel could not be tested (console logs in $out)" ;;
    4) echo "canary: INCOMPLETE: the candidate did not measure everything the reference did (see INCOMPLETE above)" ;;
    *) echo "canary: failed (exit $status)" ;;
esac
exit "$status"
