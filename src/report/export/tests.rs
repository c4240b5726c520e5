use super::*;
use crate::gate::{GateOptions, compare_runs};
use crate::results::{Better, Environment, MetricResult, RunResults, SampleKind, Summary};

fn run(release: &str, metrics: &[(&str, f64)]) -> RunResults {
    let results = metrics
        .iter()
        .map(|&(name, scale)| {
            let samples: Vec<f64> = (0..8).map(|i| scale * (100.0 + f64::from(i))).collect();
            MetricResult {
                scenario: "swap".into(),
                metric: name.into(),
                unit: "ns".into(),
                better: Better::Lower,
                sample_kind: SampleKind::PerRepetition,
                role: None,
                summary: Summary::of(&samples).unwrap(),
                repetition_sizes: vec![1; samples.len()],
                samples,
                threshold: None,
                parameters: Default::default(),
            }
        })
        .collect();
    RunResults {
        schema_version: 1,
        environment: Environment {
            kernel_release: release.into(),
            ..Default::default()
        },
        results,
        skipped: Vec::new(),
    }
}

fn comparisons() -> Vec<Comparison> {
    let base = run(
        "6.1",
        &[("swap_ns", 1.0), ("create_ns", 1.0), ("gone_ns", 1.0)],
    );
    let cand = run(
        "6.12",
        &[("swap_ns", 50.0), ("create_ns", 1.0), ("new_ns", 1.0)],
    );
    vec![compare_runs(&base, &cand, &GateOptions::default())]
}

#[test]
fn text_lists_every_metric_and_explains_the_regression() {
    let text = TextExporter.render(&comparisons());
    for needle in [
        "swap/swap_ns",
        "swap/create_ns",
        "swap/gone_ns",
        "swap/new_ns",
        "regressed",
        "50.0x",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    assert!(
        text.contains("swap/gone_ns: missing in the candidate (not measured by the candidate)"),
        "{text}"
    );
    assert!(text.contains("MISSING"), "{text}");
    assert!(
        text.contains("INCOMPLETE: 1 metric(s) of the baseline"),
        "{text}"
    );
    assert!(text.contains("no baseline"), "{text}");
}

#[test]
fn markdown_is_a_table_with_a_headline() {
    let md = MarkdownExporter.render(&comparisons());
    assert!(md.starts_with("### kcanary: 1 metric regressed"), "{md}");
    assert!(
        md.contains("| metric | 6.1 | 6.12 | change | 95% interval | reps | verdict |"),
        "{md}"
    );
    assert!(md.contains("| 8/8 |"), "{md}");
    assert!(md.contains("**regressed**"), "{md}");
}

#[test]
fn junit_counts_failures_and_escapes() {
    let xml = JunitExporter.render(&comparisons());
    assert!(
        xml.contains("<testsuites name=\"kcanary\" tests=\"5\" failures=\"2\">"),
        "{xml}"
    );
    assert!(xml.contains("type=\"regression\""));
    // The missing metric makes the comparison incomplete: a failed case says so.
    assert!(xml.contains("name=\"evidence\"><failure"), "{xml}");
    assert!(xml.contains("type=\"incomplete\""), "{xml}");
    assert!(xml.contains("name=\"gone_ns\"><skipped"));
    assert!(!xml.contains("\"6.12 vs 6.1\"") || xml.contains("name=\"6.12 vs 6.1\""));
}

#[test]
fn bencher_is_json_keyed_by_metric() {
    let json: serde_json::Value =
        serde_json::from_str(&BencherExporter.render(&comparisons())).unwrap();
    let swap = &json["swap/swap_ns"]["latency"];
    assert!(
        (swap["value"].as_f64().unwrap() - 50.0 * 103.5).abs() < 1e-6,
        "{json}"
    );
    assert!(swap["lower_value"].as_f64().unwrap() <= swap["value"].as_f64().unwrap());
    assert!(json.get("swap/new_ns").is_some());
    assert!(json.get("swap/gone_ns").is_none());
}

#[test]
fn text_ends_with_a_tally() {
    let text = TextExporter.render(&comparisons());
    let last = text.lines().last().unwrap();
    assert_eq!(
        last,
        "6.12 vs 6.1: 1 regressed, 0 improved, 1 unchanged, 0 inconclusive, 1 missing, 1 new \
         (INCOMPLETE: no pass)"
    );
}

#[test]
fn json_round_trips_the_verdicts() {
    let json: serde_json::Value =
        serde_json::from_str(&JsonExporter.render(&comparisons())).unwrap();
    let metrics = json["comparisons"][0]["metrics"].as_array().unwrap();
    assert_eq!(metrics[0]["key"], "swap/swap_ns");
    assert_eq!(metrics[0]["verdict"], "regressed");
    assert!(metrics[0]["interval"]["lower"].as_f64().unwrap() > 1.0);
}

/// Rare-event counts: the change is a signed difference of events, not a ratio.
#[test]
fn event_counts_show_a_difference() {
    let mut base = run("6.12", &[]);
    let mut cand = run("6.1", &[]);
    let counts = |values: [f64; 6]| MetricResult {
        scenario: "est".into(),
        metric: "est_on.udp_rtt.over_1ms".into(),
        unit: "events".into(),
        better: Better::Lower,
        sample_kind: SampleKind::PerRepetition,
        role: Some(crate::results::MetricRole::EventCount),
        summary: Summary::of(&values).unwrap(),
        repetition_sizes: vec![1; 6],
        samples: values.to_vec(),
        threshold: None,
        parameters: Default::default(),
    };
    base.results.push(counts([0.0; 6]));
    cand.results.push(counts([5.0, 4.0, 6.0, 5.0, 5.0, 7.0]));
    let comparisons = vec![compare_runs(&base, &cand, &GateOptions::default())];
    let text = TextExporter.render(&comparisons);
    assert!(text.contains("+5"), "{text}");
    assert!(text.contains("regressed"), "{text}");
    assert!(!text.contains("INCOMPLETE"), "{text}");
}

/// Too few repetitions for any verdict on a 1.5x change: the notes say the run could not
/// have seen a change of the threshold's size.
#[test]
fn a_blind_comparison_says_what_it_cannot_see() {
    let mut base = run("a", &[("swap_ns", 1.0)]);
    let mut cand = run("b", &[("swap_ns", 1.5)]);
    for r in base.results.iter_mut().chain(cand.results.iter_mut()) {
        r.samples.truncate(2);
        r.repetition_sizes.truncate(2);
        r.summary = Summary::of(&r.samples).unwrap();
    }
    let comparisons = vec![compare_runs(&base, &cand, &GateOptions::default())];
    let text = TextExporter.render(&comparisons);
    assert!(
        text.contains("swap/swap_ns: this run cannot see any change: 2/2 repetitions"),
        "{text}"
    );
}

/// Pins the terminal table byte for byte (alignment, widths in characters, no trailing
/// whitespace), so a change in the shared column renderer shows here.
#[test]
fn text_table_is_pinned() {
    let text = TextExporter.render(&comparisons());
    let table: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    let expected = "\
metric              6.1     6.12  change      95% interval  reps      verdict
swap/swap_ns     104 ns  5.17 µs   50.0x    [48.4x, 51.5x]   8/8    regressed
swap/create_ns   104 ns   104 ns  1.000x  [0.971x, 1.034x]   8/8    unchanged
swap/gone_ns     104 ns  missing       -                 -   8/-      MISSING
swap/new_ns     missing   104 ns       -                 -   -/8  no baseline
";
    assert_eq!(table, expected, "{text}");
}
