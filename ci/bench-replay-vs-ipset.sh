#!/usr/bin/env bash
# Benchmark (not a test): the same kube-router-style restore file replayed by kcanary and by
# `ipset restore -exist`, each in a fresh network namespace, alternating, several rounds.
# Prints the wall time of every run and the ratio of medians. Needs root (or run it under
# `unshare -Ur`), ipset, and a release build of kcanary.
#   ci/bench-replay-vs-ipset.sh [SETS] [ENTRIES] [ROUNDS]
set -euo pipefail
sets=${1:-6000}; entries=${2:-4}; rounds=${3:-5}
cd "$(dirname "$0")/.."
kcanary=target/release/kcanary
[ -x "$kcanary" ] || cargo build --release --quiet
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$kcanary" generate kube-router-sync --sets "$sets" --entries "$entries" > "$work/sync.restore"
echo "file: $(wc -l < "$work/sync.restore") lines, $sets sets x $entries elements (kube-router sync)"

now() { date +%s%N; }
time_ms() { local t0; t0=$(now); "$@" > /dev/null; echo $(( ($(now) - t0) / 1000000 )); }
declare -a ipset_ms kc_ms kcb_ms
for round in $(seq "$rounds"); do
  ipset_ms+=("$(time_ms unshare -n ipset restore -exist -f "$work/sync.restore")")
  kc_ms+=("$(time_ms "$kcanary" replay --exist "$work/sync.restore")")
  kcb_ms+=("$(time_ms "$kcanary" replay --exist --batch "$work/sync.restore")")
  echo "round $round: ipset restore ${ipset_ms[-1]} ms, kcanary replay ${kc_ms[-1]} ms, kcanary replay --batch ${kcb_ms[-1]} ms"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m_ipset=$(median "${ipset_ms[@]}"); m_kc=$(median "${kc_ms[@]}"); m_kcb=$(median "${kcb_ms[@]}")
echo "median: ipset restore $m_ipset ms, kcanary replay $m_kc ms, kcanary replay --batch $m_kcb ms"
awk -v a="$m_kc" -v b="$m_kcb" -v i="$m_ipset" 'BEGIN {
  printf "ratio kcanary/ipset: per-command %.2fx, batched %.2fx (goal <= 0.6x)\n", a / i, b / i }'
