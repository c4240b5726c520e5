//! Typed workload parameters, validated against each workload's declared list so that a typo
//! in a scenario file is an error naming the file, not a silently ignored knob.

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Integer,
    Text,
    Boolean,
    Float,
}

/// A parameter a workload accepts.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    /// Which values are valid beyond the kind; checked when a scenario or `--set` gives one,
    /// so a value the workload cannot use is bad input before any kernel work.
    pub accepts: Accepts,
    /// The default as TOML text ("1000", "\"hash:ip\"", "true").
    pub default: &'static str,
    pub help: &'static str,
}

/// The values a parameter accepts, beyond its kind.
#[derive(Debug, Clone, Copy)]
pub enum Accepts {
    /// Any value of the kind (integers: any non-negative one).
    Any,
    /// An integer in `min..=max`. The maximum keeps counts to what the kernel can hold and
    /// what fits in memory: a typo of a few digits must not end in an allocation abort.
    Range { min: i64, max: i64 },
    /// A text the function accepts; its error says why not.
    Text(fn(&str) -> Result<(), String>),
}

/// The kernel's hard limit on ipsets per network namespace (65,535 in the uapi type,
/// 65,472 in practice: the table grows 64 slots at a time).
pub const MAX_IPSETS: i64 = 65_472;

/// A sane maximum for elements or objects created per set or per run: 16 Mi. The kernel's
/// default `maxelem` is 65,536; a hash set can be created with more, but tens of millions of
/// entries cost gigabytes in the kernel and in the encoded requests.
pub const MAX_ELEMENTS: i64 = 16 * 1024 * 1024;

/// A sane maximum for real servers behind one IPVS service.
pub const MAX_DESTS_PER_SERVICE: i64 = 10_000;

/// Memory cgroups are numbered in a 16-bit id space (65,535 ids, shared by live and dying
/// ones, and the platform keeps some of its own): more would fail midway.
pub const MAX_MEMCGS: i64 = 60_000;

/// A sane maximum for repeated operations within one repetition (swaps, look-ups, dumps).
pub const MAX_OPERATIONS: i64 = 100_000_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    Integer(i64),
    Text(String),
    Boolean(bool),
    Float(f64),
}

/// Resolved parameters: every declared one present, with the scenario's value or the default.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: BTreeMap<String, ParamValue>,
}

impl Params {
    /// Checks `given` against `specs` and fills in defaults. Errors are sentences that the
    /// caller prefixes with the file location.
    pub fn resolve(specs: &[ParamSpec], given: &toml::Table) -> Result<Params, String> {
        let mut values = BTreeMap::new();
        for key in given.keys() {
            if !specs.iter().any(|s| s.name == key) {
                let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
                return Err(format!(
                    "unknown parameter '{key}' (known: {})",
                    known.join(", ")
                ));
            }
        }
        for spec in specs {
            let value = match given.get(spec.name) {
                Some(v) => convert(spec, v)?,
                None => {
                    let parsed: toml::Table = toml::from_str(&format!("v = {}", spec.default))
                        .map_err(|e| format!("bad default for {}: {e}", spec.name))?;
                    convert(spec, &parsed["v"])?
                }
            };
            values.insert(spec.name.to_string(), value);
        }
        Ok(Params { values })
    }

    /// Overrides one value (used by `--set name=value` and by the benches).
    pub fn set(&mut self, name: &str, value: ParamValue) {
        self.values.insert(name.to_string(), value);
    }

    /// Overrides `name` from command-line text (parsed as a TOML value and type-checked).
    /// Returns false when the workload has no such parameter.
    pub fn override_from_text(
        &mut self,
        specs: &[ParamSpec],
        name: &str,
        text: &str,
    ) -> Result<bool, String> {
        let Some(spec) = specs.iter().find(|s| s.name == name) else {
            return Ok(false);
        };
        let value = match toml::from_str::<toml::Table>(&format!("v = {text}")) {
            Ok(table) => table["v"].clone(),
            // Digits TOML cannot hold (beyond i64) are a number out of range, not a string.
            Err(_) if is_decimal_integer(text) && spec.kind == ParamKind::Integer => {
                return Err(out_of_range(spec, text));
            }
            Err(_) => toml::Value::String(text.to_string()),
        };
        self.values.insert(name.to_string(), convert(spec, &value)?);
        Ok(true)
    }

    // The getters below are how a workload's typed config reads its parameters, once, in its
    // `from_params`. A name the workload never declared, or read as the wrong kind, is an
    // error rather than a panic: scenario validation calls `Workload::check`, which reads
    // them all, so such a bug fails before any kernel work (and in `cargo test`, which checks
    // every workload's defaults).

    /// A declared integer (declared integers are never negative).
    pub fn u64(&self, name: &str) -> Result<u64, String> {
        match self.value(name)? {
            ParamValue::Integer(v) => Ok((*v).max(0) as u64),
            other => Err(wrong_kind(name, "an integer", other)),
        }
    }

    pub fn usize(&self, name: &str) -> Result<usize, String> {
        self.u64(name).map(|v| v as usize)
    }

    pub fn text(&self, name: &str) -> Result<&str, String> {
        match self.value(name)? {
            ParamValue::Text(v) => Ok(v),
            other => Err(wrong_kind(name, "a text", other)),
        }
    }

    pub fn boolean(&self, name: &str) -> Result<bool, String> {
        match self.value(name)? {
            ParamValue::Boolean(v) => Ok(*v),
            other => Err(wrong_kind(name, "a boolean", other)),
        }
    }

    /// A declared float; an integer value is accepted as the same number.
    pub fn float(&self, name: &str) -> Result<f64, String> {
        match self.value(name)? {
            ParamValue::Float(v) => Ok(*v),
            ParamValue::Integer(v) => Ok(*v as f64),
            other => Err(wrong_kind(name, "a float", other)),
        }
    }

    fn value(&self, name: &str) -> Result<&ParamValue, String> {
        self.values.get(name).ok_or_else(|| {
            let declared: Vec<&str> = self.values.keys().map(String::as_str).collect();
            format!(
                "parameter '{name}' is read but not declared (declared: {})",
                declared.join(", ")
            )
        })
    }

    /// The values as JSON, recorded with every metric.
    pub fn to_json(&self) -> BTreeMap<String, serde_json::Value> {
        self.values
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
                )
            })
            .collect()
    }
}

/// The error of a getter that reads a parameter as a kind it is not declared as.
fn wrong_kind(name: &str, read_as: &str, value: &ParamValue) -> String {
    let declared_as = match value {
        ParamValue::Integer(_) => "an integer",
        ParamValue::Text(_) => "a text",
        ParamValue::Boolean(_) => "a boolean",
        ParamValue::Float(_) => "a float",
    };
    format!("parameter '{name}' is read as {read_as} but declared as {declared_as}")
}

fn convert(spec: &ParamSpec, value: &toml::Value) -> Result<ParamValue, String> {
    let wrong = |expected: &str| {
        format!(
            "parameter '{}' must be {expected}, found {}",
            spec.name,
            value.type_str()
        )
    };
    let converted = match (spec.kind, value) {
        (ParamKind::Integer, toml::Value::Integer(v)) if *v >= 0 => Ok(ParamValue::Integer(*v)),
        (ParamKind::Integer, toml::Value::Integer(v)) => Err(format!(
            "parameter '{}' must not be negative, found {v}",
            spec.name
        )),
        (ParamKind::Integer, _) => Err(wrong("an integer")),
        (ParamKind::Text, toml::Value::String(v)) => Ok(ParamValue::Text(v.clone())),
        (ParamKind::Text, _) => Err(wrong("a string")),
        (ParamKind::Boolean, toml::Value::Boolean(v)) => Ok(ParamValue::Boolean(*v)),
        (ParamKind::Boolean, _) => Err(wrong("true or false")),
        (ParamKind::Float, toml::Value::Float(v)) => Ok(ParamValue::Float(*v)),
        (ParamKind::Float, toml::Value::Integer(v)) => Ok(ParamValue::Float(*v as f64)),
        (ParamKind::Float, _) => Err(wrong("a number")),
    }?;
    check_accepted(spec, &converted)?;
    Ok(converted)
}

fn is_decimal_integer(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn out_of_range(spec: &ParamSpec, found: &str) -> String {
    match spec.accepts {
        Accepts::Range { min, max } => format!(
            "parameter '{}' must be between {min} and {max}, found {found}",
            spec.name
        ),
        _ => format!(
            "parameter '{}' must be an integer that fits in 64 bits, found {found}",
            spec.name
        ),
    }
}

fn check_accepted(spec: &ParamSpec, value: &ParamValue) -> Result<(), String> {
    match (spec.accepts, value) {
        (Accepts::Range { min, max }, ParamValue::Integer(v)) if !(min..=max).contains(v) => {
            Err(out_of_range(spec, &v.to_string()))
        }
        (Accepts::Text(check), ParamValue::Text(v)) => {
            check(v).map_err(|why| format!("parameter '{}': {why}", spec.name))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec {
            name: "sets",
            kind: ParamKind::Integer,
            accepts: Accepts::Range {
                min: 1,
                max: MAX_IPSETS,
            },
            default: "100",
            help: "",
        },
        ParamSpec {
            name: "set_type",
            kind: ParamKind::Text,
            accepts: Accepts::Any,
            default: "\"hash:ip\"",
            help: "",
        },
    ];

    #[test]
    fn defaults_fill_in_and_values_override() {
        let given: toml::Table = toml::from_str("sets = 5").unwrap();
        let p = Params::resolve(SPECS, &given).unwrap();
        assert_eq!(p.u64("sets"), Ok(5));
        assert_eq!(p.text("set_type"), Ok("hash:ip"));
    }

    #[test]
    fn reading_an_undeclared_or_mistyped_name_is_an_error_not_a_panic() {
        let p = Params::resolve(SPECS, &toml::Table::new()).unwrap();
        assert_eq!(
            p.usize("setz").unwrap_err(),
            "parameter 'setz' is read but not declared (declared: set_type, sets)"
        );
        assert_eq!(
            p.boolean("sets").unwrap_err(),
            "parameter 'sets' is read as a boolean but declared as an integer"
        );
    }

    #[test]
    fn unknown_and_mistyped_parameters_are_rejected() {
        let given: toml::Table = toml::from_str("setz = 5").unwrap();
        assert!(
            Params::resolve(SPECS, &given)
                .unwrap_err()
                .contains("unknown parameter 'setz'")
        );
        let given: toml::Table = toml::from_str("sets = \"many\"").unwrap();
        assert!(
            Params::resolve(SPECS, &given)
                .unwrap_err()
                .contains("must be an integer")
        );
    }

    #[test]
    fn values_outside_the_accepted_range_are_rejected() {
        let given: toml::Table = toml::from_str("sets = 99999999999").unwrap();
        assert_eq!(
            Params::resolve(SPECS, &given).unwrap_err(),
            "parameter 'sets' must be between 1 and 65472, found 99999999999"
        );
        let given: toml::Table = toml::from_str("sets = 0").unwrap();
        assert!(Params::resolve(SPECS, &given).is_err());
    }

    #[test]
    fn a_set_value_too_large_for_any_integer_is_out_of_range_not_a_string() {
        let mut p = Params::resolve(SPECS, &toml::Table::new()).unwrap();
        let error = p
            .override_from_text(SPECS, "sets", "99999999999999999999")
            .unwrap_err();
        assert_eq!(
            error,
            "parameter 'sets' must be between 1 and 65472, found 99999999999999999999"
        );
        // A word that is no number at all is still a wrong type.
        let error = p.override_from_text(SPECS, "sets", "many").unwrap_err();
        assert!(
            error.contains("must be an integer, found string"),
            "{error}"
        );
    }
}
