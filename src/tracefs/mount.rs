//! A private tracefs mount: the guest (kcanary is /init) and the host both mount tracefs under
//! a directory of their own and unmount it when done, so nothing stays mounted and no other
//! tool's mount is reused or left with changed settings by accident. Every control file
//! written is put back to its idle value ("nop" tracer, events off, filters empty) on drop.

use crate::isolate::signals::{self, OnSignal};
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A mounted tracefs; unmounted (and tracing switched off) when dropped, or when a
/// termination signal ends the run first (`isolate::signals`).
pub struct Tracefs {
    root: PathBuf,
    touched: Arc<Mutex<Touched>>,
    _reset_on_signal: OnSignal,
}

/// What kcanary changed beyond the idle values `reset` writes anyway; shared with the signal
/// thread, which puts it back if the run is stopped mid-trace.
#[derive(Default)]
struct Touched {
    /// Events enabled through `enable_event`, switched off again.
    enabled_events: Vec<String>,
    /// The ring buffer size (KiB per CPU) before `set_buffer_kb`.
    buffer_kb_before: Option<String>,
}

impl Tracefs {
    /// Mounts tracefs on a fresh private directory under `parent` (e.g. /tmp). `Err` says why
    /// not, by errno name (e.g. "ENODEV: this kernel has no tracefs").
    pub fn mount_under(parent: &Path) -> Result<Tracefs, String> {
        let root = parent.join(format!("kcanary-tracefs-{}", std::process::id()));
        std::fs::create_dir_all(&root).map_err(|e| format!("mkdir {}: {e}", root.display()))?;
        if let Err(e) = mount(
            Some("nodev"),
            &root,
            Some("tracefs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            None::<&str>,
        ) {
            let _ = std::fs::remove_dir(&root);
            let hint = match e {
                nix::errno::Errno::ENODEV => ": this kernel has no tracefs (CONFIG_TRACING off)",
                nix::errno::Errno::EPERM => ": not allowed (root needed)",
                _ => "",
            };
            return Err(format!(
                "mount tracefs: {}{hint}",
                crate::netlink::errno_name(e as i32)
            ));
        }
        let touched = Arc::new(Mutex::new(Touched::default()));
        let reset_on_signal = signals::on_signal({
            let (root, touched) = (root.clone(), Arc::clone(&touched));
            move || {
                reset(&root, &mut lock(&touched));
                unmount(&root);
            }
        });
        Ok(Tracefs {
            root,
            touched,
            _reset_on_signal: reset_on_signal,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes a control file ("current_tracer", "set_graph_function", ...). Errors name the
    /// file and the errno (e.g. "set_graph_function: EINVAL").
    pub fn write(&self, file: &str, value: &str) -> Result<(), String> {
        write_file(&self.root, file, value)
    }

    pub fn read(&self, file: &str) -> Result<String, String> {
        std::fs::read_to_string(self.root.join(file)).map_err(|e| describe(file, &e))
    }

    /// The tracers this kernel offers ("function_graph", "function", "nop", ...).
    pub fn tracers(&self) -> Vec<String> {
        self.read("available_tracers")
            .map(|t| t.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Which of `names` the function tracers can trace. `Err` when the kernel does not say
    /// (no dynamic ftrace, or the list is not readable here: lockdown gives EPERM).
    pub fn traceable<'a>(&self, names: &[&'a str]) -> Result<Vec<&'a str>, String> {
        let list = self.read("available_filter_functions")?;
        let mut found = Vec::new();
        for line in list.lines() {
            // "ip_set_swap [ip_set]": the module in brackets follows the name.
            let name = line.split_whitespace().next().unwrap_or_default();
            if let Some(wanted) = names.iter().find(|n| **n == name)
                && !found.contains(wanted)
            {
                found.push(*wanted);
            }
        }
        Ok(found)
    }

    /// Whether "subsystem:event" exists on this kernel.
    pub fn has_event(&self, event: &str) -> bool {
        event_dir(event).is_some_and(|dir| self.root.join(dir).join("enable").exists())
    }

    pub fn enable_event(&self, event: &str) -> Result<(), String> {
        let dir = event_dir(event).ok_or_else(|| format!("'{event}' is not subsystem:event"))?;
        self.write(&format!("{dir}/enable"), "1")?;
        lock(&self.touched).enabled_events.push(dir);
        Ok(())
    }

    /// Sizes the ring buffer (KiB per CPU); the old size comes back on drop.
    pub fn set_buffer_kb(&self, kb: u32) -> Result<(), String> {
        let before = self.read("buffer_size_kb")?;
        // "7 (expanded: 1408)" before first use: the number that matters is the expanded one.
        let before = before
            .split("expanded:")
            .nth(1)
            .unwrap_or(&before)
            .trim()
            .trim_end_matches(')')
            .to_string();
        self.write("buffer_size_kb", &kb.to_string())?;
        lock(&self.touched).buffer_kb_before.get_or_insert(before);
        Ok(())
    }

    /// Empties the ring buffer.
    pub fn clear(&self) -> Result<(), String> {
        self.write("trace", "")
    }

    /// Events the ring buffer dropped because it was full (sum of every CPU's "overrun").
    pub fn lost_events(&self) -> u64 {
        let Ok(cpus) = std::fs::read_dir(self.root.join("per_cpu")) else {
            return 0;
        };
        cpus.flatten()
            .filter_map(|cpu| std::fs::read_to_string(cpu.path().join("stats")).ok())
            .map(|stats| overrun_of(&stats))
            .sum()
    }
}

impl Drop for Tracefs {
    fn drop(&mut self) {
        reset(&self.root, &mut lock(&self.touched));
        unmount(&self.root);
    }
}

fn write_file(root: &Path, file: &str, value: &str) -> Result<(), String> {
    std::fs::write(root.join(file), value).map_err(|e| describe(file, &e))
}

/// Switches everything kcanary may have set back to idle; errors are ignored (a file this
/// kernel lacks was never set).
fn reset(root: &Path, touched: &mut Touched) {
    let write = |file: &str, value: &str| {
        let _ = write_file(root, file, value);
    };
    write("tracing_on", "0");
    write("current_tracer", "nop");
    for dir in touched.enabled_events.drain(..) {
        write(&format!("{dir}/enable"), "0");
    }
    for file in ["set_graph_function", "set_ftrace_filter", "set_ftrace_pid"] {
        // Opening with truncation (no O_APPEND) empties the filter.
        write(file, "");
    }
    write("max_graph_depth", "0");
    // The function_graph options' defaults.
    write("options/funcgraph-proc", "0");
    write("options/funcgraph-tail", "0");
    write("options/funcgraph-irqs", "1");
    if let Some(kb) = touched.buffer_kb_before.take() {
        write("buffer_size_kb", &kb);
    }
    write("trace", "");
    // Tracing is on by default in a kernel that has never been told otherwise.
    write("tracing_on", "1");
}

fn unmount(root: &Path) {
    if let Err(e) = umount2(root, MntFlags::MNT_DETACH) {
        // Already unmounted (a signal's cleanup ran first) is not worth a word.
        if e != nix::errno::Errno::EINVAL {
            eprintln!(
                "kcanary: cannot unmount tracefs at {}: {}",
                root.display(),
                crate::netlink::errno_name(e as i32)
            );
        }
        return;
    }
    let _ = std::fs::remove_dir(root);
}

/// A panic elsewhere must not keep the settings from being put back.
fn lock(touched: &Mutex<Touched>) -> std::sync::MutexGuard<'_, Touched> {
    touched
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn event_dir(event: &str) -> Option<String> {
    let (subsystem, name) = event.split_once(':')?;
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (plain(subsystem) && plain(name)).then(|| format!("events/{subsystem}/{name}"))
}

fn describe(file: &str, e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => format!("{file}: {}", crate::netlink::errno_name(code)),
        None => format!("{file}: {e}"),
    }
}

/// The "overrun: N" line of a per-CPU stats file.
fn overrun_of(stats: &str) -> u64 {
    stats
        .lines()
        .find_map(|l| l.strip_prefix("overrun:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_map_to_their_directory_and_nothing_else() {
        assert_eq!(
            event_dir("timer:timer_expire_entry").as_deref(),
            Some("events/timer/timer_expire_entry")
        );
        assert_eq!(event_dir("timer"), None);
        assert_eq!(event_dir("../x:y"), None);
    }

    #[test]
    fn overrun_is_read_from_the_stats_file() {
        let stats = "entries: 12\noverrun: 345\ncommit overrun: 0\nbytes: 100\n";
        assert_eq!(overrun_of(stats), 345);
        assert_eq!(overrun_of("entries: 1\n"), 0);
    }
}
