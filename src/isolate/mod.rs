//! Keeping the host untouched: every netlink workload runs in a network namespace kcanary
//! creates, and unprivileged users get a user namespace instead of sudo; a termination signal
//! removes what the run created before the process exits.

pub mod netns;
pub mod privileges;
pub mod signals;
