//! Command-line overrides of scenarios: `--repetitions N` and `--set NAME=VALUE`, shared by
//! `kcanary run`, `kcanary vm` and the VM guest (which applies what the host passed on).

use super::Scenario;
use crate::error::{KcanaryError, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScenarioOverrides {
    pub repetitions: Option<usize>,
    /// `NAME=VALUE` assignments, as typed.
    pub set: Vec<String>,
}

/// Applies the overrides to every scenario that has the parameter; a `--set` that no chosen
/// scenario has is an error (a typo would otherwise go unnoticed).
pub fn apply_overrides(scenarios: &mut [Scenario], overrides: &ScenarioOverrides) -> Result<()> {
    if let Some(repetitions) = overrides.repetitions {
        super::check_repetitions("--repetitions", repetitions).map_err(KcanaryError::Usage)?;
        scenarios
            .iter_mut()
            .for_each(|s| s.repetitions = repetitions);
    }
    for assignment in &overrides.set {
        let (name, value) = assignment.split_once('=').ok_or_else(|| {
            KcanaryError::Usage(format!("--set expects NAME=VALUE, got '{assignment}'"))
        })?;
        let mut used = false;
        for s in scenarios.iter_mut() {
            used |= s
                .params
                .override_from_text(s.workload.params(), name, value)
                .map_err(|e| KcanaryError::Usage(format!("--set {assignment}: {e}")))?;
        }
        if !used {
            return Err(KcanaryError::Usage(format!(
                "--set {assignment}: no chosen scenario has a parameter '{name}'"
            )));
        }
    }
    Ok(())
}
