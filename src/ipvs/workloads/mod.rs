//! IPVS workloads, each repetition in a fresh network namespace:
//! - `ipvs.services` (`services.rs`): control-plane cost of adding, dumping, zeroing and
//!   flushing N services;
//! - `ipvs.estimator` (`estimator.rs`): the data-plane symptom, latency probes beside N idle
//!   services with the rate estimator on and off.
//!
//! (`ipvs.replay` is the replay engine's workload over the format in `ipvs/replay.rs`.)

mod estimator;
mod services;

pub use estimator::Estimator;
pub use services::{Services, batched_repetition, services_repetition};

use super::client::IpvsClient;
use crate::error::KcanaryError;
use crate::isolate::netns::in_fresh_netns;

/// What every IPVS workload loads in a VM guest: the core, the schedulers scenarios and
/// replayed files name (`wlc` is ipvsadm's default), conntrack, and veth for the latency
/// probes of `ipvs.estimator`. One list for the family, so a scenario set that mixes IPVS
/// workloads loads the same modules whichever of them it holds.
pub const KERNEL_MODULES: &[&str] = &[
    "ip_vs",
    "ip_vs_rr",
    "ip_vs_wrr",
    "ip_vs_lc",
    "ip_vs_wlc",
    "ip_vs_sh",
    "nf_conntrack",
    "veth",
];

/// Whether this kernel has IPVS and we may use it, checked once, from inside a fresh namespace
/// (what the workloads will see). Every IPVS command needs CAP_NET_ADMIN in the *initial* user
/// namespace (GENL_ADMIN_PERM), so under `unshare -Ur` the family resolves but GET_INFO answers
/// EPERM: that is reported as a reason to skip, not as a failure halfway through a workload.
pub fn ipvs_available() -> std::result::Result<(), String> {
    use std::sync::OnceLock;
    static AVAILABLE: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    AVAILABLE
        .get_or_init(|| {
            let probe = || {
                let mut client = match IpvsClient::connect() {
                    Ok(client) => client,
                    Err(e) => return Ok(Err(e.to_string())),
                };
                Ok(match client.info() {
                    Ok(_) => Ok(()),
                    Err(e) if e.code == libc::EPERM => Err(
                        "IPVS needs CAP_NET_ADMIN in the initial user namespace (run as root; \
                         a user namespace is not enough): GET_INFO answered EPERM"
                            .to_string(),
                    ),
                    Err(e) => Err(format!("IPVS GET_INFO failed: {e}")),
                })
            };
            in_fresh_netns(probe).unwrap_or_else(|e| Err(e.to_string()))
        })
        .clone()
}

/// Maps a kernel error of step `what` to a KcanaryError.
pub(super) fn kernel(what: &'static str) -> impl Fn(crate::netlink::KernelError) -> KcanaryError {
    move |e| KcanaryError::Kernel(format!("{what}: {e}"))
}
