//! `kcanary replay FILE`: replay an ipset restore file in a fresh namespace.

use crate::cli::ReplayArgs;
use kcanary::error::{KcanaryError, Result};
use kcanary::ipset::workloads::ReplayWorkload;
use kcanary::report::progress::TerminalProgress;
use kcanary::report::table::results_table;
use kcanary::results::file::write_json_atomic;
use kcanary::runner::{RunHooks, WhenUnavailable, run_scenarios};
use kcanary::scenario::Scenario;
use kcanary::workload::{Params, Workload, params::ParamValue};

pub fn execute(args: ReplayArgs) -> Result<i32> {
    if args.repetitions == 0 {
        return Err(KcanaryError::Usage(
            "--repetitions must be at least 1".into(),
        ));
    }
    // Parse first: a bad line is reported before anything runs.
    kcanary::ipset::restore_file::parse_file(&args.file, args.exist)?;
    if !kcanary::isolate::privileges::is_root() {
        kcanary::isolate::privileges::enter_user_namespace()?;
    }
    let mut params =
        Params::resolve(ReplayWorkload.params(), &toml::Table::new()).expect("defaults are valid");
    params.set("file", ParamValue::Text(args.file.display().to_string()));
    params.set("exist", ParamValue::Boolean(args.exist));
    params.set("batch", ParamValue::Boolean(args.batch));
    let scenario = Scenario {
        name: format!("replay:{}", args.file.display()),
        description: String::new(),
        workload: &ReplayWorkload,
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
    let run = run_scenarios(&[scenario], "host", WhenUnavailable::Fail, &hooks)?;
    if let Some(out) = &args.out {
        write_json_atomic(out, &run)?;
    }
    print!("{}", results_table(&run));
    Ok(0)
}
