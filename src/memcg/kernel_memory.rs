//! Kernel memory that dying cgroups hold: every one keeps its `struct mem_cgroup`, per-CPU
//! statistics and per-node data until its last page goes. A kernel whose memcg grew (more
//! per-CPU counters, bigger per-node structs) makes each dying cgroup cost more, which is
//! what a node with 50,000 of them feels. Read from /proc/meminfo (Percpu and Slab), so other
//! activity on the host adds noise: meaningful with thousands of cgroups, not with ten.

use crate::error::{KcanaryError, Result};

/// Per-CPU allocations plus slab, in bytes.
pub fn percpu_and_slab_bytes() -> Result<u64> {
    let text = std::fs::read_to_string("/proc/meminfo")
        .map_err(|e| KcanaryError::Kernel(format!("cannot read /proc/meminfo: {e}")))?;
    let kib = |key: &str| meminfo_kib(&text, key);
    match (kib("Percpu"), kib("Slab")) {
        (Some(percpu), Some(slab)) => Ok((percpu + slab) * 1024),
        _ => Err(KcanaryError::Kernel(
            "/proc/meminfo has no Percpu or Slab line".into(),
        )),
    }
}

/// The value of `key:   123 kB` in /proc/meminfo, in KiB.
pub fn meminfo_kib(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (name, rest) = line.split_once(':')?;
        (name == key).then(|| rest.split_whitespace().next()?.parse().ok())?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_meminfo_lines() {
        let text = "MemTotal:       24684092 kB\nSlab:             412345 kB\nPercpu:            9792 kB\n";
        assert_eq!(meminfo_kib(text, "Slab"), Some(412_345));
        assert_eq!(meminfo_kib(text, "Percpu"), Some(9792));
        assert_eq!(meminfo_kib(text, "Per"), None);
        assert!(percpu_and_slab_bytes().unwrap() > 0);
    }
}
