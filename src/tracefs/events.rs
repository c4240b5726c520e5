//! Tracepoint text (the `trace` file with events enabled), aggregated into what ran in the
//! way of a latency probe: each timer callback by name (`timer:timer_expire_entry` carries it
//! as `function=`) with how long it ran until `timer_expire_exit`, and each softirq vector
//! from `irq:softirq_entry` to `softirq_exit`. Entries and exits pair per CPU: neither
//! nests with itself on one CPU (and the timer's address cannot pair them: kernels print it
//! hashed, "timer=(____ptrval____)", the same for every timer).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// How often something ran and for how long, in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DurationTotals {
    pub count: u64,
    pub total_ns: f64,
    pub max_ns: f64,
}

impl DurationTotals {
    fn add(&mut self, ns: f64) {
        self.count += 1;
        self.total_ns += ns;
        self.max_ns = self.max_ns.max(ns);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventProfile {
    /// Timer callbacks by symbol ("estimation_timer").
    pub timer_callbacks: BTreeMap<String, DurationTotals>,
    /// Softirq vectors by action name ("TIMER", "NET_RX").
    pub softirqs: BTreeMap<String, DurationTotals>,
    /// From the first to the last event read, in nanoseconds.
    pub window_ns: f64,
    /// Exits without an entry (the entry was before the trace started).
    pub unpaired_exits: u64,
    /// Time the watched tasks spent off the CPU (`sched_switch` away and back), when a task
    /// name prefix was given: sleeps in the kernel (a grace period, a mutex) show here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_off_cpu: Option<DurationTotals>,
}

/// One event line: CPU, timestamp (ns), event name, its fields.
struct EventLine<'a> {
    cpu: u32,
    time_ns: f64,
    name: &'a str,
    fields: &'a str,
}

#[derive(Default)]
pub struct EventAggregator {
    profile: EventProfile,
    /// cpu → (callback, entry time) of the timer running there.
    open_timers: HashMap<u32, (String, f64)>,
    /// (cpu, vector) → entry time.
    open_softirqs: HashMap<(u32, String), f64>,
    first_ns: Option<f64>,
    last_ns: f64,
    /// Tasks whose comm starts with this are watched for off-CPU time.
    task_prefix: Option<String>,
    /// pid → when it was switched out.
    switched_out: HashMap<String, f64>,
}

impl EventAggregator {
    /// Also sums how long tasks whose name starts with `prefix` were switched out.
    pub fn watching_tasks(prefix: &str) -> EventAggregator {
        EventAggregator {
            task_prefix: Some(prefix.to_string()),
            profile: EventProfile {
                task_off_cpu: Some(DurationTotals::default()),
                ..EventProfile::default()
            },
            ..EventAggregator::default()
        }
    }

    pub fn feed(&mut self, line: &str) {
        let Some(event) = parse_line(line) else {
            return;
        };
        self.first_ns.get_or_insert(event.time_ns);
        self.last_ns = event.time_ns;
        match event.name {
            "timer_expire_entry" => {
                if let Some(function) = field(event.fields, "function=") {
                    self.open_timers
                        .insert(event.cpu, (function.to_string(), event.time_ns));
                }
            }
            "timer_expire_exit" => match self.open_timers.remove(&event.cpu) {
                Some((function, start)) => self
                    .profile
                    .timer_callbacks
                    .entry(function)
                    .or_default()
                    .add(event.time_ns - start),
                None => self.profile.unpaired_exits += 1,
            },
            "softirq_entry" => {
                self.open_softirqs
                    .insert((event.cpu, softirq_name(event.fields)), event.time_ns);
            }
            "softirq_exit" => {
                let name = softirq_name(event.fields);
                match self.open_softirqs.remove(&(event.cpu, name.clone())) {
                    Some(start) => self
                        .profile
                        .softirqs
                        .entry(name)
                        .or_default()
                        .add(event.time_ns - start),
                    None => self.profile.unpaired_exits += 1,
                }
            }
            "sched_switch" => self.switch(event.time_ns, event.fields),
            _ => {}
        }
    }

    /// "prev_comm=a prev_pid=1 prev_prio=120 prev_state=D ==> next_comm=b next_pid=2 ..."
    fn switch(&mut self, time_ns: f64, fields: &str) {
        let Some(prefix) = &self.task_prefix else {
            return;
        };
        if let Some(start) =
            field(fields, "next_pid=").and_then(|pid| self.switched_out.remove(pid))
            && let Some(off_cpu) = &mut self.profile.task_off_cpu
        {
            off_cpu.add(time_ns - start);
        }
        if field(fields, "prev_comm=").is_some_and(|comm| comm.starts_with(prefix.as_str()))
            && let Some(pid) = field(fields, "prev_pid=")
        {
            self.switched_out.insert(pid.to_string(), time_ns);
        }
    }

    pub fn finish(mut self) -> EventProfile {
        self.profile.window_ns = self.last_ns - self.first_ns.unwrap_or(self.last_ns);
        self.profile
    }
}

pub fn aggregate(text: &str) -> EventProfile {
    let mut aggregator = EventAggregator::default();
    text.lines().for_each(|l| aggregator.feed(l));
    aggregator.finish()
}

/// "  <idle>-0  [000] ..s1.  12.345678: timer_expire_entry: timer=... function=f now=1"
fn parse_line(line: &str) -> Option<EventLine<'_>> {
    if line.trim_start().starts_with('#') {
        return None;
    }
    let mut cpu = None;
    let mut time_ns = None;
    let mut rest = line;
    // Tokens up to the event name: the task (which may hold spaces), "[cpu]", the optional
    // flags ("..s1."), "seconds.micros:".
    for token in line.split_whitespace() {
        let at = rest.find(token)? + token.len();
        rest = &rest[at..];
        if cpu.is_none() {
            if let Some(n) = token.strip_prefix('[').and_then(|t| t.strip_suffix(']'))
                && let Ok(n) = n.parse::<u32>()
            {
                cpu = Some(n);
            }
        } else if time_ns.is_none() {
            if let Some(seconds) = token.strip_suffix(':')
                && let Ok(seconds) = seconds.parse::<f64>()
            {
                time_ns = Some(seconds * 1e9);
            }
        } else {
            let name = token.strip_suffix(':')?;
            return Some(EventLine {
                cpu: cpu?,
                time_ns: time_ns?,
                name,
                fields: rest.trim(),
            });
        }
    }
    None
}

/// The value after `key` up to the next space ("function=estimation_timer").
fn field<'a>(fields: &'a str, key: &str) -> Option<&'a str> {
    fields.split_whitespace().find_map(|f| f.strip_prefix(key))
}

/// "vec=1 [action=TIMER]" → "TIMER" (the vector number when there is no name).
fn softirq_name(fields: &str) -> String {
    match field(fields, "[action=") {
        Some(name) => name.trim_end_matches(']').to_string(),
        None => field(fields, "vec=").unwrap_or("?").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_callbacks_and_softirqs_are_timed_per_cpu() {
        let trace = "\
# tracer: nop
          <idle>-0       [000] ..s1.   100.000000: softirq_entry: vec=1 [action=TIMER]
          <idle>-0       [000] ..s1.   100.000010: timer_expire_entry: timer=00000000aa function=estimation_timer [ip_vs] now=4294 baseclk=4294
     ksoftirqd/1-20      [001] ..s1.   100.000020: timer_expire_entry: timer=00000000bb function=delayed_work_timer_fn now=4294 baseclk=4294
     ksoftirqd/1-20      [001] ..s1.   100.000025: timer_expire_exit: timer=00000000bb
          <idle>-0       [000] ..s1.   100.120010: timer_expire_exit: timer=00000000aa
          <idle>-0       [000] ..s1.   100.120020: softirq_exit: vec=1 [action=TIMER]
          <idle>-0       [000] ..s1.   100.200000: softirq_exit: vec=3 [action=NET_RX]
";
        let profile = aggregate(trace);
        let estimation = &profile.timer_callbacks["estimation_timer"];
        assert_eq!(estimation.count, 1);
        assert!((estimation.max_ns - 120_000_000.0).abs() < 1.0);
        assert!((profile.timer_callbacks["delayed_work_timer_fn"].total_ns - 5_000.0).abs() < 1.0);
        assert_eq!(profile.softirqs["TIMER"].count, 1);
        assert_eq!(profile.unpaired_exits, 1);
        assert!((profile.window_ns - 200_000_000.0).abs() < 1.0);
    }

    #[test]
    fn off_cpu_time_of_watched_tasks_is_summed() {
        let trace = "\
 kcanary-netns-7 [000] d..2.  1.000000: sched_switch: prev_comm=kcanary-netns prev_pid=7 prev_prio=120 prev_state=D ==> next_comm=rcu_preempt next_pid=9 next_prio=120
     rcu_preempt-9 [000] d..2.  1.000050: sched_switch: prev_comm=rcu_preempt prev_pid=9 prev_prio=120 prev_state=I ==> next_comm=swapper/0 next_pid=0 next_prio=120
          <idle>-0 [000] d..2.  1.010000: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=kcanary-netns next_pid=7 next_prio=120
";
        let profile = {
            let mut aggregator = EventAggregator::watching_tasks("kcanary");
            trace.lines().for_each(|l| aggregator.feed(l));
            aggregator.finish()
        };
        let off_cpu = profile.task_off_cpu.unwrap();
        assert_eq!(off_cpu.count, 1);
        assert!((off_cpu.total_ns - 10_000_000.0).abs() < 1.0);
    }

    #[test]
    fn a_task_name_with_spaces_and_no_flags_column_still_parses() {
        let line = "  kworker/u4:1 x-33  [001]   5.500000: timer_expire_entry: timer=1 function=f";
        let event = parse_line(line).unwrap();
        assert_eq!(event.cpu, 1);
        assert_eq!(event.name, "timer_expire_entry");
        assert_eq!(field(event.fields, "function="), Some("f"));
    }
}
