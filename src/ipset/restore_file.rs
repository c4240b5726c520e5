//! The `ipset save` / `ipset restore` file format: one command per line (`create`, `add`,
//! `del`, `swap`, `flush`, `destroy`, `rename`, their one-letter forms, `-exist`, `COMMIT`).
//! Parsing checks everything the kernel would otherwise reject late, and every error names
//! FILE:LINE.

use super::element::{CreateOptions, Element};
use super::protocol::IPSET_MAXNAMELEN;
use super::set_type::SetType;
use crate::error::{KcanaryError, Result};
use std::collections::HashMap;
use std::path::Path;

/// One parsed command.
#[derive(Debug, Clone, PartialEq)]
pub enum RestoreCommand {
    Create {
        set: String,
        set_type: SetType,
        options: CreateOptions,
    },
    Add {
        set: String,
        element: Element,
    },
    Del {
        set: String,
        element: Element,
    },
    Swap {
        first: String,
        second: String,
    },
    Rename {
        from: String,
        to: String,
    },
    /// `None` flushes every set.
    Flush {
        set: Option<String>,
    },
    /// `None` destroys every set.
    Destroy {
        set: Option<String>,
    },
}

impl RestoreCommand {
    /// The kind used to group latencies ("create", "add", ...).
    pub fn kind(&self) -> CommandKind {
        match self {
            RestoreCommand::Create { .. } => CommandKind::Create,
            RestoreCommand::Add { .. } => CommandKind::Add,
            RestoreCommand::Del { .. } => CommandKind::Del,
            RestoreCommand::Swap { .. } => CommandKind::Swap,
            RestoreCommand::Rename { .. } => CommandKind::Rename,
            RestoreCommand::Flush { .. } => CommandKind::Flush,
            RestoreCommand::Destroy { .. } => CommandKind::Destroy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CommandKind {
    Create,
    Add,
    Del,
    Swap,
    Rename,
    Flush,
    Destroy,
}

impl CommandKind {
    pub const ALL: [CommandKind; 7] = [
        CommandKind::Create,
        CommandKind::Add,
        CommandKind::Del,
        CommandKind::Swap,
        CommandKind::Rename,
        CommandKind::Flush,
        CommandKind::Destroy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CommandKind::Create => "create",
            CommandKind::Add => "add",
            CommandKind::Del => "del",
            CommandKind::Swap => "swap",
            CommandKind::Rename => "rename",
            CommandKind::Flush => "flush",
            CommandKind::Destroy => "destroy",
        }
    }
}

/// A command with where it came from and whether `-exist` applies.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreLine {
    pub line: usize,
    pub command: RestoreCommand,
    pub exist: bool,
}

/// Parses restore text; `path` only names the source in errors. Set types are tracked through
/// create/rename/swap/destroy so every `add` can be checked against its set's type.
pub fn parse(path: &Path, text: &str, exist_everywhere: bool) -> Result<Vec<RestoreLine>> {
    let mut types: HashMap<String, SetType> = HashMap::new();
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let bad = |message: String| KcanaryError::bad_input(path, Some(line), message);
        let mut words = tokenize(raw).map_err(bad)?;
        let exist_flag = words.iter().any(|w| w == "-exist" || w == "-!");
        words.retain(|w| w != "-exist" && w != "-!");
        let Some(verb) = words.first().cloned() else {
            continue;
        };
        if verb.starts_with('#') {
            continue;
        }
        if verb == "COMMIT" {
            continue;
        }
        let args = &words[1..];
        let command = parse_command(&verb, args, &mut types).map_err(bad)?;
        out.push(RestoreLine {
            line,
            command,
            exist: exist_flag || exist_everywhere,
        });
    }
    Ok(out)
}

fn parse_command(
    verb: &str,
    args: &[String],
    types: &mut HashMap<String, SetType>,
) -> std::result::Result<RestoreCommand, String> {
    let need = |count: usize, usage: &str| {
        if args.len() < count {
            Err(format!("'{verb}' needs {usage}"))
        } else {
            Ok(())
        }
    };
    let set_type_of = |types: &HashMap<String, SetType>, set: &str| {
        types.get(set).cloned().ok_or_else(|| {
            format!("set '{set}' is not created earlier in this file (kcanary needs its type to encode elements)")
        })
    };
    match verb {
        "create" | "-N" | "n" => {
            need(2, "a set name and a type, e.g. 'create NAME hash:ip'")?;
            let set = checked_name(&args[0])?;
            let set_type = SetType::parse(&args[1])?;
            let options = CreateOptions::parse(&set_type, &args[2..])?;
            types.entry(set.clone()).or_insert_with(|| set_type.clone());
            Ok(RestoreCommand::Create {
                set,
                set_type,
                options,
            })
        }
        "add" | "-A" | "a" | "del" | "-D" | "d" => {
            need(2, "a set name and an element")?;
            let set = checked_name(&args[0])?;
            let set_type = set_type_of(types, &set)?;
            let element = Element::parse(&set_type, &args[1], &args[2..])?;
            if matches!(verb, "add" | "-A" | "a") {
                Ok(RestoreCommand::Add { set, element })
            } else {
                Ok(RestoreCommand::Del { set, element })
            }
        }
        "swap" | "-W" | "w" => {
            need(2, "two set names")?;
            let (first, second) = (checked_name(&args[0])?, checked_name(&args[1])?);
            let (a, b) = (set_type_of(types, &first)?, set_type_of(types, &second)?);
            types.insert(first.clone(), b);
            types.insert(second.clone(), a);
            Ok(RestoreCommand::Swap { first, second })
        }
        "rename" | "-E" | "e" => {
            need(2, "the old and the new set name")?;
            let (from, to) = (checked_name(&args[0])?, checked_name(&args[1])?);
            let t = set_type_of(types, &from)?;
            types.remove(&from);
            types.insert(to.clone(), t);
            Ok(RestoreCommand::Rename { from, to })
        }
        "flush" | "-F" | "f" => Ok(RestoreCommand::Flush {
            set: args.first().map(|s| checked_name(s)).transpose()?,
        }),
        "destroy" | "-X" | "x" => {
            let set = args.first().map(|s| checked_name(s)).transpose()?;
            match &set {
                Some(name) => {
                    types.remove(name);
                }
                None => types.clear(),
            }
            Ok(RestoreCommand::Destroy { set })
        }
        other => Err(format!(
            "unknown command '{other}' (expected create, add, del, swap, rename, flush, destroy or COMMIT)"
        )),
    }
}

fn checked_name(name: &str) -> std::result::Result<String, String> {
    if name.is_empty() || name.len() >= IPSET_MAXNAMELEN {
        return Err(format!(
            "set name '{name}' must be 1 to {} bytes long",
            IPSET_MAXNAMELEN - 1
        ));
    }
    Ok(name.to_string())
}

/// Splits on whitespace, keeping double-quoted words (comments) together.
fn tokenize(line: &str) -> std::result::Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let mut has_word = false;
    for c in line.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                has_word = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if has_word {
                    words.push(std::mem::take(&mut current));
                    has_word = false;
                }
            }
            c => {
                current.push(c);
                has_word = true;
            }
        }
    }
    if in_quotes {
        return Err("unterminated double quote".into());
    }
    if has_word {
        words.push(current);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Vec<RestoreLine>> {
        parse(Path::new("test.restore"), text, false)
    }

    #[test]
    fn parses_a_save_file() {
        let text = "create A hash:ip family inet hashsize 1024 maxelem 65536 timeout 0\n\
                    add A 10.0.0.1 timeout 0\n\
                    # a comment\n\
                    \n\
                    create B hash:ip family inet\n\
                    swap A B\n\
                    rename B C -exist\n\
                    add C 10.0.0.2 comment \"two words\"\n\
                    flush\n\
                    destroy C\n\
                    COMMIT\n";
        let lines = parse_text(text).unwrap();
        assert_eq!(lines.len(), 8);
        assert_eq!(lines[1].line, 2);
        assert!(lines[4].exist && !lines[3].exist);
        match &lines[5].command {
            RestoreCommand::Add { element, .. } => {
                assert_eq!(element.comment.as_deref(), Some("two words"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_file_and_line() {
        let err = parse_text("create A hash:ip\nadd A 10.0.0.300\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("test.restore:2: "), "{err}");
        assert!(err.contains("10.0.0.300"), "{err}");
        let err = parse_text("create A hash:ipx\n").unwrap_err().to_string();
        assert!(
            err.starts_with("test.restore:1: ") && err.contains("ipx"),
            "{err}"
        );
        let err = parse_text("add Z 10.0.0.1\n").unwrap_err().to_string();
        assert!(err.contains("not created earlier"), "{err}");
        let err = parse_text("frob A\n").unwrap_err().to_string();
        assert!(err.contains("unknown command 'frob'"), "{err}");
        let err = parse_text("create A hash:ip\nadd A 10.0.0.1 comment \"open\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2: unterminated"), "{err}");
        let long = "x".repeat(40);
        assert!(parse_text(&format!("create {long} hash:ip\n")).is_err());
    }
}
