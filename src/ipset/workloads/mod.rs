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

use super::client::IpsetSession;
use crate::error::{KcanaryError, Result};
use crate::isolate::netns::in_fresh_netns;
use crate::netlink::KernelError;
use crate::workload::Workload;
use std::sync::OnceLock;

pub static ALL: &[&dyn Workload] = &[
    &create::CreateSets,
    &swap_storm::SwapStorm,
    &flush_destroy::FlushDestroy,
    &list::ListDump,
    &name_lookup::NameLookup,
    &kube_router_sync::KubeRouterSync,
    &crate::replay::ReplayWorkload::<crate::ipset::replay::IpsetRestore>::new(),
];

/// The ipset core and every set type (each type is a module of its own, `ip_set_hash_ip`, ...).
pub const KERNEL_MODULES: &[&str] = &["ip_set", "ip_set_*"];

/// Whether this kernel speaks ipset (checked once, in a throwaway namespace).
pub fn ipset_available() -> std::result::Result<(), String> {
    static AVAILABLE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    AVAILABLE
        .get_or_init(|| {
            let probe = in_fresh_netns(|| {
                let mut session = IpsetSession::open().map_err(kernel("open nfnetlink socket"))?;
                session
                    .revision("hash:ip", super::protocol::NFPROTO_IPV4)
                    .map_err(kernel("query hash:ip"))?;
                Ok(())
            });
            probe.map_err(|e| match e {
                KcanaryError::Kernel(m) => format!("kernel has no usable ipset ({m})"),
                other => other.to_string(),
            })
        })
        .clone()
}

/// Runs `work` with an ipset session in a fresh network namespace.
pub fn in_namespace<T: Send>(
    work: impl FnOnce(&mut IpsetSession) -> Result<T> + Send,
) -> Result<T> {
    in_fresh_netns(move || {
        let mut session = IpsetSession::open().map_err(kernel("open nfnetlink socket"))?;
        work(&mut session)
    })
}

/// Maps a kernel error to a kcanary error that says what was being done.
pub fn kernel(context: &'static str) -> impl Fn(KernelError) -> KcanaryError {
    move |error| KcanaryError::Kernel(format!("{context}: {error}"))
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
