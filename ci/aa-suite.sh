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
python3 - "$work" "$checks" <<'EOF'
import json, sys, collections
work, checks = sys.argv[1], int(sys.argv[2])
def tally(kind):
    counts = collections.defaultdict(collections.Counter)
    detectable = collections.defaultdict(list)
    for i in range(1, checks + 1):
        cmp = json.load(open(f"{work}/{kind}{i}.cmp.json"))["comparisons"][0]
        for m in cmp["metrics"]:
            counts[m["key"]][m["verdict"]] += 1
            if m.get("detectable_change") is not None and m["scale"] == "ratio":
                detectable[m["key"]].append(m["detectable_change"])
        for m in cmp["only_in_baseline"]:
            counts[m["key"]]["missing"] += 1
    return counts, detectable
pooled, mde = tally("pooled")
single, _ = tally("single")
print(f"\n| metric | pooled: regressed | improved | unchanged | inconclusive | median detectable change | single-run: regressed | improved |")
print("|---|--:|--:|--:|--:|--:|--:|--:|")
for key in sorted(set(pooled) | set(single)):
    p, s = pooled[key], single[key]
    d = sorted(mde[key])
    med = f"{d[len(d)//2]*100:.0f}%" if d else "-"
    print(f"| {key} | {p['regressed']} | {p['improved']} | {p['unchanged']} | {p['inconclusive']} | {med} | {s['regressed']} | {s['improved']} |")
total = lambda c, v: sum(x[v] for x in c.values())
print(f"\nmetric verdicts over {checks} checks: pooled baseline {total(pooled,'regressed')} regressed, "
      f"{total(pooled,'improved')} improved, {total(pooled,'unchanged')} unchanged, "
      f"{total(pooled,'inconclusive')} inconclusive; single-run baseline "
      f"{total(single,'regressed')} regressed, {total(single,'improved')} improved")
EOF
echo "checks that failed: $alarms/$checks against the pooled baseline, $single_alarms/$checks against a single run"
[ "$alarms" -eq 0 ]
