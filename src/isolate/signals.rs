//! SIGINT, SIGTERM and SIGHUP end a run without leaving anything behind. The three signals are
//! blocked in every thread and taken by one thread of our own with `sigwait`, so the cleanup
//! is ordinary code (a signal handler could not allocate, lock or unmount safely). That thread
//! runs the cleanups registered at that moment (a memcg workspace, a results file being
//! written) and exits with 128 + the signal number, as a shell reports a process it killed.
//! SIGKILL cannot be caught: the next memcg run removes what such a run left
//! (`memcg::leftovers`).
//!
//! The other threads keep running meanwhile. Code that creates what a cleanup removes does it
//! inside a [`critical_section`]; the cleanup waits for the section in progress, and once a
//! signal arrived every thread that enters a section stops there until the process exits. So
//! nothing is created after the cleanup looked, and nothing is removed twice.

use crate::error::{KcanaryError, Result};
use nix::sys::signal::{SigSet, Signal};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

const HANDLED: [Signal; 3] = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP];

/// Set by the signal thread before it waits for the section in progress.
static STOPPING: AtomicBool = AtomicBool::new(false);
static SECTION: Mutex<()> = Mutex::new(());
static CLEANUPS: Mutex<Vec<Registered>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

struct Registered {
    id: u64,
    action: Box<dyn FnMut() + Send>,
}

/// Blocks SIGINT, SIGTERM and SIGHUP and starts the thread that handles them. Must run on the
/// main thread before any other thread starts: threads inherit the mask, and one that did not
/// block the signals would take them and die with the default action. Signals the parent set
/// to be ignored (`nohup`, `cmd &` in a script) stay ignored.
///
/// Idempotent: a second call (another command path of the same process) starts no second
/// thread.
pub fn handle_termination_signals() -> Result<()> {
    static STARTED: AtomicBool = AtomicBool::new(false);
    if STARTED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    let mut set = SigSet::empty();
    for signal in HANDLED {
        if !is_ignored(signal) {
            set.add(signal);
        }
    }
    if set.iter().next().is_none() {
        return Ok(());
    }
    set.thread_block()
        .map_err(|errno| KcanaryError::Io(format!("cannot block termination signals: {errno}")))?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || wait_and_clean_up(set))
        .map_err(|e| KcanaryError::Io(format!("cannot start the signal thread: {e}")))?;
    Ok(())
}

fn is_ignored(signal: Signal) -> bool {
    // SAFETY: sigaction with a null new action only reads the current one into `current`.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(signal as libc::c_int, std::ptr::null(), &mut current) == 0
            && current.sa_sigaction == libc::SIG_IGN
    }
}

fn wait_and_clean_up(set: SigSet) {
    let Ok(signal) = set.wait() else {
        // sigwait only fails for an invalid set; without this thread the signals stay
        // blocked, so restore the default action rather than ignore them.
        let _ = set.thread_unblock();
        return;
    };
    STOPPING.store(true, Ordering::SeqCst);
    let _section = lock(&SECTION);
    let mut cleanups = lock(&CLEANUPS);
    // Newest first: a later registration may depend on an earlier one still being there.
    for cleanup in cleanups.iter_mut().rev() {
        (cleanup.action)();
    }
    eprintln!(
        "kcanary: stopped by {signal}{}",
        if cleanups.is_empty() {
            ""
        } else {
            "; removed what the run had created"
        }
    );
    std::process::exit(128 + signal as i32);
}

/// While held, a signal's cleanup waits. Once a signal arrived, entering never returns: the
/// process is about to exit, and work started now would race with the cleanup.
pub struct Section {
    _guard: MutexGuard<'static, ()>,
}

pub fn critical_section() -> Section {
    if STOPPING.load(Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
    Section {
        _guard: lock(&SECTION),
    }
}

/// A registered cleanup; dropping it unregisters the action.
pub struct OnSignal {
    id: u64,
}

/// Runs `action` if a termination signal arrives before the returned guard is dropped. The
/// action runs on the signal thread while every section is left, and must not enter one.
pub fn on_signal(action: impl FnMut() + Send + 'static) -> OnSignal {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    lock(&CLEANUPS).push(Registered {
        id,
        action: Box::new(action),
    });
    OnSignal { id }
}

impl Drop for OnSignal {
    fn drop(&mut self) {
        lock(&CLEANUPS).retain(|registered| registered.id != self.id);
    }
}

/// A panic elsewhere must not stop the cleanup: the data behind these locks stays valid.
fn lock<T>(mutex: &'static Mutex<T>) -> MutexGuard<'static, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn dropping_the_guard_unregisters_the_action() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let guard = on_signal(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let id = guard.id;
        assert!(lock(&CLEANUPS).iter().any(|r| r.id == id));
        drop(guard);
        assert!(!lock(&CLEANUPS).iter().any(|r| r.id == id));
        assert_eq!(runs.load(Ordering::SeqCst), 0);
    }
}
