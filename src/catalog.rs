//! Every workload kcanary knows, by the dotted name scenario files use: the one list a new
//! kernel family adds a line to.
//!
//! It sits above the kernel folders (`ipset/`, `ipvs/`, `memcg/`, `probe/`) and is used by
//! `scenario/`, `commands/` and `vm/`; nothing under `workload/` or the kernel folders
//! imports it, so dependencies point one way: catalog → kernel folders → `workload`.

use crate::workload::Workload;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{EntryPoint, Params};

    /// Every workload reads its own defaults: a getter with a misspelled or undeclared name
    /// fails here, at `cargo test` time, rather than in a scenario run.
    #[test]
    fn every_workload_checks_its_own_defaults() {
        for workload in all() {
            let params = Params::resolve(workload.params(), &toml::Table::new())
                .unwrap_or_else(|e| panic!("{}: defaults do not resolve: {e}", workload.name()));
            if let Err(e) = workload.check(&params) {
                panic!("{}: {e}", workload.name());
            }
        }
    }

    #[test]
    fn names_are_unique_and_found() {
        let workloads = all();
        for (i, workload) in workloads.iter().enumerate() {
            let name = workload.name();
            assert!(
                workloads[..i].iter().all(|w| w.name() != name),
                "{name} twice"
            );
            assert_eq!(find(name).map(|w| w.name()), Some(name));
        }
        assert!(find("ipset.nothing").is_none());
    }

    #[test]
    fn kernel_modules_and_entry_points_are_well_formed() {
        for workload in all() {
            let name = workload.name();
            for pattern in workload.kernel_modules() {
                let stem = pattern.strip_suffix('*').unwrap_or(pattern);
                assert!(
                    !stem.is_empty()
                        && stem
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{name}: module pattern '{pattern}'"
                );
            }
            assert!(
                !workload.entry_points().is_empty(),
                "{name}: no entry points"
            );
            for entry in workload.entry_points() {
                let ok = match entry {
                    EntryPoint::Function(f) => {
                        !f.is_empty() && f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    }
                    EntryPoint::Tracepoint(t) => t
                        .split_once(':')
                        .is_some_and(|(system, event)| !system.is_empty() && !event.is_empty()),
                };
                assert!(ok, "{name}: entry point {entry:?}");
            }
        }
    }
}
