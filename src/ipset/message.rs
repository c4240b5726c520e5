//! Encoders for ipset requests. Each appends one complete netlink message to a
//! `MessageWriter`, byte-compatible with what the `ipset` tool sends (see the golden tests).

use super::element::{CreateOptions, Element};
use super::protocol::{Command, IPSET_FLAG_LIST_HEADER, IPSET_PROTOCOL, NFGENMSG_IPV4, attr};
use crate::netlink::MessageWriter;
use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST};

/// Whether the request asks the kernel for an ack on success. Batches ask only on their last
/// message; failures are always reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    Always,
    OnlyOnError,
}

/// How duplicates and missing sets are treated, like `ipset -exist`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exist {
    /// The default: a duplicate create/add or a missing destroy target is an error.
    Fail,
    /// `-exist`: they succeed silently.
    Ignore,
}

fn flags(ack: Ack, extra: u16) -> u16 {
    NLM_F_REQUEST | extra | if ack == Ack::Always { NLM_F_ACK } else { 0 }
}

fn excl(exist: Exist) -> u16 {
    if exist == Exist::Fail { NLM_F_EXCL } else { 0 }
}

fn begin(w: &mut MessageWriter, command: Command, flags: u16, sequence: u32) {
    w.begin(command.message_type(), flags, sequence, &NFGENMSG_IPV4);
    w.attr_u8(attr::PROTOCOL, IPSET_PROTOCOL);
}

/// IPSET_CMD_PROTOCOL: asks which protocol versions the kernel speaks. Unlike the ipset tool,
/// queries carry NLM_F_ACK, so the ack marks the end of the reply without a timeout.
pub fn protocol(w: &mut MessageWriter, sequence: u32) {
    begin(w, Command::Protocol, NLM_F_REQUEST | NLM_F_ACK, sequence);
    w.end();
}

/// IPSET_CMD_TYPE: asks whether the kernel has `type_name` and its revisions.
pub fn type_query(w: &mut MessageWriter, sequence: u32, type_name: &str, family: u8) {
    begin(w, Command::Type, NLM_F_REQUEST | NLM_F_ACK, sequence);
    w.attr_str(attr::TYPENAME, type_name);
    w.attr_u8(attr::FAMILY, family);
    w.end();
}

/// IPSET_CMD_CREATE.
#[allow(clippy::too_many_arguments)]
pub fn create(
    w: &mut MessageWriter,
    sequence: u32,
    set_name: &str,
    type_name: &str,
    revision: u8,
    options: &CreateOptions,
    exist: Exist,
    ack: Ack,
) {
    begin(
        w,
        Command::Create,
        flags(ack, NLM_F_CREATE | excl(exist)),
        sequence,
    );
    w.attr_str(attr::SETNAME, set_name);
    w.attr_str(attr::TYPENAME, type_name);
    w.attr_u8(attr::REVISION, revision);
    w.attr_u8(attr::FAMILY, options.family);
    options.encode(w);
    w.end();
}

/// IPSET_CMD_DESTROY of one set, or of every set when `set_name` is `None`.
pub fn destroy(
    w: &mut MessageWriter,
    sequence: u32,
    set_name: Option<&str>,
    exist: Exist,
    ack: Ack,
) {
    begin(w, Command::Destroy, flags(ack, excl(exist)), sequence);
    if let Some(name) = set_name {
        w.attr_str(attr::SETNAME, name);
    }
    w.end();
}

/// IPSET_CMD_FLUSH of one set, or of every set.
pub fn flush(w: &mut MessageWriter, sequence: u32, set_name: Option<&str>, ack: Ack) {
    begin(w, Command::Flush, flags(ack, 0), sequence);
    if let Some(name) = set_name {
        w.attr_str(attr::SETNAME, name);
    }
    w.end();
}

/// IPSET_CMD_RENAME.
pub fn rename(w: &mut MessageWriter, sequence: u32, from: &str, to: &str, ack: Ack) {
    begin(w, Command::Rename, flags(ack, 0), sequence);
    w.attr_str(attr::SETNAME, from);
    w.attr_str(attr::SETNAME2, to);
    w.end();
}

/// IPSET_CMD_SWAP: exchanges the contents (and types) of two sets, keeping their names.
pub fn swap(w: &mut MessageWriter, sequence: u32, first: &str, second: &str, ack: Ack) {
    begin(w, Command::Swap, flags(ack, 0), sequence);
    w.attr_str(attr::SETNAME, first);
    w.attr_str(attr::SETNAME2, second);
    w.end();
}

/// IPSET_CMD_ADD or IPSET_CMD_DEL of `elements` into one set. One element travels in
/// `IPSET_ATTR_DATA`; several go into `IPSET_ATTR_ADT` with a top-level `IPSET_ATTR_LINENO`
/// (the kernel answers IPSET_ERR_PROTOCOL otherwise). `first_lineno` numbers them.
#[allow(clippy::too_many_arguments)]
pub fn add_or_del(
    w: &mut MessageWriter,
    sequence: u32,
    command: Command,
    set_name: &str,
    elements: &[Element],
    first_lineno: u32,
    exist: Exist,
    ack: Ack,
) {
    debug_assert!(matches!(
        command,
        Command::Add | Command::Del | Command::Test
    ));
    let numbered: Vec<(u32, &Element)> = elements
        .iter()
        .enumerate()
        .map(|(i, element)| (first_lineno + i as u32, element))
        .collect();
    add_or_del_lines(w, sequence, command, set_name, &numbered, exist, ack);
}

/// [`add_or_del`] with each element's own line number (restore files may have comments and
/// blank lines between the lines of one run); the kernel names the failing one by it.
pub fn add_or_del_lines(
    w: &mut MessageWriter,
    sequence: u32,
    command: Command,
    set_name: &str,
    elements: &[(u32, &Element)],
    exist: Exist,
    ack: Ack,
) {
    begin(w, command, flags(ack, excl(exist)), sequence);
    w.attr_str(attr::SETNAME, set_name);
    if let [(lineno, element)] = elements {
        element.encode(w, *lineno);
    } else {
        w.attr_u32_be(attr::LINENO, elements.first().map_or(0, |(l, _)| *l));
        let adt = w.nest_begin(attr::ADT);
        for (lineno, element) in elements {
            element.encode(w, *lineno);
        }
        w.nest_end(adt);
    }
    w.end();
}

/// IPSET_CMD_LIST dump of one set or all sets; `header_only` leaves out the elements.
pub fn list(w: &mut MessageWriter, sequence: u32, set_name: Option<&str>, header_only: bool) {
    dump_request(w, Command::List, sequence, set_name, header_only);
}

/// IPSET_CMD_SAVE dump (what `ipset save` sends).
pub fn save(w: &mut MessageWriter, sequence: u32, set_name: Option<&str>) {
    dump_request(w, Command::Save, sequence, set_name, false);
}

fn dump_request(
    w: &mut MessageWriter,
    command: Command,
    sequence: u32,
    set_name: Option<&str>,
    header_only: bool,
) {
    begin(w, command, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, sequence);
    if let Some(name) = set_name {
        w.attr_str(attr::SETNAME, name);
    }
    if header_only {
        w.attr_u32_be(attr::FLAGS, IPSET_FLAG_LIST_HEADER);
    }
    w.end();
}
