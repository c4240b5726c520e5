//! ipset over nfnetlink (subsystem 6): protocol constants and messages, kernel error names,
//! the save/restore file format, the SO_IP_SET socket option, and the workloads.

pub mod workloads;
