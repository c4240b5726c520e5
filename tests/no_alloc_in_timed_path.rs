//! "Nothing allocated inside a timed region": a counting allocator proves that a request/ack
//! round trip and a dump through the netlink layer allocate nothing once set up.

use kcanary::ipset::message::{self, Ack};
use kcanary::ipset::workloads::swap_storm::{self, FIRST, SECOND};
use kcanary::isolate::netns::in_fresh_netns;
use kcanary::netlink::MessageWriter;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations() -> usize {
    ALLOCATIONS.with(|n| n.get())
}

#[test]
fn request_ack_and_dump_allocate_nothing() {
    in_fresh_netns(|| {
        let mut session = kcanary::ipset::IpsetSession::open().expect("nfnetlink");
        swap_storm::setup(&mut session, 10, 4)?;
        let mut requests = Vec::new();
        for i in 0..100 {
            let mut w = MessageWriter::default();
            let sequence = session.socket.next_sequence();
            let (a, b) = if i % 2 == 0 {
                (FIRST, SECOND)
            } else {
                (SECOND, FIRST)
            };
            message::swap(&mut w, sequence, a, b, Ack::Always);
            requests.push((w, sequence));
        }
        let mut dump = MessageWriter::with_capacity(64);
        let dump_sequence = session.socket.next_sequence();
        message::list(&mut dump, dump_sequence, None, false);

        let before = allocations();
        for (w, sequence) in &requests {
            session.socket.request(w.bytes(), *sequence).expect("swap");
        }
        let mut replies = 0;
        session
            .socket
            .dump(dump.bytes(), dump_sequence, |_| replies += 1)
            .expect("dump");
        let during = allocations() - before;
        assert_eq!(during, 0, "the timed path allocated {during} times");
        assert!(replies >= 12);
        Ok(())
    })
    .expect("fresh namespace (run as root)");
}
