//! Real-kernel tests of the ipset session: every test runs in a network namespace of its own
//! (needs root or `unshare -Urn`), and checks what the kernel then lists.

use kcanary::ipset::IpsetSession;
use kcanary::ipset::element::{CreateOptions, Element};
use kcanary::ipset::message::Exist;
use kcanary::isolate::netns::{current_netns_inode, in_fresh_netns};

fn ips(list: &[&str]) -> Vec<Element> {
    list.iter()
        .map(|ip| Element::ip(ip.parse().unwrap()))
        .collect()
}

fn in_netns<T: Send + 'static>(f: impl FnOnce(&mut IpsetSession) -> T + Send + 'static) -> T {
    in_fresh_netns(move || {
        let mut session = IpsetSession::open().expect("nfnetlink socket");
        Ok(f(&mut session))
    })
    .expect("fresh network namespace (run the tests as root)")
}

#[test]
fn workloads_run_in_their_own_namespace() {
    let host = current_netns_inode().unwrap();
    let inner = in_fresh_netns(current_netns_inode).unwrap();
    assert_ne!(host, inner);
    assert_eq!(
        current_netns_inode().unwrap(),
        host,
        "the calling thread stays in the host namespace"
    );
}

#[test]
fn create_swap_flush_destroy_as_asked() {
    in_netns(|s| {
        let v4 = CreateOptions::ipv4();
        s.create("kc-a", "hash:ip", &v4, Exist::Fail).unwrap();
        s.create("kc-b", "hash:ip", &v4, Exist::Fail).unwrap();
        s.add(
            "kc-a",
            &ips(&["10.0.0.1", "10.0.0.2", "10.0.0.3"]),
            Exist::Fail,
        )
        .unwrap();
        s.add("kc-b", &ips(&["192.168.0.9"]), Exist::Fail).unwrap();

        s.swap("kc-a", "kc-b").unwrap();
        let listed = s.list(None).unwrap();
        let a = listed.iter().find(|l| l.name == "kc-a").unwrap();
        let b = listed.iter().find(|l| l.name == "kc-b").unwrap();
        assert_eq!(a.elements, vec!["192.168.0.9"]);
        let mut b_elements = b.elements.clone();
        b_elements.sort();
        assert_eq!(b_elements, vec!["10.0.0.1", "10.0.0.2", "10.0.0.3"]);

        s.flush(Some("kc-b")).unwrap();
        assert!(s.list(Some("kc-b")).unwrap()[0].elements.is_empty());
        s.destroy(Some("kc-a"), Exist::Fail).unwrap();
        assert_eq!(s.set_names().unwrap(), vec!["kc-b"]);
        s.destroy(None, Exist::Fail).unwrap();
        assert!(s.set_names().unwrap().is_empty());
    });
}

#[test]
fn many_sets_and_many_elements_in_batches() {
    in_netns(|s| {
        let names: Vec<String> = (0..3000).map(|i| format!("kc-{i}")).collect();
        s.create_many(&names, "hash:net", &CreateOptions::ipv4())
            .unwrap();
        assert_eq!(s.set_names().unwrap().len(), 3000);
        let elements: Vec<Element> = (0..5000u32)
            .map(|i| Element::ip(std::net::Ipv4Addr::from(0x0a00_0000 + i).into()))
            .collect();
        s.add("kc-7", &elements, Exist::Fail).unwrap();
        assert_eq!(s.list(Some("kc-7")).unwrap()[0].elements.len(), 5000);
    });
}

#[test]
fn kernel_errors_have_names() {
    let errors = in_netns(|s| {
        let v4 = CreateOptions::ipv4();
        s.create("kc-a", "hash:ip", &v4, Exist::Fail).unwrap();
        s.create("kc-n", "hash:net", &v4, Exist::Fail).unwrap();
        s.add("kc-a", &ips(&["10.0.0.1"]), Exist::Fail).unwrap();
        vec![
            s.create("kc-a", "hash:ip", &v4, Exist::Fail)
                .unwrap_err()
                .name,
            s.swap("kc-a", "kc-missing").unwrap_err().name,
            s.add("kc-a", &ips(&["10.0.0.1"]), Exist::Fail)
                .unwrap_err()
                .name,
            s.swap("kc-a", "kc-n").unwrap_err().name,
            s.create("kc-x", "hash:nope", &v4, Exist::Fail)
                .unwrap_err()
                .name,
            s.destroy(Some("kc-missing"), Exist::Fail).unwrap_err().name,
        ]
    });
    assert_eq!(
        errors,
        vec![
            "EEXIST",
            "IPSET_ERR_EXIST_SETNAME2",
            "IPSET_ERR_EXIST",
            "IPSET_ERR_TYPE_MISMATCH",
            "IPSET_ERR_FIND_TYPE",
            "ENOENT"
        ]
    );
}

#[test]
fn exist_makes_duplicates_silent() {
    in_netns(|s| {
        let v4 = CreateOptions::ipv4();
        s.create("kc-a", "hash:ip", &v4, Exist::Ignore).unwrap();
        s.create("kc-a", "hash:ip", &v4, Exist::Ignore).unwrap();
        s.add("kc-a", &ips(&["10.0.0.1"]), Exist::Ignore).unwrap();
        s.add("kc-a", &ips(&["10.0.0.1"]), Exist::Ignore).unwrap();
        assert_eq!(s.list(Some("kc-a")).unwrap()[0].elements.len(), 1);
    });
}

#[test]
fn generated_kube_router_sync_replays_into_the_expected_sets() {
    use kcanary::ipset::kube_router;
    use kcanary::ipset::replay::IpsetRestore;
    use kcanary::ipset::restore_file;
    use kcanary::replay::{ReplayMode, replay_in_session};
    let text = kube_router::sync_file(200, 5);
    let lines = kcanary::ipset::replay::ReplayLine::all(
        restore_file::parse(std::path::Path::new("sync"), &text, true).unwrap(),
    );
    for mode in [ReplayMode::PerCommand, ReplayMode::Batched] {
        let lines = lines.clone();
        let listed = in_netns(move |s| {
            for _ in 0..2 {
                replay_in_session::<IpsetRestore>(s, std::path::Path::new("sync"), &lines, mode)
                    .unwrap();
            }
            s.list(None).unwrap()
        });
        assert_eq!(
            listed.len(),
            200,
            "TMP set destroyed, every synced set present ({mode:?})"
        );
        for (i, set) in listed.iter().enumerate() {
            assert_eq!(set.name, kube_router::set_name(i));
            assert_eq!(set.type_name, "hash:ip");
            let mut elements = set.elements.clone();
            elements.sort();
            let mut expected = kube_router::expected_elements(i, 5);
            expected.sort();
            assert_eq!(elements, expected, "{}", set.name);
        }
    }
}

#[test]
fn replay_accepts_the_common_set_types() {
    use kcanary::ipset::replay::IpsetRestore;
    use kcanary::replay::{ReplayMode, replay_in_session};
    let text = "\
create n4 hash:net family inet hashsize 1024 maxelem 65536
add n4 10.1.0.0/16
add n4 10.2.0.0/24 nomatch
create ipp hash:ip,port family inet timeout 0
add ipp 10.0.0.1,udp:53 timeout 0
add ipp 10.0.0.1,tcp:443 timeout 100
create v6 hash:ip family inet6 counters comment
add v6 2001:db8::1 comment \"first host\"
create netport hash:net,port family inet
add netport 192.168.0.0/24,tcp:8080
create bm bitmap:port range 0-1024
add bm 80
create ls list:set size 8
add ls n4
add ls ipp before n4
del ipp 10.0.0.1,udp:53
rename netport netport2
";
    let lines = kcanary::ipset::replay::ReplayLine::all(
        kcanary::ipset::restore_file::parse(std::path::Path::new("types"), text, false).unwrap(),
    );
    let listed = in_netns(move |s| {
        replay_in_session::<IpsetRestore>(
            s,
            std::path::Path::new("types"),
            &lines,
            ReplayMode::PerCommand,
        )
        .unwrap();
        s.list(None).unwrap()
    });
    let elements = |name: &str| {
        let mut e = listed
            .iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("{name}"))
            .elements
            .clone();
        e.sort();
        e
    };
    assert_eq!(elements("n4"), vec!["10.1.0.0/16", "10.2.0.0/24"]);
    assert_eq!(elements("ipp"), vec!["10.0.0.1,tcp:443"]);
    assert_eq!(elements("v6"), vec!["2001:db8::1"]);
    assert_eq!(elements("netport2"), vec!["192.168.0.0/24,tcp:8080"]);
    assert_eq!(elements("ls"), vec!["ipp", "n4"]);
    assert_eq!(elements("bm").len(), 1);
}
