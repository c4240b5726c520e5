//! The one rule the VM runner adds to the gate's comparison: results of different execution
//! modes (host, TCG, TCG with icount, KVM) are never compared. Their timings differ by design,
//! not by kernel, so a mismatch is refused instead of being reported as a regression.

use crate::error::{KcanaryError, Result};
use crate::results::Environment;

pub fn ensure_same_execution_mode(a: &Environment, b: &Environment) -> Result<()> {
    if a.execution_mode != b.execution_mode {
        return Err(KcanaryError::Usage(format!(
            "refusing to compare results of different execution modes: baseline ran as '{}', \
             candidate as '{}' (run both the same way, e.g. both with or both without \
             --deterministic)",
            a.execution_mode, b.execution_mode
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mode: &str) -> Environment {
        Environment {
            execution_mode: mode.into(),
            ..Default::default()
        }
    }

    #[test]
    fn different_modes_are_refused() {
        let error =
            ensure_same_execution_mode(&run("qemu-tcg"), &run("qemu-tcg-icount")).unwrap_err();
        assert_eq!(error.exit_code(), crate::error::exit_code::BAD_INPUT);
        assert!(error.to_string().contains("different execution modes"));
        ensure_same_execution_mode(&run("qemu-tcg"), &run("qemu-tcg")).unwrap();
    }
}
