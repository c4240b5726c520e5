//! The two facts kcanary reads from ELF files: whether an executable is static (it can run as
//! the guest's init with nothing else in the initramfs), and a kernel module's `.modinfo`
//! (its `depends=` list). Only 64-bit little-endian ELF (x86_64) is handled.

const PT_INTERP: u32 = 3;

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

/// True when the executable has no program interpreter (no dynamic loader), i.e. it runs in an
/// initramfs that holds nothing but itself.
pub fn is_static_executable(bytes: &[u8]) -> Result<bool, String> {
    check_header(bytes)?;
    let truncated = || "truncated ELF program headers".to_string();
    let phoff = u64_at(bytes, 0x20).ok_or_else(truncated)?;
    let phentsize = u16_at(bytes, 0x36).ok_or_else(truncated)? as usize;
    let phnum = u16_at(bytes, 0x38).ok_or_else(truncated)? as usize;
    for index in 0..phnum {
        let p_type = u32_at(bytes, phoff + index * phentsize).ok_or_else(truncated)?;
        if p_type == PT_INTERP {
            return Ok(false);
        }
    }
    Ok(true)
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
