//! The seed case's symptom, measured directly: a monitoring agent scraping
//! `memory.numa_stat` on the same CPU as network work. On kernels that walk every dying cgroup
//! on that read (before 5.8, and some vendor kernels), each scrape holds the CPU long enough
//! to delay the network softirq; the UDP ping-pong of `probe::network` on that CPU shows it as
//! long round trips. The probe runs twice, once alone and once beside the scraper, so the
//! difference is the scraper's.

use super::reads::PinnedThread;
use super::stat_file::StatFile;
use crate::error::{KcanaryError, Result};
use crate::probe::network::{NetworkProbeConfig, run_network_probe};
use crate::probe::{MAX_ROUND_TRIPS_PER_SECOND, distribution_measurements};
use crate::results::Better;
use crate::workload::Measurement;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A scrape every 10 ms: far more often than cadvisor, so a few seconds of probing see
/// hundreds of reads, yet rare enough that the reader does not simply share the CPU with the
/// probe (a fast read takes microseconds).
const SCRAPE_PERIOD: Duration = Duration::from_millis(10);

/// Probe alone (`idle.udp_rtt.*`), then beside a scraper of `root`'s `memory.numa_stat` (or
/// `memory.stat` where the kernel has no numa_stat) pinned to the same CPU
/// (`scraping.udp_rtt.*`, plus `scraping.reads` and `scraping.read_max_ns`).
pub fn probe_beside_scraper(
    root: &Path,
    cpu: usize,
    duration: Duration,
) -> Result<Vec<Measurement>> {
    let mut file = match StatFile::open(&root.join("memory.numa_stat"))? {
        Some(file) => file,
        None => StatFile::open(&root.join("memory.stat"))?.ok_or_else(|| {
            KcanaryError::Kernel(format!("{} has no memory.stat", root.display()))
        })?,
    };
    let config = NetworkProbeConfig {
        cpu,
        duration,
        min_round_trips: 1,
        max_round_trips: MAX_ROUND_TRIPS_PER_SECOND * duration.as_secs().max(1) as usize,
    };
    let idle = run_network_probe(&config)?;
    let stop = AtomicBool::new(false);
    let (beside, scrapes) = std::thread::scope(|scope| {
        let scraper = scope.spawn(|| scrape_until(&mut file, cpu, &stop));
        let probe = run_network_probe(&config);
        stop.store(true, Ordering::Relaxed);
        let scrapes = scraper
            .join()
            .map_err(|_| KcanaryError::Io("scraper thread panicked".into()));
        (probe, scrapes)
    });
    let (reads, read_max_ns) = scrapes??;
    let mut out = distribution_measurements("idle.udp_rtt", &idle.round_trips);
    out.extend(distribution_measurements(
        "scraping.udp_rtt",
        &beside?.round_trips,
    ));
    out.push(Measurement::count(
        "scraping.reads",
        "reads",
        Better::Higher,
        reads as f64,
    ));
    out.push(Measurement::count(
        "scraping.read_max_ns",
        "ns",
        Better::Lower,
        read_max_ns as f64,
    ));
    Ok(out)
}

/// Reads `file` every `SCRAPE_PERIOD` on `cpu` until `stop`; returns (reads, slowest read).
fn scrape_until(file: &mut StatFile, cpu: usize, stop: &AtomicBool) -> Result<(u64, u64)> {
    let _pin = PinnedThread::to_cpu(cpu)?;
    let (mut reads, mut slowest_ns) = (0u64, 0u64);
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        slowest_ns = slowest_ns.max(file.timed_read()?);
        reads += 1;
        next += SCRAPE_PERIOD;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    Ok((reads, slowest_ns))
}
