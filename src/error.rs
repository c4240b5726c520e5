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
    #[error("{}{}: {}", .file.display(), .line.map(|l| format!(":{l}")).unwrap_or_default(), shorten_long_words(.message))]
    BadInput {
        file: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// A bad command-line value or an unknown name (no file involved).
    #[error("{}", shorten_long_words(.0))]
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

/// Words longer than this are cut in bad-input messages.
const LONGEST_QUOTED_WORD: usize = 120;

/// Bad-input messages quote the user's words ("unknown command 'frobnicate'"); a word of a
/// megabyte (a binary file given as a restore file, a runaway `--set`) would flood the
/// terminal, so every word longer than `LONGEST_QUOTED_WORD` bytes keeps its first 60
/// characters and says how long it was. Done here, where the message is shown, so every
/// parser gets it.
fn shorten_long_words(message: &str) -> std::borrow::Cow<'_, str> {
    if message
        .split_whitespace()
        .all(|word| word.len() <= LONGEST_QUOTED_WORD)
    {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut shortened = String::with_capacity(LONGEST_QUOTED_WORD * 4);
    let mut rest = message;
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        shortened.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        if word.len() > LONGEST_QUOTED_WORD {
            // The quotes around a token stay where they are and are not counted.
            let is_quote = |c: char| c == '\'' || c == '"';
            let token = word.trim_start_matches(is_quote);
            let opening = &word[..word.len() - token.len()];
            let token = token.trim_end_matches(is_quote);
            let closing = &word[opening.len() + token.len()..];
            let head: String = token.chars().take(60).collect();
            shortened.push_str(&format!("{opening}{head}…[{} bytes]{closing}", token.len()));
        } else {
            shortened.push_str(word);
        }
        rest = &rest[end..];
    }
    shortened.push_str(rest);
    std::borrow::Cow::Owned(shortened)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_word_in_a_bad_input_message_is_cut_and_measured() {
        let token = format!("frob{}", "x".repeat(60_000));
        let error = KcanaryError::bad_input(
            Path::new("f"),
            Some(3),
            format!("unknown command '{token}' (expected add)"),
        );
        let shown = error.to_string();
        assert!(shown.len() < 200, "{} bytes: {shown:.300}", shown.len());
        assert!(
            shown.starts_with("f:3: unknown command 'frobxxx"),
            "{shown}"
        );
        assert!(shown.contains("xxx…[60004 bytes]' (expected"), "{shown}");
        assert!(shown.ends_with(" (expected add)"), "{shown}");
    }

    #[test]
    fn ordinary_messages_are_shown_unchanged() {
        let message = "--set swaps=0: parameter 'swaps' must be between 1 and 100000000, found 0";
        assert_eq!(KcanaryError::Usage(message.into()).to_string(), message);
    }
}
