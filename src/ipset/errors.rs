//! Names of ipset's private error codes (`enum ipset_errno` and the type-specific ones).

/// Name of an ipset-private error code, or `None` for a plain errno (below 4096).
pub fn ipset_error_name(code: i32) -> Option<&'static str> {
    Some(match code {
        4096 => "IPSET_ERR_PRIVATE",
        4097 => "IPSET_ERR_PROTOCOL",
        4098 => "IPSET_ERR_FIND_TYPE",
        4099 => "IPSET_ERR_MAX_SETS",
        4100 => "IPSET_ERR_BUSY",
        4101 => "IPSET_ERR_EXIST_SETNAME2",
        4102 => "IPSET_ERR_TYPE_MISMATCH",
        4103 => "IPSET_ERR_EXIST",
        4104 => "IPSET_ERR_INVALID_CIDR",
        4105 => "IPSET_ERR_INVALID_NETMASK",
        4106 => "IPSET_ERR_INVALID_FAMILY",
        4107 => "IPSET_ERR_TIMEOUT",
        4108 => "IPSET_ERR_REFERENCED",
        4109 => "IPSET_ERR_IPADDR_IPV4",
        4110 => "IPSET_ERR_IPADDR_IPV6",
        4111 => "IPSET_ERR_COUNTER",
        4112 => "IPSET_ERR_COMMENT",
        4113 => "IPSET_ERR_INVALID_MARKMASK",
        4114 => "IPSET_ERR_SKBINFO",
        4115 => "IPSET_ERR_BITMASK_NETMASK_EXCL",
        // Type-specific codes start at 4352; their meaning depends on the set type.
        4352 => "IPSET_ERR_TYPE_SPECIFIC (hash: HASH_FULL, bitmap: BITMAP_RANGE, list:set: NAME)",
        4353 => {
            "IPSET_ERR_TYPE_SPECIFIC+1 (hash: HASH_ELEM, bitmap: BITMAP_RANGE_SIZE, list:set: LOOP)"
        }
        4354 => "IPSET_ERR_TYPE_SPECIFIC+2 (hash: INVALID_PROTO, list:set: BEFORE)",
        4355 => "IPSET_ERR_TYPE_SPECIFIC+3 (hash: MISSING_PROTO, list:set: NAMEREF)",
        4356 => "IPSET_ERR_TYPE_SPECIFIC+4 (hash: HASH_RANGE_UNSUPPORTED, list:set: LIST_FULL)",
        4357 => "IPSET_ERR_TYPE_SPECIFIC+5 (hash: HASH_RANGE, list:set: REF_EXIST)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_uapi_numbering() {
        assert_eq!(ipset_error_name(4101), Some("IPSET_ERR_EXIST_SETNAME2"));
        assert_eq!(ipset_error_name(4102), Some("IPSET_ERR_TYPE_MISMATCH"));
        assert_eq!(ipset_error_name(4103), Some("IPSET_ERR_EXIST"));
        assert_eq!(ipset_error_name(17), None);
    }
}
