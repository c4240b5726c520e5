//! The `ipset save` / `ipset restore` file format: one command per line (`create`, `add`,
//! `del`, `test`, `swap`, `flush`, `destroy`, `rename`, in both ipset syntaxes, `-exist`, `COMMIT`).
//! Parsing checks everything the kernel would otherwise reject late, and every error names
//! FILE:LINE.

mod words;

use super::element::{CreateOptions, Element};
use super::protocol::IPSET_MAXNAMELEN;
use super::set_type::SetType;
use crate::error::{KcanaryError, Result};
use std::collections::HashMap;
use std::path::Path;
pub use words::option_name;
use words::{Verb, split, take_session_options};

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
    /// `test`: the kernel answers whether the element is in the set; `ipset restore` ends
    /// after it either way.
    Test {
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
            RestoreCommand::Test { .. } => CommandKind::Test,
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
    Test,
    Swap,
    Rename,
    Flush,
    Destroy,
}

impl CommandKind {
    pub const ALL: [CommandKind; 8] = [
        CommandKind::Create,
        CommandKind::Add,
        CommandKind::Del,
        CommandKind::Test,
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
            CommandKind::Test => "test",
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
    /// A COMMIT line came since the previous command: ipset sent its pending add/del run
    /// there, so this line starts a new one.
    pub after_commit: bool,
}

/// A file as `ipset restore` would run it: the lines it sends, and the parse error it stops
/// at (if any). `ipset restore` executes every line before the first bad one, except the run
/// of adds/dels still waiting to be sent with it, so `lines` leaves that run out.
#[derive(Debug)]
pub struct RestoreScript {
    pub lines: Vec<RestoreLine>,
    /// The bad line and why.
    pub error: Option<(usize, String)>,
}

/// What we know of a set while reading the file.
#[derive(Debug, Clone)]
struct SetInfo {
    set_type: SetType,
    family: u8,
}

/// Parses restore text, failing at the first bad line; `path` only names the source in errors.
pub fn parse(path: &Path, text: &str, exist_everywhere: bool) -> Result<Vec<RestoreLine>> {
    let script = parse_script(text, exist_everywhere);
    match script.error {
        Some((line, message)) => Err(KcanaryError::bad_input(path, Some(line), message)),
        None => Ok(script.lines),
    }
}

/// Parses restore text the way `ipset restore` 7.17 reads it. Set types are tracked through
/// create/rename/swap/destroy so every element can be checked against its set's type. Reading
/// stops after a `test` line or a line ipset warns about (ipset exits 0 there), and at a `quit`.
pub fn parse_script(text: &str, exist_everywhere: bool) -> RestoreScript {
    let mut sets: HashMap<String, SetInfo> = HashMap::new();
    let mut lines = Vec::new();
    let mut exist = exist_everywhere;
    // The add/del run ipset still holds unsent: (index in `lines`, command, set).
    let mut pending_run: Option<(usize, Verb, String)> = None;
    let mut after_commit = false;
    let segments: Vec<&str> = text.split('\n').collect();
    for (index, raw) in segments.iter().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // ipset takes COMMIT only as a whole line with its line end.
        let has_line_end = index + 1 < segments.len();
        if has_line_end && trimmed.trim_end_matches('\r') == "COMMIT" {
            pending_run = None;
            after_commit = true;
            continue;
        }
        let parsed = split(trimmed).and_then(|mut words| {
            let options = take_session_options(&mut words)?;
            exist |= options.exist;
            parse_command(&words, &mut sets)
        });
        let (command, end) = match parsed {
            Ok(parsed) => parsed,
            Err(message) => {
                if let Some((start, _, _)) = pending_run {
                    lines.truncate(start);
                }
                return RestoreScript {
                    lines,
                    error: Some((line, message)),
                };
            }
        };
        let Some(command) = command else {
            break;
        };
        pending_run = match (&command, pending_run) {
            (RestoreCommand::Add { set, .. } | RestoreCommand::Del { set, .. }, run) => {
                let verb = if matches!(command, RestoreCommand::Add { .. }) {
                    Verb::Add
                } else {
                    Verb::Del
                };
                match run {
                    Some((start, v, s)) if v == verb && &s == set => Some((start, v, s)),
                    _ => Some((lines.len(), verb, set.clone())),
                }
            }
            _ => None,
        };
        lines.push(RestoreLine {
            line,
            command,
            exist,
            after_commit: std::mem::take(&mut after_commit),
        });
        if end == LineEnd::StopsRestore {
            break;
        }
    }
    RestoreScript { lines, error: None }
}

/// Whether `ipset restore` goes on after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineEnd {
    Continues,
    /// A `test`, or a warning: ipset prints it and exits 0 after running the line.
    StopsRestore,
}

type Parsed = (Option<RestoreCommand>, LineEnd);

/// One line's command (without session options); `None` for lines that send nothing
/// (`list`, `save`, which only check their set, and `quit`, which ends the restore).
fn parse_command(
    words: &[String],
    sets: &mut HashMap<String, SetInfo>,
) -> std::result::Result<Parsed, String> {
    let Some(first) = words.first() else {
        return Err("no command on the line".into());
    };
    let verb = Verb::find(first).ok_or_else(|| {
        format!(
            "unknown command '{first}' (expected create, add, del, test, swap, rename, flush, destroy or COMMIT)"
        )
    })?;
    let args = Args {
        command: first,
        words: &words[1..],
    };
    match verb {
        Verb::Create => create_line(args, sets),
        Verb::Add | Verb::Del | Verb::Test => element_line(verb, args, sets),
        Verb::Swap | Verb::Rename | Verb::Flush | Verb::Destroy => {
            Ok((Some(set_line(verb, args, sets)?), LineEnd::Continues))
        }
        Verb::List | Verb::Save => {
            if let Some(set) = args.words.first() {
                info_of(sets, set)?;
            }
            args.no_more_than(1)?;
            Ok((None, LineEnd::Continues))
        }
        Verb::Quit => Ok((None, LineEnd::StopsRestore)),
        Verb::Restore | Verb::Help | Verb::Version => {
            Err(format!("command '{first}' is invalid in restore mode"))
        }
    }
}

/// The words after the command word.
#[derive(Clone, Copy)]
struct Args<'a> {
    command: &'a str,
    words: &'a [String],
}

impl Args<'_> {
    fn at_least(self, count: usize, usage: &str) -> std::result::Result<(), String> {
        if self.words.len() < count {
            return Err(format!("'{}' needs {usage}", self.command));
        }
        Ok(())
    }

    fn no_more_than(self, count: usize) -> std::result::Result<(), String> {
        match self.words.get(count) {
            Some(word) => Err(format!("unknown argument '{word}'")),
            None => Ok(()),
        }
    }
}

fn info_of(sets: &HashMap<String, SetInfo>, set: &str) -> std::result::Result<SetInfo, String> {
    sets.get(set).cloned().ok_or_else(|| {
        format!("set '{set}' does not exist (it is not created earlier in this file)")
    })
}

/// `create NAME TYPE [OPTIONS]`; a warning about the options ends the restore after it.
fn create_line(
    args: Args,
    sets: &mut HashMap<String, SetInfo>,
) -> std::result::Result<Parsed, String> {
    args.at_least(2, "a set name and a type, e.g. 'create NAME hash:ip'")?;
    let set = checked_name(&args.words[0])?;
    let set_type = SetType::parse(&args.words[1])?;
    let parsed = CreateOptions::parse(&set_type, &args.words[2..])?;
    sets.entry(set.clone()).or_insert_with(|| SetInfo {
        set_type: set_type.clone(),
        family: parsed.options.family,
    });
    let end = if parsed.warning.is_some() {
        LineEnd::StopsRestore
    } else {
        LineEnd::Continues
    };
    let options = parsed.options;
    Ok((
        Some(RestoreCommand::Create {
            set,
            set_type,
            options,
        }),
        end,
    ))
}

/// `add`, `del` or `test SET ELEMENT [OPTIONS]`, read in the set's type and family; a test
/// ends the restore after it.
fn element_line(
    verb: Verb,
    args: Args,
    sets: &HashMap<String, SetInfo>,
) -> std::result::Result<Parsed, String> {
    args.at_least(2, "a set name and an element")?;
    let set = checked_name(&args.words[0])?;
    let info = info_of(sets, &set)?;
    let element = Element::parse(
        &info.set_type,
        info.family,
        &args.words[1],
        &args.words[2..],
    )?;
    Ok(match verb {
        Verb::Add => (
            Some(RestoreCommand::Add { set, element }),
            LineEnd::Continues,
        ),
        Verb::Del => (
            Some(RestoreCommand::Del { set, element }),
            LineEnd::Continues,
        ),
        _ => (
            Some(RestoreCommand::Test { set, element }),
            LineEnd::StopsRestore,
        ),
    })
}

/// `swap`, `rename`, `flush`, `destroy`, keeping the table of set types up to date.
fn set_line(
    verb: Verb,
    args: Args,
    sets: &mut HashMap<String, SetInfo>,
) -> std::result::Result<RestoreCommand, String> {
    let optional_name = || {
        args.no_more_than(1)?;
        args.words.first().map(|s| checked_name(s)).transpose()
    };
    match verb {
        Verb::Swap => {
            args.at_least(2, "two set names")?;
            args.no_more_than(2)?;
            let (first, second) = (checked_name(&args.words[0])?, checked_name(&args.words[1])?);
            let (a, b) = (info_of(sets, &first)?, info_of(sets, &second)?);
            sets.insert(first.clone(), b);
            sets.insert(second.clone(), a);
            Ok(RestoreCommand::Swap { first, second })
        }
        Verb::Rename => {
            args.at_least(2, "the old and the new set name")?;
            args.no_more_than(2)?;
            let (from, to) = (checked_name(&args.words[0])?, checked_name(&args.words[1])?);
            let info = info_of(sets, &from)?;
            sets.remove(&from);
            sets.insert(to.clone(), info);
            Ok(RestoreCommand::Rename { from, to })
        }
        Verb::Flush => Ok(RestoreCommand::Flush {
            set: optional_name()?,
        }),
        _ => {
            let set = optional_name()?;
            match &set {
                Some(name) => {
                    sets.remove(name);
                }
                None => sets.clear(),
            }
            Ok(RestoreCommand::Destroy { set })
        }
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
    fn exist_sticks_for_the_rest_of_the_session() {
        let lines = parse_text("create A hash:ip\nadd A 1.1.1.1 -!\nadd A 1.1.1.2\n").unwrap();
        assert_eq!(
            lines.iter().map(|l| l.exist).collect::<Vec<_>>(),
            [false, true, true]
        );
    }

    #[test]
    fn a_bad_line_drops_the_run_ipset_still_holds() {
        let script = parse_script(
            "create A hash:ip\nadd B 1\ncreate B hash:ip\nadd A 1.1.1.1\n# c\nadd A 1.1.1.2\nadd A x\n",
            false,
        );
        assert_eq!(script.error.as_ref().map(|e| e.0), Some(2));
        let script = parse_script(
            "create A hash:ip\nadd A 1.1.1.1\n# c\nadd A 1.1.1.2\nadd A x\n",
            false,
        );
        assert_eq!(script.lines.len(), 1, "{:?}", script.lines);
        assert_eq!(script.error.map(|e| e.0), Some(5));
    }

    #[test]
    fn legacy_syntax_test_and_commit() {
        let lines = parse_text(
            "-N test iphash --hashsize 128\n-A test 10.0.0.1\nCOMMIT\na test 10.0.0.2\nt test 10.0.0.1\nadd test bad\n",
        )
        .unwrap();
        assert_eq!(lines.len(), 4, "reading stops after the test line");
        assert!(lines[2].after_commit && !lines[1].after_commit);
        assert_eq!(lines[3].command.kind(), CommandKind::Test);
        assert!(parse_text("create A hash:ip\nCOMMIT").is_err());
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
