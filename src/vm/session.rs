//! One `kcanary vm` session: prepare every kernel (image, modules, initramfs), boot them in
//! alternating rounds (A B A B ...: slow drift of the host hits both kernels alike), and merge
//! each kernel's rounds into one results file. With `--rounds auto`, after the first rounds
//! only the scenarios that still lack a verdict boot again, until none is left or the time
//! budget is spent.

use super::initramfs;
use super::kernel::{self, Kernel};
use super::merge::merge_rounds;
use super::modules::{LoadPlan, ModuleTree};
use super::protocol::{GuestConfig, SCENARIO_DIR, ScenarioOverrides};
use super::qemu::{self, Accel, BootSpec};
use super::shared_libs::LoaderFile;
use crate::error::{KcanaryError, Result};
use crate::explain::{Attribution, attribution_path};
use crate::results::file::write_json_atomic;
use crate::results::{ExecutionMode, RunResults};
use crate::scenario::{self, Scenario, ScenarioWord};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a KVM boot may take to reach our init before KVM is declared unusable.
const KVM_INIT_DEADLINE: Duration = Duration::from_secs(20);

/// Which accelerator the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccelChoice {
    /// KVM when /dev/kvm opens and the kernel boots under it, else TCG (with a notice).
    Auto,
    Kvm,
    Tcg,
}

/// How many rounds a session boots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundPlan {
    /// Exactly this many rounds of every scenario.
    Fixed(usize),
    /// One round of every scenario, then rounds of only the scenarios the caller's judge
    /// still finds undecided, kernels alternating, while the next round fits in `budget`
    /// (measured from the first boot) and at most `max_rounds` in all.
    UntilConclusive { budget: Duration, max_rounds: usize },
}

impl RoundPlan {
    fn first_rounds(self) -> usize {
        match self {
            RoundPlan::Fixed(n) => n,
            RoundPlan::UntilConclusive { .. } => 1,
        }
    }
}

/// Given every kernel's merged results so far (in `--kernel` order), the names of the
/// scenarios that still need more repetitions; empty when everything is decided.
pub type Undecided<'a> = &'a dyn Fn(&[RunResults]) -> Vec<String>;

#[derive(Clone)]
pub struct SessionOptions {
    pub kernels: Vec<String>,
    pub scenarios: Vec<String>,
    pub rounds: RoundPlan,
    pub out_dir: PathBuf,
    pub deterministic: bool,
    pub accel: AccelChoice,
    pub timeout: Duration,
    pub cpus: usize,
    pub memory_mib: u32,
    pub guest_binary: Option<PathBuf>,
    /// Make the guest look like a kernel without user namespaces (`vm::hide_user_ns`).
    pub hide_user_namespaces: bool,
    pub overrides: ScenarioOverrides,
    /// Each guest traces one more repetition of each scenario after the measured ones.
    pub explain: bool,
    /// Guests booted at the same time in deterministic mode, where instruction-counted time
    /// does not see host load (NOTES.md: one guest alone and two side by side gave the same
    /// medians). Wall-clock modes always boot one guest at a time.
    pub jobs: usize,
}

impl SessionOptions {
    /// The execution mode the session's results will carry, when the options fix it; `None`
    /// under automatic acceleration, which decides per host and kernel while booting.
    pub fn planned_execution_mode(&self) -> Option<ExecutionMode> {
        match self.accel {
            _ if self.deterministic => Some(Accel::TcgIcount.execution_mode()),
            AccelChoice::Tcg => Some(Accel::Tcg.execution_mode()),
            AccelChoice::Kvm => Some(Accel::Kvm.execution_mode()),
            AccelChoice::Auto => None,
        }
    }
}

/// One boot's timings, for the summary and the README measurements.
pub struct BootRecord {
    pub round: usize,
    pub wall: Duration,
    pub to_first_workload: Option<Duration>,
    pub guest_uptime_at_workloads_s: Option<f64>,
}

/// What one kernel produced over all rounds.
pub struct KernelRun {
    pub kernel: Kernel,
    pub results: RunResults,
    pub results_path: PathBuf,
    pub boots: Vec<BootRecord>,
    /// The first round's attributions (with `explain`), written to
    /// `<label>.attribution.json` beside the results.
    pub attributions: Vec<Attribution>,
}

/// A kernel ready to boot: its initramfs and where its files go.
struct Prepared {
    kernel: Kernel,
    dir: PathBuf,
    initramfs: PathBuf,
    rounds: Vec<RunResults>,
    boots: Vec<BootRecord>,
    attributions: Vec<Attribution>,
}

/// What every kernel's initramfs holds apart from its modules.
struct GuestPayload {
    binary: PathBuf,
    /// The binary's loader and libraries (none when static).
    loader_files: Vec<LoaderFile>,
    words: Vec<String>,
    scenario_files: Vec<(String, PathBuf)>,
    module_patterns: Vec<&'static str>,
    overrides: ScenarioOverrides,
    hide_user_namespaces: bool,
    explain: bool,
}

impl GuestPayload {
    /// (Re)writes the kernel's initramfs for `accel` (the guest records its execution mode).
    fn build_initramfs(&self, p: &Prepared, accel: Accel, status: &dyn Fn(&str)) -> Result<usize> {
        let plan = plan_modules(&p.kernel, &self.module_patterns, status)?;
        let config = GuestConfig {
            scenarios: self.words.clone(),
            execution_mode: accel.execution_mode(),
            modules: Vec::new(),
            overrides: self.overrides.clone(),
            hide_user_namespaces: self.hide_user_namespaces,
            explain: self.explain,
        };
        initramfs::build(
            &p.initramfs,
            &self.binary,
            &self.loader_files,
            &plan,
            &self.scenario_files,
            config,
        )
    }
}

/// A boot failed in a way that says "this kernel does not run under KVM here".
struct KvmUnusable;

pub fn run_session(options: &SessionOptions, status: &dyn Fn(&str)) -> Result<Vec<KernelRun>> {
    run_session_until(options, status, &|_| Vec::new())
}

/// `run_session`, with `undecided` judging after each round whether more are needed (only
/// consulted under `RoundPlan::UntilConclusive`).
pub fn run_session_until(
    options: &SessionOptions,
    status: &dyn Fn(&str),
    undecided: Undecided,
) -> Result<Vec<KernelRun>> {
    if options.kernels.is_empty() {
        return Err(KcanaryError::Usage("name at least one --kernel".into()));
    }
    if options.rounds.first_rounds() == 0 {
        return Err(KcanaryError::Usage("--rounds must be at least 1".into()));
    }
    if options.deterministic && options.accel == AccelChoice::Kvm {
        return Err(KcanaryError::Usage(
            "--deterministic uses TCG's instruction counting and cannot run with --accel kvm"
                .into(),
        ));
    }
    let selection = scenario::select(&options.scenarios, &options.overrides)?;
    let scenarios = &selection.scenarios;
    let GuestWords {
        words,
        files: scenario_files,
        word_of: guest_word_of,
    } = GuestWords::of(&selection.by_word, scenarios);
    let mut module_patterns: Vec<&'static str> = Vec::new();
    for scenario in scenarios {
        for pattern in scenario.workload.kernel_modules() {
            if !module_patterns.contains(pattern) {
                module_patterns.push(pattern);
            }
        }
    }
    let guest_binary = initramfs::find_guest_binary(options.guest_binary.as_deref())?;
    if let Some(warning) = initramfs::version_mismatch(&guest_binary) {
        status(&warning);
    }
    let mut payload = GuestPayload {
        loader_files: initramfs::guest_loader_files(&guest_binary)?,
        binary: guest_binary,
        words,
        scenario_files,
        module_patterns,
        overrides: options.overrides.clone(),
        hide_user_namespaces: options.hide_user_namespaces,
        explain: options.explain,
    };
    let mut accel = match options.accel {
        _ if options.deterministic => Accel::TcgIcount,
        AccelChoice::Tcg => Accel::Tcg,
        AccelChoice::Kvm => Accel::Kvm,
        AccelChoice::Auto if qemu::kvm_device_usable() => Accel::Kvm,
        AccelChoice::Auto => {
            status(
                "notice: /dev/kvm is not usable here; running under TCG (software emulation, ~10x slower syscalls)",
            );
            Accel::Tcg
        }
    };
    let mut prepared = Vec::new();
    for (index, input) in options.kernels.iter().enumerate() {
        let kernel = kernel::prepare(input, &options.out_dir)?;
        let label = unique_label(&kernel.label, index, &prepared);
        let dir = options.out_dir.join(&label);
        std::fs::create_dir_all(&dir)
            .map_err(|e| KcanaryError::Io(format!("cannot create {}: {e}", dir.display())))?;
        let p = Prepared {
            kernel: Kernel { label, ..kernel },
            initramfs: dir.join("initramfs.cpio"),
            dir,
            rounds: Vec::new(),
            boots: Vec::new(),
            attributions: Vec::new(),
        };
        let count = payload.build_initramfs(&p, accel, status)?;
        status(&format!(
            "{}: {} with {count} modules",
            p.kernel.label,
            p.kernel.image.display()
        ));
        prepared.push(p);
    }
    let started = Instant::now();
    let first_rounds = options.rounds.first_rounds();
    loop {
        match run_rounds(options, 0..first_rounds, &mut prepared, accel, status)? {
            Ok(()) => break,
            Err(KvmUnusable) => {
                status(
                    "notice: falling back to TCG (software emulation) for every kernel of this session",
                );
                accel = Accel::Tcg;
                for p in prepared.iter_mut() {
                    p.rounds.clear();
                    p.boots.clear();
                    payload.build_initramfs(p, accel, &|_| {})?;
                }
            }
        }
    }
    if let RoundPlan::UntilConclusive { budget, max_rounds } = options.rounds {
        let mut round = first_rounds;
        loop {
            let merged = prepared
                .iter()
                .map(|p| merge_rounds(p.rounds.clone()).map_err(KcanaryError::Kernel))
                .collect::<Result<Vec<_>>>()?;
            let names = undecided(&merged);
            if names.is_empty() {
                status(&format!(
                    "rounds auto: every metric has a verdict after {round} round(s), {:.0} s",
                    started.elapsed().as_secs_f64()
                ));
                break;
            }
            // The last round of every kernel, as an upper bound of the next (which runs
            // only some of the scenarios).
            let last_round: Duration = prepared
                .iter()
                .filter_map(|p| p.boots.last().map(|b| b.wall))
                .sum();
            let spent = started.elapsed();
            if round >= max_rounds || spent + last_round > budget {
                status(&format!(
                    "rounds auto: stopping after {round} round(s), {:.0} s of a {:.0} s budget; \
                     still undecided: {}",
                    spent.as_secs_f64(),
                    budget.as_secs_f64(),
                    names.join(", ")
                ));
                break;
            }
            status(&format!(
                "rounds auto: round {} for the undecided scenarios: {}",
                round + 1,
                names.join(", ")
            ));
            payload.words = names
                .iter()
                .filter_map(|name| {
                    guest_word_of
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, w)| w.clone())
                })
                .collect();
            for p in prepared.iter() {
                payload.build_initramfs(p, accel, &|_| {})?;
            }
            if let Err(KvmUnusable) =
                run_rounds(options, round..round + 1, &mut prepared, accel, status)?
            {
                return Err(KcanaryError::Kernel(
                    "a kernel that booted under KVM in the first round no longer does".into(),
                ));
            }
            round += 1;
        }
    }
    let mut runs = Vec::new();
    for p in prepared {
        let results = merge_rounds(p.rounds).map_err(KcanaryError::Kernel)?;
        let results_path = options.out_dir.join(format!("{}.json", p.kernel.label));
        write_json_atomic(&results_path, &results)?;
        if options.explain {
            write_json_atomic(&attribution_path(&results_path), &p.attributions)?;
        }
        runs.push(KernelRun {
            kernel: p.kernel,
            results,
            results_path,
            boots: p.boots,
            attributions: p.attributions,
        });
    }
    Ok(runs)
}

/// Runs every round, kernels alternating. Under automatic acceleration, a kernel that never
/// reaches our init under KVM ends the attempt so the caller can redo everything under TCG
/// (every kernel of a session must share one execution mode).
fn run_rounds(
    options: &SessionOptions,
    rounds: std::ops::Range<usize>,
    prepared: &mut [Prepared],
    accel: Accel,
    status: &dyn Fn(&str),
) -> Result<std::result::Result<(), KvmUnusable>> {
    let of = match options.rounds {
        RoundPlan::Fixed(n) => format!("of {n}"),
        RoundPlan::UntilConclusive { .. } => "(auto)".to_string(),
    };
    for round in rounds {
        if accel == Accel::TcgIcount && options.jobs > 1 {
            run_round_in_parallel(options, round, prepared, &of, status)?;
            continue;
        }
        for p in prepared.iter_mut() {
            status(&format!(
                "{}: round {} {of} ({})",
                p.kernel.label,
                round + 1,
                accel.execution_mode()
            ));
            let spec = boot_spec(options, p, round, accel);
            let label = p.kernel.label.clone();
            let relay = |line: &str| status(&format!("{label}: guest: {line}"));
            match qemu::boot(&spec, &relay) {
                Ok(boot) => {
                    let console_log = spec.console_log.clone();
                    record_boot(p, round, &console_log, boot, status)?
                }
                Err(failure)
                    if failure.accel_suspect
                        && accel == Accel::Kvm
                        && options.accel == AccelChoice::Auto =>
                {
                    status(&format!(
                        "notice: {} does not boot under KVM here: {}",
                        p.kernel.label,
                        first_line(&failure.message)
                    ));
                    let _ =
                        std::fs::rename(&spec.console_log, p.dir.join("kvm-attempt.console.log"));
                    return Ok(Err(KvmUnusable));
                }
                Err(failure) => {
                    return Err(KcanaryError::Kernel(format!(
                        "{}: {}",
                        p.kernel.label, failure.message
                    )));
                }
            }
        }
    }
    Ok(Ok(()))
}

fn boot_spec<'a>(
    options: &SessionOptions,
    p: &'a Prepared,
    round: usize,
    accel: Accel,
) -> BootSpec<'a> {
    BootSpec {
        image: &p.kernel.image,
        initramfs: &p.initramfs,
        accel,
        cpus: options.cpus,
        memory_mib: options.memory_mib,
        timeout: options.timeout,
        // A KVM boot reaches init in a second or two. A kernel that cannot run under
        // this host's KVM either makes QEMU report it (Debian's 6.12 here, ~5 s in;
        // `qemu::boot` stops at once) or hangs without a word (6.1 here): the deadline.
        init_deadline: (accel == Accel::Kvm).then_some(KVM_INIT_DEADLINE),
        console_log: p.dir.join(format!("round-{round}.console.log")),
        results_capture: p.dir.join(format!("round-{round}.serial1")),
    }
}

/// One round in deterministic mode, `options.jobs` guests at a time (kernels in order, so
/// rounds still alternate). Each boot runs on its own thread (QEMU's parent-death signal
/// follows that thread, which lives until QEMU exits); the guests' lines come back over a
/// channel so `status` is only called here. Results are recorded in kernel order.
fn run_round_in_parallel(
    options: &SessionOptions,
    round: usize,
    prepared: &mut [Prepared],
    of: &str,
    status: &dyn Fn(&str),
) -> Result<()> {
    let accel = Accel::TcgIcount;
    for group in prepared.chunks_mut(options.jobs) {
        let (sender, lines) = std::sync::mpsc::channel::<String>();
        let boots: Vec<std::result::Result<qemu::Boot, qemu::BootFailure>> =
            std::thread::scope(|scope| {
                let mut handles = Vec::new();
                for p in group.iter() {
                    status(&format!(
                        "{}: round {} {of} ({}), {} guest(s) at once",
                        p.kernel.label,
                        round + 1,
                        accel.execution_mode(),
                        group.len()
                    ));
                    let sender = sender.clone();
                    handles.push(scope.spawn(move || {
                        let spec = boot_spec(options, p, round, accel);
                        let label = &p.kernel.label;
                        let relay = |line: &str| {
                            let _ = sender.send(format!("{label}: guest: {line}"));
                        };
                        qemu::boot(&spec, &relay)
                    }));
                }
                drop(sender);
                // Ends when every boot thread has dropped its sender, i.e. finished.
                for line in lines {
                    status(&line);
                }
                handles
                    .into_iter()
                    .map(|h| {
                        h.join().unwrap_or_else(|_| {
                            Err(qemu::BootFailure {
                                message: "the thread running this boot panicked".into(),
                                accel_suspect: false,
                            })
                        })
                    })
                    .collect()
            });
        for (p, boot) in group.iter_mut().zip(boots) {
            let console_log = p.dir.join(format!("round-{round}.console.log"));
            match boot {
                Ok(boot) => record_boot(p, round, &console_log, boot, status)?,
                Err(failure) => {
                    return Err(KcanaryError::Kernel(format!(
                        "{}: {}",
                        p.kernel.label, failure.message
                    )));
                }
            }
        }
    }
    Ok(())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

fn record_boot(
    p: &mut Prepared,
    round: usize,
    console_log: &Path,
    boot: qemu::Boot,
    status: &dyn Fn(&str),
) -> Result<()> {
    for warning in &boot.findings.warnings {
        status(&format!(
            "warning: {}: kernel reported: {warning}",
            p.kernel.label
        ));
    }
    for failure in &boot.outcome.module_failures {
        status(&format!(
            "warning: {}: module {}: {}",
            p.kernel.label, failure.module, failure.error
        ));
    }
    let results = boot.outcome.results.ok_or_else(|| {
        KcanaryError::Kernel(format!(
            "{}: the guest ran but produced no results: {}\n  console log: {}",
            p.kernel.label,
            boot.outcome.error.unwrap_or_default(),
            console_log.display()
        ))
    })?;
    write_json_atomic(&p.dir.join(format!("round-{round}.json")), &results)?;
    if !boot.outcome.attributions.is_empty() {
        // Every round of an --explain session traces; the raw ones stay per round, the
        // first round's are the kernel's.
        write_json_atomic(
            &p.dir.join(format!("round-{round}.attribution.json")),
            &boot.outcome.attributions,
        )?;
        if p.attributions.is_empty() {
            p.attributions = boot.outcome.attributions;
        }
    }
    if let Some(t) = boot.to_first_workload {
        status(&format!(
            "{}: boot to first workload {:.1} s (guest uptime {:.1} s), whole boot {:.1} s",
            p.kernel.label,
            t.as_secs_f64(),
            boot.outcome.uptime_at_workloads_s.unwrap_or(0.0),
            boot.wall.as_secs_f64()
        ));
    }
    p.boots.push(BootRecord {
        round,
        wall: boot.wall,
        to_first_workload: boot.to_first_workload,
        guest_uptime_at_workloads_s: boot.outcome.uptime_at_workloads_s,
    });
    p.rounds.push(results);
    Ok(())
}

fn plan_modules(kernel: &Kernel, patterns: &[&str], status: &dyn Fn(&str)) -> Result<LoadPlan> {
    let Some(root) = &kernel.modules else {
        if !patterns.is_empty() {
            status(&format!(
                "{}: no module tree; the scenarios rely on {} being built in",
                kernel.label,
                patterns.join(", ")
            ));
        }
        return Ok(LoadPlan::default());
    };
    let tree = ModuleTree::scan(root)?;
    let plan = tree.plan(patterns)?;
    for name in &plan.missing {
        status(&format!(
            "notice: {}: module {name} is neither built in nor in {}: scenarios needing it will be skipped",
            kernel.label,
            root.display()
        ));
    }
    Ok(plan)
}

/// The scenario words as the guest sees them, from the host's one resolution: built-in
/// names and `all` unchanged, files copied into the initramfs and named by their path there.
struct GuestWords {
    words: Vec<String>,
    /// (name in `SCENARIO_DIR`, host path) of every file to copy.
    files: Vec<(String, PathBuf)>,
    /// For every chosen scenario, the guest word that runs it alone (`--rounds auto`).
    word_of: Vec<(String, String)>,
}

impl GuestWords {
    fn of(chosen: &[(ScenarioWord, Vec<Scenario>)], scenarios: &[Scenario]) -> GuestWords {
        let mut guest = GuestWords {
            words: Vec::new(),
            files: Vec::new(),
            word_of: Vec::new(),
        };
        if chosen.is_empty() {
            // The default suite: every scenario runs alone by its name.
            guest.word_of = scenarios
                .iter()
                .map(|s| (s.name.clone(), s.name.clone()))
                .collect();
        }
        for (index, (word, scenarios)) in chosen.iter().enumerate() {
            let guest_word = match word {
                ScenarioWord::File(path) => {
                    let name = format!(
                        "{index:02}-{}",
                        path.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default()
                    );
                    guest.files.push((name.clone(), path.clone()));
                    format!("{SCENARIO_DIR}/{name}")
                }
                ScenarioWord::All => "all".to_string(),
                ScenarioWord::Name(name) => name.clone(),
            };
            for scenario in scenarios {
                // A file's scenario runs alone by its file, a built-in one by its name.
                let alone = match word {
                    ScenarioWord::File(_) => guest_word.clone(),
                    _ => scenario.name.clone(),
                };
                guest.word_of.push((scenario.name.clone(), alone));
            }
            guest.words.push(guest_word);
        }
        guest
    }
}

fn unique_label(label: &str, index: usize, earlier: &[Prepared]) -> String {
    let clean: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if earlier.iter().any(|p| p.kernel.label == clean) {
        format!("{clean}-{}", index + 1)
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_words_copy_files_and_run_each_scenario_alone() {
        let library = scenario::builtin_scenarios();
        let create = library.iter().find(|s| s.name == "ipset-create").unwrap();
        let from_file = Scenario {
            name: "mine".into(),
            ..create.clone()
        };
        let chosen = vec![
            (
                ScenarioWord::Name("ipset-create".into()),
                vec![create.clone()],
            ),
            (
                ScenarioWord::File("dir/mine.toml".into()),
                vec![from_file.clone()],
            ),
        ];
        let guest = GuestWords::of(&chosen, &[create.clone(), from_file]);
        let in_guest = format!("{SCENARIO_DIR}/01-mine.toml");
        assert_eq!(guest.words, ["ipset-create".to_string(), in_guest.clone()]);
        assert_eq!(
            guest.files,
            [("01-mine.toml".to_string(), PathBuf::from("dir/mine.toml"))]
        );
        assert_eq!(
            guest.word_of,
            [
                ("ipset-create".to_string(), "ipset-create".to_string()),
                ("mine".to_string(), in_guest)
            ]
        );
        // No words: the default suite, each scenario by its name.
        let defaults = scenario::resolve(&[]).unwrap();
        let guest = GuestWords::of(&[], &defaults);
        assert!(guest.words.is_empty() && guest.files.is_empty());
        assert_eq!(guest.word_of.len(), defaults.len());
    }
}
