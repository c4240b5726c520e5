//! IPVS over generic netlink.

use crate::workload::Workload;

pub static WORKLOADS: &[&dyn Workload] = &[];
