#!/usr/bin/env bash
# A/A false alarms of the whole default suite on this machine's kernel: how often does the
# gate call the same kernel "regressed"? Saves a baseline pooled from BASELINE_RUNS runs (it
# learns the between-run drift), then checks CHECKS further runs against it, and, for
# contrast, against the first run alone (a single-run baseline, which cannot know the drift).
# Prints one line per check and a per-metric table of verdicts; exits 0 only when no check
# against the pooled baseline said "regressed" or was incomplete.
#   ci/aa-suite.sh [CHECKS] [BASELINE_RUNS] [extra `kcanary run` arguments...]
# Run it on a quiet machine (nothing else building or booting): it measures wall-clock time.
# Needs python3 for the table (Debian: apt-get install python3).
# Output: the table on stdout; every results and comparison file in $AA_OUT (default: a
# temporary directory, removed at the end unless AA_OUT is set; AA_REUSE=1 keeps the baseline
# runs already there).
set -euo pipefail
checks=${1:-10}; baseline_runs=${2:-3}; shift 2 || shift $# || true
cd "$(dirname "$0")/.."
kcanary=target/release/kcanary
[ -x "$kcanary" ] || cargo build --release --locked --quiet
if [ -n "${AA_OUT:-}" ]; then work=$AA_OUT; mkdir -p "$work"
else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi

run() {
  local out=$1; shift
  "$kcanary" run --out "$out" "$@" > "$out.log" 2>&1 || { cat "$out.log"; exit 3; }
}
runs=()
for i in $(seq "$baseline_runs"); do
  runs+=("$work/base$i.json")
  # AA_REUSE=1 keeps baseline runs already in $AA_OUT (to resume an interrupted measurement).
  if [ -n "${AA_REUSE:-}" ] && [ -s "$work/base$i.json" ]; then continue; fi
  echo "baseline run $i/$baseline_runs" >&2
  run "$work/base$i.json" "$@"
done
"$kcanary" baseline save "${runs[@]}" --name aa --dir "$work/baselines" > "$work/save.txt"
pooled=$(find "$work/baselines" -name aa.json)

alarms=0 single_alarms=0
for i in $(seq "$checks"); do
  echo "check run $i/$checks" >&2
  run "$work/check$i.json" "$@"
  set +e
  "$kcanary" check "$work/check$i.json" --baseline "$pooled" --json "$work/pooled$i.cmp.json" \
    > "$work/pooled$i.txt" 2>&1
  pooled_code=$?
  "$kcanary" check "$work/check$i.json" --baseline "${runs[0]}" --json "$work/single$i.cmp.json" \
    > "$work/single$i.txt" 2>&1
  single_code=$?
  set -e
  [ "$pooled_code" -eq 0 ] || alarms=$((alarms + 1))
  [ "$single_code" -eq 0 ] || single_alarms=$((single_alarms + 1))
  echo "check $i: pooled baseline exit $pooled_code ($(tail -1 "$work/pooled$i.txt")); single-run baseline exit $single_code"
done

# Per metric: verdict counts over the checks, pooled and single-run baseline side by side.
python3 ci/verdict_tally.py pooled $(for i in $(seq "$checks"); do echo "$work/pooled$i.cmp.json"; done) \
  -- single-run $(for i in $(seq "$checks"); do echo "$work/single$i.cmp.json"; done)
echo "checks that failed: $alarms/$checks against the pooled baseline, $single_alarms/$checks against a single run"
[ "$alarms" -eq 0 ]
