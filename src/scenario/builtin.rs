//! The scenario library compiled into the binary, and name/file resolution.

use super::overrides::{ScenarioOverrides, apply_overrides};
use super::{Scenario, file::parse_scenario};
use crate::error::{KcanaryError, Result};
use std::path::{Path, PathBuf};

/// (file name, contents) of every scenario shipped in `scenarios/`, listed by build.rs so that
/// adding a file there is all it takes to ship a scenario.
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_scenarios.rs"));

/// The text of a built-in scenario file ("ipset-swap-storm.toml"), for copies a reader can
/// use without kcanary's source.
pub fn builtin_text(file: &str) -> Option<&'static str> {
    BUILTIN
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, text)| *text)
}

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

/// A word naming scenarios on a command line (`run`, `vm`) or in the VM guest's
/// configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioWord {
    /// An existing path, or anything ending in `.toml`: a scenario file.
    File(PathBuf),
    /// `all`: every built-in scenario.
    All,
    /// A built-in scenario's name.
    Name(String),
}

impl ScenarioWord {
    /// A file wins over a name: `./all` or `swap.toml` are files even when a built-in
    /// scenario has that name.
    pub fn parse(word: &str) -> ScenarioWord {
        let path = Path::new(word);
        if path.exists() || word.ends_with(".toml") {
            ScenarioWord::File(path.to_path_buf())
        } else if word == "all" {
            ScenarioWord::All
        } else {
            ScenarioWord::Name(word.to_string())
        }
    }
}

/// What scenario words chose, resolved once: each word with the scenarios it stands for,
/// and every chosen scenario in order with the overrides applied.
pub struct Selection {
    /// Empty when there were no words.
    pub by_word: Vec<(ScenarioWord, Vec<Scenario>)>,
    /// The default suite when there were no words.
    pub scenarios: Vec<Scenario>,
}

/// What `run`, `vm` and the VM guest run: the scenarios `words` name (the default suite
/// for none), with `--repetitions` and `--set` applied.
pub fn select(words: &[String], overrides: &ScenarioOverrides) -> Result<Selection> {
    let by_word = resolve_words(words)?;
    let mut scenarios = if by_word.is_empty() {
        resolve(&[])?
    } else {
        by_word
            .iter()
            .flat_map(|(_, s)| s.iter().cloned())
            .collect()
    };
    apply_overrides(&mut scenarios, overrides)?;
    Ok(Selection { by_word, scenarios })
}

/// Turns command-line words into scenarios, in order. No words means the default suite.
pub fn resolve(words: &[String]) -> Result<Vec<Scenario>> {
    if words.is_empty() {
        return Ok(builtin_scenarios()
            .into_iter()
            .filter(|s| s.in_default_suite())
            .collect());
    }
    Ok(resolve_words(words)?
        .into_iter()
        .flat_map(|(_, scenarios)| scenarios)
        .collect())
}

/// Each word with the scenarios it stands for (no words: none), for callers that need to
/// know which word brought which scenario (the VM runner copies files into the guest).
pub fn resolve_words(words: &[String]) -> Result<Vec<(ScenarioWord, Vec<Scenario>)>> {
    if words.is_empty() {
        // Parsing the built-in library is wasted when nothing names it (`select` then
        // parses the default suite).
        return Ok(Vec::new());
    }
    let library = builtin_scenarios();
    let mut chosen = Vec::new();
    for word in words {
        let word = ScenarioWord::parse(word);
        let scenarios = match &word {
            ScenarioWord::File(path) => vec![super::load_file(path)?],
            ScenarioWord::All => library.clone(),
            ScenarioWord::Name(name) => match library.iter().find(|s| &s.name == name) {
                Some(s) => vec![s.clone()],
                None => {
                    let names: Vec<&str> = library.iter().map(|s| s.name.as_str()).collect();
                    return Err(KcanaryError::Usage(format!(
                        "unknown scenario '{name}': not a file, and not one of: {} (see \
                         `kcanary list`)",
                        names.join(", ")
                    )));
                }
            },
        };
        chosen.push((word, scenarios));
    }
    without_repeats(chosen)
}

/// A scenario named twice (`run X X`, or `all` plus a name) runs once, where it was first
/// named: two entries with one name would make one results file hold two answers to one
/// question. Two *different* scenarios with one name (a file named like a built-in) are an
/// error: which one the results mean would be a guess.
fn without_repeats(
    chosen: Vec<(ScenarioWord, Vec<Scenario>)>,
) -> Result<Vec<(ScenarioWord, Vec<Scenario>)>> {
    let mut kept_names: Vec<(String, PathBuf)> = Vec::new();
    let mut out = Vec::with_capacity(chosen.len());
    for (word, scenarios) in chosen {
        let mut fresh = Vec::with_capacity(scenarios.len());
        for scenario in scenarios {
            match kept_names.iter().find(|(name, _)| *name == scenario.name) {
                None => {
                    kept_names.push((scenario.name.clone(), scenario.source.clone()));
                    fresh.push(scenario);
                }
                Some((_, source)) if *source == scenario.source => {}
                Some((_, source)) => {
                    return Err(KcanaryError::Usage(format!(
                        "two scenarios are named '{}' ({} and {}): rename one",
                        scenario.name,
                        source.display(),
                        scenario.source.display()
                    )));
                }
            }
        }
        out.push((word, fresh));
    }
    Ok(out)
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

    #[test]
    fn words_are_files_all_or_names_and_keep_their_scenarios() {
        assert_eq!(ScenarioWord::parse("all"), ScenarioWord::All);
        assert_eq!(
            ScenarioWord::parse("not-here.toml"),
            ScenarioWord::File("not-here.toml".into())
        );
        assert_eq!(
            ScenarioWord::parse("ipset-create"),
            ScenarioWord::Name("ipset-create".into())
        );
        let library = builtin_scenarios();
        let words = ["ipset-create".to_string(), "all".to_string()];
        let chosen = resolve_words(&words).unwrap();
        assert_eq!(chosen[0].1.len(), 1);
        assert_eq!(chosen[0].1[0].name, "ipset-create");
        // `all` brings every scenario but the one already named.
        assert_eq!(chosen[1].1.len(), library.len() - 1);
        assert_eq!(resolve(&words).unwrap().len(), library.len());
        let Err(error) = resolve_words(&["no-such-scenario".to_string()]) else {
            panic!("an unknown name resolved");
        };
        assert!(
            error
                .to_string()
                .contains("unknown scenario 'no-such-scenario'")
        );
    }
}
