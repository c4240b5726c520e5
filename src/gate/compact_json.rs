//! Pretty JSON that stays short: arrays of scalars and small flat objects go on one line.
//! A baseline is meant to be read in code review; serde_json's pretty printer spends one
//! line per repetition value and five per histogram bucket. This works on serde_json's
//! pretty output (so field order stays the struct's order) and only joins lines.

/// Flat objects with at most this many fields are written on one line.
const INLINE_OBJECT_FIELDS: usize = 4;

/// Pretty JSON of `value` with short containers joined onto one line.
pub fn to_string<T: serde::Serialize>(value: &T) -> serde_json::Result<String> {
    let pretty = serde_json::to_string_pretty(value)?;
    let mut out = join_short_containers(&pretty);
    out.push('\n');
    Ok(out)
}

fn opens(line: &str) -> bool {
    line.ends_with('[') || line.ends_with('{')
}

fn closes(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with(']') || trimmed.starts_with('}')
}

/// Joins each container whose lines are all scalars. serde_json puts every string on one
/// line with escapes, so a line that ends in `[`/`{` or starts with `]`/`}` (after
/// indentation) is always structure, never string content.
fn join_short_containers(pretty: &str) -> String {
    let lines: Vec<&str> = pretty.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        if opens(line) {
            let items: Vec<&str> = lines[index + 1..]
                .iter()
                .take_while(|l| !opens(l) && !closes(l))
                .copied()
                .collect();
            let close_index = index + 1 + items.len();
            let is_object = line.ends_with('{');
            let short_enough = !is_object || items.len() <= INLINE_OBJECT_FIELDS;
            if close_index < lines.len() && closes(lines[close_index]) && short_enough {
                let inner: Vec<&str> = items.iter().map(|l| l.trim()).collect();
                out.push(format!(
                    "{line}{}{}",
                    inner.join(" "),
                    lines[close_index].trim_start()
                ));
                index = close_index + 1;
                continue;
            }
        }
        out.push(line.to_string());
        index += 1;
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn short_and_still_the_same_json() {
        let value = json!({
            "metrics": [{"values": [1.5, 2.0, 3.25], "buckets": [{"lower": 1.0, "count": 2}], "name": "a\"b ["}],
            "empty": [],
            "settings": {"a": "x", "b": "y", "c": "z", "d": "w", "e": "v"}
        });
        let text = to_string(&value).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
        assert!(text.contains("\"values\": [1.5, 2.0, 3.25]"), "{text}");
        assert!(text.contains("{\"count\": 2, \"lower\": 1.0}"), "{text}");
        assert!(text.contains("\"settings\": {\n"), "{text}");
    }
}
