//! The rule the gate adds for execution modes (host, TCG, TCG with icount, KVM): results of
//! different modes are never compared. Their timings differ by design, not by kernel, so a
//! mismatch is refused instead of being reported as a regression. (`check` and `compare` of
//! stored files list the difference as a warning; the VM runner and bisect-step, which
//! choose the mode themselves, refuse it.)

use crate::error::{KcanaryError, Result};
use crate::results::ExecutionMode;

pub fn ensure_same_execution_mode(
    baseline: &ExecutionMode,
    candidate: &ExecutionMode,
) -> Result<()> {
    if baseline != candidate {
        return Err(KcanaryError::Usage(format!(
            "refusing to compare results of different execution modes: baseline ran as \
             '{baseline}', candidate as '{candidate}' (run both the same way, e.g. both with \
             or both without --deterministic)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn different_modes_are_refused() {
        let error =
            ensure_same_execution_mode(&ExecutionMode::QemuTcg, &ExecutionMode::QemuTcgIcount)
                .unwrap_err();
        assert_eq!(error.exit_code(), crate::error::exit_code::BAD_INPUT);
        assert!(error.to_string().contains("different execution modes"));
        ensure_same_execution_mode(&ExecutionMode::QemuTcg, &ExecutionMode::QemuTcg).unwrap();
        let unknown = ExecutionMode::from("qemu-hvf");
        ensure_same_execution_mode(&unknown, &ExecutionMode::QemuTcg).unwrap_err();
        ensure_same_execution_mode(&unknown, &ExecutionMode::from("qemu-hvf")).unwrap();
    }
}
