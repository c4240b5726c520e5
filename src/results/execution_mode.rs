//! Where a run's kernel executed. Timings of different modes differ by design (TCG is ~10x
//! slower per syscall than KVM; icount replaces wall time with instruction counts), so the
//! mode is part of every results file and the gate never compares across modes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Serialised as the strings results files have always carried: `host`, `qemu-tcg`,
/// `qemu-tcg-icount`, `qemu-kvm`.
///
/// A mode this kcanary does not know (a file written by a later version) is kept as
/// `Other` instead of refusing the file: it round-trips unchanged, compares equal only to
/// the same string, and gets the wall-clock defaults. Equality goes by the string, so an
/// `Other("host")` built by hand still equals `Host`.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum ExecutionMode {
    /// The machine kcanary runs on (`kcanary run`).
    #[default]
    Host,
    /// QEMU with TCG, software emulation.
    QemuTcg,
    /// QEMU with TCG and `-icount shift=0,sleep=off`: guest time follows executed
    /// instructions (`--deterministic`).
    QemuTcgIcount,
    /// QEMU with KVM.
    QemuKvm,
    /// A mode named by a results file that this version does not know.
    Other(String),
}

impl ExecutionMode {
    const KNOWN: [ExecutionMode; 4] = [
        ExecutionMode::Host,
        ExecutionMode::QemuTcg,
        ExecutionMode::QemuTcgIcount,
        ExecutionMode::QemuKvm,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            ExecutionMode::Host => "host",
            ExecutionMode::QemuTcg => "qemu-tcg",
            ExecutionMode::QemuTcgIcount => "qemu-tcg-icount",
            ExecutionMode::QemuKvm => "qemu-kvm",
            ExecutionMode::Other(name) => name,
        }
    }

    /// True when timings are instruction-counted rather than wall time.
    pub fn is_deterministic(&self) -> bool {
        *self == ExecutionMode::QemuTcgIcount
    }
}

impl From<&str> for ExecutionMode {
    fn from(name: &str) -> ExecutionMode {
        ExecutionMode::KNOWN
            .into_iter()
            .find(|mode| mode.as_str() == name)
            .unwrap_or_else(|| ExecutionMode::Other(name.to_string()))
    }
}

impl std::str::FromStr for ExecutionMode {
    type Err = std::convert::Infallible;

    fn from_str(name: &str) -> Result<ExecutionMode, Self::Err> {
        Ok(ExecutionMode::from(name))
    }
}

impl PartialEq for ExecutionMode {
    fn eq(&self, other: &ExecutionMode) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ExecutionMode {}

impl PartialEq<str> for ExecutionMode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ExecutionMode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for ExecutionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ExecutionMode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ExecutionMode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ExecutionMode, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(ExecutionMode::from(name.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_modes_keep_their_strings_both_ways() {
        for (mode, name) in [
            (ExecutionMode::Host, "host"),
            (ExecutionMode::QemuTcg, "qemu-tcg"),
            (ExecutionMode::QemuTcgIcount, "qemu-tcg-icount"),
            (ExecutionMode::QemuKvm, "qemu-kvm"),
        ] {
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            let back: ExecutionMode = serde_json::from_str(&json).unwrap();
            assert!(!matches!(back, ExecutionMode::Other(_)), "{name}");
            assert_eq!(back, mode);
        }
    }

    #[test]
    fn an_unknown_mode_is_kept_and_compared_by_name() {
        let mode: ExecutionMode = serde_json::from_str("\"qemu-hvf\"").unwrap();
        assert_eq!(mode, ExecutionMode::Other("qemu-hvf".into()));
        assert_eq!(serde_json::to_string(&mode).unwrap(), "\"qemu-hvf\"");
        assert_ne!(mode, ExecutionMode::QemuTcg);
        assert!(!mode.is_deterministic());
        // Built by hand with a known name, it is still that mode.
        assert_eq!(ExecutionMode::Other("host".into()), ExecutionMode::Host);
    }
}
