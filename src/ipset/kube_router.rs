//! Restore files shaped like kube-router's ipset sync (pkg/utils/ipset.go, BuildIPSetRestore),
//! run by kube-router as `ipset restore -exist`: one TMP set per distinct set options, then per
//! set: fill the TMP set, create the real set, swap TMP with it, flush TMP; TMP sets are
//! destroyed at the end. One swap per set per sync: the path that regressed in 6.1.68.

use std::fmt::Write;

/// Options kube-router gives its hash:ip sets.
const SET_OPTIONS: &str = "hash:ip family inet hashsize 1024 maxelem 65536 timeout 0";
const TMP_SET: &str = "TMP-KCANARYSYNC0000000";

/// Name of the `index`-th synced set (kube-router style, at most 31 bytes).
pub fn set_name(index: usize) -> String {
    format!("KUBE-DST-{index:016X}")
}

/// Deterministic element `e` of set `s` (distinct across sets, valid IPv4 addresses).
fn element(set: usize, e: usize) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::from(0x0a00_0000u32 + (set as u32) * 64 + e as u32)
}

/// The restore text of one sync of `sets` sets with `entries` elements each.
pub fn sync_file(sets: usize, entries: usize) -> String {
    assert!(entries <= 64, "elements are spaced 64 apart per set");
    let mut out = String::with_capacity(sets * (90 + entries * 40));
    let _ = writeln!(out, "create {TMP_SET} {SET_OPTIONS}");
    let _ = writeln!(out, "flush {TMP_SET}");
    for s in 0..sets {
        let name = set_name(s);
        for e in 0..entries {
            let _ = writeln!(out, "add {TMP_SET} {} timeout 0", element(s, e));
        }
        let _ = writeln!(out, "create {name} {SET_OPTIONS}");
        let _ = writeln!(out, "swap {TMP_SET} {name}");
        let _ = writeln!(out, "flush {TMP_SET}");
    }
    let _ = writeln!(out, "destroy {TMP_SET}");
    out
}

/// The elements set `index` must hold after a sync, as `ipset list` prints them.
pub fn expected_elements(index: usize, entries: usize) -> Vec<String> {
    (0..entries)
        .map(|e| element(index, e).to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_swap_per_set_and_tmp_destroyed_at_the_end() {
        let text = sync_file(3, 2);
        assert_eq!(text.lines().filter(|l| l.starts_with("swap ")).count(), 3);
        assert_eq!(text.lines().filter(|l| l.starts_with("add ")).count(), 6);
        assert_eq!(
            text.lines().last(),
            Some(format!("destroy {TMP_SET}").as_str())
        );
        assert!(set_name(65_000).len() < 32);
        let lines =
            crate::ipset::restore_file::parse(std::path::Path::new("gen"), &text, true).unwrap();
        assert_eq!(lines.len(), 2 + 3 * 5 + 1);
    }
}
