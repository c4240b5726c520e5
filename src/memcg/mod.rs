//! Memory cgroups: dying-memcg build-up and stat-file read latency.

use crate::workload::Workload;

pub static WORKLOADS: &[&dyn Workload] = &[];
