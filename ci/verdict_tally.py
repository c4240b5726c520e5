#!/usr/bin/env python3
"""Per-metric verdict counts over `kcanary check/compare/vm --json` comparison files, for the
A/A scripts (ci/aa-suite.sh, ci/aa-vm.sh).

    verdict_tally.py LABEL FILE... [-- LABEL FILE...]

The first group gets every verdict column and the median detectable change (ratio metrics);
each further group (e.g. the same checks against another baseline) its regressed and
improved counts beside it. A metric of the baseline missing in a candidate counts as
"missing". Prints a Markdown table and one totals line per group."""
import collections
import json
import sys


def tally(files):
    counts = collections.defaultdict(collections.Counter)
    detectable = collections.defaultdict(list)
    for path in files:
        for cmp in json.load(open(path))["comparisons"]:
            for m in cmp["metrics"]:
                counts[m["key"]][m["verdict"]] += 1
                if m.get("detectable_change") is not None and m["scale"] == "ratio":
                    detectable[m["key"]].append(m["detectable_change"])
            for m in cmp["only_in_baseline"]:
                counts[m["key"]]["missing"] += 1
    return counts, detectable


def groups(args):
    group = []
    for arg in args + ["--"]:
        if arg == "--":
            if group:
                yield group[0], group[1:]
            group = []
        else:
            group.append(arg)


def main():
    tallies = [(label, *tally(files), len(files)) for label, files in groups(sys.argv[1:])]
    (first, counts, detectable, _), others = tallies[0], tallies[1:]
    header = f"| metric | {first}: regressed | improved | unchanged | inconclusive | median detectable change |"
    header += "".join(f" {label}: regressed | improved |" for label, *_ in others)
    print("\n" + header)
    print("|---|" + "--:|" * (5 + 2 * len(others)))
    for key in sorted(set().union(*(t[1] for t in tallies))):
        c = counts[key]
        d = sorted(detectable[key])
        median = f"{d[len(d) // 2] * 100:.1f}%" if d else "-"
        row = f"| {key} | {c['regressed']} | {c['improved']} | {c['unchanged']} | {c['inconclusive']} | {median} |"
        row += "".join(f" {o[1][key]['regressed']} | {o[1][key]['improved']} |" for o in others)
        print(row)
    print()
    for label, counts, _, files in tallies:
        total = lambda v: sum(c[v] for c in counts.values())
        print(f"{label}: metric verdicts over {files} comparisons: {total('regressed')} regressed, "
              f"{total('improved')} improved, {total('unchanged')} unchanged, "
              f"{total('inconclusive')} inconclusive, {total('missing')} missing")


main()
