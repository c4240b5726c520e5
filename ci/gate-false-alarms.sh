#!/bin/sh
# Runs the same scenario twice on the same kernel, N times, and counts how often
# `kcanary check` calls it a regression (a false alarm; the goal is 0/N).
#
#   ci/gate-false-alarms.sh [-n 10] [-o DIR] [-- RUN-ARGS...]
#   e.g. ci/gate-false-alarms.sh -n 10 -- ipset-swap-storm --repetitions 5
#
# KCANARY names the binary (default: kcanary on PATH). Every pair of results and its
# check output stay in DIR (default: a new temporary directory) for inspection.
# Exit: 0 no false alarm, 1 at least one, 2 a run or check failed.
set -eu

rounds=10
out_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        -n) rounds="$2"; shift 2 ;;
        -o) out_dir="$2"; shift 2 ;;
        --) shift; break ;;
        *) echo "usage: $0 [-n ROUNDS] [-o DIR] [-- RUN-ARGS...]" >&2; exit 2 ;;
    esac
done
kcanary="${KCANARY:-kcanary}"
[ -n "$out_dir" ] || out_dir="$(mktemp -d -t kcanary-false-alarms.XXXXXX)"
mkdir -p "$out_dir"

alarms=0
round=1
while [ "$round" -le "$rounds" ]; do
    first="$out_dir/round-$round-a.json"
    second="$out_dir/round-$round-b.json"
    "$kcanary" run "$@" --out "$first" >/dev/null || { echo "round $round: run failed" >&2; exit 2; }
    "$kcanary" run "$@" --out "$second" >/dev/null || { echo "round $round: run failed" >&2; exit 2; }
    status=0
    "$kcanary" check "$second" --baseline "$first" >"$out_dir/round-$round-check.txt" || status=$?
    case "$status" in
        0) verdict="no regression" ;;
        1) verdict="FALSE ALARM"; alarms=$((alarms + 1)) ;;
        *) echo "round $round: check failed (exit $status), see $out_dir/round-$round-check.txt" >&2; exit 2 ;;
    esac
    echo "round $round: $verdict ($(tail -n 1 "$out_dir/round-$round-check.txt"))"
    round=$((round + 1))
done
echo "false alarms: $alarms/$rounds (results in $out_dir)"
[ "$alarms" -eq 0 ]
