//! `kcanary replay FILE`: replay an `ipset save`/`ipset restore` file or an `ipvsadm -S` file
//! in a fresh network namespace, through the runner (so repetitions and the results file work
//! as for `kcanary run`).

use crate::cli::ReplayArgs;
use kcanary::error::{KcanaryError, Result};
use kcanary::report::progress::TerminalProgress;
use kcanary::report::table::results_table;
use kcanary::results::file::write_json_atomic;
use kcanary::runner::{RunHooks, run_scenarios};
use kcanary::scenario::Scenario;
use kcanary::workload::{Params, Workload, params::ParamValue};

pub fn execute(args: ReplayArgs) -> Result<i32> {
    if args.repetitions == 0 {
        return Err(KcanaryError::Usage(
            "--repetitions must be at least 1".into(),
        ));
    }
    let ipvs = kcanary::ipvs::replay::is_ipvsadm_save_file(&args.file);
    // Parse first: a bad line is reported before anything runs.
    let workload: &'static dyn Workload = if ipvs {
        if args.exist {
            return Err(KcanaryError::Usage(
                "--exist is an ipset option; this is an ipvsadm -S file".into(),
            ));
        }
        kcanary::ipvs::save_file::load(&args.file)?;
        &kcanary::ipvs::replay::ReplayWorkload
    } else {
        kcanary::ipset::restore_file::parse_file(&args.file, args.exist)?;
        // ipset works in an unprivileged user namespace; IPVS needs real root.
        if !kcanary::isolate::privileges::is_root() {
            kcanary::isolate::privileges::enter_user_namespace()?;
        }
        &kcanary::ipset::workloads::ReplayWorkload
    };
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
    if let Some(out) = &args.out {
        write_json_atomic(out, &run)?;
    }
    print!("{}", results_table(&run));
    Ok(super::run::exit_status_of_named(&run))
}
