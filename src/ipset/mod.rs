//! ipset over nfnetlink (subsystem 6): protocol constants and messages, kernel error names,
//! the save/restore file format, the SO_IP_SET socket option, and the workloads.

pub mod available;
pub mod client;
pub mod create_options;
pub mod dump;
pub mod element;
pub mod errors;
pub mod message;
pub mod protocol;
pub mod restore_file;
pub mod set_type;
pub mod sockopt;
mod values;
pub mod workloads;

pub use client::IpsetSession;
pub mod kube_router;
pub mod names;
pub mod replay;
