//! kcanary: catches Linux kernel performance regressions before a kernel is rolled out.
//!
//! The pipeline, one module per step:
//! `scenario` (what to run) → `catalog` (every workload by name) → `workload` + the
//! kernel-interface modules `ipset`, `ipvs`, `memcg`, `probe` (drive the kernel, produce
//! samples) → `results` (samples + environment, JSON) → `stats` (estimates) → `gate`
//! (baseline comparison, verdict) → `report` (tables, files, plots).
//! `netlink` and `isolate` are shared plumbing; `vm` runs the whole thing inside QEMU.
//! Each command is one call here: `run::run_command`, `replay_file::replay_file`, `check::compare_files`,
//! `vm::compare::run_and_compare`, `vm::bisect::bisect_step`, ...

pub mod catalog;
pub mod check;
pub mod error;
pub mod explain;
pub mod gate;
pub mod history;
pub mod ipset;
pub mod ipvs;
pub mod isolate;
pub mod memcg;
pub mod netlink;
pub mod probe;
pub mod replay;
pub mod replay_file;
pub mod report;
pub mod results;
pub mod run;
pub mod runner;
pub mod scenario;
pub mod stats;
pub mod text_input;
pub mod tracefs;
pub mod vm;
pub mod workload;
