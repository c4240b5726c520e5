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
    assert!(text.contains("only in the baseline"), "{text}");
    assert!(text.contains("no baseline"), "{text}");
}

#[test]
fn markdown_is_a_table_with_a_headline() {
    let md = MarkdownExporter.render(&comparisons());
    assert!(md.starts_with("### kcanary: 1 metric regressed"), "{md}");
    assert!(md.contains("| metric | 6.1 | 6.12 | ratio |"), "{md}");
    assert!(md.contains("**regressed**"), "{md}");
}

#[test]
fn junit_counts_failures_and_escapes() {
    let xml = JunitExporter.render(&comparisons());
    assert!(
        xml.contains("<testsuites name=\"kcanary\" tests=\"4\" failures=\"1\">"),
        "{xml}"
    );
    assert!(xml.contains("type=\"regression\""));
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
