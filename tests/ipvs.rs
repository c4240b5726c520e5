//! IPVS on the real kernel. On a kernel without IP_VS (this project's build host) the tests
//! check that kcanary says so ("kernel has no IP_VS") and skips; on a kernel with IP_VS (the
//! Debian guests of `kcanary vm`) they create, dump, check and flush real services.

use kcanary::ipvs::client::{NO_IPVS, resolve_family};
use kcanary::ipvs::replay::{ReplayOptions, replay_save_file};
use kcanary::ipvs::workloads::{ipvs_available, services_repetition};
use kcanary::ipvs::{IpvsClient, Service, ServiceKey, table};
use kcanary::isolate::netns::in_fresh_netns;
use kcanary::netlink::NetlinkSocket;
use kcanary::netlink::errno::no_private_names;
use kcanary::runner::{RunHooks, WhenUnavailable, run_scenarios};
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
    let run = run_scenarios(std::slice::from_ref(&scenario), "host", WhenUnavailable::Skip, &hooks).unwrap();
    assert!(run.results.is_empty());
    assert_eq!(run.skipped[0].reason, NO_IPVS);
    // Asked for by name, it is an environment failure instead.
    let error = run_scenarios(&[scenario], "host", WhenUnavailable::Fail, &hooks).unwrap_err();
    assert_eq!(error.exit_code(), kcanary::error::exit_code::ENVIRONMENT);
}

#[test]
fn replay_rejects_bad_files_with_file_and_line() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r backend:80"
    )
    .unwrap();
    let error = replay_save_file(file.path(), &ReplayOptions::default()).unwrap_err();
    assert_eq!(error.exit_code(), kcanary::error::exit_code::BAD_INPUT);
    assert!(error.to_string().contains(":2: "), "{error}");
}

#[test]
fn services_are_created_dumped_and_flushed() {
    if ipvs_available().is_err() {
        eprintln!("skipped: {NO_IPVS}");
        return;
    }
    let generated = table::generate(300, 3, "mixed", "rr");
    let measurements = in_fresh_netns(move || services_repetition(&generated, true, 300)).unwrap();
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
        eprintln!("skipped: {NO_IPVS}");
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
        eprintln!("skipped: {NO_IPVS}");
        return;
    }
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(file, "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 172.16.0.1:80 -m\n-a -t 10.0.0.1:80 -r 172.16.0.2:80 -m\n-Z\n-C\n").unwrap();
    let measurements = replay_save_file(file.path(), &ReplayOptions::default()).unwrap();
    let count = |name: &str| {
        measurements
            .iter()
            .find(|m| m.metric == name)
            .map(|m| m.samples.len())
    };
    assert_eq!(count("replay.add_service_ns"), Some(1));
    assert_eq!(count("replay.add_server_ns"), Some(2));
    assert_eq!(count("replay.clear_ns"), Some(1));
    // Adding the same service twice is refused, and the error points at the line.
    write!(file, "-A -t 10.0.0.9:80\n-A -t 10.0.0.9:80\n").unwrap();
    let error = replay_save_file(file.path(), &ReplayOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(":7: ") && error.contains("EEXIST"),
        "{error}"
    );
}
