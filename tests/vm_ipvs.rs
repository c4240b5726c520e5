//! IPVS and the latency probes in real Debian kernels (6.1 and 6.12 cloud images) under QEMU,
//! through `kcanary vm`: services are created and dumped back with the right count and
//! attributes (the workload checks every dump and fails the run otherwise), FLUSH empties the
//! table, the estimator sysctls are switched inside the namespace, and the probes give
//! plausible distributions. Enabled like tests/vm.rs: set KCANARY_TEST_KERNELS to the directory
//! `ci/fetch-kernels.sh` filled, with a static kcanary built for the guest.

use kcanary::results::file::read_results;
use kcanary::results::{MetricResult, RunResults};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Small enough for TCG (about a minute per kernel), large enough to exercise dumps that span
/// several netlink datagrams.
const SCENARIOS: &[&str] = &[
    "ipvs-services-2k",
    "ipvs-estimator-20k",
    "probe-latency",
    "--set",
    "services=600",
    "--set",
    "probe_seconds=2",
    "--set",
    "probe_round_trips=20000",
    "--set",
    "settle_seconds=1",
    "--repetitions",
    "1",
];

fn kernel_package(dir: &Path, prefix: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("KCANARY_TEST_KERNELS={}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".deb")
        })
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "no {prefix}*.deb in {}: run ci/fetch-kernels.sh",
            dir.display()
        )
    })
}

fn results_for(dir: &Path, release_prefix: &str) -> RunResults {
    let file = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(release_prefix)
        })
        .unwrap_or_else(|| panic!("no results for {release_prefix} in {}", dir.display()));
    read_results(&file).unwrap()
}

fn metric<'a>(results: &'a RunResults, key: &str) -> &'a MetricResult {
    results
        .results
        .iter()
        .find(|m| m.key() == key)
        .unwrap_or_else(|| panic!("no {key} in {}", results.environment.kernel_release))
}

fn value(results: &RunResults, key: &str) -> f64 {
    metric(results, key).samples[0]
}

fn assert_ordered_percentiles(results: &RunResults, prefix: &str) {
    let p = |name: &str| value(results, &format!("{prefix}.{name}"));
    let (p50, p99, p999, max) = (p("p50_ns"), p("p99_ns"), p("p999_ns"), p("max_ns"));
    assert!(
        p50 > 0.0 && p50 <= p99 && p99 <= p999 && p999 <= max,
        "{prefix}: {p50} {p99} {p999} {max}"
    );
}

#[test]
fn ipvs_and_probes_work_in_debian_6_1_and_6_12() {
    let Some(dir) = std::env::var_os("KCANARY_TEST_KERNELS").map(PathBuf::from) else {
        eprintln!(
            "NOTICE: VM test ipvs_and_probes_work_in_debian_6_1_and_6_12 NOT RUN: set KCANARY_TEST_KERNELS"
        );
        return;
    };
    let guest = kcanary::vm::initramfs::find_guest_binary(None).unwrap_or_else(|e| panic!("{e}"));
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args([
            "vm",
            "--accel",
            "tcg",
            "--cpus",
            "1",
            "--timeout",
            "600",
            "--guest-binary",
        ])
        .arg(&guest)
        .arg("--kernel")
        .arg(kernel_package(&dir, "linux-image-6.1.0-"))
        .arg("--kernel")
        .arg(kernel_package(&dir, "linux-image-6.12."))
        .arg("--out")
        .arg(out.path())
        .args(SCENARIOS)
        .output()
        .unwrap();
    eprintln!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let code = output.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "exit code {code}: both kernels must run the scenarios"
    );

    for release in ["6.1.0-", "6.12."] {
        let results = results_for(out.path(), release);
        assert!(
            results.skipped.is_empty(),
            "{release}: skipped {:?}",
            results.skipped
        );
        // 600 services, each added (and checked in the dump) once per repetition.
        assert_eq!(
            metric(&results, "ipvs-services-2k/add_service_ns")
                .samples
                .len(),
            600
        );
        assert_eq!(
            metric(&results, "ipvs-services-2k/add_dest_ns")
                .samples
                .len(),
            1200
        );
        assert!(value(&results, "ipvs-services-2k/add_batched_services_per_s") > 0.0);
        assert!(value(&results, "ipvs-services-2k/flush_ns") > 0.0);
        // Estimation switched inside the namespace (run_estimation exists since 5.16).
        assert_eq!(
            value(&results, "ipvs-estimator-20k/est_on.run_estimation"),
            1.0
        );
        assert_eq!(
            value(&results, "ipvs-estimator-20k/est_off.run_estimation"),
            0.0
        );
        for prefix in [
            "ipvs-estimator-20k/est_on.udp_rtt",
            "ipvs-estimator-20k/est_off.udp_rtt",
            "ipvs-estimator-20k/est_on.timer_overshoot",
            "probe-latency/udp_rtt",
            "probe-latency/timer_overshoot",
        ] {
            assert_ordered_percentiles(&results, prefix);
        }
        assert!(value(&results, "ipvs-estimator-20k/est_on.udp_rtt.samples") >= 20_000.0);
    }
    // est_cpulist / est_nice exist from 6.2 (estimation kthreads), not in 6.1.
    let old = results_for(out.path(), "6.1.0-");
    let new = results_for(out.path(), "6.12.");
    assert!(
        !old.results
            .iter()
            .any(|m| m.metric.ends_with("est_cpulist_mask"))
    );
    assert!(value(&new, "ipvs-estimator-20k/est_on.est_cpulist_mask") >= 1.0);
}
