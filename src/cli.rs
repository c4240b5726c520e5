//! The command line: argument definitions only. Each command's logic lives in `commands/`.

use clap::{Parser, Subcommand};
use kcanary::results::ExecutionMode;
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
3 the environment failed (privileges, kernel error, VM), 4 incomplete evidence (nothing \
compared, baseline metrics missing in the candidate, a named scenario could not run here), \
125 bisect-step could not test (or the candidate lacks baseline metrics)."
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
    /// Replay an `ipset save` / `ipset restore` file, or an `ipvsadm -S` file, in a fresh
    /// network namespace and report latency per command kind.
    Replay(ReplayArgs),
    /// Write a generated workload file to stdout (e.g. a kube-router-style ipset sync to
    /// replay with `kcanary replay` or `ipset restore`).
    Generate(GenerateArgs),
    /// Compare a results file against a baseline (results or baseline file); exit 1 if a
    /// metric regressed.
    Check(CheckArgs),
    /// Show two or more results files side by side; all are compared against the first.
    Compare(CompareArgs),
    /// Manage stored baselines.
    Baseline(BaselineArgs),
    /// Draw latency histograms, CDFs and cost-against-scale curves (SVG and PNG).
    Plot(PlotArgs),
    /// Turn criterion's output (target/criterion) into a kcanary results file.
    ImportCriterion(ImportCriterionArgs),
    /// Boot kernels under QEMU and run scenarios inside them; with two kernels, run rounds
    /// alternately and compare the second against the first.
    Vm(VmArgs),
    /// Results of a series of kernels (a directory, append-only): boot what is missing,
    /// find the version where each metric changed, plot the trends.
    History(HistoryArgs),
    /// One step of `git bisect run`: run a kernel in a VM and compare it against a baseline.
    /// Exit 0 good, 1 bad (regressed), 125 skip (the kernel did not boot, cannot run the
    /// scenarios, or lacks metrics the baseline has), 128 abort (bad arguments or baseline).
    BisectStep(BisectStepArgs),
    /// The VM guest's init (pid 1 of the initramfs kcanary builds); not for direct use.
    #[command(hide = true)]
    GuestInit,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario names (see `kcanary list`), scenario TOML files, or `all`. Default: the
    /// scenarios tagged "default". A scenario named twice runs once.
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
    pub execution_mode: ExecutionMode,
    /// After the measured repetitions, run each scenario once more with kernel tracing on
    /// and show which kernel functions (or timer callbacks, softirqs) its time went to;
    /// written to <out>.attribution.json. See docs/explain.md.
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Also list every workload with its parameters and defaults.
    #[arg(long)]
    pub workloads: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The file, as written by `ipset save` / fed to `ipset restore`, or by `ipvsadm -S`
    /// (recognised by its -A/-a lines). `-` reads standard input; pipes and FIFOs work (the
    /// input is read once, at most 256 MiB, lines at most 64 KiB).
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

/// Options shared by `check` and `compare`: thresholds and output formats.
#[derive(Debug, clap::Args)]
pub struct GateArgs {
    /// Smallest relative change that counts, for every metric (0.1 = 10%); replaces the
    /// thresholds in the results files.
    #[arg(long, value_name = "FRACTION")]
    pub threshold: Option<f64>,
    /// Threshold for metrics whose scenario sets none [default: 0.10, or 0.02 for runs in
    /// deterministic mode (qemu-tcg-icount), which resolves changes far below 1%].
    #[arg(long, value_name = "FRACTION")]
    pub default_threshold: Option<f64>,
    /// Do not fail when baseline metrics are missing in the candidate (a scenario skipped or
    /// not run); they are still listed. Without it such a comparison exits 4.
    #[arg(long)]
    pub allow_missing: bool,
    /// Leave this scenario out of the comparison on purpose (repeatable).
    #[arg(long = "ignore-scenario", value_name = "NAME")]
    pub ignore_scenarios: Vec<String>,
    /// Format of the table on standard output.
    #[arg(long, value_enum, default_value = "text")]
    pub format: TableFormat,
    /// Also write JUnit XML here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write Bencher Metric Format JSON (of the last file) here.
    #[arg(long, value_name = "FILE")]
    pub bencher: Option<PathBuf>,
    /// Also write the full comparison (verdicts, intervals, p-values, reasons) as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Exit 1 also when a metric is inconclusive (not enough evidence either way).
    #[arg(long)]
    pub fail_on_inconclusive: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TableFormat {
    Text,
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The results file of the kernel under test.
    pub results: PathBuf,
    /// A results file or a baseline file (see `kcanary baseline save`).
    #[arg(long)]
    pub baseline: PathBuf,
    #[command(flatten)]
    pub gate: GateArgs,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Results or baseline files; the first is the baseline of the others.
    #[arg(num_args = 2.., required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub gate: GateArgs,
}

#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    #[command(subcommand)]
    pub action: BaselineAction,
}

#[derive(Debug, Subcommand)]
pub enum BaselineAction {
    /// Store a compact baseline of one or more results files of the same kernel under
    /// DIR/<machine-class>/<kernel-release>/<name>.json. Give several runs (A/A: the same
    /// kernel run several times) and the gate learns the between-run drift from them.
    Save(BaselineSaveArgs),
}

#[derive(Debug, clap::Args)]
pub struct BaselineSaveArgs {
    /// The results files to digest: runs of one kernel in one execution mode. With two or
    /// more, each metric keeps every run's repetitions and the spread of the run medians,
    /// which widens later verdicts by the drift between runs.
    #[arg(required = true, num_args = 1..)]
    pub results: Vec<PathBuf>,
    /// Label of the baseline (the file name, without `.json`): letters, digits, `.`, `_`,
    /// `+`, `-`, at most 100 bytes.
    #[arg(long, default_value = "default", value_parser = kcanary::gate::baseline::parse_label)]
    pub name: String,
    /// Root directory of the baselines.
    #[arg(long, default_value = "baselines")]
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// Results files (one per kernel or per scale step).
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// Directory for the SVG and PNG files.
    #[arg(long, short)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ImportCriterionArgs {
    /// criterion's output directory (usually target/criterion). Several directories (copies
    /// taken after separate `cargo bench` runs) are imported as repetitions of one run.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the results JSON.
    #[arg(long, short, default_value = "criterion-results.json")]
    pub out: PathBuf,
    /// Which saved measurement to read: "new" (the latest run) or a `--save-baseline` name.
    #[arg(long, default_value = "new")]
    pub saved: String,
}

/// How the VM is run; shared by `vm` and `bisect-step`.
#[derive(Debug, clap::Args)]
pub struct VmRunArgs {
    /// Scenario names (see `kcanary list`), scenario TOML files, or `all`. Default: the
    /// scenarios tagged "default". A scenario named twice runs once.
    pub scenarios: Vec<String>,
    /// Directory for results (one JSON per kernel), console logs and initramfs images.
    #[arg(long, short, default_value = "kcanary-vm")]
    pub out: PathBuf,
    /// QEMU instruction-count mode (`-icount shift=0,sleep=off`, one vCPU, TCG): guest time
    /// follows executed instructions, so repeated runs agree closely. Recorded as execution
    /// mode "qemu-tcg-icount"; never compared with other modes.
    #[arg(long)]
    pub deterministic: bool,
    /// Accelerator: auto (KVM when it works for the kernel, else TCG with a notice), kvm, tcg.
    #[arg(long, value_enum, default_value = "auto")]
    pub accel: Accelerator,
    /// Seconds one boot (kernel + all scenarios) may take before QEMU is stopped. The default
    /// suite takes ~5.5 min per boot under TCG on a loaded 2-core machine.
    #[arg(long, default_value_t = 1200)]
    pub timeout: u64,
    /// Virtual CPUs (ignored with --deterministic, which uses one).
    #[arg(long, default_value_t = 2)]
    pub cpus: usize,
    /// Guest memory in MiB.
    #[arg(long, default_value_t = 1024)]
    pub memory: u32,
    /// The kcanary to run as the guest's init, static or dynamic (default:
    /// $KCANARY_GUEST_BINARY, else this executable).
    #[arg(long)]
    pub guest_binary: Option<PathBuf>,
    /// Test aid: hide /proc/self/uid_map and its siblings from the guest's kcanary, as on a
    /// kernel built without CONFIG_USER_NS.
    #[arg(long, hide = true)]
    pub guest_without_user_namespaces: bool,
    /// Guests booted at the same time with --deterministic (instruction-counted time does
    /// not depend on host load) [default: the host's CPUs]. Wall-clock modes boot one at a
    /// time.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Override the measured repetitions of every scenario.
    #[arg(long)]
    pub repetitions: Option<usize>,
    /// Override a workload parameter of every scenario that has it: `--set sets=1000`.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub overrides: Vec<String>,
    /// After each guest's measured repetitions, run each scenario once more there with
    /// kernel tracing on (function_graph below its entry functions, or tracepoints) and
    /// show, under the verdicts, which kernel functions grew; files in --out. See
    /// docs/explain.md.
    #[arg(long)]
    pub explain: bool,
}

// The variants carry no doc comments: the flag's help explains them, and `--help` keeps
// the short "[possible values: auto, kvm, tcg]".
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Accelerator {
    Auto,
    Kvm,
    Tcg,
}

#[derive(Debug, clap::Args)]
pub struct VmArgs {
    /// A kernel: bzImage/vmlinuz file, Debian linux-image .deb (several .deb joined with ','
    /// are unpacked together, e.g. Debian 7.x's linux-binary + linux-modules), unpacked
    /// package directory, or kernel build directory. Give it
    /// twice to compare: the first is the baseline, the second the candidate.
    #[arg(long = "kernel", required = true)]
    pub kernels: Vec<String>,
    #[command(flatten)]
    pub rounds: RoundsArgs,
    /// Also write an evidence bundle into DIR (two kernels): a plain-text report for a
    /// kernel mailing list (kernels, machine, mode, verdicts, attribution, how to reproduce),
    /// both results files, the scenario files and plots. See docs/explain.md.
    #[arg(long, value_name = "DIR")]
    pub bundle: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub run: VmRunArgs,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// How many times each kernel boots: shared by `vm` and `bisect-step`.
#[derive(Debug, clap::Args)]
pub struct RoundsArgs {
    /// Boots per kernel; with two kernels (or a kernel and a baseline kernel) they alternate
    /// (A B A B ...). `auto`: one round, then further rounds (still alternating) of only the
    /// scenarios that have metrics without a verdict against the baseline, until every
    /// metric is regressed, improved or unchanged, or the next round would overrun --budget.
    #[arg(long, default_value = "1", value_parser = parse_rounds, value_name = "N|auto")]
    pub rounds: Rounds,
    /// Time budget of `--rounds auto`, from the first boot: "15m", "1h", "900s".
    #[arg(long, default_value = "15m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub budget: std::time::Duration,
    /// Upper bound on the rounds of `--rounds auto`.
    #[arg(long, default_value_t = 12, value_name = "N")]
    pub max_rounds: usize,
}

/// `--rounds`: a count, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounds {
    Fixed(usize),
    Auto,
}

fn parse_rounds(text: &str) -> Result<Rounds, String> {
    if text == "auto" {
        return Ok(Rounds::Auto);
    }
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(Rounds::Fixed(n)),
        _ => Err(format!(
            "expected a number of rounds (1 or more) or 'auto', found '{text}'"
        )),
    }
}

#[derive(Debug, clap::Args)]
pub struct BisectStepArgs {
    /// The kernel under test (same forms as `vm --kernel`).
    #[arg(long)]
    pub kernel: String,
    /// A results JSON file (from `kcanary vm`) or a known-good kernel to run alongside.
    #[arg(long)]
    pub baseline: String,
    #[command(flatten)]
    pub rounds: RoundsArgs,
    #[command(flatten)]
    pub run: VmRunArgs,
    #[command(flatten)]
    pub gate: GateArgs,
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The history directory: results or baseline files (*.json), any number per kernel,
    /// pooled by the kernel release they record. With --kernel, new results are added to it
    /// (never rewritten); created when absent. (--out is then only the session's working
    /// directory: unpacked kernels, console logs, per-round files.)
    #[arg(long = "from", value_name = "DIR")]
    pub dir: PathBuf,
    /// A kernel to add (same forms as `vm --kernel`); repeatable. Kernels that already have
    /// every scenario asked for in DIR are not booted; the others run in one session with
    /// their rounds interleaved.
    #[arg(long = "kernel")]
    pub kernels: Vec<String>,
    /// Boots per kernel added (rounds alternate across the kernels).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub rounds: usize,
    /// Where the trend plots (SVG + PNG per metric) and summary.md go [default: DIR/report].
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Also write one Bencher Metric Format file per kernel into this directory.
    #[arg(long, value_name = "DIR")]
    pub bencher: Option<PathBuf>,
    /// Format of the report on standard output.
    #[arg(long, value_enum, default_value = "text")]
    pub format: TableFormat,
    /// Family-wise significance level over all metrics tested (Bonferroni).
    #[arg(long, default_value_t = 0.05, value_name = "P")]
    pub alpha: f64,
    /// Smallest relative step that counts, for every metric (0.1 = 10%).
    #[arg(long, value_name = "FRACTION")]
    pub threshold: Option<f64>,
    /// Threshold for metrics whose scenario sets none [default: 0.10, or 0.02 in
    /// deterministic mode].
    #[arg(long, value_name = "FRACTION")]
    pub default_threshold: Option<f64>,
    /// How kernels are booted (with --kernel); --out is the session's working directory
    /// (unpacked kernels, console logs), the results go to --from DIR.
    #[command(flatten)]
    pub run: VmRunArgs,
}
