//! `kcanary generate`: workload files for other tools and for `kcanary replay`.

use crate::cli::{GenerateArgs, Generated};
use kcanary::error::{KcanaryError, Result};
use std::io::Write;

pub fn execute(args: GenerateArgs) -> Result<i32> {
    let text = match args.what {
        Generated::KubeRouterSync => {
            // Each synced set has a TMP- twin while the sync runs: both must fit the kernel's
            // limit of sets per namespace.
            let max_sets = (kcanary::workload::params::MAX_IPSETS / 2) as usize;
            if !(1..=max_sets).contains(&args.sets) {
                return Err(KcanaryError::Usage(format!(
                    "--sets must be between 1 and {max_sets}, found {}",
                    args.sets
                )));
            }
            if args.entries > 64 {
                return Err(KcanaryError::Usage("--entries must be at most 64".into()));
            }
            kcanary::ipset::kube_router::sync_file(args.sets, args.entries)
        }
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| KcanaryError::Io(format!("cannot write to stdout: {e}")))?;
    Ok(0)
}
