//! The IPVS requests of a generated table, pre-encoded (`netlink::encoded` sends them).

use super::request;
use super::table::TableEntry;
use crate::netlink::NetlinkSocket;
use crate::netlink::encoded::EncodedRequests;

/// NEW_SERVICE requests for every entry.
pub fn encode_services(
    socket: &mut NetlinkSocket,
    family: u16,
    table: &[TableEntry],
) -> EncodedRequests {
    let mut encoded = EncodedRequests::with_capacity(table.len(), 128);
    for entry in table {
        encoded.push(socket, |w, s| {
            request::new_service(w, family, s, &entry.service)
        });
    }
    encoded
}

/// NEW_DEST requests for every real server of every entry, in table order.
pub fn encode_dests(
    socket: &mut NetlinkSocket,
    family: u16,
    table: &[TableEntry],
) -> EncodedRequests {
    let total = table.iter().map(|e| e.destinations.len()).sum();
    let mut encoded = EncodedRequests::with_capacity(total, 160);
    for entry in table {
        for destination in &entry.destinations {
            encoded.push(socket, |w, s| {
                request::new_dest(w, family, s, &entry.service.key, destination)
            });
        }
    }
    encoded
}

/// Services then real servers, for one batched load.
pub fn encode_table(
    socket: &mut NetlinkSocket,
    family: u16,
    table: &[TableEntry],
) -> EncodedRequests {
    let dests: usize = table.iter().map(|e| e.destinations.len()).sum();
    let mut encoded = EncodedRequests::with_capacity(table.len() + dests, 160);
    for entry in table {
        encoded.push(socket, |w, s| {
            request::new_service(w, family, s, &entry.service)
        });
    }
    for entry in table {
        for destination in &entry.destinations {
            encoded.push(socket, |w, s| {
                request::new_dest(w, family, s, &entry.service.key, destination)
            });
        }
    }
    encoded
}

/// Describes request `index` of `encode_table`'s list.
pub fn describe_table_request(table: &[TableEntry], index: usize) -> String {
    if index < table.len() {
        return format!("adding service {}", table[index].service.key);
    }
    let mut rest = index - table.len();
    for entry in table {
        if rest < entry.destinations.len() {
            let d = &entry.destinations[rest];
            return format!(
                "adding real server {}:{} to {}",
                d.address, d.port, entry.service.key
            );
        }
        rest -= entry.destinations.len();
    }
    format!("request {index}")
}
