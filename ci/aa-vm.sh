#!/usr/bin/env bash
# A/A false alarms in the VM: boot the same kernel as baseline and as candidate (rounds
# alternating, as `kcanary vm` does for two different kernels), PAIRS times, and count how
# often the gate calls it "regressed". Prints one line per pair and a per-metric table of
# verdicts; exits 0 only when no pair regressed or was incomplete.
#   ci/aa-vm.sh KERNEL [PAIRS] [extra `kcanary vm` arguments: --deterministic, --rounds N, SCENARIO...]
# KERNEL: anything `kcanary vm --kernel` takes (e.g. a Debian linux-image .deb).
# In deterministic mode (--deterministic) the numbers do not depend on the host's load; in the
# wall-clock modes run it on a quiet machine. Needs python3 for the table.
# Output: the table on stdout; every results and comparison file in $AA_OUT (default: a
# temporary directory, removed at the end unless AA_OUT is set).
set -euo pipefail
kernel=${1:?usage: ci/aa-vm.sh KERNEL [PAIRS] [kcanary vm arguments...]}
pairs=${2:-3}; shift 2 || shift $# || true
cd "$(dirname "$0")/.."
kcanary=${KCANARY:-target/release/kcanary}
[ -x "$kcanary" ] || cargo build --release --locked --quiet
if [ -n "${AA_OUT:-}" ]; then work=$AA_OUT; mkdir -p "$work"
else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi

alarms=0
for i in $(seq "$pairs"); do
  echo "pair $i/$pairs" >&2
  set +e
  SECONDS=0
  "$kcanary" vm --kernel "$kernel" --kernel "$kernel" --out "$work/pair$i" \
    --json "$work/pair$i.cmp.json" "$@" > "$work/pair$i.txt" 2> "$work/pair$i.log"
  code=$?
  set -e
  [ "$code" -eq 0 ] || alarms=$((alarms + 1))
  [ -s "$work/pair$i.cmp.json" ] || { tail -20 "$work/pair$i.log"; exit 3; }
  echo "pair $i: exit $code in ${SECONDS} s ($(grep ' vs ' "$work/pair$i.txt" | tail -1))"
done

python3 ci/verdict_tally.py pairs $(for i in $(seq "$pairs"); do echo "$work/pair$i.cmp.json"; done)
echo "pairs that failed: $alarms/$pairs"
[ "$alarms" -eq 0 ]
