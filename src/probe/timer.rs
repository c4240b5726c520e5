//! The timer probe, like cyclictest: sleep until absolute deadlines at a fixed period with
//! `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)` and record how late each wake-up was.
//! Timer-softirq work (the pre-6.2 IPVS estimator) and anything else that holds the CPU delays
//! the wake-up.

use super::cpu::pin_current_thread;
use super::distribution::Distribution;
use crate::error::{KcanaryError, Result};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct TimerProbeConfig {
    pub cpu: usize,
    pub period: Duration,
    pub duration: Duration,
}

#[derive(Debug)]
pub struct TimerProbeReport {
    pub cpu: usize,
    pub period: Duration,
    /// How late each wake-up was, in nanoseconds.
    pub overshoot: Distribution,
}

fn monotonic_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid pointer to a live timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

fn sleep_until(deadline_ns: u64) -> i32 {
    let deadline = libc::timespec {
        tv_sec: (deadline_ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (deadline_ns % 1_000_000_000) as libc::c_long,
    };
    // SAFETY: valid timespec pointer; the remainder pointer may be null with TIMER_ABSTIME.
    unsafe {
        libc::clock_nanosleep(
            libc::CLOCK_MONOTONIC,
            libc::TIMER_ABSTIME,
            &deadline,
            std::ptr::null_mut(),
        )
    }
}

/// Runs the timer probe on a new thread pinned to `config.cpu`.
pub fn run_timer_probe(config: &TimerProbeConfig) -> Result<TimerProbeReport> {
    let config = config.clone();
    std::thread::Builder::new()
        .name("kcanary-probe-timer".into())
        .spawn(move || {
            pin_current_thread(config.cpu)?;
            // Normal threads get 50 µs of timer slack (wake-ups are deliberately late so they
            // can be merged); cyclictest avoids it with SCHED_FIFO. Ask for 1 ns instead, so
            // the overshoot is the kernel's lateness, not a policy.
            // SAFETY: PR_SET_TIMERSLACK takes one integer argument and touches only this thread.
            unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0) };
            let period_ns = config.period.as_nanos().max(1) as u64;
            let wakeups = (config.duration.as_nanos() as u64 / period_ns).max(1) as usize;
            let mut overshoot_ns: Vec<u64> = Vec::with_capacity(wakeups);
            let mut deadline = monotonic_ns() + period_ns;
            let end = deadline + config.duration.as_nanos() as u64;
            while deadline <= end && overshoot_ns.len() < wakeups {
                let rc = sleep_until(deadline);
                if rc != 0 && rc != libc::EINTR {
                    return Err(KcanaryError::Kernel(format!(
                        "clock_nanosleep: {}",
                        crate::netlink::errno_name(rc)
                    )));
                }
                let now = monotonic_ns();
                overshoot_ns.push(now.saturating_sub(deadline));
                // Stay on the period grid, skipping deadlines already missed (like cyclictest).
                deadline += period_ns;
                while deadline <= now {
                    deadline += period_ns;
                }
            }
            Ok(TimerProbeReport {
                cpu: config.cpu,
                period: config.period,
                overshoot: Distribution::new(overshoot_ns),
            })
        })
        .map_err(|e| KcanaryError::Io(format!("cannot start timer probe thread: {e}")))?
        .join()
        .map_err(|_| KcanaryError::Io("timer probe thread panicked".into()))?
}
