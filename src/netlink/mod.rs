//! Shared netlink plumbing on netlink-sys and netlink-packet-core: a message writer that
//! encodes into a reused buffer, a socket that matches acks to requests by sequence number
//! and sends batches, and kernel error codes turned into names.

pub mod encoded;
pub mod errno;
pub mod reply;
pub mod socket;
pub mod writer;

pub use encoded::{EncodedRequests, SendFailure};
pub use errno::{KernelError, errno_name};
pub use socket::{BatchOutcome, NetlinkSocket};
pub use writer::MessageWriter;
