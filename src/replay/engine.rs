//! Sending encoded requests, timing them, grouping the latencies by command kind, and naming
//! the file line of a request the kernel refused.

use super::{ReplayFormat, ReplayKind};
use crate::error::{KcanaryError, Result};
use crate::netlink::{EncodedRequests, KernelError, MessageWriter, NetlinkSocket, SendFailure};
use crate::workload::Measurement;
use std::path::Path;
use std::time::Instant;

/// How to send the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayMode {
    /// One request, one ack, one latency sample per request.
    PerCommand,
    /// As few datagrams as fit; only failures and one ack per datagram come back.
    Batched,
}

impl ReplayMode {
    /// The mode the `batch` option asks for.
    pub fn batched_if(batch: bool) -> ReplayMode {
        if batch {
            ReplayMode::Batched
        } else {
            ReplayMode::PerCommand
        }
    }
}

/// A file's requests, encoded for one session, and where each came from.
pub struct Encoded<K> {
    requests: EncodedRequests,
    /// Per request: its kind and the first file line it carries (a request may carry several
    /// lines, as ipset's coalesced adds do; the kernel's refusal names the first).
    origins: Vec<(K, usize)>,
    /// A bad line after the encoded ones: the tool stops there after sending what precedes
    /// it, so it is reported only when the kernel accepted everything before it.
    then_fails: Option<(usize, String)>,
}

impl<K: ReplayKind> Encoded<K> {
    pub fn with_capacity(requests: usize, bytes_per_request: usize) -> Encoded<K> {
        Encoded {
            requests: EncodedRequests::with_capacity(requests, bytes_per_request),
            origins: Vec::with_capacity(requests),
            then_fails: None,
        }
    }

    /// Appends one request of `kind` from file line `line`, written by `encode(writer, seq)`.
    pub fn push(
        &mut self,
        socket: &mut NetlinkSocket,
        kind: K,
        line: usize,
        encode: impl FnOnce(&mut MessageWriter, u32),
    ) {
        self.requests.push(socket, encode);
        self.origins.push((kind, line));
    }

    /// After the requests, the replay fails at file line `line` for `reason` (a bad line the
    /// tool stops at).
    pub fn then_fail(&mut self, line: usize, reason: String) {
        self.then_fails = Some((line, reason));
    }

    pub fn len(&self) -> usize {
        self.origins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }
}

/// A command the kernel refused (while encoding or sending), with its file line.
#[derive(Debug)]
pub struct Refused<K> {
    pub line: usize,
    pub kind: K,
    pub error: KernelError,
}

impl<K: ReplayKind> Refused<K> {
    /// Bad input at FILE:LINE, the kernel's error name first (what `ipset restore` users grep).
    fn at(self, path: &Path) -> KcanaryError {
        KcanaryError::bad_input(
            path,
            Some(self.line),
            format!(
                "{} (the kernel refused this {})",
                self.error,
                self.kind.name()
            ),
        )
    }
}

/// What one replay measured.
#[derive(Debug)]
pub struct ReplayTimings<K> {
    /// Per-request latencies in ns, by kind in `K::ALL` order (per-command mode only; kinds
    /// without requests are left out).
    pub latency_ns: Vec<(K, Vec<f64>)>,
    pub total_ns: f64,
    pub requests: usize,
}

impl<K: ReplayKind> ReplayTimings<K> {
    /// One latency metric per kind (`<kind>_ns`), then the total as `total_metric`.
    pub fn measurements(&self, total_metric: &'static str) -> Vec<Measurement> {
        let mut out: Vec<Measurement> = self
            .latency_ns
            .iter()
            .map(|(kind, samples)| {
                Measurement::latency_ns(format!("{}_ns", kind.name()), samples.clone())
            })
            .collect();
        out.push(Measurement::total_ns(total_metric, self.total_ns));
        out
    }
}

/// Encodes `lines` for `session` and replays them, stopping at the first command the kernel
/// refuses (as `ipset restore` and `ipvsadm -R` do); that is bad input at FILE:LINE (`path`
/// names the file) with the kernel's error name.
pub fn replay_in_session<F: ReplayFormat>(
    session: &mut F::Session,
    path: &Path,
    lines: &[F::Line],
    mode: ReplayMode,
) -> Result<ReplayTimings<F::Kind>> {
    let mut encoded = F::encode(session, lines).map_err(|refused| refused.at(path))?;
    let timings = send(F::socket(session), &encoded, mode).map_err(|failure| match failure {
        SendFailure::Request { index, error } => {
            let (kind, first_line) = encoded.origins[index];
            let line = F::refused_line(&error).unwrap_or(first_line);
            Refused { line, kind, error }.at(path)
        }
        // Not one request's fault: the socket itself failed.
        SendFailure::Socket(error) => KcanaryError::Kernel(format!("netlink: {error}")),
    })?;
    match encoded.then_fails.take() {
        Some((line, reason)) => Err(KcanaryError::bad_input(path, Some(line), reason)),
        None => Ok(timings),
    }
}

/// Sends and times. Nothing is allocated, formatted or logged between a request and its ack;
/// latencies are grouped by kind only after the last one.
fn send<K: ReplayKind>(
    socket: &mut NetlinkSocket,
    encoded: &Encoded<K>,
    mode: ReplayMode,
) -> std::result::Result<ReplayTimings<K>, SendFailure> {
    let requests = encoded.len();
    match mode {
        ReplayMode::Batched => Ok(ReplayTimings {
            latency_ns: Vec::new(),
            total_ns: encoded.requests.try_batched(socket)?,
            requests,
        }),
        ReplayMode::PerCommand => {
            let started = Instant::now();
            let latencies = encoded.requests.try_one_by_one(socket)?;
            let total_ns = started.elapsed().as_nanos() as f64;
            Ok(ReplayTimings {
                latency_ns: by_kind(&encoded.origins, &latencies),
                total_ns,
                requests,
            })
        }
    }
}

/// The latencies of each kind, in `K::ALL` order, kinds without requests left out.
fn by_kind<K: ReplayKind>(origins: &[(K, usize)], latencies: &[f64]) -> Vec<(K, Vec<f64>)> {
    K::ALL
        .iter()
        .map(|&kind| {
            let samples = origins
                .iter()
                .zip(latencies)
                .filter(|((k, _), _)| *k == kind)
                .map(|(_, &ns)| ns);
            (kind, samples.collect::<Vec<f64>>())
        })
        .filter(|(_, samples)| !samples.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Kind {
        Create,
        Add,
        Swap,
    }

    impl ReplayKind for Kind {
        const ALL: &'static [Kind] = &[Kind::Create, Kind::Add, Kind::Swap];
        fn name(self) -> &'static str {
            match self {
                Kind::Create => "create",
                Kind::Add => "add",
                Kind::Swap => "swap",
            }
        }
    }

    #[test]
    fn latencies_are_grouped_by_kind_in_report_order() {
        let origins = [(Kind::Add, 2), (Kind::Create, 1), (Kind::Add, 3)];
        let grouped = by_kind(&origins, &[20.0, 10.0, 30.0]);
        assert_eq!(
            grouped,
            vec![(Kind::Create, vec![10.0]), (Kind::Add, vec![20.0, 30.0])]
        );
    }

    #[test]
    fn measurements_name_each_kind_and_the_total() {
        let timings = ReplayTimings {
            latency_ns: vec![(Kind::Create, vec![1.0]), (Kind::Swap, vec![2.0, 3.0])],
            total_ns: 6.0,
            requests: 3,
        };
        let names: Vec<String> = timings
            .measurements("replay_total_ns")
            .iter()
            .map(|m| m.metric.to_string())
            .collect();
        assert_eq!(names, ["create_ns", "swap_ns", "replay_total_ns"]);
    }

    #[test]
    fn a_refusal_names_the_line_then_the_kernel_error() {
        let refused = Refused {
            line: 3,
            kind: Kind::Swap,
            error: KernelError::new(4102, crate::ipset::errors::ipset_error_name, None),
        };
        let message = refused.at(Path::new("dup.restore")).to_string();
        assert!(
            message.starts_with("dup.restore:3: IPSET_ERR_TYPE_MISMATCH"),
            "{message}"
        );
        assert!(
            message.ends_with("(the kernel refused this swap)"),
            "{message}"
        );
    }
}
