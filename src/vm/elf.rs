//! The facts kcanary reads from ELF files: how an executable or shared library is linked
//! (its program interpreter, `DT_NEEDED` libraries and library search path, so the guest's
//! initramfs can hold what the dynamic loader will open), and a kernel module's `.modinfo`
//! (its `depends=` list). Only 64-bit little-endian ELF (x86_64) is handled.

/// Program header types (`p_type`).
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;

/// Dynamic section tags (`d_tag`).
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_RPATH: u64 = 15;
const DT_RUNPATH: u64 = 29;

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(bytes: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?)).ok()
}

fn check_header(bytes: &[u8]) -> Result<(), String> {
    if bytes.get(..4) != Some(b"\x7fELF") {
        return Err("not an ELF file".into());
    }
    if bytes.get(4) != Some(&2) || bytes.get(5) != Some(&1) {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    Ok(())
}

/// The machine an ELF file is built for (`e_machine`: 62 is x86_64). The dynamic loader skips
/// a library of another machine (e.g. a 32-bit one in /usr/lib) and keeps searching.
pub fn machine(bytes: &[u8]) -> Result<u16, String> {
    check_header(bytes)?;
    u16_at(bytes, 0x12).ok_or_else(|| "truncated ELF header".to_string())
}

/// One program header: where a segment lies in the file and in memory.
struct Segment {
    kind: u32,
    offset: usize,
    address: usize,
    file_size: usize,
}

fn segments(bytes: &[u8]) -> Result<Vec<Segment>, String> {
    check_header(bytes)?;
    let truncated = || "truncated ELF program headers".to_string();
    let phoff = u64_at(bytes, 0x20).ok_or_else(truncated)?;
    let phentsize = u16_at(bytes, 0x36).ok_or_else(truncated)? as usize;
    let phnum = u16_at(bytes, 0x38).ok_or_else(truncated)? as usize;
    (0..phnum)
        .map(|index| {
            let at = phoff + index * phentsize;
            Some(Segment {
                kind: u32_at(bytes, at)?,
                offset: u64_at(bytes, at + 8)?,
                address: u64_at(bytes, at + 16)?,
                file_size: u64_at(bytes, at + 32)?,
            })
        })
        .collect::<Option<_>>()
        .ok_or_else(truncated)
}

/// True when the executable has no program interpreter (no dynamic loader), i.e. it runs in an
/// initramfs that holds nothing but itself.
pub fn is_static_executable(bytes: &[u8]) -> Result<bool, String> {
    Ok(dynamic_linking(bytes)?.interpreter.is_none())
}

/// What the dynamic loader reads from an executable or a shared library before it can run it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DynamicLinking {
    /// `PT_INTERP`: the loader the kernel starts for an executable (`/lib64/ld-linux-x86-64.so.2`);
    /// `None` for a static executable and for most shared libraries.
    pub interpreter: Option<String>,
    /// `DT_NEEDED`, in the file's order: the libraries to load (`libc.so.6`).
    pub needed: Vec<String>,
    /// `DT_RUNPATH`, or `DT_RPATH` when there is no RUNPATH, split at `:`; may hold `$ORIGIN`.
    pub search_path: Vec<String>,
}

/// Reads `PT_INTERP` and the dynamic section (through the program headers, which every
/// loadable file has; section headers may be stripped). A file without either is static.
pub fn dynamic_linking(bytes: &[u8]) -> Result<DynamicLinking, String> {
    let segments = segments(bytes)?;
    let contents = |segment: &Segment| -> Result<&[u8], String> {
        let end = segment.offset.checked_add(segment.file_size);
        end.and_then(|end| bytes.get(segment.offset..end))
            .ok_or_else(|| "an ELF segment lies beyond the end of the file".to_string())
    };
    let mut linking = DynamicLinking::default();
    if let Some(interp) = segments.iter().find(|s| s.kind == PT_INTERP) {
        linking.interpreter = Some(c_string(contents(interp)?, 0)?);
    }
    let Some(dynamic) = segments.iter().find(|s| s.kind == PT_DYNAMIC) else {
        return Ok(linking);
    };
    let entries: Vec<(u64, usize)> = contents(dynamic)?
        .chunks_exact(16)
        .map(|entry| {
            let tag = u64::from_le_bytes(entry[..8].try_into().unwrap());
            let value = u64_at(entry, 8).unwrap_or(usize::MAX);
            (tag, value)
        })
        .take_while(|&(tag, _)| tag != DT_NULL)
        .collect();
    let Some(&(_, strtab_address)) = entries.iter().find(|(tag, _)| *tag == DT_STRTAB) else {
        return Ok(linking);
    };
    // DT_STRTAB is an address in memory: find the loaded segment that holds it.
    let strtab = segments
        .iter()
        .filter(|s| s.kind == PT_LOAD)
        .find(|s| (s.address..s.address.saturating_add(s.file_size)).contains(&strtab_address))
        .ok_or("DT_STRTAB points outside every loaded segment")?;
    let strings = contents(strtab)?;
    let string = |offset: usize| {
        c_string(
            strings,
            (strtab_address - strtab.address).saturating_add(offset),
        )
    };
    let mut rpath = Vec::new();
    for &(tag, value) in &entries {
        match tag {
            DT_NEEDED => linking.needed.push(string(value)?),
            DT_RUNPATH => linking.search_path.extend(split_path(&string(value)?)),
            DT_RPATH => rpath.extend(split_path(&string(value)?)),
            _ => {}
        }
    }
    // The loader ignores DT_RPATH when DT_RUNPATH is present.
    if linking.search_path.is_empty() {
        linking.search_path = rpath;
    }
    Ok(linking)
}

fn split_path(path: &str) -> Vec<String> {
    path.split(':')
        .filter(|dir| !dir.is_empty())
        .map(str::to_string)
        .collect()
}

/// The NUL-terminated string at `offset` of `table`.
fn c_string(table: &[u8], offset: usize) -> Result<String, String> {
    let rest = table
        .get(offset..)
        .ok_or("an ELF string lies beyond its table")?;
    let end = rest
        .iter()
        .position(|&b| b == 0)
        .ok_or("an ELF string has no terminating NUL")?;
    String::from_utf8(rest[..end].to_vec()).map_err(|_| "an ELF string is not UTF-8".to_string())
}

/// The contents of the section called `wanted`, if the file has one.
pub fn section<'a>(bytes: &'a [u8], wanted: &str) -> Result<Option<&'a [u8]>, String> {
    check_header(bytes)?;
    let truncated = || "truncated ELF section headers".to_string();
    let shoff = u64_at(bytes, 0x28).ok_or_else(truncated)?;
    let shentsize = u16_at(bytes, 0x3a).ok_or_else(truncated)? as usize;
    let shnum = u16_at(bytes, 0x3c).ok_or_else(truncated)? as usize;
    let shstrndx = u16_at(bytes, 0x3e).ok_or_else(truncated)? as usize;
    let header = |index: usize| -> Option<(usize, &'a [u8])> {
        let at = shoff + index * shentsize;
        let name = u32_at(bytes, at)? as usize;
        let offset = u64_at(bytes, at + 24)?;
        let size = u64_at(bytes, at + 32)?;
        Some((name, bytes.get(offset..offset.checked_add(size)?)?))
    };
    let (_, names) = header(shstrndx).ok_or_else(truncated)?;
    for index in 0..shnum {
        let (name_offset, contents) = header(index).ok_or_else(truncated)?;
        let name = names.get(name_offset..).unwrap_or_default();
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        if name == wanted.as_bytes() {
            return Ok(Some(contents));
        }
    }
    Ok(None)
}

/// The modules a kernel module depends on, from the `depends=a,b` entry of its `.modinfo`.
pub fn module_depends(module: &[u8]) -> Result<Vec<String>, String> {
    let modinfo = section(module, ".modinfo")?.ok_or("no .modinfo section: not a kernel module")?;
    Ok(modinfo
        .split(|&b| b == 0)
        .filter_map(|entry| entry.strip_prefix(b"depends="))
        .flat_map(|list| {
            String::from_utf8_lossy(list)
                .split(',')
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|name| !name.is_empty())
        .map(|name| name.replace('-', "_"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_binary_is_dynamic_or_static_as_the_loader_says() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let has_interp = section(&exe, ".interp").unwrap().is_some();
        assert_eq!(is_static_executable(&exe).unwrap(), !has_interp);
    }

    #[test]
    fn rejects_non_elf_input() {
        assert!(is_static_executable(b"#!/bin/sh\n").is_err());
        assert!(module_depends(b"\x7fELF\x02\x01").is_err());
    }
}
