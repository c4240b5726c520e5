//! Reading a line-oriented input file (a replay file) exactly once, with bounds.
//!
//! Once, because the input may be a pipe, a FIFO or stdin (`-`): a second open sees nothing
//! (or blocks), so format detection and parsing must share the bytes read here. Bounded,
//! because `kcanary replay /dev/zero` must fail fast instead of growing memory until the
//! allocator aborts.

use crate::error::{KcanaryError, Result};
use std::io::Read;
use std::path::Path;

/// The largest input accepted: 256 MiB. A 65,535-set `ipset save` with thousands of elements
/// per set stays far below this; anything larger is almost surely the wrong file.
pub const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// The longest line accepted: 64 KiB. The longest real command (`create` with every option,
/// or an element with a comment of 255 bytes) is well under 1 KiB.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// What names standard input on the command line.
pub const STDIN_PATH: &str = "-";

const UTF8_BOM: &str = "\u{feff}";

/// Reads `path` (or stdin for `-`) once, within [`MAX_INPUT_BYTES`] and [`MAX_LINE_BYTES`],
/// as UTF-8 with a leading byte-order mark dropped. Errors name the file (and the line for an
/// over-long one) and are bad input.
pub fn read_text_once(path: &Path) -> Result<String> {
    read_file(path, MAX_LINE_BYTES)
}

/// [`read_text_once`] without the line limit, for JSON and TOML documents (criterion writes
/// a whole sample file on one line). Still bounded: `kcanary compare /dev/zero x` fails at
/// [`MAX_INPUT_BYTES`] instead of growing memory until the allocator aborts.
pub fn read_document_once(path: &Path) -> Result<String> {
    read_file(path, usize::MAX)
}

fn read_file(path: &Path, max_line: usize) -> Result<String> {
    let bad = |line: Option<usize>, message: String| KcanaryError::bad_input(path, line, message);
    if path.as_os_str() == STDIN_PATH {
        return read_limited(std::io::stdin().lock(), path, max_line);
    }
    let file = std::fs::File::open(path).map_err(|e| bad(None, format!("cannot read: {e}")))?;
    read_limited(file, path, max_line)
}

/// The reading behind [`read_text_once`], for any reader.
pub fn read_bounded(reader: impl Read, path: &Path) -> Result<String> {
    read_limited(reader, path, MAX_LINE_BYTES)
}

fn read_limited(reader: impl Read, path: &Path, max_line: usize) -> Result<String> {
    let bad = |line: Option<usize>, message: String| KcanaryError::bad_input(path, line, message);
    // One byte over the limit tells "exactly at the limit" from "too large".
    let mut limited = reader.take(MAX_INPUT_BYTES + 1);
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut line = 1usize;
    let mut line_len = 0usize;
    loop {
        let read = match limited.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(bad(None, format!("cannot read: {e}"))),
        };
        // Check line lengths while reading, so a newline-free stream fails after one line's
        // worth of bytes, not after the size limit.
        for &byte in &chunk[..read] {
            if byte == b'\n' {
                line += 1;
                line_len = 0;
            } else {
                line_len += 1;
                if line_len > max_line {
                    return Err(bad(
                        Some(line),
                        format!("line longer than {max_line} bytes (not a replay file?)"),
                    ));
                }
            }
        }
        bytes.extend_from_slice(&chunk[..read]);
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            return Err(bad(
                None,
                format!("input larger than {} MiB", MAX_INPUT_BYTES >> 20),
            ));
        }
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        bad(Some(line), "not UTF-8 text".into())
    })?;
    Ok(match text.strip_prefix(UTF8_BOM) {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_dropped_and_text_kept() {
        let text = read_bounded(&b"\xef\xbb\xbfcreate a hash:ip\n"[..], Path::new("f")).unwrap();
        assert_eq!(text, "create a hash:ip\n");
    }

    #[test]
    fn long_line_names_its_line() {
        let mut input = b"flush\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 1));
        let error = read_bounded(&input[..], Path::new("f")).unwrap_err();
        assert!(error.to_string().starts_with("f:2: line longer"), "{error}");
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let error = read_bounded(&b"flush\n\xff\n"[..], Path::new("f")).unwrap_err();
        assert_eq!(error.to_string(), "f:2: not UTF-8 text");
    }
}
