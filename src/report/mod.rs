//! Everything that turns results into something a person or a CI system reads.

pub mod explain;
pub mod export;
pub mod format;
pub mod plot;
pub mod progress;
pub mod table;
