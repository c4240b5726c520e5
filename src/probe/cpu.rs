//! Pinning threads to one CPU. Probes pin both ends to the same CPU: on a VM, waking a vCPU
//! costs more than the path being measured (see NOTES.md, "The host"), so a cross-CPU ping-pong
//! would mostly measure the hypervisor.

use crate::error::{KcanaryError, Result};
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::unistd::Pid;

/// CPUs the calling thread may run on, in ascending order.
pub fn allowed_cpus() -> Vec<usize> {
    match sched_getaffinity(Pid::from_raw(0)) {
        Ok(set) => (0..CpuSet::count())
            .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
            .collect(),
        Err(_) => vec![0],
    }
}

/// The CPU probes use when the scenario does not name one: the last allowed CPU (CPU 0 takes
/// most device interrupts and housekeeping on the machines we run on).
pub fn default_probe_cpu() -> usize {
    allowed_cpus().last().copied().unwrap_or(0)
}

/// Parses a scenario's `probe_cpu` ("auto" or a CPU number) and checks it is allowed.
pub fn choose_cpu(text: &str) -> Result<usize> {
    if text == "auto" {
        return Ok(default_probe_cpu());
    }
    let cpu: usize = text.parse().map_err(|_| {
        KcanaryError::Usage(format!(
            "probe_cpu must be \"auto\" or a CPU number, found '{text}'"
        ))
    })?;
    let allowed = allowed_cpus();
    if !allowed.contains(&cpu) {
        return Err(KcanaryError::Usage(format!(
            "probe_cpu {cpu} is not one of the CPUs kcanary may use: {allowed:?}"
        )));
    }
    Ok(cpu)
}

/// Pins the calling thread (only it: affinity is per thread) to `cpu`.
pub fn pin_current_thread(cpu: usize) -> Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu)
        .map_err(|e| KcanaryError::Usage(format!("CPU {cpu}: {e}")))?;
    sched_setaffinity(Pid::from_raw(0), &set).map_err(|e| {
        KcanaryError::Kernel(format!(
            "cannot pin to CPU {cpu}: {}",
            crate::netlink::errno_name(e as i32)
        ))
    })
}

/// The CPU the calling thread is running on now.
pub fn current_cpu() -> Option<usize> {
    // SAFETY: sched_getcpu has no arguments and only returns a value.
    let cpu = unsafe { libc::sched_getcpu() };
    (cpu >= 0).then_some(cpu as usize)
}

/// Parses a kernel cpulist ("0-3,6") into a bit mask of CPUs 0..63 (for recording
/// `est_cpulist` as a number).
pub fn cpulist_mask(text: &str) -> Option<u64> {
    let mut mask = 0u64;
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?),
            None => {
                let cpu = part.parse::<u32>().ok()?;
                (cpu, cpu)
            }
        };
        for cpu in first..=last.min(63) {
            mask |= 1 << cpu;
        }
    }
    Some(mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpulists_become_masks() {
        assert_eq!(cpulist_mask("0-3,6"), Some(0b100_1111));
        assert_eq!(cpulist_mask("1"), Some(2));
        assert_eq!(cpulist_mask(""), Some(0));
        assert_eq!(cpulist_mask("x"), None);
    }

    #[test]
    fn pinning_moves_the_thread() {
        let cpu = default_probe_cpu();
        std::thread::spawn(move || {
            pin_current_thread(cpu).unwrap();
            assert_eq!(allowed_cpus(), vec![cpu]);
            assert_eq!(current_cpu(), Some(cpu));
        })
        .join()
        .unwrap();
    }
}
