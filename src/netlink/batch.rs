//! Sending many requests in as few datagrams as the socket allows.

use super::errno::KernelError;
use super::socket::NetlinkSocket;
use super::writer::MessageWriter;
use netlink_packet_core::NLM_F_ACK;

/// Sends `count` requests, encoded by `encode(index, writer, sequence)` without `NLM_F_ACK`,
/// packed into datagrams no larger than the socket accepts. The last request of each
/// datagram gets `NLM_F_ACK` so we know when the kernel is done with it. Returns the failed
/// requests as (index, error); the kernel goes on after a failure, as `ipset restore` does not.
pub fn send_batched(
    socket: &mut NetlinkSocket,
    writer: &mut MessageWriter,
    count: usize,
    mut encode: impl FnMut(usize, &mut MessageWriter, u32),
) -> Result<Vec<(usize, KernelError)>, KernelError> {
    let limit = socket.max_batch_bytes();
    let mut failures = Vec::new();
    let mut index = 0;
    while index < count {
        writer.clear();
        let first_index = index;
        let first_sequence = socket.next_sequence();
        let mut sequence = first_sequence;
        let mut last_start = 0;
        while index < count {
            let before = writer.len();
            encode(index, writer, sequence);
            if writer.len() > limit && index > first_index {
                writer.truncate(before);
                break;
            }
            last_start = before;
            index += 1;
            if index < count {
                sequence = socket.next_sequence();
            }
        }
        // Sequence numbers inside one datagram are consecutive (a request that did not fit
        // leaves its number unused).
        let last_sequence = first_sequence.wrapping_add((index - first_index - 1) as u32);
        writer.add_flags(last_start, NLM_F_ACK);
        let outcome = socket.batch(writer.bytes(), last_sequence)?;
        for (failed_sequence, error) in outcome.errors {
            failures.push((
                first_index + failed_sequence.wrapping_sub(first_sequence) as usize,
                error,
            ));
        }
    }
    Ok(failures)
}
