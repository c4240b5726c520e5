//! Estimates and tests on the repetition values of a metric. Pure arithmetic: no I/O, no
//! kernel, no knowledge of results files beyond `MetricResult`. The method is documented in
//! `docs/gate.md`.

pub mod bootstrap;
pub mod change_point;
pub mod detectable;
pub mod log2_histogram;
pub mod mann_whitney;
pub mod normal;
pub mod repetition;
pub mod rng;

pub use bootstrap::{RatioInterval, difference_of_medians_interval, ratio_of_medians_interval};
pub use log2_histogram::Log2Histogram;
pub use mann_whitney::{RankTest, rank_test};
pub use repetition::repetition_values;
pub use rng::SplitMix64;
