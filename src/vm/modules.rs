//! Kernel modules for the guest: where the ones the scenarios need are in a kernel's module
//! tree, and the order to load them in (dependencies first). Which modules a scenario needs
//! is its workload's to say (`Workload::kernel_modules`, name patterns); nothing here knows a
//! workload family.
//!
//! Everything is worked out on the host, so the guest only calls `finit_module` on files in a
//! list. Dependencies come from `modules.dep` when the tree has one (an installed kernel, a
//! build after `make modules_install`), otherwise from each module's own `.modinfo`
//! `depends=` entry (Debian's packages ship no `modules.dep`: postinst runs depmod).
//! Compressed modules (`.ko.xz`, `.ko.zst`, `.ko.gz`) are decompressed on the host with the
//! `xz`/`zstd`/`gzip` tools: the guest kernel may lack in-kernel decompression, and shelling
//! out spares three C-library bindings for a step that runs once per kernel.

use super::elf;
use crate::error::{KcanaryError, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A kernel's module tree, indexed by module name (`-` normalised to `_`, as the kernel does).
pub struct ModuleTree {
    pub root: PathBuf,
    files: BTreeMap<String, PathBuf>,
    builtin: BTreeSet<String>,
    dep_file: Option<BTreeMap<String, Vec<String>>>,
}

/// What the guest must load, in order, and what could not be found.
#[derive(Debug, Default)]
pub struct LoadPlan {
    /// (name, path in the tree), dependencies before dependents.
    pub ordered: Vec<(String, PathBuf)>,
    /// Wanted modules that are built into the kernel (nothing to load).
    pub builtin: Vec<String>,
    /// Wanted modules neither built in nor in the tree: the scenarios that need them will be
    /// reported as skipped by the guest.
    pub missing: Vec<String>,
}

/// The module name of a file: `ip_set-hash.ko.xz` → `ip_set_hash`.
pub fn module_name(file_name: &str) -> Option<String> {
    let stem = file_name
        .split(".ko")
        .next()
        .filter(|_| file_name.contains(".ko"))?;
    let rest = &file_name[stem.len()..];
    if !matches!(rest, ".ko" | ".ko.xz" | ".ko.zst" | ".ko.gz") {
        return None;
    }
    Some(stem.replace('-', "_"))
}

impl ModuleTree {
    /// Indexes every module file under `root` (a `lib/modules/<version>` directory or a kernel
    /// build directory).
    pub fn scan(root: &Path) -> Result<ModuleTree> {
        let mut files = BTreeMap::new();
        let mut pending = vec![root.to_path_buf()];
        while let Some(dir) = pending.pop() {
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| KcanaryError::Io(format!("cannot read {}: {e}", dir.display())))?;
            for entry in entries.flatten() {
                let path = entry.path();
                let file_type = entry
                    .file_type()
                    .map_err(|e| KcanaryError::Io(e.to_string()))?;
                if file_type.is_dir() {
                    pending.push(path);
                } else if let Some(name) = module_name(&entry.file_name().to_string_lossy()) {
                    files.entry(name).or_insert(path);
                }
            }
        }
        let builtin = std::fs::read_to_string(root.join("modules.builtin"))
            .map(|text| {
                text.lines()
                    .filter_map(|l| module_name(l.rsplit('/').next()?))
                    .collect()
            })
            .unwrap_or_default();
        let dep_file = std::fs::read_to_string(root.join("modules.dep"))
            .ok()
            .map(|t| parse_modules_dep(&t));
        Ok(ModuleTree {
            root: root.to_path_buf(),
            files,
            builtin,
            dep_file,
        })
    }

    pub fn module_count(&self) -> usize {
        self.files.len()
    }

    /// Names in the tree matching `pattern` (exact, or prefix with a trailing `*`).
    fn matching(&self, pattern: &str) -> Vec<String> {
        match pattern.strip_suffix('*') {
            Some(prefix) => self
                .files
                .keys()
                .filter(|n| n.starts_with(prefix))
                .cloned()
                .collect(),
            None => self
                .files
                .keys()
                .filter(|n| *n == pattern)
                .cloned()
                .collect(),
        }
    }

    fn dependencies(&self, name: &str) -> Result<Vec<String>> {
        if let Some(deps) = self.dep_file.as_ref().and_then(|d| d.get(name)) {
            return Ok(deps.clone());
        }
        let path = &self.files[name];
        elf::module_depends(&read_module(path)?)
            .map_err(|reason| KcanaryError::Io(format!("{}: {reason}", path.display())))
    }

    /// Resolves patterns into a load order. Exact names that are missing are reported in
    /// `missing`; a prefix pattern that matches nothing is simply empty.
    pub fn plan(&self, patterns: &[&str]) -> Result<LoadPlan> {
        let mut plan = LoadPlan::default();
        let mut wanted = Vec::new();
        for pattern in patterns {
            let found = self.matching(pattern);
            if found.is_empty() && !pattern.ends_with('*') {
                if self.builtin.contains(*pattern) {
                    plan.builtin.push(pattern.to_string());
                } else {
                    plan.missing.push(pattern.to_string());
                }
            }
            wanted.extend(found);
        }
        let order = load_order(&wanted, |name| {
            if self.files.contains_key(name) {
                self.dependencies(name).map(Some)
            } else {
                Ok(None)
            }
        })?;
        for name in order {
            let path = self.files[&name].clone();
            plan.ordered.push((name, path));
        }
        Ok(plan)
    }
}

/// Parses `modules.dep` ("kernel/a/b.ko: kernel/c.ko kernel/d.ko.xz") into name → dependency
/// names. The file lists the full transitive closure, already ordered; we only use it as a
/// dependency graph and order it ourselves.
pub fn parse_modules_dep(text: &str) -> BTreeMap<String, Vec<String>> {
    let name_of = |path: &str| module_name(path.rsplit('/').next().unwrap_or(path));
    text.lines()
        .filter_map(|line| {
            let (module, deps) = line.split_once(':')?;
            let deps = deps.split_whitespace().filter_map(name_of).collect();
            Some((name_of(module.trim())?, deps))
        })
        .collect()
}

/// Orders `wanted` and everything they depend on so that each module comes after all of its
/// dependencies. `dependencies(name)` returns `None` for modules not in the tree (built in,
/// or absent: loading the dependent will then fail in the guest with a named error).
pub fn load_order(
    wanted: &[String],
    mut dependencies: impl FnMut(&str) -> Result<Option<Vec<String>>>,
) -> Result<Vec<String>> {
    #[derive(PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    let mut marks: BTreeMap<String, Mark> = BTreeMap::new();
    let mut order = Vec::new();
    // Iterative depth-first search: (name, dependencies still to visit).
    for root in wanted {
        if marks.contains_key(root) {
            continue;
        }
        let Some(deps) = dependencies(root)? else {
            continue;
        };
        marks.insert(root.clone(), Mark::Visiting);
        let mut stack: Vec<(String, std::vec::IntoIter<String>)> =
            vec![(root.clone(), deps.into_iter())];
        while let Some((name, remaining)) = stack.last_mut() {
            match remaining.next() {
                Some(dep) => match marks.get(&dep) {
                    Some(Mark::Done) => {}
                    Some(Mark::Visiting) => {
                        return Err(KcanaryError::Io(format!(
                            "module dependency cycle: {name} -> {dep}"
                        )));
                    }
                    None => {
                        if let Some(deps) = dependencies(&dep)? {
                            marks.insert(dep.clone(), Mark::Visiting);
                            stack.push((dep, deps.into_iter()));
                        }
                    }
                },
                None => {
                    let name = name.clone();
                    stack.pop();
                    marks.insert(name.clone(), Mark::Done);
                    order.push(name);
                }
            }
        }
    }
    Ok(order)
}

/// The module's ELF bytes, decompressed according to its extension.
pub fn read_module(path: &Path) -> Result<Vec<u8>> {
    let name = path.to_string_lossy();
    let tool = if name.ends_with(".ko.xz") {
        Some("xz")
    } else if name.ends_with(".ko.zst") {
        Some("zstd")
    } else if name.ends_with(".ko.gz") {
        Some("gzip")
    } else {
        None
    };
    match tool {
        None => std::fs::read(path)
            .map_err(|e| KcanaryError::Io(format!("cannot read {}: {e}", path.display()))),
        Some(tool) => {
            let output = std::process::Command::new(tool).arg("-dc").arg(path).output().map_err(|e| {
                KcanaryError::Io(format!(
                    "cannot run `{tool} -dc` to decompress {} ({e}); install {tool} (Debian: {})",
                    path.display(),
                    if tool == "xz" { "xz-utils" } else { tool }
                ))
            })?;
            if !output.status.success() {
                return Err(KcanaryError::Io(format!(
                    "{tool} -dc {} failed: {}",
                    path.display(),
                    String::from_utf8_lossy(&output.stderr).trim()
                )));
            }
            Ok(output.stdout)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        edges
            .iter()
            .map(|(n, d)| (n.to_string(), d.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    fn order_of(g: &BTreeMap<String, Vec<String>>, wanted: &[&str]) -> Result<Vec<String>> {
        let wanted: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
        load_order(&wanted, |n| Ok(g.get(n).cloned()))
    }

    #[test]
    fn dependencies_come_first_and_once() {
        let g = graph(&[
            ("ip_set_hash_ip", &["ip_set"]),
            ("ip_set_list_set", &["ip_set"]),
            ("ip_set", &["nfnetlink"]),
            ("nfnetlink", &[]),
        ]);
        let order = order_of(&g, &["ip_set_hash_ip", "ip_set_list_set", "ip_set"]).unwrap();
        assert_eq!(
            order,
            ["nfnetlink", "ip_set", "ip_set_hash_ip", "ip_set_list_set"]
        );
    }

    #[test]
    fn diamond_and_unknown_dependencies() {
        let g = graph(&[
            ("ip_vs_rr", &["ip_vs"]),
            ("ip_vs", &["nf_conntrack", "libcrc32c"]),
            ("nf_conntrack", &["libcrc32c"]),
            ("libcrc32c", &["crc32c_builtin"]),
        ]);
        let order = order_of(&g, &["ip_vs_rr"]).unwrap();
        assert_eq!(order, ["libcrc32c", "nf_conntrack", "ip_vs", "ip_vs_rr"]);
    }

    #[test]
    fn cycles_are_errors() {
        let g = graph(&[("a", &["b"]), ("b", &["a"])]);
        let error = order_of(&g, &["a"]).unwrap_err().to_string();
        assert!(error.contains("cycle"), "{error}");
    }

    #[test]
    fn modules_dep_lines_become_names() {
        let text = "kernel/net/netfilter/ipset/ip_set_hash_ip.ko.xz: kernel/net/netfilter/ipset/ip_set.ko.xz kernel/net/netfilter/nfnetlink.ko.xz\nkernel/net/netfilter/nfnetlink.ko.xz:\nkernel/drivers/foo-bar.ko:\n";
        let deps = parse_modules_dep(text);
        assert_eq!(deps["ip_set_hash_ip"], ["ip_set", "nfnetlink"]);
        assert!(deps["nfnetlink"].is_empty());
        assert!(deps.contains_key("foo_bar"));
    }

    #[test]
    fn module_names_from_file_names() {
        assert_eq!(module_name("ip_set.ko").as_deref(), Some("ip_set"));
        assert_eq!(
            module_name("nf-conntrack.ko.zst").as_deref(),
            Some("nf_conntrack")
        );
        assert_eq!(module_name("ip_vs.ko.xz").as_deref(), Some("ip_vs"));
        assert_eq!(module_name("modules.order"), None);
        assert_eq!(module_name("x.ko.bz2"), None);
        assert_eq!(module_name("notes.kobj"), None);
    }

    #[test]
    fn plan_on_a_tree_with_modules_dep() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("kernel/net")).unwrap();
        for f in [
            "ip_set.ko",
            "ip_set_hash_ip.ko",
            "nfnetlink.ko",
            "unrelated.ko",
        ] {
            std::fs::write(root.join("kernel/net").join(f), b"").unwrap();
        }
        std::fs::write(
            root.join("modules.dep"),
            "kernel/net/ip_set_hash_ip.ko: kernel/net/ip_set.ko kernel/net/nfnetlink.ko\n\
             kernel/net/ip_set.ko: kernel/net/nfnetlink.ko\nkernel/net/nfnetlink.ko:\nkernel/net/unrelated.ko:\n",
        )
        .unwrap();
        std::fs::write(root.join("modules.builtin"), "kernel/net/ip_vs.ko\n").unwrap();
        let tree = ModuleTree::scan(root).unwrap();
        let plan = tree
            .plan(&["ip_set", "ip_set_*", "ip_vs", "nf_conntrack"])
            .unwrap();
        let names: Vec<&str> = plan.ordered.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["nfnetlink", "ip_set", "ip_set_hash_ip"]);
        assert_eq!(plan.builtin, ["ip_vs"]);
        assert_eq!(plan.missing, ["nf_conntrack"]);
    }
}
