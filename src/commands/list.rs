//! `kcanary list`: the built-in scenarios, and with `--workloads` every workload's parameters.

use crate::cli::ListArgs;
use kcanary::catalog;
use kcanary::error::Result;
use kcanary::scenario::builtin_scenarios;
use kcanary::stats::mann_whitney::{DEFAULT_ALPHA, minimum_repetitions};

pub fn execute(args: ListArgs) -> Result<i32> {
    let scenarios = builtin_scenarios();
    let width = scenarios.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let least = minimum_repetitions(DEFAULT_ALPHA);
    println!("Built-in scenarios (* = in the default suite; run one with `kcanary run NAME`):");
    for s in &scenarios {
        let mark = if s.in_default_suite() { '*' } else { ' ' };
        let caution = if s.repetitions < least {
            format!(
                " [{} repetitions cannot give a verdict: the gate needs {least}; use \
                 --repetitions {least} or more]",
                s.repetitions
            )
        } else {
            String::new()
        };
        println!(
            "{mark} {:<width$}  {:<24} {}{caution}",
            s.name,
            s.workload.name(),
            s.description
        );
    }
    if args.workloads {
        println!(
            "\nWorkloads (use in a scenario file as `workload = \"NAME\"`, parameters under [params]):"
        );
        for w in catalog::all() {
            println!("\n{}: {}", w.name(), w.summary());
            for p in w.params() {
                println!("    {:<12} default {:<12} {}", p.name, p.default, p.help);
            }
        }
    } else {
        println!("\n`kcanary list --workloads` shows every workload and its parameters.");
    }
    Ok(0)
}
