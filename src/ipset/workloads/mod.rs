//! ipset workloads.
use crate::workload::Workload;

pub static ALL: &[&dyn Workload] = &[];
