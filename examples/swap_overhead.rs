//! Benchmark: kcanary's per-swap latency against a minimal loop of the same syscalls.
//!
//! In one fresh network namespace with the same two sets (and K other sets), alternate blocks
//! of swaps timed through kcanary's swap-storm code with blocks timed by a bare
//! `send(2)`/`recv(2)` loop on a raw netlink socket with the same request bytes. The ratio of
//! medians says how much kcanary adds to what it measures (goal: at most 1.2x).
//!
//!     cargo run --release --example swap_overhead -- [OTHER_SETS] [SWAPS_PER_BLOCK] [BLOCKS]

use kcanary::ipset::message::{self, Ack};
use kcanary::ipset::workloads::swap_storm::{self, FIRST, SECOND};
use kcanary::isolate::netns::in_fresh_netns;
use kcanary::netlink::MessageWriter;
use kcanary::results::summary::median;
use std::time::Instant;

fn main() {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (other_sets, swaps, blocks) = (arg(1, 0), arg(2, 2000), arg(3, 10));
    let (kcanary_ns, raw_ns) = in_fresh_netns(move || {
        let mut session = kcanary::ipset::IpsetSession::open().expect("nfnetlink");
        swap_storm::setup(&mut session, other_sets, 16)?;
        let raw = RawNetlink::open();
        let (mut kcanary_ns, mut raw_ns) = (Vec::new(), Vec::new());
        for _ in 0..blocks {
            kcanary_ns.extend(swap_storm::storm(&mut session, swaps)?);
            raw_ns.extend(raw.swap_loop(swaps));
        }
        Ok((kcanary_ns, raw_ns))
    })
    .expect("run as root (or under unshare -Ur)");
    let (k, r) = (median(&kcanary_ns).unwrap(), median(&raw_ns).unwrap());
    println!("other sets: {other_sets}, {blocks} alternating blocks of {swaps} swaps each");
    println!(
        "median per swap: kcanary {:.2} µs, raw send/recv loop {:.2} µs",
        k / 1e3,
        r / 1e3
    );
    println!("ratio kcanary/raw: {:.3}x (goal <= 1.2x)", k / r);
}

/// A bare netlink socket: the least a program can do to swap two sets.
struct RawNetlink {
    fd: i32,
}

impl RawNetlink {
    fn open() -> RawNetlink {
        // SAFETY: plain socket/bind calls with a zeroed sockaddr_nl.
        unsafe {
            let fd = libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_NETFILTER,
            );
            assert!(fd >= 0, "netlink socket");
            let mut addr: libc::sockaddr_nl = std::mem::zeroed();
            addr.nl_family = libc::AF_NETLINK as u16;
            let rc = libc::bind(
                fd,
                (&addr as *const libc::sockaddr_nl).cast(),
                std::mem::size_of_val(&addr) as u32,
            );
            assert_eq!(rc, 0, "bind");
            if std::env::var_os("RAW_EXT_ACK").is_some() {
                let one: i32 = 1;
                for opt in [libc::NETLINK_EXT_ACK, libc::NETLINK_CAP_ACK] {
                    libc::setsockopt(fd, libc::SOL_NETLINK, opt, (&one as *const i32).cast(), 4);
                }
            }
            RawNetlink { fd }
        }
    }

    fn swap_loop(&self, swaps: usize) -> Vec<f64> {
        let requests: Vec<Vec<u8>> = (0..swaps)
            .map(|i| {
                let mut w = MessageWriter::default();
                let (a, b) = if i % 2 == 0 {
                    (FIRST, SECOND)
                } else {
                    (SECOND, FIRST)
                };
                message::swap(&mut w, i as u32 + 1, a, b, Ack::Always);
                w.bytes().to_vec()
            })
            .collect();
        let mut reply = [0u8; 8192];
        let mut latency_ns = Vec::with_capacity(swaps);
        for request in &requests {
            let t0 = Instant::now();
            // SAFETY: valid fd and buffers that outlive the calls.
            unsafe {
                libc::send(self.fd, request.as_ptr().cast(), request.len(), 0);
                libc::recv(self.fd, reply.as_mut_ptr().cast(), reply.len(), 0);
            }
            latency_ns.push(t0.elapsed().as_nanos() as f64);
            let code = i32::from_ne_bytes(reply[16..20].try_into().unwrap());
            assert_eq!(code, 0, "swap failed in the raw loop");
        }
        latency_ns
    }
}
