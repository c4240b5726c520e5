//! Walking what the kernel sent back: netlink messages in a datagram, attributes in a message.

use netlink_packet_core::{NLMSG_DONE, NLMSG_ERROR, NetlinkBuffer, NlaBuffer, NlasIterator};

/// One netlink message from a received datagram.
#[derive(Debug, Clone, Copy)]
pub struct ReplyMessage<'a> {
    pub message_type: u16,
    pub flags: u16,
    pub sequence: u32,
    /// Everything after the 16-byte netlink header.
    pub payload: &'a [u8],
}

impl<'a> ReplyMessage<'a> {
    pub fn is_error(&self) -> bool {
        self.message_type == NLMSG_ERROR
    }

    pub fn is_done(&self) -> bool {
        self.message_type == NLMSG_DONE
    }

    /// For an NLMSG_ERROR message: the positive error code (0 for a plain ack).
    pub fn error_code(&self) -> i32 {
        self.payload
            .get(0..4)
            .map(|b| -i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
            .unwrap_or(0)
    }

    /// For an NLMSG_ERROR message whose request came back whole (not `NLM_F_CAPPED`): that
    /// request, from its netlink header on.
    pub fn echoed_request(&self) -> Option<&'a [u8]> {
        const NLM_F_CAPPED: u16 = 0x100;
        if !self.is_error() || self.flags & NLM_F_CAPPED != 0 {
            return None;
        }
        let echoed = self.payload.get(4..)?;
        let len = echoed
            .get(0..4)
            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize)?;
        echoed.get(..len).filter(|r| r.len() > 16)
    }

    /// For an NLMSG_ERROR message: the extended-ack text (NLMSGERR_ATTR_MSG), if any.
    pub fn extended_ack_message(&self, capped: bool) -> Option<String> {
        const NLM_F_ACK_TLVS: u16 = 0x200;
        const NLMSGERR_ATTR_MSG: u16 = 1;
        if self.flags & NLM_F_ACK_TLVS == 0 {
            return None;
        }
        // nlmsgerr = error code (4) + the request's header (16) [+ its payload unless capped].
        let echoed_len = if capped {
            16
        } else {
            self.payload
                .get(4..8)
                .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize)?
        };
        let tlvs = self.payload.get(4 + ((echoed_len + 3) & !3)..)?;
        attributes(tlvs)
            .find(|a| a.kind() == NLMSGERR_ATTR_MSG)
            .map(|a| {
                String::from_utf8_lossy(a.value())
                    .trim_end_matches('\0')
                    .to_string()
            })
    }
}

/// Iterates over the netlink messages in `datagram`, stopping at the first malformed one.
/// Allocates nothing.
pub fn messages(datagram: &[u8]) -> impl Iterator<Item = ReplyMessage<'_>> {
    let mut rest = datagram;
    std::iter::from_fn(move || {
        // Bounds are checked here rather than with `new_checked`, whose error path formats a
        // String: this runs inside timed regions, where nothing may allocate.
        if rest.len() < 16 {
            return None;
        }
        let buffer = NetlinkBuffer::new(rest);
        let length = buffer.length() as usize;
        if length < 16 || length > rest.len() {
            return None;
        }
        let message = ReplyMessage {
            message_type: buffer.message_type(),
            flags: buffer.flags(),
            sequence: buffer.sequence_number(),
            payload: &rest[16..length],
        };
        let aligned = ((length + 3) & !3).min(rest.len());
        rest = &rest[aligned..];
        Some(message)
    })
}

/// Iterates over the attributes in `bytes`, stopping at the first malformed one.
pub fn attributes(bytes: &[u8]) -> impl Iterator<Item = NlaBuffer<&[u8]>> {
    NlasIterator::new(bytes).map_while(Result::ok)
}

/// Reads a big-endian u32 attribute value (ipset and IPVS counters).
pub fn be_u32(value: &[u8]) -> Option<u32> {
    value
        .get(0..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads a host-endian u32 attribute value.
pub fn ne_u32(value: &[u8]) -> Option<u32> {
    value
        .get(0..4)
        .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads a NUL-terminated string attribute value.
pub fn c_string(value: &[u8]) -> String {
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
    String::from_utf8_lossy(&value[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_messages_and_stops_at_garbage() {
        let mut datagram = Vec::new();
        for sequence in [7u32, 8] {
            datagram.extend_from_slice(&20u32.to_ne_bytes());
            datagram.extend_from_slice(&2u16.to_ne_bytes());
            datagram.extend_from_slice(&0u16.to_ne_bytes());
            datagram.extend_from_slice(&sequence.to_ne_bytes());
            datagram.extend_from_slice(&0u32.to_ne_bytes());
            datagram.extend_from_slice(&(-17i32).to_ne_bytes());
        }
        datagram.extend_from_slice(&[0xff; 7]);
        let seen: Vec<(u32, i32)> = messages(&datagram)
            .map(|m| (m.sequence, m.error_code()))
            .collect();
        assert_eq!(seen, vec![(7, 17), (8, 17)]);
        assert_eq!(messages(&[]).count(), 0);
        let mut lying = datagram[..20].to_vec();
        lying[0] = 200;
        assert_eq!(
            messages(&lying).count(),
            0,
            "a length beyond the datagram is not trusted"
        );
    }
}
