//! Every workload kcanary knows, by the dotted name scenario files use.

use super::Workload;

/// All workloads, grouped by kernel interface.
pub fn all() -> Vec<&'static dyn Workload> {
    let mut all: Vec<&'static dyn Workload> = Vec::new();
    all.extend_from_slice(crate::ipset::workloads::ALL);
    all.extend_from_slice(crate::memcg::WORKLOADS);
    all.extend_from_slice(crate::ipvs::WORKLOADS);
    all.extend_from_slice(crate::probe::WORKLOADS);
    all
}

pub fn find(name: &str) -> Option<&'static dyn Workload> {
    all().into_iter().find(|w| w.name() == name)
}
