//! The scenario library compiled into the binary, and name/file resolution.

use super::{Scenario, file::parse_scenario};
use crate::error::{KcanaryError, Result};
use std::path::{Path, PathBuf};

/// (file name, contents) of every scenario shipped in `scenarios/`, listed by build.rs so that
/// adding a file there is all it takes to ship a scenario.
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_scenarios.rs"));

/// Every built-in scenario, parsed. The files are tested, so a parse error here is a bug.
pub fn builtin_scenarios() -> Vec<Scenario> {
    BUILTIN
        .iter()
        .map(|(file, text)| {
            parse_scenario(&PathBuf::from(format!("builtin:{file}")), text)
                .unwrap_or_else(|e| panic!("built-in scenario is invalid: {e}"))
        })
        .collect()
}

/// Turns command-line words into scenarios: an existing path (or anything ending in `.toml`)
/// is loaded as a file, anything else is a built-in name. No words means the default suite.
pub fn resolve(words: &[String]) -> Result<Vec<Scenario>> {
    let library = builtin_scenarios();
    if words.is_empty() {
        return Ok(library
            .into_iter()
            .filter(|s| s.in_default_suite())
            .collect());
    }
    let mut chosen = Vec::new();
    for word in words {
        let path = Path::new(word);
        if path.exists() || word.ends_with(".toml") {
            chosen.push(super::load_file(path)?);
        } else if word == "all" {
            chosen.extend(library.iter().cloned());
        } else if let Some(s) = library.iter().find(|s| &s.name == word) {
            chosen.push(s.clone());
        } else {
            let names: Vec<&str> = library.iter().map(|s| s.name.as_str()).collect();
            return Err(KcanaryError::Usage(format!(
                "unknown scenario '{word}': not a file, and not one of: {} (see `kcanary list`)",
                names.join(", ")
            )));
        }
    }
    Ok(chosen)
}
