//! Memory cgroups: dying-memcg build-up and stat-file read latency.
//!
//! The pipeline of one repetition: `hierarchy` (find v1 or v2 memory) → `leftovers` (remove
//! what killed runs left) → `workspace` (parent cgroup `kcanary-<pid>`, run directory, tmpfs)
//! → `buildup` (mkdir, `charge`, rmdir per cgroup) → `dying` (count) → `reads` (timed
//! `stat_file` reads) → `teardown` (delete, reclaim, rmdir) → `dying` again.

pub mod buildup;
pub mod charge;
pub mod dying;
pub mod hierarchy;
pub mod kernel_memory;
pub mod leftovers;
pub mod names;
pub mod owner;
pub mod reads;
pub mod scrape_probe;
pub mod stat_file;
pub mod teardown;
pub mod workload;
pub mod workspace;

use crate::workload::Workload;

pub use hierarchy::{CgroupVersion, MemoryHierarchy};
pub use leftovers::remove_leftovers;

pub static WORKLOADS: &[&dyn Workload] = &[&workload::DyingMemcgs];
