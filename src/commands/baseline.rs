//! `kcanary baseline save RESULTS...`: digests results files of one kernel into a baseline
//! file.

use crate::cli::{BaselineAction, BaselineArgs, BaselineSaveArgs};
use kcanary::error::{Result, exit_code};
use kcanary::gate::baseline::BaselineFile;
use kcanary::results::file::{read_results, write_bytes_atomic};

pub fn execute(args: BaselineArgs) -> Result<i32> {
    match args.action {
        BaselineAction::Save(save_args) => save(save_args),
    }
}

fn save(args: BaselineSaveArgs) -> Result<i32> {
    let runs = args
        .results
        .iter()
        .map(|path| Ok((path.clone(), read_results(path)?)))
        .collect::<Result<Vec<_>>>()?;
    let baseline = BaselineFile::from_runs(&runs, &args.name)?;
    let path = baseline.path_under(&args.dir);
    let bytes = baseline.to_json_text()?.into_bytes();
    write_bytes_atomic(&path, &bytes)?;
    println!(
        "{} ({} metrics from {} run(s), {} bytes)",
        path.display(),
        baseline.metrics.len(),
        runs.len(),
        bytes.len()
    );
    if runs.len() == 1 {
        println!(
            "note: a baseline of one run cannot tell the gate how much separate runs drift; \
             save it from several runs of this kernel for verdicts that hold across runs"
        );
    }
    Ok(exit_code::OK)
}
