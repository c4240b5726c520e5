//! `kcanary replay FILE`: replay an `ipset save`/`ipset restore` file or an `ipvsadm -S` file
//! in a fresh network namespace, through the runner (so repetitions and the results file work
//! as for `kcanary run`).

use crate::cli::ReplayArgs;
use kcanary::error::{KcanaryError, Result};
use kcanary::report::progress::TerminalProgress;
use kcanary::report::table::results_table;
use kcanary::results::file::{check_writable, write_json_atomic};
use kcanary::runner::{RunHooks, run_scenarios};
use kcanary::scenario::Scenario;
use kcanary::workload::{Params, Workload, params::ParamValue};

pub fn execute(args: ReplayArgs) -> Result<i32> {
    kcanary::scenario::check_repetitions("--repetitions", args.repetitions)
        .map_err(KcanaryError::Usage)?;
    // Read once: a pipe, a FIFO or stdin gives its bytes only once, and detection and
    // parsing both need them. Parse first: a bad line is reported before anything runs.
    let text = kcanary::text_input::read_text_once(&args.file)?;
    if let Some(out) = &args.out {
        check_writable(out)?;
    }
    let ipvs = kcanary::ipvs::save_file::looks_like_ipvsadm_save(&text);
    let workload: Box<dyn Workload> = if ipvs {
        if args.exist {
            return Err(KcanaryError::Usage(
                "--exist is an ipset option; this is an ipvsadm -S file".into(),
            ));
        }
        let lines = kcanary::ipvs::save_file::parse(&args.file, &text)?;
        refuse_empty(&args, lines.is_empty(), "ipvsadm")?;
        Box::new(kcanary::ipvs::replay::LoadedReplayWorkload {
            path: args.file.clone(),
            lines,
        })
    } else {
        let lines = kcanary::ipset::restore_file::parse(&args.file, &text, args.exist)?;
        refuse_empty(&args, lines.is_empty(), "ipset")?;
        // ipset works in an unprivileged user namespace; IPVS needs real root.
        if !kcanary::isolate::privileges::is_root() {
            kcanary::isolate::privileges::enter_user_namespace()?;
        }
        Box::new(kcanary::ipset::workloads::LoadedReplayWorkload {
            path: args.file.clone(),
            lines,
        })
    };
    kcanary::isolate::signals::handle_termination_signals()?;
    super::run::note_memcg_leftovers();
    // A scenario holds a `&'static` workload; this one lives until the process exits anyway.
    let workload: &'static dyn Workload = Box::leak(workload);
    let mut params =
        Params::resolve(workload.params(), &toml::Table::new()).expect("defaults are valid");
    params.set("file", ParamValue::Text(args.file.display().to_string()));
    params.set("batch", ParamValue::Boolean(args.batch));
    if !ipvs {
        params.set("exist", ParamValue::Boolean(args.exist));
    }
    let scenario = Scenario {
        name: format!("replay:{}", args.file.display()),
        description: String::new(),
        workload,
        params,
        repetitions: args.repetitions,
        warmup: 0,
        threshold: None,
        metric_thresholds: Default::default(),
        tags: Vec::new(),
        source: args.file.clone(),
    };
    let progress = TerminalProgress::new();
    let status = |line: &str| eprintln!("kcanary: {line}");
    let hooks = RunHooks {
        progress: &progress,
        status: &status,
    };
    let run = run_scenarios(&[scenario], "host", &hooks)?;
    // The table first: if the write still fails, the numbers are at least on the terminal.
    print!("{}", results_table(&run));
    if let Some(out) = &args.out {
        write_json_atomic(out, &run)?;
    }
    Ok(super::run::exit_status_of_named(&run))
}

/// A file without a single command would replay nothing and look like a success.
fn refuse_empty(args: &ReplayArgs, empty: bool, format: &str) -> Result<()> {
    if empty {
        return Err(KcanaryError::bad_input(
            &args.file,
            None,
            format!("no {format} commands in the file"),
        ));
    }
    Ok(())
}
