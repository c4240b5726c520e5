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
    without_repeats(chosen)
}

/// A scenario named twice (`run X X`, or `all` plus a name) runs once: two entries with one
/// name would make one results file hold two answers to one question. Two *different*
/// scenarios with one name (a file named like a built-in) are an error: which one the
/// results mean would be a guess.
fn without_repeats(chosen: Vec<Scenario>) -> Result<Vec<Scenario>> {
    let mut kept: Vec<Scenario> = Vec::with_capacity(chosen.len());
    for scenario in chosen {
        match kept.iter().find(|k| k.name == scenario.name) {
            None => kept.push(scenario),
            Some(earlier) if earlier.source == scenario.source => {}
            Some(earlier) => {
                return Err(KcanaryError::Usage(format!(
                    "two scenarios are named '{}' ({} and {}): rename one",
                    scenario.name,
                    earlier.source.display(),
                    scenario.source.display()
                )));
            }
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(words: &[&str]) -> Vec<String> {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        resolve(&words)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    #[test]
    fn a_scenario_named_twice_runs_once() {
        assert_eq!(names(&["ipset-list", "ipset-list"]), ["ipset-list"]);
        let all = names(&["all"]);
        assert_eq!(names(&["all", "ipset-list"]), all);
        assert_eq!(names(&["ipset-list", "all"]).len(), all.len());
    }
}
