//! IPVS over generic netlink (family "IPVS" resolved through nlctrl): protocol numbers, objects
//! and request encoding, dump parsing, the `ipvsadm -S` save format, replay, and the workloads.
//! IPVS reports failures as plain errnos (ESRCH: no such service, EEXIST, ENOENT: unknown
//! scheduler), named by the shared `KernelError`.

pub mod client;
pub mod dump;
pub mod message;
pub mod protocol;
pub mod replay;
pub mod request;
pub mod save_file;
pub mod sysctl;
pub mod table;
pub mod timed;
pub mod verify;
pub mod workloads;

use crate::workload::Workload;

pub use client::IpvsClient;
pub use message::{Destination, ForwardMethod, Protocol, Service, ServiceKey};

pub static WORKLOADS: &[&dyn Workload] = &[
    &workloads::Services,
    &workloads::Estimator,
    &crate::replay::ReplayWorkload::<replay::IpvsadmSave>::new(),
];
