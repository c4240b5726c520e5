//! What a set of comparisons adds up to: the one answer `check`, `compare`, `vm` and
//! `bisect-step` turn into their exit codes.

use super::compare::Comparison;
use super::options::GateOptions;
use super::verdict::Verdict;
use crate::error::exit_code;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateStatus {
    /// Every comparison is complete and nothing regressed.
    Passed,
    /// A metric regressed (or, with `fail_on_inconclusive`, is inconclusive).
    Regressed,
    /// No regression, but no evidence for a pass either: nothing was compared, or metrics
    /// of the baseline are missing in a candidate.
    Incomplete,
}

impl GateStatus {
    pub fn of(comparisons: &[Comparison], options: &GateOptions) -> GateStatus {
        let regressed = comparisons.iter().any(Comparison::has_regression);
        let inconclusive = comparisons
            .iter()
            .flat_map(|c| &c.metrics)
            .any(|m| m.verdict == Verdict::Inconclusive);
        if regressed || (options.fail_on_inconclusive && inconclusive) {
            GateStatus::Regressed
        } else if comparisons.is_empty() || !comparisons.iter().all(Comparison::is_complete) {
            GateStatus::Incomplete
        } else {
            GateStatus::Passed
        }
    }

    /// 0 passed, 1 regressed, 4 incomplete.
    pub fn exit_code(self) -> i32 {
        match self {
            GateStatus::Passed => exit_code::OK,
            GateStatus::Regressed => exit_code::REGRESSION,
            GateStatus::Incomplete => exit_code::INCOMPLETE,
        }
    }
}
