use crate::cli::PlotArgs;
use kcanary::error::{KcanaryError, Result};
pub fn execute(_args: PlotArgs) -> Result<i32> {
    Err(KcanaryError::Usage("plot: not built yet".into()))
}
