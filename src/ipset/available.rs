//! Whether this kernel speaks ipset, and the modules it takes: what the workloads and the
//! restore-file replay format (`ipset::replay`) both need, kept below both so neither imports
//! the other for it.

use super::client::IpsetSession;
use crate::error::KcanaryError;
use crate::isolate::netns::in_fresh_netns;
use crate::netlink::KernelError;
use std::sync::OnceLock;

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

/// Maps a kernel error to a kcanary error that says what was being done.
pub fn kernel(context: &'static str) -> impl Fn(KernelError) -> KcanaryError {
    move |error| KcanaryError::Kernel(format!("{context}: {error}"))
}
