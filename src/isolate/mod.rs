//! Keeping the host untouched: every netlink workload runs in a network namespace kcanary
//! creates, and unprivileged users get a user namespace instead of sudo.

pub mod netns;
pub mod privileges;
