//! The `function_graph` tracer's text, aggregated per call path: how often each function ran
//! under the traced entry function, its inclusive time (with callees) and exclusive time
//! (without), in nanoseconds. The tracer is read with `funcgraph-proc` (the task column, so a
//! call that sleeps and resumes after other tasks ran is still matched to its own stack) and
//! `funcgraph-tail` (a closing brace names its function).
//!
//! Durations are wall time between entry and return, so a function that sleeps (a
//! `synchronize_rcu()` waiting for a grace period) carries its sleep: that is the cost the
//! caller sees.

use super::us_to_ns;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Figures of one call path ("ip_set_swap;synchronize_rcu"), summed over the trace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PathTotals {
    pub calls: u64,
    pub inclusive_ns: f64,
    pub exclusive_ns: f64,
}

/// A whole trace, aggregated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GraphProfile {
    /// Completed calls of each entry function (the roots of the graph): the operations.
    pub root_calls: BTreeMap<String, u64>,
    /// Every call path, ';'-joined from the root.
    pub paths: BTreeMap<String, PathTotals>,
    /// Returns whose entry was before the trace started (not counted).
    pub unmatched_returns: u64,
    /// Calls still open when the trace ended (not counted).
    pub unfinished_calls: u64,
    /// Lines that were neither a call, a return nor a known marker.
    pub unparsed_lines: u64,
}

/// What one line of the trace says.
#[derive(Debug, PartialEq)]
enum Event<'a> {
    Enter(&'a str),
    Leaf(&'a str, f64),
    Return(Option<&'a str>, f64),
}

/// One open call on a task's stack.
struct Frame {
    path: String,
    children_ns: f64,
}

/// Builds a `GraphProfile` line by line (traces can be large: nothing is kept but the sums).
#[derive(Default)]
pub struct GraphAggregator {
    profile: GraphProfile,
    stacks: HashMap<String, Vec<Frame>>,
}

impl GraphAggregator {
    pub fn feed(&mut self, line: &str) {
        let Some((task, event)) = parse_line(line) else {
            if !is_marker(line) {
                self.profile.unparsed_lines += 1;
            }
            return;
        };
        let stack = self.stacks.entry(task.to_string()).or_default();
        match event {
            Event::Enter(name) => {
                let path = match stack.last() {
                    Some(parent) => format!("{};{name}", parent.path),
                    None => name.to_string(),
                };
                stack.push(Frame {
                    path,
                    children_ns: 0.0,
                });
            }
            Event::Leaf(name, ns) => {
                let path = match stack.last_mut() {
                    Some(parent) => {
                        parent.children_ns += ns;
                        format!("{};{name}", parent.path)
                    }
                    None => {
                        *self.profile.root_calls.entry(name.to_string()).or_default() += 1;
                        name.to_string()
                    }
                };
                add(&mut self.profile.paths, path, ns, ns);
            }
            Event::Return(_, ns) => {
                let Some(frame) = stack.pop() else {
                    self.profile.unmatched_returns += 1;
                    return;
                };
                match stack.last_mut() {
                    Some(parent) => parent.children_ns += ns,
                    None => {
                        *self
                            .profile
                            .root_calls
                            .entry(frame.path.clone())
                            .or_default() += 1
                    }
                }
                let exclusive = (ns - frame.children_ns).max(0.0);
                add(&mut self.profile.paths, frame.path, ns, exclusive);
            }
        }
    }

    pub fn finish(mut self) -> GraphProfile {
        self.profile.unfinished_calls = self.stacks.values().map(|s| s.len() as u64).sum();
        self.profile
    }
}

/// Aggregates a whole trace held in memory (tests, captured files).
pub fn aggregate(text: &str) -> GraphProfile {
    let mut aggregator = GraphAggregator::default();
    text.lines().for_each(|l| aggregator.feed(l));
    aggregator.finish()
}

fn add(paths: &mut BTreeMap<String, PathTotals>, path: String, inclusive: f64, exclusive: f64) {
    let totals = paths.entry(path).or_default();
    totals.calls += 1;
    totals.inclusive_ns += inclusive;
    totals.exclusive_ns += exclusive;
}

/// Header comments, context-switch separators and the "=>" lines between them.
fn is_marker(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#') || t.starts_with("---") || t.contains("=>")
}

/// " 0)  kcanary-1    | + 12.345 us   |    } /* ip_set_swap [ip_set] */" → task and event.
fn parse_line(line: &str) -> Option<(&str, Event<'_>)> {
    let (cpu, rest) = line.trim_start().split_once(')')?;
    if cpu.is_empty() || !cpu.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let columns: Vec<&str> = rest.split('|').collect();
    // With funcgraph-proc: task | duration | call; without: duration | call (keyed by CPU).
    let (task, duration, call) = match columns.as_slice() {
        [task, duration, call] => (task.trim(), *duration, *call),
        [duration, call] => (cpu, *duration, *call),
        _ => return None,
    };
    let ns = duration_ns(duration);
    let call = call.trim();
    let event = if let Some(name) = call.strip_suffix("() {") {
        Event::Enter(function_name(name))
    } else if let Some(name) = call.strip_suffix("();") {
        Event::Leaf(function_name(name), ns?)
    } else if let Some(tail) = call.strip_prefix('}') {
        let name = tail
            .trim()
            .strip_prefix("/*")
            .and_then(|t| t.strip_suffix("*/"))
            .map(|n| function_name(n.trim()));
        Event::Return(name, ns?)
    } else {
        return None;
    };
    Some((task, event))
}

/// "ip_set_swap [ip_set]" → "ip_set_swap".
fn function_name(text: &str) -> &str {
    text.split_whitespace().next().unwrap_or(text)
}

/// "! 10123.456 us" → 10123456.0; the overhead marks (+ ! # * @ $) are dropped.
fn duration_ns(column: &str) -> Option<f64> {
    let number = column
        .trim()
        .trim_start_matches(['+', '!', '#', '*', '@', '$'])
        .trim()
        .strip_suffix("us")?;
    us_to_ns(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_each_kind_are_read() {
        assert_eq!(
            parse_line(" 0)  kcanary-1    |               |  ip_set_swap [ip_set]() {"),
            Some(("kcanary-1", Event::Enter("ip_set_swap")))
        );
        assert_eq!(
            parse_line(" 1)  kcanary-1    |   0.310 us    |    mutex_lock();"),
            Some(("kcanary-1", Event::Leaf("mutex_lock", 310.0)))
        );
        assert_eq!(
            parse_line(" 0)  kcanary-1    | ! 10123.45 us |  } /* ip_set_swap [ip_set] */"),
            Some((
                "kcanary-1",
                Event::Return(Some("ip_set_swap"), 10_123_450.0)
            ))
        );
        // Without the task column the CPU keys the stack.
        assert_eq!(
            parse_line(" 3)   1.500 us    |  }"),
            Some(("3", Event::Return(None, 1500.0)))
        );
        assert_eq!(
            parse_line(" ------------------------------------------"),
            None
        );
        assert_eq!(
            parse_line("# CPU  TASK/PID  DURATION  FUNCTION CALLS"),
            None
        );
    }

    #[test]
    fn inclusive_and_exclusive_times_add_up_per_path() {
        let trace = "\
 0)  t-1   |               |  outer() {
 0)  t-1   |   1.000 us    |    leaf();
 0)  t-1   |               |    middle() {
 0)  t-1   |   2.000 us    |      leaf();
 0)  t-1   |   5.000 us    |    } /* middle */
 0)  t-1   | + 10.000 us   |  } /* outer */
 0)  t-1   |               |  outer() {
 0)  t-1   |   1.000 us    |    leaf();
 0)  t-1   |   3.000 us    |  } /* outer */
";
        let profile = aggregate(trace);
        assert_eq!(profile.root_calls["outer"], 2);
        let outer = &profile.paths["outer"];
        assert_eq!(outer.calls, 2);
        assert_eq!(outer.inclusive_ns, 13_000.0);
        // 10 - (1 + 5) and 3 - 1.
        assert_eq!(outer.exclusive_ns, 6_000.0);
        assert_eq!(profile.paths["outer;leaf"].calls, 2);
        assert_eq!(profile.paths["outer;middle"].exclusive_ns, 3_000.0);
        assert_eq!(profile.paths["outer;middle;leaf"].inclusive_ns, 2_000.0);
        assert_eq!(profile.unfinished_calls, 0);
    }

    #[test]
    fn tasks_interleaved_by_a_sleep_keep_their_own_stacks() {
        let trace = "\
 0)  a-1   |               |  f() {
 ------------------------------------------
 0)  a-1    =>  b-2
 ------------------------------------------
 0)  b-2   |               |  f() {
 0)  b-2   |   1.000 us    |  } /* f */
 0)  a-1   | @ 100000.0 us |  } /* f */
 0)  c-3   |   9.000 us    |  } /* f */
 0)  c-3   |               |  g() {
";
        let profile = aggregate(trace);
        assert_eq!(profile.root_calls["f"], 2);
        assert_eq!(profile.paths["f"].inclusive_ns, 100_001_000.0);
        assert_eq!(profile.unmatched_returns, 1);
        assert_eq!(profile.unfinished_calls, 1);
        assert_eq!(profile.unparsed_lines, 0);
    }
}
