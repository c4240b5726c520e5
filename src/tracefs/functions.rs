//! The `function` tracer's text, counted per function: the fallback where a kernel has no
//! `function_graph` tracer. It gives how often each filtered function ran, not how long.

use std::collections::BTreeMap;

/// "  kcanary-1  [000] .....  12.345678: ip_set_swap <-nfnetlink_rcv_msg" → "ip_set_swap".
fn function_of(line: &str) -> Option<&str> {
    if line.trim_start().starts_with('#') {
        return None;
    }
    let (_, after) = line.split_once("]")?;
    let mut tokens = after.split_whitespace();
    // Skip the flags column (when present) and the timestamp.
    let mut token = tokens.next()?;
    if !token.ends_with(':') {
        token = tokens.next()?;
    }
    token.strip_suffix(':')?.parse::<f64>().ok()?;
    let name = tokens.next()?;
    tokens.next()?.starts_with("<-").then_some(name)
}

/// Calls of each function in the trace.
pub fn count(text: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for name in text.lines().filter_map(function_of) {
        *counts.entry(name.to_string()).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_name() {
        let trace = "\
# tracer: function
         kcanary-1       [000] .....    12.000001: ip_set_swap <-nfnetlink_rcv_msg
         kcanary-1       [000] .....    12.000101: ip_set_swap <-nfnetlink_rcv_msg
         kcanary-1       [001]    12.000201: synchronize_rcu <-ip_set_swap
";
        let counts = count(trace);
        assert_eq!(counts["ip_set_swap"], 2);
        assert_eq!(counts["synchronize_rcu"], 1);
        assert_eq!(counts.len(), 2);
    }
}
