//! `cargo bench`: criterion over kcanary's own ipset workload code, so
//! `cargo bench -- --save-baseline before` / `--baseline before` compare kernels with
//! criterion's tooling, and `kcanary import-criterion target/criterion` feeds the gate.
//!
//! The bench process moves itself into a fresh network namespace first (it needs root, or
//! `unshare -Ur cargo bench`); the namespace, with every set in it, dies with the process.
//! `iter_custom` returns the sum of kernel-operation latencies measured exactly as
//! `kcanary run` measures them.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use kcanary::ipset::IpsetSession;
use kcanary::ipset::element::CreateOptions;
use kcanary::ipset::message::Exist;
use kcanary::ipset::workloads::{numbered_names, swap_storm};
use std::time::Duration;

fn total(latencies_ns: &[f64]) -> Duration {
    Duration::from_nanos(latencies_ns.iter().sum::<f64>() as u64)
}

fn swap(c: &mut Criterion) {
    let mut group = c.benchmark_group("ipset_swap");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3));
    let mut session = IpsetSession::open().expect("nfnetlink socket");
    for target in [0usize, 2000, 6000] {
        // Other sets first, the pair last: both swap look-ups scan past every other set.
        session.destroy(None, Exist::Fail).expect("destroy all");
        swap_storm::setup(&mut session, target, 16).expect("sets");
        group.bench_with_input(BenchmarkId::new("other_sets", target), &target, |b, _| {
            b.iter_custom(|iters| {
                total(&swap_storm::storm(&mut session, iters as usize).expect("swaps"))
            });
        });
    }
    group.finish();
}

fn create(c: &mut Criterion) {
    let mut group = c.benchmark_group("ipset_create");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    let mut session = IpsetSession::open().expect("nfnetlink socket");
    let options = CreateOptions::ipv4();
    let revision = session
        .revision("hash:ip", options.family)
        .expect("hash:ip");
    group.bench_function("reused_namespace_1000_sets", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let names = numbered_names("kc-create-", 1000);
                let requests = kcanary::ipset::workloads::create::encode_creates(
                    &mut session,
                    &names,
                    "hash:ip",
                    revision,
                    &options,
                );
                spent += total(
                    &kcanary::ipset::workloads::create::time_each(
                        &mut session,
                        &requests,
                        "create",
                    )
                    .expect("create"),
                );
                session.destroy(None, Exist::Fail).expect("destroy all");
            }
            spent
        });
    });
    group.finish();
}

fn in_private_namespace(c: &mut Criterion) {
    kcanary::isolate::netns::enter_fresh_netns()
        .expect("a fresh network namespace (run as root or under unshare -Ur)");
    swap(c);
    create(c);
}

criterion_group! {
    name = benches;
    // kcanary draws its own plots (`kcanary plot`); criterion's need a system font.
    config = Criterion::default().without_plots();
    targets = in_private_namespace
}
criterion_main!(benches);
