//! Golden bytes captured from the real tool: Debian 12's ipvsadm 1.31 talking to Debian's
//! 6.12 cloud kernel in a QEMU guest, recorded with strace (tests/golden/ipvsadm-1.31-linux-6.12.txt).
//! kcanary must send the same requests for the same `ipvsadm -S` lines, and read the kernel's
//! real dump replies back into what those lines say.

use kcanary::ipvs::dump::{parse_dest, parse_service};
use kcanary::ipvs::request;
use kcanary::ipvs::save_file::{Command, parse};
use kcanary::netlink::MessageWriter;
use std::path::Path;

const FAMILY: u16 = 0x22;

struct Captured {
    command: String,
    direction: String,
    payload: Vec<u8>,
}

fn captured() -> Vec<Captured> {
    let text = include_str!("golden/ipvsadm-1.31-linux-6.12.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let hex = words[3];
            let payload = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            Captured {
                command: words[0].into(),
                direction: words[1].into(),
                payload,
            }
        })
        .collect()
}

fn sent(command: &str) -> Vec<Vec<u8>> {
    captured()
        .into_iter()
        .filter(|c| c.command == command && c.direction == "send")
        .map(|c| c.payload)
        .collect()
}

fn line(text: &str) -> Command {
    parse(Path::new("golden"), text).unwrap().remove(0).command
}

/// The generic-netlink payload of the one message `encode` writes (after the nlmsghdr).
fn ours(encode: impl FnOnce(&mut MessageWriter)) -> Vec<u8> {
    let mut writer = MessageWriter::default();
    encode(&mut writer);
    writer.bytes()[16..].to_vec()
}

#[test]
fn new_service_requests_match_ipvsadm_byte_for_byte() {
    for (name, text) in [
        ("add_service_tcp", "-A -t 10.0.0.1:80 -s rr"),
        (
            "add_service_udp_persistent",
            "-A -u 10.0.0.2:53 -s wlc -p 300 -M 255.255.255.0",
        ),
    ] {
        let Command::AddService(service) = line(text) else {
            panic!()
        };
        assert_eq!(
            ours(|w| request::new_service(w, FAMILY, 1, &service)),
            sent(name)[0],
            "{name}"
        );
    }
}

#[test]
fn table_commands_and_dump_requests_match_ipvsadm() {
    assert_eq!(ours(|w| request::zero(w, FAMILY, 1, None)), sent("zero")[0]);
    assert_eq!(ours(|w| request::flush(w, FAMILY, 1)), sent("flush")[0]);
    let list = sent("list");
    assert_eq!(ours(|w| request::dump_services(w, FAMILY, 1)), list[0]);
    // ipvsadm -L then dumps the real servers of each service, by key.
    let Command::AddService(tcp) = line("-A -t 10.0.0.1:80") else {
        panic!()
    };
    assert!(list.contains(&ours(|w| request::dump_dests(w, FAMILY, 1, &tcp.key))));
}

#[test]
fn new_dest_carries_the_same_real_server() {
    // ipvsadm sends the whole service (with an empty scheduler) and the tunnel attributes even
    // for NAT; kcanary sends the service key only, which is all the kernel reads for NEW_DEST.
    // Both must describe the same real server.
    let Command::AddServer(key, destination) = line("-a -t 10.0.0.1:80 -r 172.16.0.1:8080 -m -w 3")
    else {
        panic!()
    };
    let theirs = &sent("add_dest_masq")[0];
    let mine = ours(|w| request::new_dest(w, FAMILY, 1, &key, &destination));
    assert_eq!(
        parse_dest(theirs, libc::AF_INET as u16).unwrap(),
        destination
    );
    assert_eq!(
        parse_dest(&mine, libc::AF_INET as u16).unwrap(),
        destination
    );
    assert_eq!(parse_service(theirs).unwrap().service.key, key);
    assert_eq!(parse_service(&mine).unwrap().service.key, key);
}

#[test]
fn real_kernel_dump_replies_read_back_as_created() {
    let replies: Vec<Vec<u8>> = captured()
        .into_iter()
        .filter(|c| c.command == "list" && c.direction == "recv")
        .map(|c| c.payload)
        .collect();
    let services: Vec<_> = replies
        .iter()
        .filter(|p| p[0] == 1)
        .map(|p| parse_service(p).unwrap())
        .collect();
    assert_eq!(services.len(), 2);
    const HASHED: u32 = 0x2;
    for text in [
        "-A -t 10.0.0.1:80 -s rr",
        "-A -u 10.0.0.2:53 -s wlc -p 300 -M 255.255.255.0",
    ] {
        let Command::AddService(mut created) = line(text) else {
            panic!()
        };
        created.flags |= HASHED;
        assert!(
            services.iter().any(|s| s.service == created),
            "{text} not in {services:?}"
        );
    }
    let dests: Vec<_> = replies
        .iter()
        .filter(|p| p[0] == 5)
        .map(|p| parse_dest(p, libc::AF_INET as u16).unwrap())
        .collect();
    let Command::AddServer(_, destination) = line("-a -t 10.0.0.1:80 -r 172.16.0.1:8080 -m -w 3")
    else {
        panic!()
    };
    assert_eq!(dests, vec![destination]);
}
