//! Encodes netlink requests into one reusable byte buffer. Requests are encoded before a timed
//! region starts; the timed region only sends bytes, so nothing is allocated while timing.

use netlink_packet_core::{
    NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_HEADER_SIZE, NetlinkBuffer, NlaBuffer,
};
use std::ops::Range;

const NLMSG_HEADER_LEN: usize = 16;

/// Appends netlink messages (header, family header, attributes) to a byte buffer.
#[derive(Debug, Default, Clone)]
pub struct MessageWriter {
    bytes: Vec<u8>,
    message_start: Option<usize>,
}

/// Marks an open nested attribute; closing it writes its length.
#[must_use]
pub struct Nest(usize);

impl MessageWriter {
    pub fn with_capacity(capacity: usize) -> MessageWriter {
        MessageWriter {
            bytes: Vec::with_capacity(capacity),
            message_start: None,
        }
    }

    /// Forgets all messages, keeping the allocation.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.message_start = None;
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Starts a message; `family_header` is the subsystem header (nfgenmsg, genlmsghdr).
    pub fn begin(&mut self, message_type: u16, flags: u16, sequence: u32, family_header: &[u8]) {
        assert!(self.message_start.is_none(), "previous message not ended");
        let start = self.bytes.len();
        self.bytes.resize(start + NLMSG_HEADER_LEN, 0);
        let mut header = NetlinkBuffer::new(&mut self.bytes[start..]);
        header.set_message_type(message_type);
        header.set_flags(flags);
        header.set_sequence_number(sequence);
        header.set_port_number(0);
        self.bytes.extend_from_slice(family_header);
        self.pad();
        self.message_start = Some(start);
    }

    /// Ends the current message (writes its length) and returns its byte range.
    pub fn end(&mut self) -> Range<usize> {
        let start = self.message_start.take().expect("no message begun");
        let length = self.bytes.len() - start;
        NetlinkBuffer::new(&mut self.bytes[start..]).set_length(length as u32);
        start..self.bytes.len()
    }

    /// Drops everything from byte `len` on (an encoded message that did not fit a batch).
    pub fn truncate(&mut self, len: usize) {
        assert!(self.message_start.is_none(), "truncate inside a message");
        self.bytes.truncate(len);
    }

    /// Sets extra header flags (e.g. NLM_F_ACK) on the already ended message at `start`.
    pub fn add_flags(&mut self, start: usize, flags: u16) {
        let mut header = NetlinkBuffer::new(&mut self.bytes[start..]);
        let current = header.flags();
        header.set_flags(current | flags);
    }

    /// An attribute with raw bytes as value.
    pub fn attr_bytes(&mut self, kind: u16, value: &[u8]) {
        let start = self.attr_header(kind, value.len());
        self.bytes[start + NLA_HEADER_SIZE..start + NLA_HEADER_SIZE + value.len()]
            .copy_from_slice(value);
        self.pad();
    }

    /// A NUL-terminated string attribute (how the kernel expects names).
    pub fn attr_str(&mut self, kind: u16, value: &str) {
        let start = self.attr_header(kind, value.len() + 1);
        self.bytes[start + NLA_HEADER_SIZE..start + NLA_HEADER_SIZE + value.len()]
            .copy_from_slice(value.as_bytes());
        self.pad();
    }

    pub fn attr_u8(&mut self, kind: u16, value: u8) {
        self.attr_bytes(kind, &[value]);
    }

    /// A u16 in host byte order.
    pub fn attr_u16(&mut self, kind: u16, value: u16) {
        self.attr_bytes(kind, &value.to_ne_bytes());
    }

    /// A u32 in host byte order.
    pub fn attr_u32(&mut self, kind: u16, value: u32) {
        self.attr_bytes(kind, &value.to_ne_bytes());
    }

    /// A u16 in network byte order, flagged `NLA_F_NET_BYTEORDER` (ipset checks the flag).
    pub fn attr_u16_be(&mut self, kind: u16, value: u16) {
        self.attr_bytes(kind | NLA_F_NET_BYTEORDER, &value.to_be_bytes());
    }

    /// A u32 in network byte order, flagged `NLA_F_NET_BYTEORDER`.
    pub fn attr_u32_be(&mut self, kind: u16, value: u32) {
        self.attr_bytes(kind | NLA_F_NET_BYTEORDER, &value.to_be_bytes());
    }

    /// Optional attributes: written only when present (ipset and IPVS requests are mostly
    /// made of these).
    pub fn attr_u8_opt(&mut self, kind: u16, value: Option<u8>) {
        if let Some(v) = value {
            self.attr_u8(kind, v);
        }
    }

    pub fn attr_u16_be_opt(&mut self, kind: u16, value: Option<u16>) {
        if let Some(v) = value {
            self.attr_u16_be(kind, v);
        }
    }

    pub fn attr_u32_be_opt(&mut self, kind: u16, value: Option<u32>) {
        if let Some(v) = value {
            self.attr_u32_be(kind, v);
        }
    }

    pub fn attr_str_opt(&mut self, kind: u16, value: Option<&str>) {
        if let Some(v) = value {
            self.attr_str(kind, v);
        }
    }

    /// Opens a nested attribute (flagged `NLA_F_NESTED`); close it with [`Self::nest_end`].
    pub fn nest_begin(&mut self, kind: u16) -> Nest {
        let start = self.attr_header(kind | NLA_F_NESTED, 0);
        Nest(start)
    }

    pub fn nest_end(&mut self, nest: Nest) {
        let length = self.bytes.len() - nest.0;
        NlaBuffer::new(&mut self.bytes[nest.0..nest.0 + NLA_HEADER_SIZE]).set_length(length as u16);
    }

    /// Writes an attribute header for a value of `value_len` bytes (value zeroed) and returns
    /// the attribute's offset.
    fn attr_header(&mut self, kind: u16, value_len: usize) -> usize {
        let start = self.bytes.len();
        self.bytes.resize(start + NLA_HEADER_SIZE + value_len, 0);
        let mut nla = NlaBuffer::new(&mut self.bytes[start..start + NLA_HEADER_SIZE]);
        nla.set_kind(kind);
        if kind & NLA_F_NESTED != 0 {
            nla.set_nested_flag();
        }
        if kind & NLA_F_NET_BYTEORDER != 0 {
            nla.set_network_byte_order_flag();
        }
        nla.set_length((NLA_HEADER_SIZE + value_len) as u16);
        start
    }

    fn pad(&mut self) {
        let aligned = (self.bytes.len() + 3) & !3;
        self.bytes.resize(aligned, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_length_and_padding() {
        let mut w = MessageWriter::default();
        w.begin(0x0606, 5, 7, &[2, 0, 0, 0]);
        w.attr_u8(1, 7);
        w.attr_str(2, "gA");
        let range = w.end();
        assert_eq!(range, 0..36);
        assert_eq!(&w.bytes()[0..4], &36u32.to_ne_bytes());
        assert_eq!(&w.bytes()[20..28], &[5, 0, 1, 0, 7, 0, 0, 0]);
        assert_eq!(&w.bytes()[28..36], &[7, 0, 2, 0, b'g', b'A', 0, 0]);
    }

    #[test]
    fn nests_carry_flag_and_length() {
        let mut w = MessageWriter::default();
        w.begin(1, 0, 0, &[]);
        let outer = w.nest_begin(7);
        w.attr_u32_be(9, 2);
        w.nest_end(outer);
        w.end();
        assert_eq!(
            &w.bytes()[16..28],
            &[12, 0, 7, 0x80, 8, 0, 9, 0x40, 0, 0, 0, 2]
        );
    }
}
