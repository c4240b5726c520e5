//! Pre-encoded requests and the timed loops that send them, for every netlink workload.
//! Encoding happens before any timer starts; the loops only send bytes and read acks into
//! reused buffers. Requests are encoded with `NLM_F_ACK`: one by one, each is acked; batched,
//! a copy with the flag cleared on all but the last request of each datagram is sent, so the
//! kernel builds one ack per datagram and still answers every failed request.

use super::{KernelError, MessageWriter, NetlinkSocket};
use crate::error::{KcanaryError, Result};
use netlink_packet_core::NLM_F_ACK;
use std::ops::Range;
use std::time::Instant;

/// At most this many messages per batch datagram, so that even if every one of them failed,
/// the error messages would fit in the socket's receive buffer.
pub const MAX_MESSAGES_PER_BATCH: usize = 1024;

/// Why sending failed: the kernel refused request `index`, or the socket itself failed.
#[derive(Debug)]
pub enum SendFailure {
    Request { index: usize, error: KernelError },
    Socket(KernelError),
}

impl SendFailure {
    /// As a kcanary error, naming the failed request with `describe(index)`.
    pub fn described(self, describe: &dyn Fn(usize) -> String) -> KcanaryError {
        match self {
            SendFailure::Request { index, error } => {
                KcanaryError::Kernel(format!("{}: {error}", describe(index)))
            }
            SendFailure::Socket(error) => KcanaryError::Kernel(format!("netlink: {error}")),
        }
    }
}

/// Encoded requests, each with its byte range and sequence number.
pub struct EncodedRequests {
    pub writer: MessageWriter,
    pub requests: Vec<(Range<usize>, u32)>,
}

impl EncodedRequests {
    pub fn with_capacity(messages: usize, bytes_per_message: usize) -> EncodedRequests {
        EncodedRequests {
            writer: MessageWriter::with_capacity(messages * bytes_per_message),
            requests: Vec::with_capacity(messages),
        }
    }

    /// The encoded requests, in order: (bytes, sequence number).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u32)> {
        let bytes = self.writer.bytes();
        self.requests
            .iter()
            .map(move |(range, sequence)| (&bytes[range.clone()], *sequence))
    }

    /// Appends one request written by `encode(writer, sequence)`.
    pub fn push(
        &mut self,
        socket: &mut NetlinkSocket,
        encode: impl FnOnce(&mut MessageWriter, u32),
    ) {
        let sequence = socket.next_sequence();
        let start = self.writer.len();
        encode(&mut self.writer, sequence);
        self.requests.push((start..self.writer.len(), sequence));
    }

    pub fn len(&self) -> usize {
        self.requests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// Sends each request alone and waits for its ack; returns one latency per request.
    /// `describe(i)` names request i in an error.
    pub fn send_one_by_one(
        &self,
        socket: &mut NetlinkSocket,
        describe: &dyn Fn(usize) -> String,
    ) -> Result<Vec<f64>> {
        self.try_one_by_one(socket)
            .map_err(|e| e.described(describe))
    }

    /// Sends all requests in as few datagrams as the socket allows and returns the total time.
    pub fn send_batched(
        &self,
        socket: &mut NetlinkSocket,
        describe: &dyn Fn(usize) -> String,
    ) -> Result<f64> {
        self.try_batched(socket).map_err(|e| e.described(describe))
    }

    /// [`Self::send_one_by_one`], telling the caller which request failed.
    pub fn try_one_by_one(&self, socket: &mut NetlinkSocket) -> Result<Vec<f64>, SendFailure> {
        let mut latencies_ns = Vec::with_capacity(self.requests.len());
        let bytes = self.writer.bytes();
        for (index, (range, sequence)) in self.requests.iter().enumerate() {
            let started = Instant::now();
            let outcome = socket.request(&bytes[range.clone()], *sequence);
            latencies_ns.push(started.elapsed().as_nanos() as f64);
            outcome.map_err(|error| SendFailure::Request { index, error })?;
        }
        Ok(latencies_ns)
    }

    /// [`Self::send_batched`], telling the caller which request failed. Only the last request
    /// of each datagram keeps `NLM_F_ACK`: the kernel then builds one ack per datagram instead
    /// of one per request (failed requests are still answered), which is what makes batching
    /// pay. The copy with the flags cleared is made before timing starts.
    pub fn try_batched(&self, socket: &mut NetlinkSocket) -> Result<f64, SendFailure> {
        let chunks = self.chunks(socket.max_batch_bytes());
        let bytes = self.without_inner_acks(&chunks);
        let started = Instant::now();
        for (byte_range, last_sequence) in &chunks {
            let outcome = socket
                .batch(&bytes[byte_range.clone()], *last_sequence)
                .map_err(SendFailure::Socket)?;
            if let Some((sequence, error)) = outcome.errors.into_iter().next() {
                let index = self
                    .requests
                    .iter()
                    .position(|(_, s)| *s == sequence)
                    .unwrap_or(0);
                return Err(SendFailure::Request { index, error });
            }
        }
        Ok(started.elapsed().as_nanos() as f64)
    }

    /// A copy of the encoded bytes where every request but the last of each chunk has
    /// `NLM_F_ACK` cleared.
    fn without_inner_acks(&self, chunks: &[(Range<usize>, u32)]) -> Vec<u8> {
        const FLAGS_OFFSET: usize = 6;
        let closing: std::collections::HashSet<u32> =
            chunks.iter().map(|(_, last)| *last).collect();
        let mut bytes = self.writer.bytes().to_vec();
        for (range, sequence) in &self.requests {
            if !closing.contains(sequence) {
                let at = range.start + FLAGS_OFFSET;
                let flags = u16::from_ne_bytes([bytes[at], bytes[at + 1]]) & !NLM_F_ACK;
                bytes[at..at + 2].copy_from_slice(&flags.to_ne_bytes());
            }
        }
        bytes
    }

    /// Groups consecutive requests into datagrams of at most `max_bytes` bytes and
    /// `MAX_MESSAGES_PER_BATCH` messages: (byte range, sequence of the last request).
    pub fn chunks(&self, max_bytes: usize) -> Vec<(Range<usize>, u32)> {
        let mut chunks = Vec::new();
        let mut current: Option<(usize, usize, u32, usize)> = None; // start, end, last seq, count
        for (range, sequence) in &self.requests {
            current = match current {
                Some((start, end, last, count))
                    if range.end - start > max_bytes || count == MAX_MESSAGES_PER_BATCH =>
                {
                    chunks.push((start..end, last));
                    Some((range.start, range.end, *sequence, 1))
                }
                Some((start, _, _, count)) => Some((start, range.end, *sequence, count + 1)),
                None => Some((range.start, range.end, *sequence, 1)),
            };
        }
        if let Some((start, end, last, _)) = current {
            chunks.push((start..end, last));
        }
        chunks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_core::NLM_F_REQUEST;

    fn encoded(count: usize) -> EncodedRequests {
        let mut encoded = EncodedRequests::with_capacity(count, 20);
        for sequence in 1..=count as u32 {
            let start = encoded.writer.len();
            // A 20-byte request: header and a 4-byte family header, no attributes.
            encoded
                .writer
                .begin(0x24, NLM_F_REQUEST | NLM_F_ACK, sequence, &[17, 1, 0, 0]);
            encoded.writer.end();
            encoded
                .requests
                .push((start..encoded.writer.len(), sequence));
        }
        encoded
    }

    #[test]
    fn chunks_respect_byte_and_message_limits() {
        let requests = encoded(2500);
        // 20-byte messages: 100 bytes hold 5.
        let small = requests.chunks(100);
        assert_eq!(small.len(), 500);
        assert_eq!(small[0], (0..100, 5));
        let big = requests.chunks(1 << 20);
        assert_eq!(
            big.iter().map(|(_, last)| *last).collect::<Vec<_>>(),
            vec![1024, 2048, 2500]
        );
    }

    #[test]
    fn only_the_last_request_of_a_chunk_asks_for_an_ack() {
        let requests = encoded(7);
        let chunks = requests.chunks(60); // 3 messages per chunk: last sequences 3, 6, 7
        let bytes = requests.without_inner_acks(&chunks);
        let acked: Vec<u32> = requests
            .requests
            .iter()
            .filter(|(range, _)| {
                u16::from_ne_bytes([bytes[range.start + 6], bytes[range.start + 7]]) & NLM_F_ACK
                    != 0
            })
            .map(|(_, sequence)| *sequence)
            .collect();
        assert_eq!(acked, vec![3, 6, 7]);
        assert_eq!(bytes.len(), requests.writer.len());
    }
}
