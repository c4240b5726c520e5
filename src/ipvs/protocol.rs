//! IPVS generic-netlink protocol numbers, from the kernel's `include/uapi/linux/ip_vs.h`
//! (family "IPVS", version 1), and the 4-byte generic-netlink header every message starts with.
//!
//! Kept in the project rather than taken from system headers: the guest kernels we test are
//! newer than Debian 12's headers, and the numbers are ABI (never renumbered).

/// The generic-netlink family name the kernel registers when IP_VS is loaded.
pub const FAMILY_NAME: &str = "IPVS";
/// `IPVS_GENL_VERSION`.
pub const FAMILY_VERSION: u8 = 1;

/// `IPVS_CMD_*`.
pub mod command {
    pub const NEW_SERVICE: u8 = 1;
    pub const SET_SERVICE: u8 = 2;
    pub const DEL_SERVICE: u8 = 3;
    pub const GET_SERVICE: u8 = 4;
    pub const NEW_DEST: u8 = 5;
    pub const SET_DEST: u8 = 6;
    pub const DEL_DEST: u8 = 7;
    pub const GET_DEST: u8 = 8;
    pub const GET_INFO: u8 = 15;
    pub const ZERO: u8 = 16;
    pub const FLUSH: u8 = 17;
}

/// `IPVS_CMD_ATTR_*`: the top level of a request.
pub mod cmd_attr {
    pub const SERVICE: u16 = 1;
    pub const DEST: u16 = 2;
}

/// `IPVS_SVC_ATTR_*`, nested in `cmd_attr::SERVICE`.
pub mod service_attr {
    pub const AF: u16 = 1;
    pub const PROTOCOL: u16 = 2;
    pub const ADDR: u16 = 3;
    pub const PORT: u16 = 4;
    pub const FWMARK: u16 = 5;
    pub const SCHED_NAME: u16 = 6;
    pub const FLAGS: u16 = 7;
    pub const TIMEOUT: u16 = 8;
    pub const NETMASK: u16 = 9;
    pub const STATS: u16 = 10;
    pub const PE_NAME: u16 = 11;
    pub const STATS64: u16 = 12;
}

/// `IPVS_DEST_ATTR_*`, nested in `cmd_attr::DEST`.
pub mod dest_attr {
    pub const ADDR: u16 = 1;
    pub const PORT: u16 = 2;
    pub const FWD_METHOD: u16 = 3;
    pub const WEIGHT: u16 = 4;
    pub const U_THRESH: u16 = 5;
    pub const L_THRESH: u16 = 6;
    pub const ACTIVE_CONNS: u16 = 7;
    pub const INACT_CONNS: u16 = 8;
    pub const PERSIST_CONNS: u16 = 9;
    pub const STATS: u16 = 10;
    pub const ADDR_FAMILY: u16 = 11;
}

/// `IPVS_INFO_ATTR_*`, top level of the GET_INFO reply.
pub mod info_attr {
    pub const VERSION: u16 = 1;
    pub const CONN_TAB_SIZE: u16 = 2;
}

/// `IPVS_SVC_F_*` service flags.
pub mod service_flag {
    pub const PERSISTENT: u32 = 0x0001;
    pub const ONEPACKET: u32 = 0x0004;
    pub const SCHED1: u32 = 0x0008;
    pub const SCHED2: u32 = 0x0010;
    pub const SCHED3: u32 = 0x0020;
}

/// `IP_VS_CONN_F_*` forwarding methods (the FWD_METHOD attribute).
pub mod forward {
    pub const MASQ: u32 = 0;
    pub const LOCALNODE: u32 = 1;
    pub const TUNNEL: u32 = 2;
    pub const DROUTE: u32 = 3;
}

/// nlctrl, the generic-netlink controller that maps family names to message types
/// (`include/uapi/linux/genetlink.h`).
pub mod nlctrl {
    /// `GENL_ID_CTRL`: the controller's own, fixed message type.
    pub const FAMILY_ID: u16 = 0x10;
    pub const CMD_GETFAMILY: u8 = 3;
    pub const VERSION: u8 = 2;
    pub const ATTR_FAMILY_ID: u16 = 1;
    pub const ATTR_FAMILY_NAME: u16 = 2;
}

/// `struct genlmsghdr`: command, version, two reserved bytes. Encoded by hand (4 bytes)
/// instead of through netlink-packet-generic, whose message types own their buffers and would
/// not let requests be pre-encoded into the shared `MessageWriter` outside a timed region.
pub fn genl_header(command: u8, version: u8) -> [u8; 4] {
    [command, version, 0, 0]
}

/// The command byte of a received generic-netlink payload.
pub fn genl_command(payload: &[u8]) -> Option<u8> {
    payload.first().copied()
}

/// The attributes after the generic-netlink header of a received payload.
pub fn genl_attributes(payload: &[u8]) -> &[u8] {
    payload.get(4..).unwrap_or(&[])
}
