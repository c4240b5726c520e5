#!/usr/bin/env bash
# How often does the gate cry wolf? Runs the same scenario twice on this kernel, checks the
# second run against the first, and repeats; prints the verdicts and the false-alarm count
# (goal 0). Also shows that a real difference is caught: the swap storm with 20,000 other
# sets checked against the same scenario with none (~50x the cost).
#   ci/false-alarms.sh [PAIRS] [SCENARIO] [extra kcanary run arguments...]
set -euo pipefail
pairs=${1:-10}; scenario=${2:-ipset-swap-storm}; shift 2 || true
cd "$(dirname "$0")/.."
kcanary=target/release/kcanary
[ -x "$kcanary" ] || cargo build --release --quiet
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

alarms=0
for i in $(seq "$pairs"); do
  "$kcanary" run "$scenario" --out "$work/a.json" "$@" > /dev/null 2>&1
  "$kcanary" run "$scenario" --out "$work/b.json" "$@" > /dev/null 2>&1
  if "$kcanary" check "$work/b.json" --baseline "$work/a.json" > "$work/check.txt" 2>&1; then
    verdict="no regression"
  else
    code=$?
    [ "$code" -eq 1 ] || { cat "$work/check.txt"; exit "$code"; }
    verdict="REGRESSION (false alarm)"; alarms=$((alarms + 1))
    cat "$work/check.txt"
  fi
  echo "pair $i: $verdict"
done
echo "false alarms: $alarms/$pairs on $scenario"

# The real difference: the same scenario with 20,000 other sets instead of none.
"$kcanary" run ipset-swap-storm-0 --out "$work/zero.json" > /dev/null 2>&1
"$kcanary" run ipset-swap-storm-0 --set other_sets=20000 --out "$work/big.json" > /dev/null 2>&1
set +e
"$kcanary" check "$work/big.json" --baseline "$work/zero.json"
code=$?
set -e
echo "0 vs 20,000 other sets: exit code $code (1 = regression detected)"
[ "$alarms" -eq 0 ] && [ "$code" -eq 1 ]
