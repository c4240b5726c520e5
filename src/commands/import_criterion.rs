use crate::cli::ImportCriterionArgs;
use kcanary::error::{KcanaryError, Result};
pub fn execute(_args: ImportCriterionArgs) -> Result<i32> {
    Err(KcanaryError::Usage("import-criterion: not built yet".into()))
}
