//! Reading the guest's console log (ttyS0): how far the boot got, and whether the kernel
//! panicked, oopsed or could not start our init. Used while QEMU runs (to stop early on a
//! panic) and afterwards (to explain a failure in one sentence).

use super::protocol::WORKLOADS_STARTING;

/// What the console log shows.
#[derive(Debug, Default, PartialEq)]
pub struct ConsoleFindings {
    /// The kernel started executing our /init.
    pub init_started: bool,
    /// The guest printed its "workloads starting" line.
    pub workloads_started: bool,
    /// The first line that makes the boot a failure (panic, init could not run).
    pub fatal: Option<String>,
    /// Oopses and warnings: the kernel went on, but the numbers may be off.
    pub warnings: Vec<String>,
}

const FATAL_MARKERS: &[&str] = &[
    "Kernel panic - not syncing",
    "Failed to execute /init",
    "No working init found",
    "Attempted to kill init",
];

const WARNING_MARKERS: &[&str] = &[
    "Oops:",
    "BUG: ",
    "general protection fault",
    "WARNING: CPU:",
    "watchdog: BUG: soft lockup",
    "INFO: task",
];

/// Scans the whole log (it is small: a boot writes a few hundred lines).
pub fn scan(log: &str) -> ConsoleFindings {
    let mut findings = ConsoleFindings::default();
    for line in log.lines() {
        let line = line.trim_end_matches('\r');
        if line.contains("kcanary-guest: started") {
            findings.init_started = true;
        }
        if line.contains(WORKLOADS_STARTING) {
            findings.workloads_started = true;
        }
        if findings.fatal.is_none() && FATAL_MARKERS.iter().any(|m| line.contains(m)) {
            findings.fatal = Some(strip_timestamp(line).to_string());
        }
        if WARNING_MARKERS.iter().any(|m| line.contains(m)) && findings.warnings.len() < 10 {
            findings.warnings.push(strip_timestamp(line).to_string());
        }
    }
    findings
}

/// `[    1.234567] text` → `text`.
fn strip_timestamp(line: &str) -> &str {
    match line
        .strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
    {
        Some((stamp, text)) if stamp.trim().parse::<f64>().is_ok() => text,
        _ => line,
    }
}

/// The last `count` lines of the log, for error messages.
pub fn tail(log: &str, count: usize) -> String {
    let lines: Vec<&str> = log.lines().map(|l| l.trim_end_matches('\r')).collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_boot() {
        let log = "[    0.000000] Linux version 6.1.0-56-cloud-amd64\r\n[    2.100000] Run /init as init process\r\nkcanary-guest: started at uptime 2.10 s\r\nkcanary-guest: workloads starting (uptime 2.50 s)\r\n";
        let findings = scan(log);
        assert!(findings.init_started && findings.workloads_started);
        assert_eq!(findings.fatal, None);
        assert!(findings.warnings.is_empty());
    }

    #[test]
    fn a_panic_is_fatal_and_named_without_timestamp() {
        let log = "[    1.0] ok\n[    2.345678] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n[    2.4] ---[ end Kernel panic ]---\n";
        let findings = scan(log);
        assert_eq!(
            findings.fatal.as_deref(),
            Some("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)")
        );
        assert!(!findings.init_started);
    }

    #[test]
    fn init_that_cannot_run_and_oopses() {
        let log = "[    3.0] Failed to execute /init (error -8)\n[    4.0] BUG: kernel NULL pointer dereference, address: 0000000000000000\n";
        let findings = scan(log);
        assert_eq!(
            findings.fatal.as_deref(),
            Some("Failed to execute /init (error -8)")
        );
        assert_eq!(
            findings.warnings,
            ["BUG: kernel NULL pointer dereference, address: 0000000000000000"]
        );
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\r\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }
}
