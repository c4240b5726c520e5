//! "Nothing allocated inside a timed region": a counting allocator (one test binary, because
//! the allocator is global) proves that a netlink request/ack round trip and a dump allocate
//! nothing once set up, that the memcg build-up allocates the same for 10 or 300 cgroups (all
//! of it up front) and that stat-file reads allocate nothing.

use kcanary::ipset::message;
use kcanary::ipset::workloads::swap_storm;
use kcanary::isolate::netns::in_fresh_netns;
use kcanary::memcg::MemoryHierarchy;
use kcanary::memcg::buildup::build_dying;
use kcanary::memcg::charge::Charger;
use kcanary::memcg::owner::HierarchyLock;
use kcanary::memcg::stat_file::StatFile;
use kcanary::memcg::workspace::{ChargeMedium, Workspace};
use kcanary::netlink::MessageWriter;
use kcanary::workload::NoProgress;
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
        let swaps = swap_storm::encode_swaps(&mut session, 100);
        let mut dump = MessageWriter::with_capacity(64);
        let dump_sequence = session.socket.next_sequence();
        message::list(&mut dump, dump_sequence, None, false);

        let before = allocations();
        // The swap storm's own timed loop: one allocation, its sample vector, reserved for
        // all 100 latencies before the first request; nothing per request.
        let latencies = swaps.try_one_by_one(&mut session.socket).expect("swaps");
        assert_eq!(
            allocations() - before,
            1,
            "allocations in the timed swap loop"
        );
        assert_eq!(latencies.len(), 100);
        let before = allocations();
        let mut replies = 0;
        session
            .socket
            .dump(dump.bytes(), dump_sequence, |_| replies += 1)
            .expect("dump");
        let during = allocations() - before;
        assert_eq!(during, 0, "the dump allocated {during} times");
        assert!(replies >= 12);
        Ok(())
    })
    .expect("fresh namespace (run as root)");
}

/// Allocations made by one build-up of `count` cgroups in a fresh workspace.
fn allocations_of_build_up(hierarchy: &MemoryHierarchy, count: u64) -> usize {
    let mut workspace = Workspace::create(hierarchy, ChargeMedium::Tmpfs, 16 << 20).unwrap();
    let charger = Charger::new(4).unwrap();
    let before = allocations();
    let samples = build_dying(&workspace, &charger, count, &NoProgress).unwrap();
    let during = allocations() - before;
    assert_eq!(samples.create_ns.len() as u64, count);
    workspace.teardown().unwrap();
    during
}

#[test]
fn build_up_allocates_nothing_per_cgroup_and_reads_allocate_nothing() {
    let hierarchy = MemoryHierarchy::detect().expect("memory cgroup hierarchy (run as root)");
    let _exclusive = HierarchyLock::acquire(hierarchy.root()).unwrap();
    let small = allocations_of_build_up(&hierarchy, 10);
    let large = allocations_of_build_up(&hierarchy, 300);
    assert_eq!(
        small,
        large,
        "290 more cgroups cost {} more allocations",
        large as i64 - small as i64
    );

    let mut stat = StatFile::open(&hierarchy.root().join("memory.stat"))
        .unwrap()
        .unwrap();
    let before = allocations();
    for _ in 0..100 {
        stat.timed_read().unwrap();
    }
    assert_eq!(allocations() - before, 0, "stat reads allocated");
    assert!(stat.last_text().contains("cache") || stat.last_text().contains("file"));
}
