//! The words of one restore line as `ipset restore` 7.17 splits and reads them: whitespace
//! separates words except inside double quotes; session options (`-exist`, `-quiet`, ...) may
//! stand anywhere on the line; a command is any prefix of its name or an alias (`a`, `ad`,
//! `-A`, `--add` all mean add), tried in ipset's order (so `d` is del, not destroy).

/// What the command word of a line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Create,
    Add,
    Del,
    Test,
    Destroy,
    List,
    Save,
    Restore,
    Flush,
    Rename,
    Swap,
    Help,
    Version,
    Quit,
}

/// ipset's command table: names and aliases, in the order prefixes are tried.
const VERBS: &[(Verb, &[&str])] = &[
    (Verb::Create, &["create", "new", "-N"]),
    (Verb::Add, &["add", "-A"]),
    (Verb::Del, &["del", "-D"]),
    (Verb::Test, &["test", "-T"]),
    (Verb::Destroy, &["destroy", "x", "-X"]),
    (Verb::List, &["list", "-L"]),
    (Verb::Save, &["save", "-S"]),
    (Verb::Restore, &["restore", "-R"]),
    (Verb::Flush, &["flush", "-F"]),
    (Verb::Rename, &["rename", "e", "-E"]),
    (Verb::Swap, &["swap", "w", "-W"]),
    (Verb::Help, &["help", "-h", "-H"]),
    (Verb::Version, &["version", "-v", "-V"]),
    (Verb::Quit, &["quit"]),
];

impl Verb {
    /// The command `word` names: a prefix of a name or alias, two leading dashes ignored.
    pub fn find(word: &str) -> Option<Verb> {
        let bare = word.strip_prefix("--").unwrap_or(word);
        if bare.is_empty() || word == "-" {
            return None;
        }
        VERBS
            .iter()
            .find(|(_, names)| names.iter().any(|name| name.starts_with(bare)))
            .map(|(verb, _)| *verb)
    }
}

/// Session options a line may carry anywhere; `-exist` stays on for the rest of the session.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SessionOptions {
    pub exist: bool,
}

/// Removes the session options from `words` (ipset matches them with one or two leading
/// dashes, exactly). Options with a value (`-o MODE`, `-f FILE`) take the next word.
pub fn take_session_options(words: &mut Vec<String>) -> Result<SessionOptions, String> {
    let mut options = SessionOptions::default();
    let mut i = 0;
    while i < words.len() {
        let word = words[i].as_str();
        let bare = word
            .strip_prefix('-')
            .filter(|w| w.starts_with('-'))
            .unwrap_or(word);
        match bare {
            "-!" | "-exist" => options.exist = true,
            "-s" | "-sorted" | "-q" | "-quiet" | "-r" | "-resolve" | "-n" | "-name" | "-t"
            | "-terse" => {}
            "-o" | "-output" | "-f" | "-file" => {
                if i + 1 >= words.len() {
                    return Err(format!("option {word} needs a value"));
                }
                if matches!(bare, "-o" | "-output")
                    && !matches!(words[i + 1].as_str(), "plain" | "save" | "xml")
                {
                    return Err(format!(
                        "unknown output mode '{}' (plain, save or xml)",
                        words[i + 1]
                    ));
                }
                words.remove(i + 1);
            }
            _ => {
                i += 1;
                continue;
            }
        }
        words.remove(i);
    }
    Ok(options)
}

/// Splits a line into words: whitespace outside double quotes separates, quotes are dropped.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    for c in line.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            ' ' | '\t' | '\r' | '\n' if !in_quotes => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if in_quotes {
        return Err("unterminated double quote".into());
    }
    if !current.is_empty() {
        words.push(current);
    }
    Ok(words)
}

/// An option word without its optional two leading dashes (`--timeout` is `timeout`).
pub fn option_name(word: &str) -> &str {
    word.strip_prefix("--").unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_prefixes_in_ipset_order() {
        assert_eq!(Verb::find("a"), Some(Verb::Add));
        assert_eq!(Verb::find("d"), Some(Verb::Del));
        assert_eq!(Verb::find("des"), Some(Verb::Destroy));
        assert_eq!(Verb::find("n"), Some(Verb::Create));
        assert_eq!(Verb::find("-N"), Some(Verb::Create));
        assert_eq!(Verb::find("--add"), Some(Verb::Add));
        assert_eq!(Verb::find("s"), Some(Verb::Save));
        assert_eq!(Verb::find("sw"), Some(Verb::Swap));
        assert_eq!(Verb::find("e"), Some(Verb::Rename));
        assert_eq!(Verb::find("t"), Some(Verb::Test));
        assert_eq!(Verb::find("adx"), None);
        assert_eq!(Verb::find("-"), None);
    }

    #[test]
    fn session_options_anywhere() {
        let mut words = split("-! add A 1.2.3.4 -q --exist").unwrap();
        assert!(take_session_options(&mut words).unwrap().exist);
        assert_eq!(words, ["add", "A", "1.2.3.4"]);
        let mut words = split("add A \"a b\"").unwrap();
        assert!(!take_session_options(&mut words).unwrap().exist);
        assert_eq!(words[2], "a b");
    }
}
