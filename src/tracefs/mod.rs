//! The kernel's tracing filesystem (tracefs): mounting it privately, the tracers and events a
//! kernel offers, and parsers that turn the text it prints into per-function and per-event
//! figures. Parsers know nothing about workloads or verdicts (`crate::explain` uses them).

pub mod events;
pub mod functions;
pub mod graph;
pub mod mount;

pub use mount::Tracefs;

/// Microseconds as tracefs prints them ("12.345") to nanoseconds; `None` when not a number.
fn us_to_ns(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().map(|us| us * 1000.0)
}
