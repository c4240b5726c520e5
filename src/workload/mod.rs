//! The contract between the runner and the workloads. A workload drives one kernel path for
//! one repetition and returns raw samples; it knows nothing about statistics or verdicts.
//!
//! A workload also describes itself (name, parameters, availability, kernel modules, kernel
//! entry points), so nothing else matches on its name. The list of every workload is
//! `crate::catalog`, above the kernel folders: this module and the workloads never import it.

pub mod params;

use crate::error::Result;
use crate::results::{Better, MetricRole, SampleKind};
pub use params::{Accepts, ParamKind, ParamSpec, Params};
use std::borrow::Cow;
use std::sync::Arc;

/// Samples of one metric from one repetition.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Fixed for most workloads; built at run time where the name depends on a prefix or a
    /// file's command kinds (owned then: nothing is leaked to make it `'static`).
    pub metric: Cow<'static, str>,
    pub unit: &'static str,
    pub better: Better,
    pub kind: SampleKind,
    pub role: MetricRole,
    pub samples: Vec<f64>,
}

impl Measurement {
    /// Per-operation latencies in nanoseconds (lower is better).
    pub fn latency_ns(metric: impl Into<Cow<'static, str>>, samples: Vec<f64>) -> Measurement {
        Measurement {
            metric: metric.into(),
            unit: "ns",
            better: Better::Lower,
            kind: SampleKind::PerOperation,
            role: MetricRole::Performance,
            samples,
        }
    }

    /// One total per repetition, in nanoseconds (lower is better).
    pub fn total_ns(metric: impl Into<Cow<'static, str>>, total_ns: f64) -> Measurement {
        Measurement {
            metric: metric.into(),
            unit: "ns",
            better: Better::Lower,
            kind: SampleKind::PerRepetition,
            role: MetricRole::Performance,
            samples: vec![total_ns],
        }
    }

    /// One count or rate per repetition judged as performance (e.g. cgroups built per second);
    /// direction chosen by the caller.
    pub fn count(
        metric: impl Into<Cow<'static, str>>,
        unit: &'static str,
        better: Better,
        value: f64,
    ) -> Measurement {
        Measurement {
            metric: metric.into(),
            unit,
            better,
            kind: SampleKind::PerRepetition,
            role: MetricRole::Performance,
            samples: vec![value],
        }
    }

    /// How often a rare, bad event happened in one repetition (probe samples over 10 ms,
    /// cgroups left behind); lower is better, and 0 is the usual baseline.
    pub fn events(metric: impl Into<Cow<'static, str>>, count: f64) -> Measurement {
        Measurement {
            role: MetricRole::EventCount,
            ..Measurement::count(metric, "count", Better::Lower, count)
        }
    }

    /// A setting or descriptor kept for context (the probe's CPU, a sysctl): the gate shows a
    /// difference as a warning and never gives it a verdict.
    pub fn setting(
        metric: impl Into<Cow<'static, str>>,
        unit: &'static str,
        value: f64,
    ) -> Measurement {
        Measurement {
            role: MetricRole::Setting,
            ..Measurement::count(metric, unit, Better::Lower, value)
        }
    }
}

/// Reports progress of long steps (a bar on a terminal, nothing otherwise).
pub trait Progress: Sync {
    /// Starts a step of `total` units with a short label ("creating sets").
    fn start(&self, label: &str, total: u64);
    /// Sets the position within the current step. Never called inside a timed region.
    fn set(&self, done: u64);
    fn finish(&self);
}

/// A `Progress` that shows nothing (tests, the VM guest, benches).
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _label: &str, _total: u64) {}
    fn set(&self, _done: u64) {}
    fn finish(&self) {}
}

/// What a workload gets for one repetition.
pub struct RepetitionContext<'a> {
    /// 0-based index of this repetition (warm-up repetitions are numbered too).
    pub index: usize,
    pub warmup: bool,
    pub progress: &'a dyn Progress,
}

/// A kernel function or tracepoint a workload drives, named for attribution: when a metric
/// regresses, these are where to look first (a profile, a trace, a function graph). Names
/// follow the kernel source; some exist only in some kernel versions (the list says which
/// when it matters), so a tool that uses them must expect a few to be absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryPoint {
    /// A kernel function as `/proc/kallsyms` names it, e.g. "ip_set_swap".
    Function(&'static str),
    /// A tracepoint as "subsystem:event", e.g. "timer:timer_expire_entry".
    Tracepoint(&'static str),
}

/// One kernel path driven with parameters. Implementations live next to the kernel interface
/// they use (`ipset/workloads`, `memcg/`, `ipvs/`, `probe/`) and are listed in `crate::catalog`.
///
/// No method has a default: each is something only the workload knows, and a default would
/// let a new workload forget it silently.
pub trait Workload: Sync {
    /// Dotted name used in scenario files, e.g. "ipset.swap_storm".
    fn name(&self) -> &'static str;
    /// One line for `kcanary list`.
    fn summary(&self) -> &'static str;
    /// Every parameter the workload accepts, with defaults; anything else is rejected.
    fn params(&self) -> &'static [ParamSpec];
    /// Reads `params` the way `run` will (each workload turns them into its typed config once,
    /// e.g. `SwapStormConfig::from_params`), so that reading a name the workload never
    /// declared fails scenario validation, before any kernel work, instead of `run`. Values
    /// are not judged here beyond what `params()` declares: checks that `run` makes today
    /// (e.g. memcg's `charge`) stay where they are.
    fn check(&self, params: &Params) -> std::result::Result<(), String>;
    /// `Err(reason)` when this kernel or machine cannot run the workload (reported as
    /// "skipped: reason", not as a failure).
    fn available(&self) -> std::result::Result<(), String>;
    /// Kernel modules the workload needs loaded, as module name patterns (`-` written as `_`;
    /// a trailing `*` matches any suffix, e.g. "ip_set_*"). Empty when everything it uses is
    /// always built in (memory cgroups). The VM runner loads these into the guest.
    fn kernel_modules(&self) -> &'static [&'static str];
    /// The kernel functions and tracepoints this workload's metrics measure (see
    /// [`EntryPoint`]).
    fn entry_points(&self) -> &'static [EntryPoint];
    /// Runs one repetition in fresh isolation and returns its samples.
    fn run(&self, params: &Params, ctx: &RepetitionContext) -> Result<Vec<Measurement>>;
}

/// How a scenario holds its workload: the catalog's workloads live for the whole program and
/// are borrowed; one built at run time (a replay file's parsed lines, a test's fake) is shared
/// and freed with the last scenario that holds it, so nothing is leaked to make it `'static`.
/// Cloning is a copy or a reference-count increment. `Send` on the owned kind keeps a
/// scenario `Send + Sync`, as a `&'static dyn Workload` (the trait requires `Sync`) was.
#[derive(Clone)]
pub enum WorkloadRef {
    Static(&'static dyn Workload),
    Owned(Arc<dyn Workload + Send>),
}

impl std::ops::Deref for WorkloadRef {
    type Target = dyn Workload;

    fn deref(&self) -> &(dyn Workload + 'static) {
        match self {
            WorkloadRef::Static(workload) => *workload,
            WorkloadRef::Owned(workload) => workload.as_ref(),
        }
    }
}

impl From<&'static dyn Workload> for WorkloadRef {
    fn from(workload: &'static dyn Workload) -> WorkloadRef {
        WorkloadRef::Static(workload)
    }
}

impl<W: Workload + Send + 'static> From<Arc<W>> for WorkloadRef {
    fn from(workload: Arc<W>) -> WorkloadRef {
        WorkloadRef::Owned(workload)
    }
}
