//! Golden-bytes tests: kcanary's ipset requests must match what the real `ipset` tool (v7.17)
//! sends, captured with `strace -e write=FD` into tests/golden/ipset-7.17-strace.txt.
//! Sequence numbers and alignment padding (which libipset leaves uninitialised) are ignored;
//! every header field, attribute type, flag and value byte is compared.

use kcanary::ipset::element::{CreateOptions, Element};
use kcanary::ipset::message::{self, Ack, Exist};
use kcanary::ipset::protocol::Command;
use kcanary::ipset::set_type::SetType;
use kcanary::netlink::MessageWriter;

/// The messages captured for one `### ipset ...` section, as raw bytes.
fn golden_messages(section: &str) -> Vec<Vec<u8>> {
    let text = include_str!("golden/ipset-7.17-strace.txt");
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut in_section = false;
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("### ") {
            in_section = title == section;
            continue;
        }
        if !in_section {
            continue;
        }
        // " | 00010  02 00 00 00 05 00 ...  ascii |"
        let body = line.trim_start_matches(" | ");
        let (offset, rest) = body.split_once("  ").expect("offset column");
        if offset == "00000" {
            messages.push(Vec::new());
        }
        let hex = &rest[..rest.len().min(49)];
        let bytes = hex
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("hex byte"));
        messages.last_mut().expect("message started").extend(bytes);
    }
    assert!(
        !messages.is_empty(),
        "no golden messages for section {section}"
    );
    messages
}

/// A structural view of a netlink message: (type, flags) and the attribute tree with exact
/// type words and values, but without sequence number and padding.
#[derive(Debug, PartialEq)]
enum Node {
    Leaf(u16, Vec<u8>),
    Nest(u16, Vec<Node>),
}

fn structure(message: &[u8]) -> (u16, u16, Vec<u8>, Vec<Node>) {
    let length = u32::from_ne_bytes(message[0..4].try_into().unwrap()) as usize;
    assert_eq!(length, message.len(), "length field matches the bytes");
    let message_type = u16::from_ne_bytes(message[4..6].try_into().unwrap());
    let flags = u16::from_ne_bytes(message[6..8].try_into().unwrap());
    (
        message_type,
        flags,
        message[16..20].to_vec(),
        nodes(&message[20..]),
    )
}

fn nodes(mut bytes: &[u8]) -> Vec<Node> {
    let mut out = Vec::new();
    while bytes.len() >= 4 {
        let len = u16::from_ne_bytes([bytes[0], bytes[1]]) as usize;
        let kind = u16::from_ne_bytes([bytes[2], bytes[3]]);
        let value = &bytes[4..len];
        out.push(if kind & 0x8000 != 0 {
            Node::Nest(kind, nodes(value))
        } else {
            Node::Leaf(kind, value.to_vec())
        });
        bytes = &bytes[((len + 3) & !3).min(bytes.len())..];
    }
    out
}

fn assert_same(ours: &[u8], golden: &[u8]) {
    assert_eq!(
        structure(ours),
        structure(golden),
        "\nours:   {ours:02x?}\ngolden: {golden:02x?}"
    );
}

fn encode(f: impl FnOnce(&mut MessageWriter)) -> Vec<u8> {
    let mut w = MessageWriter::default();
    f(&mut w);
    w.bytes().to_vec()
}

#[test]
fn protocol_and_type_queries_match_ipset_plus_ack() {
    // The one deliberate difference: kcanary asks for an ack after query replies, so the end
    // of a reply is explicit. Everything else is identical.
    let golden = golden_messages("ipset create gA hash:ip");
    for (mut ours, golden) in [
        (encode(|w| message::protocol(w, 1)), &golden[0]),
        (
            encode(|w| message::type_query(w, 1, "hash:ip", 2)),
            &golden[1],
        ),
    ] {
        assert_eq!(ours[6] & 0x04, 0x04, "NLM_F_ACK set");
        ours[6] &= !0x04;
        assert_same(&ours, golden);
    }
}

#[test]
fn create_matches_ipset() {
    let golden = golden_messages("ipset create gA hash:ip");
    let ours = encode(|w| {
        message::create(
            w,
            1,
            "gA",
            "hash:ip",
            6,
            &CreateOptions::ipv4(),
            Exist::Fail,
            Ack::Always,
        )
    });
    assert_same(&ours, &golden[2]);
    let golden = golden_messages("ipset create gP hash:ip,port");
    let ours = encode(|w| {
        message::create(
            w,
            1,
            "gP",
            "hash:ip,port",
            7,
            &CreateOptions::ipv4(),
            Exist::Fail,
            Ack::Always,
        )
    });
    assert_same(&ours, golden.last().unwrap());
}

#[test]
fn add_matches_ipset() {
    let golden = golden_messages("ipset add gA 10.0.0.1");
    let element = Element::ip("10.0.0.1".parse().unwrap());
    let ours = encode(|w| {
        message::add_or_del(
            w,
            1,
            Command::Add,
            "gA",
            &[element],
            0,
            Exist::Fail,
            Ack::Always,
        )
    });
    assert_same(&ours, &golden[2]);

    let golden = golden_messages("ipset add gP 10.0.0.1,tcp:80");
    let t = SetType::parse("hash:ip,port").unwrap();
    let element = Element::parse(
        &t,
        kcanary::ipset::protocol::NFPROTO_IPV4,
        "10.0.0.1,tcp:80",
        &[],
    )
    .unwrap();
    let ours = encode(|w| {
        message::add_or_del(
            w,
            1,
            Command::Add,
            "gP",
            &[element],
            0,
            Exist::Fail,
            Ack::Always,
        )
    });
    assert_same(&ours, &golden[2]);
}

#[test]
fn multi_element_add_matches_ipset_restore() {
    let golden =
        golden_messages("ipset restore (create r1 hash:ip; add r1 10.0.0.1; add r1 10.0.0.2)");
    let elements = [
        Element::ip("10.0.0.1".parse().unwrap()),
        Element::ip("10.0.0.2".parse().unwrap()),
    ];
    let ours = encode(|w| {
        message::add_or_del(
            w,
            1,
            Command::Add,
            "r1",
            &elements,
            2,
            Exist::Fail,
            Ack::Always,
        )
    });
    assert_same(&ours, golden.last().unwrap());
}

#[test]
fn swap_rename_flush_destroy_match_ipset() {
    let swap = golden_messages("ipset swap gA gB");
    assert_same(
        &encode(|w| message::swap(w, 1, "gA", "gB", Ack::Always)),
        &swap[1],
    );
    let rename = golden_messages("ipset rename gA gR");
    assert_same(
        &encode(|w| message::rename(w, 1, "gA", "gR", Ack::Always)),
        &rename[1],
    );
    let flush = golden_messages("ipset flush gA");
    assert_same(
        &encode(|w| message::flush(w, 1, Some("gA"), Ack::Always)),
        &flush[1],
    );
    let destroy = golden_messages("ipset destroy gB");
    assert_same(
        &encode(|w| message::destroy(w, 1, Some("gB"), Exist::Fail, Ack::Always)),
        &destroy[1],
    );
}
