//! ipset workloads. Each repetition runs in a network namespace of its own, so set-table
//! growth, leftovers and the host's sets never leak between repetitions or into the host.

/// The part of a `Workload` impl every ipset workload shares: its name, summary, parameter
/// list and their check (reading them into the workload's typed config), availability (this
/// kernel speaks ipset), kernel modules, and the entry points its metrics measure.
macro_rules! ipset_workload_info {
    (
        name: $name:literal,
        summary: $summary:literal,
        params: $params:expr,
        config: $config:ty,
        entry_points: $entry_points:expr $(,)?
    ) => {
        fn name(&self) -> &'static str {
            $name
        }

        fn summary(&self) -> &'static str {
            $summary
        }

        fn params(&self) -> &'static [crate::workload::ParamSpec] {
            $params
        }

        fn check(&self, params: &crate::workload::Params) -> std::result::Result<(), String> {
            <$config>::from_params(params).map(drop)
        }

        fn available(&self) -> std::result::Result<(), String> {
            super::ipset_available()
        }

        fn kernel_modules(&self) -> &'static [&'static str] {
            super::KERNEL_MODULES
        }

        fn entry_points(&self) -> &'static [crate::workload::EntryPoint] {
            $entry_points
        }
    };
}

pub mod create;
mod flush_destroy;
mod kube_router_sync;
mod list;
mod name_lookup;
pub mod swap_storm;

// Where every ipset workload (and `ipset::replay`) finds them: `super::kernel(..)`.
pub use super::available::{KERNEL_MODULES, ipset_available, kernel};
use super::client::IpsetSession;
use crate::error::Result;
use crate::isolate::netns::in_fresh_netns;
use crate::workload::Workload;

pub static ALL: &[&dyn Workload] = &[
    &create::CreateSets,
    &swap_storm::SwapStorm,
    &flush_destroy::FlushDestroy,
    &list::ListDump,
    &name_lookup::NameLookup,
    &kube_router_sync::KubeRouterSync,
    &crate::replay::ReplayWorkload::<crate::ipset::replay::IpsetRestore>::new(),
];

/// Runs `work` with an ipset session in a fresh network namespace.
pub fn in_namespace<T: Send>(
    work: impl FnOnce(&mut IpsetSession) -> Result<T> + Send,
) -> Result<T> {
    in_fresh_netns(move || {
        let mut session = IpsetSession::open().map_err(kernel("open nfnetlink socket"))?;
        work(&mut session)
    })
}

/// `count` set names with a prefix ("kc-other-0", ...).
pub fn numbered_names(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}{i}")).collect()
}

/// `count` distinct IPv4 elements starting at 10.0.0.0 + `offset`.
pub fn numbered_elements(count: usize, offset: u32) -> Vec<super::element::Element> {
    (0..count as u32)
        .map(|i| {
            super::element::Element::ip(std::net::Ipv4Addr::from(0x0a00_0000 + offset + i).into())
        })
        .collect()
}
