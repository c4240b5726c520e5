//! The traced repetition: choose what this kernel can trace for a workload, switch it on, run
//! the workload once, switch it off, and aggregate what the ring buffer holds.

use super::{Attribution, Method};
use crate::scenario::Scenario;
use crate::tracefs::events::EventAggregator;
use crate::tracefs::graph::GraphAggregator;
use crate::tracefs::{Tracefs, functions};
use crate::workload::{EntryPoint, Measurement, NoProgress, RepetitionContext};
use std::io::BufRead;
use std::path::Path;
use std::time::Instant;

/// Deep enough to see what an entry function spends its time in (its callees and theirs),
/// shallow enough that a trace of thousands of operations fits the buffer.
pub const MAX_GRAPH_DEPTH: u32 = 3;
/// Ring buffer per CPU while tracing.
const BUFFER_KB: u32 = 16 * 1024;
/// How much raw trace text an attribution keeps (the end of the trace: the header, then the
/// last lines, where the workload's measured phase ran).
const EXCERPT_BYTES: usize = 64 * 1024;
/// kcanary's own tasks ("kcanary", "kcanary-netns"), whose off-CPU time the scheduler
/// tracepoint fallback sums.
const OWN_TASKS: &str = "kcanary";

/// What will be traced on this kernel for one workload.
enum Plan {
    Graph(Vec<&'static str>),
    Counts(Vec<&'static str>),
    /// Events to enable; whether kcanary's off-CPU time is what they are for.
    Events(Vec<String>, bool),
}

/// Runs one traced repetition of `scenario`, mounting tracefs under `mount_parent`. Never
/// fails: what could not be done is in the attribution's notes (method `None`).
pub fn attribute(scenario: &Scenario, mount_parent: &Path) -> Attribution {
    let mut attribution = Attribution::new(&scenario.name);
    let tracefs = match Tracefs::mount_under(mount_parent) {
        Ok(tracefs) => tracefs,
        Err(e) => {
            attribution.notes.push(format!("no tracing: {e}"));
            return attribution;
        }
    };
    let Some(plan) = plan(&tracefs, scenario.workload.entry_points(), &mut attribution) else {
        return attribution;
    };
    if let Err(e) = trace(&tracefs, scenario, &plan, &mut attribution) {
        attribution.method = Method::None;
        attribution.notes.push(format!("tracing failed: {e}"));
    }
    attribution
}

/// The best method this kernel offers for these entry points, with notes on what was not
/// available; `None` when there is nothing.
fn plan(tracefs: &Tracefs, entry_points: &[EntryPoint], a: &mut Attribution) -> Option<Plan> {
    let tracers = tracefs.tracers();
    let tracepoints: Vec<&str> = entry_points
        .iter()
        .filter_map(|e| match e {
            EntryPoint::Tracepoint(t) => Some(*t),
            EntryPoint::Function(_) => None,
        })
        .collect();
    if !tracepoints.is_empty() {
        // A latency probe: what ran in its way is named by the tracepoints, with their exits
        // so each callback and softirq gets a duration.
        let mut events = Vec::new();
        for entry in tracepoints {
            let exit = entry.replace("_entry", "_exit");
            for event in [entry.to_string(), exit] {
                if tracefs.has_event(&event) && !events.contains(&event) {
                    events.push(event);
                } else if !tracefs.has_event(&event) {
                    a.notes
                        .push(format!("tracepoint {event} not on this kernel"));
                }
            }
        }
        if !events.is_empty() {
            a.method = Method::Tracepoints;
            return Some(Plan::Events(events, false));
        }
    }
    let functions: Vec<&'static str> = entry_points
        .iter()
        .filter_map(|e| match e {
            EntryPoint::Function(f) => Some(*f),
            EntryPoint::Tracepoint(_) => None,
        })
        .collect();
    let traceable = match tracefs.traceable(&functions) {
        Ok(found) => {
            for missing in functions.iter().filter(|f| !found.contains(f)) {
                a.notes
                    .push(format!("{missing} is not traceable on this kernel"));
            }
            found
        }
        Err(e) => {
            let why = if e.ends_with("EPERM") {
                " (kernel lockdown forbids function tracing)"
            } else {
                ""
            };
            a.notes
                .push(format!("function tracing unusable: cannot read {e}{why}"));
            Vec::new()
        }
    };
    let has = |tracer: &str| tracers.iter().any(|t| t == tracer);
    if !traceable.is_empty() && has("function_graph") {
        a.method = Method::FunctionGraph;
        return Some(Plan::Graph(traceable));
    }
    if !has("function_graph") {
        a.notes.push(format!(
            "no function_graph tracer on this kernel (CONFIG_FUNCTION_GRAPH_TRACER off; \
             tracers: {})",
            tracers.join(" ")
        ));
    }
    if !traceable.is_empty() && has("function") {
        a.method = Method::FunctionCounts;
        a.notes
            .push("fallback: function tracer call counts (no durations)".into());
        return Some(Plan::Counts(traceable));
    }
    if tracefs.has_event("sched:sched_switch") {
        a.method = Method::Tracepoints;
        a.notes.push(
            "fallback: sched:sched_switch, the time kcanary's own tasks spent off the CPU \
             (sleeping in the kernel or waiting to run) over the whole traced repetition, \
             setup included, divided by its operations; it does not name functions"
                .into(),
        );
        return Some(Plan::Events(vec!["sched:sched_switch".into()], true));
    }
    a.notes
        .push("nothing to attribute with: no usable tracer and no sched_switch tracepoint".into());
    None
}

fn trace(
    tracefs: &Tracefs,
    scenario: &Scenario,
    plan: &Plan,
    a: &mut Attribution,
) -> Result<(), String> {
    tracefs.write("tracing_on", "0")?;
    tracefs.write("current_tracer", "nop")?;
    tracefs.set_buffer_kb(BUFFER_KB)?;
    match plan {
        Plan::Graph(functions) => {
            tracefs.write("set_graph_function", &functions.join(" "))?;
            tracefs.write("max_graph_depth", &MAX_GRAPH_DEPTH.to_string())?;
            tracefs.write("options/funcgraph-proc", "1")?;
            tracefs.write("options/funcgraph-tail", "1")?;
            tracefs.write("options/funcgraph-irqs", "0")?;
            tracefs.write("current_tracer", "function_graph")?;
            a.traced = functions.iter().map(|f| f.to_string()).collect();
            a.notes.push(format!(
                "function_graph below {} (max_graph_depth {MAX_GRAPH_DEPTH}, interrupts \
                 hidden; durations are wall time, sleeps included)",
                functions.join(", ")
            ));
        }
        Plan::Counts(functions) => {
            tracefs.write("set_ftrace_filter", &functions.join(" "))?;
            tracefs.write("current_tracer", "function")?;
            a.traced = functions.iter().map(|f| f.to_string()).collect();
        }
        Plan::Events(events, _) => {
            for event in events {
                tracefs.enable_event(event)?;
            }
            a.traced = events.clone();
        }
    }
    tracefs.clear()?;
    let ctx = RepetitionContext {
        index: scenario.warmup + scenario.repetitions,
        warmup: false,
        progress: &NoProgress,
    };
    tracefs.write("tracing_on", "1")?;
    let started = Instant::now();
    let measured = scenario.workload.run(&scenario.params, &ctx);
    a.traced_seconds = started.elapsed().as_secs_f64();
    tracefs.write("tracing_on", "0")?;
    let measurements = measured.map_err(|e| format!("the traced repetition failed: {e}"))?;
    record_medians(&measurements, a);
    a.lost_events = tracefs.lost_events();
    read_trace(tracefs, plan, a)
}

fn record_medians(measurements: &[Measurement], a: &mut Attribution) {
    for m in measurements {
        if let Some(median) = crate::results::summary::median(&m.samples) {
            a.traced_medians.insert(m.metric.to_string(), median);
        }
    }
    a.operations = measurements
        .iter()
        .find(|m| m.kind == crate::results::SampleKind::PerOperation)
        .map_or(0, |m| m.samples.len() as u64);
}

/// Streams the `trace` file through the plan's aggregator, keeping the first lines raw.
fn read_trace(tracefs: &Tracefs, plan: &Plan, a: &mut Attribution) -> Result<(), String> {
    let file =
        std::fs::File::open(tracefs.root().join("trace")).map_err(|e| format!("trace: {e}"))?;
    let mut graph = GraphAggregator::default();
    let mut events = match plan {
        Plan::Events(_, true) => EventAggregator::watching_tasks(OWN_TASKS),
        _ => EventAggregator::default(),
    };
    let mut counted = String::new();
    let mut header = String::new();
    let mut tail: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    let mut tail_bytes = 0;
    for line in std::io::BufReader::new(file).lines() {
        let line = line.map_err(|e| format!("reading trace: {e}"))?;
        if line.starts_with('#') && tail.is_empty() {
            header.push_str(&line);
            header.push('\n');
        } else {
            tail_bytes += line.len() + 1;
            tail.push_back(line.clone());
            while tail_bytes > EXCERPT_BYTES {
                tail_bytes -= tail.pop_front().map_or(0, |l| l.len() + 1);
            }
        }
        match plan {
            Plan::Graph(_) => graph.feed(&line),
            Plan::Events(..) => events.feed(&line),
            Plan::Counts(_) => {
                counted.push_str(&line);
                counted.push('\n');
            }
        }
    }
    a.trace_excerpt = header;
    for line in tail {
        a.trace_excerpt.push_str(&line);
        a.trace_excerpt.push('\n');
    }
    match plan {
        Plan::Graph(_) => {
            let profile = graph.finish();
            let roots: u64 = profile.root_calls.values().sum();
            if roots > 0 {
                a.operations = roots;
            }
            a.graph = Some(profile);
        }
        Plan::Events(..) => a.events = Some(events.finish()),
        Plan::Counts(_) => a.function_counts = functions::count(&counted),
    }
    if a.lost_events > 0 {
        a.notes.push(format!(
            "the ring buffer dropped {} events: figures are lower bounds",
            a.lost_events
        ));
    }
    Ok(())
}
