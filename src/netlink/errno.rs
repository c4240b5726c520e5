//! Kernel error codes as names. A subsystem (ipset, IPVS) supplies names for its private codes;
//! everything else is an errno shown as `EPERM`, `EEXIST`, ...

use nix::errno::Errno;

/// Names a subsystem's private error codes (positive values), or `None` for plain errnos.
pub type SubsystemErrorNames = fn(i32) -> Option<&'static str>;

/// The name of a positive errno value ("EPERM"), or "errno N" when unknown.
pub fn errno_name(code: i32) -> String {
    let errno = Errno::from_raw(code);
    if errno == Errno::UnknownErrno {
        format!("errno {code}")
    } else {
        format!("{errno:?}")
    }
}

/// An error the kernel returned for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelError {
    /// Positive error code as the kernel returned it (negated).
    pub code: i32,
    /// `IPSET_ERR_EXIST`, `EPERM`, ...
    pub name: String,
    /// The extended-ack message, when the kernel gave one.
    pub message: Option<String>,
    /// The request as the kernel copied it into its error reply (netlink header onwards),
    /// when it sent the whole request back: ipset's error for a batched add/del does, with
    /// the failing element's line number written into it.
    pub echoed_request: Option<Vec<u8>>,
}

impl KernelError {
    pub fn new(code: i32, names: SubsystemErrorNames, message: Option<String>) -> KernelError {
        let name = names(code)
            .map(str::to_string)
            .unwrap_or_else(|| errno_name(code));
        KernelError {
            code,
            name,
            message,
            echoed_request: None,
        }
    }
}

impl std::fmt::Display for KernelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name, self.code)?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

impl std::error::Error for KernelError {}

/// For sockets whose subsystem has no private codes.
pub fn no_private_names(_: i32) -> Option<&'static str> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos_have_names() {
        assert_eq!(errno_name(1), "EPERM");
        assert_eq!(errno_name(17), "EEXIST");
        assert_eq!(errno_name(90), "EMSGSIZE");
        assert_eq!(errno_name(99999), "errno 99999");
    }
}
