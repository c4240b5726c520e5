//! The command line: argument definitions only. Each command's logic lives in `commands/`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "kcanary",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("KCANARY_GIT_COMMIT"), ")"),
    about = "Catch Linux kernel performance regressions before a kernel is rolled out",
    long_about = "kcanary drives kernel paths that have regressed in the field (ipset swaps, IPVS \
with many services, dying memory cgroups) over raw netlink and cgroupfs, records timings with \
their environment, compares them against baselines or another kernel, and exits non-zero when \
a kernel regressed.\n\nEvery netlink workload runs in a network namespace kcanary creates; \
every cgroup under a parent it creates and removes. The host is never touched.",
    after_help = "Exit codes: 0 ok, 1 a metric regressed, 2 bad input (file, scenario, argument), \
3 the environment failed (privileges, kernel error, VM), 125 bisect-step could not test."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios (the default suite when none is named) and write a results file.
    Run(RunArgs),
    /// List the built-in scenarios and the workloads they use.
    List(ListArgs),
    /// Replay an `ipset save` / `ipset restore` file in a fresh network namespace and report
    /// latency per command kind.
    Replay(ReplayArgs),
    /// Write a generated workload file to stdout (e.g. a kube-router-style ipset sync to
    /// replay with `kcanary replay` or `ipset restore`).
    Generate(GenerateArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario names (see `kcanary list`), scenario TOML files, or `all`. Default: the
    /// scenarios tagged "default".
    pub scenarios: Vec<String>,
    /// Where to write the results JSON.
    #[arg(long, short, default_value = "kcanary-results.json")]
    pub out: PathBuf,
    /// Override the measured repetitions of every scenario.
    #[arg(long)]
    pub repetitions: Option<usize>,
    /// Override a workload parameter of every scenario that has it: `--set sets=1000`.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub overrides: Vec<String>,
    /// Recorded as the environment's execution mode (set by the VM runner).
    #[arg(long, hide = true, default_value = "host")]
    pub execution_mode: String,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Also list every workload with its parameters and defaults.
    #[arg(long)]
    pub workloads: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The file, as written by `ipset save` or fed to `ipset restore`.
    pub file: PathBuf,
    /// Treat every command as if `-exist` were given (like `ipset restore -exist`).
    #[arg(long)]
    pub exist: bool,
    /// Send the whole file in as few netlink datagrams as the socket allows (like a fast
    /// `ipset restore`), reporting only the total time instead of per-command latencies.
    #[arg(long)]
    pub batch: bool,
    /// Replay the file this many times, each in a fresh namespace.
    #[arg(long, default_value_t = 1)]
    pub repetitions: usize,
    /// Where to write the results JSON (none when not given).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// What to generate.
    #[arg(value_enum)]
    pub what: Generated,
    /// Sets to keep in sync.
    #[arg(long, default_value_t = 6000)]
    pub sets: usize,
    /// Elements per set (at most 64).
    #[arg(long, default_value_t = 4)]
    pub entries: usize,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Generated {
    /// One kube-router ipset sync (run it with `-exist`, as kube-router does).
    KubeRouterSync,
}
