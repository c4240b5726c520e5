//! `kcanary baseline save RESULTS`: digests a results file into a baseline file.

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
    let run = read_results(&args.results)?;
    let baseline =
        BaselineFile::from_results(&run, &args.name, &args.results.display().to_string());
    let path = baseline.path_under(&args.dir);
    let mut bytes = serde_json::to_vec_pretty(&baseline)
        .map_err(|e| kcanary::error::KcanaryError::Io(format!("cannot serialise baseline: {e}")))?;
    bytes.push(b'\n');
    write_bytes_atomic(&path, &bytes)?;
    println!(
        "{} ({} metrics, {} bytes)",
        path.display(),
        baseline.metrics.len(),
        bytes.len()
    );
    Ok(exit_code::OK)
}
