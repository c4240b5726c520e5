//! IPVS on the real kernel. On a kernel without IP_VS (this project's build host) the tests
//! check that kcanary says so ("kernel has no IP_VS") and skips; on a kernel with IP_VS (the
//! Debian guests of `kcanary vm`) they create, dump, check and flush real services.

use kcanary::ipvs::client::{NO_IPVS, resolve_family};
use kcanary::ipvs::replay::IpvsadmSave;
use kcanary::ipvs::workloads::{batched_repetition, ipvs_available, services_repetition};
use kcanary::ipvs::{IpvsClient, Service, ServiceKey, table};
use kcanary::isolate::netns::in_fresh_netns;
use kcanary::netlink::NetlinkSocket;
use kcanary::netlink::errno::no_private_names;
use kcanary::replay::{ReplayMode, replay_once};
use kcanary::runner::{RunHooks, run_scenarios};
use kcanary::workload::NoProgress;
use std::io::Write;

#[test]
fn nlctrl_resolves_families_the_kernel_has() {
    in_fresh_netns(|| {
        let mut socket =
            NetlinkSocket::open(libc::NETLINK_GENERIC as isize, no_private_names).unwrap();
        // nlctrl knows itself under its fixed id, and nothing under a made-up name.
        assert_eq!(resolve_family(&mut socket, "nlctrl").unwrap(), Some(0x10));
        assert_eq!(
            resolve_family(&mut socket, "kcanary-no-such").unwrap(),
            None
        );
        Ok(())
    })
    .unwrap();
}

#[test]
fn missing_ipvs_is_a_skip_with_the_reason() {
    let Err(reason) = ipvs_available() else {
        eprintln!("this kernel has IP_VS: covered by the tests that use it");
        return;
    };
    assert_eq!(reason, NO_IPVS);
    let scenario = kcanary::scenario::parse_scenario(
        std::path::Path::new("t.toml"),
        "name = \"ipvs-t\"\nworkload = \"ipvs.services\"\n[params]\nservices = 10\n",
    )
    .unwrap();
    let status = |_: &str| {};
    let hooks = RunHooks {
        progress: &NoProgress,
        status: &status,
    };
    let run = run_scenarios(
        std::slice::from_ref(&scenario),
        kcanary::results::ExecutionMode::Host,
        &hooks,
    )
    .unwrap();
    assert!(run.results.is_empty());
    assert_eq!(run.skipped[0].reason, NO_IPVS);
}

/// Asked for by name next to one that runs, an IPVS scenario on a kernel without IP_VS is
/// skipped with its reason, the other's results are still written, and the exit code (4)
/// says the run is not the evidence that was asked for.
#[test]
fn a_named_scenario_that_cannot_run_still_writes_the_others_and_exits_4() {
    if ipvs_available().is_ok() {
        eprintln!("this kernel has IP_VS: nothing to skip here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.json");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kcanary"))
        .args([
            "run",
            "ipvs-services-2k",
            "ipset-swap-storm-0",
            "--repetitions",
            "1",
        ])
        .args(["--set", "swaps=20", "--set", "services=10", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("ipvs-services-2k was asked for but could not run here"),
        "{stderr}"
    );
    let run = kcanary::results::file::read_results(&out).unwrap();
    assert_eq!(run.skipped.len(), 1);
    assert_eq!(run.skipped[0].reason, NO_IPVS);
    assert!(
        run.results
            .iter()
            .any(|m| m.scenario == "ipset-swap-storm-0")
    );
}

#[test]
fn replay_rejects_bad_files_with_file_and_line() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r backend:80"
    )
    .unwrap();
    let error = replay_once::<IpvsadmSave>(file.path(), ReplayMode::PerCommand).unwrap_err();
    assert_eq!(error.exit_code(), kcanary::error::exit_code::BAD_INPUT);
    assert!(error.to_string().contains(":2: "), "{error}");
}

#[test]
fn services_are_created_dumped_and_flushed() {
    if ipvs_available().is_err() {
        not_run_notice();
        return;
    }
    let generated = table::generate(300, 3, "mixed", "rr");
    let again = generated.clone();
    let mut measurements =
        in_fresh_netns(move || services_repetition(&generated, true, 300)).unwrap();
    measurements.extend(in_fresh_netns(move || batched_repetition(&again, 300)).unwrap());
    let add = measurements
        .iter()
        .find(|m| m.metric == "add_service_ns")
        .unwrap();
    assert_eq!(add.samples.len(), 300);
    assert!(add.samples.iter().all(|&ns| ns > 0.0));
    let dests = measurements
        .iter()
        .find(|m| m.metric == "add_dest_ns")
        .unwrap();
    assert_eq!(dests.samples.len(), 900);
    assert!(
        measurements
            .iter()
            .any(|m| m.metric == "add_batched_total_ns")
    );
}

#[test]
fn kernel_errors_come_back_by_name() {
    if ipvs_available().is_err() {
        not_run_notice();
        return;
    }
    in_fresh_netns(|| {
        let mut client = IpvsClient::connect()?;
        let entry = table::generate(1, 0, "tcp", "rr").remove(0);
        client.add_service(&entry.service).unwrap();
        assert_eq!(
            client.add_service(&entry.service).unwrap_err().name,
            "EEXIST"
        );
        let missing = ServiceKey::FirewallMark {
            ipv6: false,
            mark: 99,
        };
        assert_eq!(client.del_service(&missing).unwrap_err().name, "ESRCH");
        let unknown = Service::new(
            ServiceKey::FirewallMark {
                ipv6: false,
                mark: 5,
            },
            "kcanary-no-such",
        );
        assert_eq!(client.add_service(&unknown).unwrap_err().name, "ENOENT");
        assert_eq!(client.services().unwrap().len(), 1);
        let info = client.info().unwrap();
        assert!(
            info.version >= 0x010200,
            "IPVS version {}",
            info.version_text()
        );
        client.flush().unwrap();
        assert!(client.services().unwrap().is_empty());
        Ok(())
    })
    .unwrap();
}

#[test]
fn replay_sends_every_command() {
    if ipvs_available().is_err() {
        not_run_notice();
        return;
    }
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(file, "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 172.16.0.1:80 -m\n-a -t 10.0.0.1:80 -r 172.16.0.2:80 -m\n-Z\n-C\n").unwrap();
    let measurements = replay_once::<IpvsadmSave>(file.path(), ReplayMode::PerCommand).unwrap();
    let count = |name: &str| {
        measurements
            .iter()
            .find(|m| m.metric == name)
            .map(|m| m.samples.len())
    };
    assert_eq!(count("add_service_ns"), Some(1));
    assert_eq!(count("add_server_ns"), Some(2));
    assert_eq!(count("clear_ns"), Some(1));
    // Adding the same service twice is refused, and the error points at the line.
    write!(file, "-A -t 10.0.0.9:80\n-A -t 10.0.0.9:80\n").unwrap();
    let error = replay_once::<IpvsadmSave>(file.path(), ReplayMode::PerCommand)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(":7: ") && error.contains("EEXIST"),
        "{error}"
    );
}

/// The table an `ipvsadm -S` file describes (services with their real servers).
fn table_of_file(path: &std::path::Path) -> Vec<table::TableEntry> {
    use kcanary::ipvs::save_file::{Command, load};
    let mut entries: Vec<table::TableEntry> = Vec::new();
    for line in load(path).unwrap() {
        match line.command {
            Command::AddService(service) => entries.push(table::TableEntry {
                service,
                destinations: Vec::new(),
            }),
            Command::AddServer(key, destination) => entries
                .iter_mut()
                .find(|e| e.service.key == key)
                .unwrap()
                .destinations
                .push(destination),
            other => panic!("unexpected {other:?} in a table file"),
        }
    }
    entries
}

/// In a guest, after `ipvsadm -R < FILE` in the same (initial) namespace: what kcanary dumps
/// is what the file says, services and every real server. Checks the dump parser and the
/// save-file defaults against the real tool.
#[test]
#[ignore]
fn guest_dump_matches_file_loaded_by_ipvsadm() {
    let path = std::env::var("KCANARY_GUEST_FILE").expect("KCANARY_GUEST_FILE");
    let entries = table_of_file(std::path::Path::new(&path));
    let mut client = IpvsClient::connect().unwrap();
    kcanary::ipvs::verify::table_matches(&mut client, &entries, usize::MAX).unwrap();
    println!(
        "kcanary dump matches {} services loaded by ipvsadm",
        entries.len()
    );
}

/// In a guest: loads FILE in the initial namespace with kcanary, so that `ipvsadm -S -n` can
/// be compared with the file afterwards (the reverse check).
#[test]
#[ignore]
fn guest_load_file_for_ipvsadm() {
    let path = std::env::var("KCANARY_GUEST_FILE").expect("KCANARY_GUEST_FILE");
    let entries = table_of_file(std::path::Path::new(&path));
    let mut client = IpvsClient::connect().unwrap();
    for entry in &entries {
        client.add_service(&entry.service).unwrap();
        for destination in &entry.destinations {
            client.add_dest(&entry.service.key, destination).unwrap();
        }
    }
    println!("kcanary loaded {} services", entries.len());
}

/// In a guest: replays FILE (one by one, and batched if KCANARY_GUEST_BATCH is set) and prints
/// the totals, for the comparison with `ipvsadm -R` on the same file.
#[test]
#[ignore]
fn guest_replay() {
    let path = std::env::var("KCANARY_GUEST_FILE").expect("KCANARY_GUEST_FILE");
    let batch = std::env::var("KCANARY_GUEST_BATCH").is_ok();
    let measurements =
        replay_once::<IpvsadmSave>(std::path::Path::new(&path), ReplayMode::batched_if(batch))
            .unwrap();
    for m in measurements {
        let total: f64 = m.samples.iter().sum();
        println!(
            "replay batch={batch} {} n={} sum={total:.0}",
            m.metric,
            m.samples.len()
        );
    }
}

/// In a guest: prints what `ipvs_available()` says for the current privileges (run it under
/// `unshare -Ur` to see the EPERM reason).
#[test]
#[ignore]
fn guest_print_availability() {
    println!("ipvs_available: {:?}", ipvs_available());
}

/// Says, past the test harness's output capture, that a test needing IP_VS did not run here
/// (its real run is in tests/vm.rs, inside Debian's kernels).
fn not_run_notice() {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "NOTICE: IPVS test NOT RUN on this kernel: {NO_IPVS}"
    );
}
