//! What host and guest tell each other: the guest's configuration (a JSON file in the
//! initramfs) and the guest's outcome (JSON written to the second serial port, framed so the
//! host can tell a complete transfer from a truncated or garbled one).
//!
//! Frame: `KCANARY-RESULTS-BEGIN v1 bytes=<n> fnv1a64=<hex>\n<n bytes of JSON>\nKCANARY-RESULTS-END\n`.

use crate::results::{ExecutionMode, RunResults};
use serde::{Deserialize, Serialize};

/// Where the guest finds its configuration in the initramfs.
pub const CONFIG_PATH: &str = "/kcanary/config.json";
/// Where scenario files named on the host command line are copied in the initramfs.
pub const SCENARIO_DIR: &str = "/kcanary/scenarios";
/// Where modules are placed in the initramfs (numbered in load order).
pub const MODULE_DIR: &str = "/kcanary/modules";
/// The console line the guest prints right before the first workload; the host timestamps
/// it to measure boot-to-first-workload time.
pub const WORKLOADS_STARTING: &str = "kcanary-guest: workloads starting";

const BEGIN: &str = "KCANARY-RESULTS-BEGIN v1";
const END: &str = "KCANARY-RESULTS-END";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GuestConfig {
    /// Scenario words for `scenario::resolve` (files already rewritten to initramfs paths).
    pub scenarios: Vec<String>,
    /// Recorded in the results' environment.
    pub execution_mode: ExecutionMode,
    /// Module files in the initramfs, in load order.
    pub modules: Vec<String>,
    pub overrides: ScenarioOverrides,
    /// Hide `/proc/self/uid_map` and its siblings before running (`vm::hide_user_ns`).
    #[serde(default)]
    pub hide_user_namespaces: bool,
    /// Trace one more repetition of each scenario after the measured ones (`crate::explain`).
    #[serde(default)]
    pub explain: bool,
}

/// `--repetitions` and `--set NAME=VALUE` from the host command line travel to the guest,
/// which applies them to the scenarios it resolves (the host applies them too, to reject
/// typos before booting).
pub use crate::scenario::overrides::ScenarioOverrides;

/// A module the guest could not load.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModuleFailure {
    pub module: String,
    pub error: String,
}

/// Everything the guest reports back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GuestOutcome {
    pub results: Option<RunResults>,
    /// Why there are no results (a kernel error, a bad scenario, a panic in kcanary).
    pub error: Option<String>,
    pub module_failures: Vec<ModuleFailure>,
    /// Guest uptime (seconds, guest clock) when init started and when the first workload did.
    pub uptime_at_init_s: f64,
    pub uptime_at_workloads_s: Option<f64>,
    /// The traced repetitions' attributions (with `explain`), apart from `results`.
    #[serde(default)]
    pub attributions: Vec<crate::explain::Attribution>,
}

/// FNV-1a, 64 bit: a few lines, enough to catch a garbled or truncated transfer.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Frames a payload for the serial port.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "\n{BEGIN} bytes={} fnv1a64={:016x}\n",
        payload.len(),
        fnv1a64(payload)
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out.extend_from_slice(format!("\n{END}\n").as_bytes());
    out
}

/// Finds and checks the framed payload in what the serial port captured.
pub fn unframe(captured: &[u8]) -> Result<&[u8], String> {
    let begin =
        find(captured, BEGIN.as_bytes()).ok_or("the guest sent no results (no begin marker)")?;
    let header_end =
        begin + find(&captured[begin..], b"\n").ok_or("the results header is cut off")?;
    let header = String::from_utf8_lossy(&captured[begin + BEGIN.len()..header_end]).into_owned();
    let field = |name: &str| {
        header
            .split_whitespace()
            .find_map(|f| f.strip_prefix(name))
            .ok_or_else(|| format!("results header '{header}' has no {name}"))
    };
    let length: usize = field("bytes=")?
        .parse()
        .map_err(|_| format!("bad length in '{header}'"))?;
    let checksum = u64::from_str_radix(field("fnv1a64=")?, 16)
        .map_err(|_| format!("bad checksum in '{header}'"))?;
    let start = header_end + 1;
    let payload = captured.get(start..start + length).ok_or_else(|| {
        format!(
            "results cut off: {} of {length} bytes arrived",
            captured.len() - start
        )
    })?;
    if fnv1a64(payload) != checksum {
        return Err("results garbled: checksum mismatch".into());
    }
    let rest = &captured[start + length..];
    if !rest.starts_with(format!("\n{END}").as_bytes()) {
        return Err("results end marker missing".into());
    }
    Ok(payload)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trip_with_noise_around() {
        let payload = br#"{"results":null,"note":"line\nbreak"}"#;
        let mut captured = b"boot noise\r\n".to_vec();
        captured.extend(frame(payload));
        captured.extend(b"trailing");
        assert_eq!(unframe(&captured).unwrap(), payload);
    }

    #[test]
    fn truncated_and_garbled_transfers_are_named() {
        let framed = frame(b"0123456789");
        let cut = &framed[..framed.len() - 25];
        assert!(unframe(cut).unwrap_err().contains("cut off: 6 of 10 bytes"));
        let no_end = &framed[..framed.len() - 10];
        assert!(unframe(no_end).unwrap_err().contains("end marker missing"));
        let mut garbled = framed.clone();
        let at = garbled.iter().position(|&b| b == b'5').unwrap();
        garbled[at] = b'X';
        assert!(unframe(&garbled).unwrap_err().contains("checksum"));
        assert!(
            unframe(b"nothing here")
                .unwrap_err()
                .contains("no begin marker")
        );
    }

    #[test]
    fn fnv_matches_reference_values() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
    }
}
