//! The one error type of kcanary, and the exit code each kind of failure maps to.

use std::path::{Path, PathBuf};

/// Exit codes, documented in `kcanary --help`.
pub mod exit_code {
    /// Everything ran; no regression.
    pub const OK: i32 = 0;
    /// A metric regressed (check, compare, vm, bisect-step "bad").
    pub const REGRESSION: i32 = 1;
    /// Bad input: a file, a scenario, an argument.
    pub const BAD_INPUT: i32 = 2;
    /// The environment failed: no privileges, a kernel error, a VM that did not boot.
    pub const ENVIRONMENT: i32 = 3;
    /// No verdict without evidence: nothing was compared, or metrics of the baseline are
    /// missing (skipped, not run) in the candidate, or a scenario named explicitly could not
    /// run here.
    pub const INCOMPLETE: i32 = 4;
    /// `git bisect run`'s "cannot test this commit".
    pub const BISECT_SKIP: i32 = 125;
    /// `git bisect run` stops on codes above 127: bisect-step's "the bisect itself is set up
    /// wrong".
    pub const BISECT_ABORT: i32 = 128;
}

#[derive(Debug, thiserror::Error)]
pub enum KcanaryError {
    /// Bad user input, located as precisely as we can (file and line).
    #[error("{}{}: {message}", .file.display(), .line.map(|l| format!(":{l}")).unwrap_or_default())]
    BadInput {
        file: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// A bad command-line value or an unknown name (no file involved).
    #[error("{0}")]
    Usage(String),
    /// Not allowed to do what a workload needs (namespaces, netlink, cgroups).
    #[error("{0}")]
    Permission(String),
    /// The kernel refused an operation that should have worked.
    #[error("{0}")]
    Kernel(String),
    /// A file or process problem outside the kernel interfaces we measure.
    #[error("{0}")]
    Io(String),
}

impl KcanaryError {
    pub fn bad_input(file: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        KcanaryError::BadInput {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            KcanaryError::BadInput { .. } | KcanaryError::Usage(_) => exit_code::BAD_INPUT,
            KcanaryError::Permission(_) | KcanaryError::Kernel(_) | KcanaryError::Io(_) => {
                exit_code::ENVIRONMENT
            }
        }
    }
}

pub type Result<T, E = KcanaryError> = std::result::Result<T, E>;
