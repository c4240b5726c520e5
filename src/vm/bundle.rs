//! The evidence bundle of a `kcanary vm` comparison (`--bundle DIR`): one directory a kernel
//! maintainer can read without kcanary. `report.txt` is written in the manner of a
//! regression report on a kernel mailing list (kernels, machine, execution mode, the verdict
//! table with intervals, the attribution, how to reproduce); next to it both results files,
//! the attributions, the scenario files and the plots.

use super::session::KernelRun;
use crate::error::{KcanaryError, Result};
use crate::gate::{Comparison, GateStatus};
use crate::report::export::{ExportFormat, Outputs};
use crate::report::plot::{PlotInput, plot_runs};
use crate::results::file::write_bytes_atomic;
use crate::scenario::Scenario;
use std::fmt::Write as _;
use std::path::PathBuf;

/// What the bundle is asked to hold beyond the session's runs.
pub struct BundleRequest {
    pub dir: PathBuf,
    /// The command as typed, for "how to reproduce".
    pub command_line: String,
}

/// Writes the bundle; returns the report's path.
pub fn write_bundle(
    request: &BundleRequest,
    runs: &[KernelRun],
    comparisons: &[Comparison],
    status: GateStatus,
    scenarios: &[Scenario],
) -> Result<PathBuf> {
    let dir = &request.dir;
    let io = |what: &str, e: std::io::Error| KcanaryError::Io(format!("bundle: {what}: {e}"));
    std::fs::create_dir_all(dir.join("scenarios")).map_err(|e| io("mkdir", e))?;
    let mut files = Vec::new();
    for run in runs {
        let name = format!("{}.json", run.kernel.label);
        std::fs::copy(&run.results_path, dir.join(&name)).map_err(|e| io(&name, e))?;
        files.push(name);
        if !run.attributions.is_empty() {
            let name = format!("{}.attribution.json", run.kernel.label);
            crate::results::file::write_json_atomic(&dir.join(&name), &run.attributions)?;
            files.push(name);
        }
    }
    for scenario in scenarios {
        let name = format!("scenarios/{}.toml", scenario.name);
        write_bytes_atomic(&dir.join(&name), scenario_text(scenario)?.as_bytes())?;
        files.push(name);
    }
    let plot_inputs: Vec<PlotInput> = runs
        .iter()
        .map(|r| PlotInput {
            label: r.kernel.label.clone(),
            run: r.results.clone(),
        })
        .collect();
    let plots = plot_runs(&plot_inputs, &dir.join("plots"))?;
    let report = report_text(request, runs, comparisons, status, &files, plots.len());
    let path = dir.join("report.txt");
    write_bytes_atomic(&path, report.as_bytes())?;
    Ok(path)
}

/// The scenario as a file: the file it came from, or the built-in library's text.
fn scenario_text(scenario: &Scenario) -> Result<String> {
    let source = scenario.source.to_string_lossy();
    if let Some(file) = source.strip_prefix("builtin:") {
        return crate::scenario::builtin_text(file)
            .map(str::to_string)
            .ok_or_else(|| KcanaryError::Io(format!("no built-in scenario file {file}")));
    }
    std::fs::read_to_string(&scenario.source)
        .map_err(|e| KcanaryError::Io(format!("bundle: {}: {e}", scenario.source.display())))
}

fn report_text(
    request: &BundleRequest,
    runs: &[KernelRun],
    comparisons: &[Comparison],
    status: GateStatus,
    files: &[String],
    plots: usize,
) -> String {
    let mut out = String::new();
    let regressed: Vec<String> = comparisons
        .iter()
        .flat_map(|c| c.regressed())
        .map(|m| m.key.clone())
        .collect();
    let (Some(baseline), Some(candidate)) = (runs.first(), runs.get(1)) else {
        return "a bundle needs two kernels\n".into();
    };
    let _ = writeln!(
        out,
        "Subject: {}: {} against {}\n",
        match regressed.len() {
            0 => "kcanary: no regression found".to_string(),
            1 => format!("[REGRESSION] {} slower", regressed[0]),
            n => format!("[REGRESSION] {n} metrics slower"),
        },
        candidate.kernel.label,
        baseline.kernel.label
    );
    let _ = writeln!(out, "Gate status: {status:?}\n");
    let _ = writeln!(out, "Kernels");
    for (role, run) in [("baseline", baseline), ("candidate", candidate)] {
        let env = &run.results.environment;
        let _ = writeln!(
            out,
            "  {role:<9}  {} ({})\n             {}\n             from {}",
            env.kernel_release, env.kernel_version, env.kernel_cmdline, run.kernel.input
        );
    }
    let env = &baseline.results.environment;
    let _ = writeln!(
        out,
        "\nMachine\n  {}, {} CPUs, {} MiB, kcanary {} ({})\n\nExecution mode\n  {}",
        env.cpu_model,
        env.cpus,
        env.memory_bytes / (1024 * 1024),
        env.kcanary_version,
        env.kcanary_git_commit,
        env.execution_mode
    );
    let mut table = Vec::new();
    let _ = Outputs::table(ExportFormat::Text).write_to(&mut table, comparisons);
    let _ = writeln!(
        out,
        "\nVerdicts (ratio of medians, 95% interval)\n{}",
        String::from_utf8_lossy(&table)
    );
    // The text table ends with the attribution when there is one.
    if comparisons.iter().all(|c| c.attribution.is_empty()) {
        let _ = writeln!(out, "Attribution\n  not traced (run with --explain)\n");
    }
    let _ = writeln!(out, "How to reproduce\n  {}", request.command_line);
    let scenario_files: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with("scenarios/"))
        .collect();
    let _ = writeln!(
        out,
        "  (the scenario files are in scenarios/; a kernel tree between the two versions is \
         bisected with the line below, adding any --set/--repetitions of the command \
         above)\n  git bisect start <bad> <good>\n  git bisect run kcanary bisect-step \
         --kernel . --baseline {}.json {}",
        baseline.kernel.label,
        scenario_files
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = writeln!(out, "\nFiles\n  report.txt (this file)");
    for file in files {
        let _ = writeln!(out, "  {file}");
    }
    let _ = writeln!(out, "  plots/ ({plots} SVG and PNG files)");
    out
}
