//! JUnit XML for CI systems: one test suite per candidate, one test case per metric. A
//! regression is a failure; an inconclusive or one-sided metric is "skipped" with the
//! reason. A comparison that is no evidence for a pass (nothing compared, baseline metrics
//! missing) adds a failed "evidence" case that says why, so the job fails there too.

use super::ComparisonExporter;
use super::cells::{change_cell, interval_cell};
use crate::gate::{Comparison, Verdict};
use std::fmt::Write;

pub struct JunitExporter;

impl ComparisonExporter for JunitExporter {
    fn render(&self, comparisons: &[Comparison]) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let tests: usize = comparisons.iter().map(case_count).sum();
        let failures: usize = comparisons.iter().map(failure_count).sum();
        let _ = writeln!(
            out,
            "<testsuites name=\"kcanary\" tests=\"{tests}\" failures=\"{failures}\">"
        );
        for c in comparisons {
            suite(&mut out, c);
        }
        out.push_str("</testsuites>\n");
        out
    }
}

fn case_count(c: &Comparison) -> usize {
    c.metrics.len()
        + c.only_in_baseline.len()
        + c.only_in_candidate.len()
        + usize::from(!c.is_complete())
}

fn failure_count(c: &Comparison) -> usize {
    c.regressed().count() + usize::from(!c.is_complete())
}

fn suite(out: &mut String, c: &Comparison) {
    let name = format!("{} vs {}", c.candidate.label, c.baseline.label);
    let skipped = c
        .metrics
        .iter()
        .filter(|m| m.verdict == Verdict::Inconclusive)
        .count()
        + c.only_in_baseline.len()
        + c.only_in_candidate.len();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{skipped}\">",
        xml(&name),
        case_count(c),
        failure_count(c)
    );
    if !c.is_complete() {
        let body = format!(
            "<failure message=\"{}\" type=\"incomplete\"/>",
            xml(&c.incomplete.join("; "))
        );
        case(out, "kcanary/evidence", &body);
    }
    if !c.warnings.is_empty() {
        let _ = writeln!(
            out,
            "    <system-err>{}</system-err>",
            xml(&c.warnings.join("\n"))
        );
    }
    for m in &c.metrics {
        let summary = format!(
            "{} change {} {} ({}): {}",
            m.verdict,
            change_cell(m),
            interval_cell(m),
            m.key,
            m.reason
        );
        let body = match m.verdict {
            Verdict::Regressed => format!(
                "<failure message=\"{}\" type=\"regression\"/>",
                xml(&summary)
            ),
            Verdict::Inconclusive => format!("<skipped message=\"{}\"/>", xml(&summary)),
            Verdict::Unchanged | Verdict::Improved => {
                format!("<system-out>{}</system-out>", xml(&summary))
            }
        };
        case(out, &m.key, &body);
    }
    for m in &c.only_in_baseline {
        let message = format!(
            "missing in the candidate run: {}",
            m.reason.as_deref().unwrap_or("not measured")
        );
        case(
            out,
            &m.key,
            &format!("<skipped message=\"{}\"/>", xml(&message)),
        );
    }
    for m in &c.only_in_candidate {
        case(
            out,
            &m.key,
            "<skipped message=\"no baseline to compare with\"/>",
        );
    }
    out.push_str("  </testsuite>\n");
}

fn case(out: &mut String, key: &str, body: &str) {
    let (class, name) = key.split_once('/').unwrap_or(("kcanary", key));
    let _ = writeln!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\">{body}</testcase>",
        xml(class),
        xml(name)
    );
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}
