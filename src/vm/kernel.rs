//! Turns what the user names with `--kernel` into a bootable image and its module tree:
//! a bzImage/vmlinuz file, a Debian `linux-image-*.deb` (unpacked with `dpkg-deb -x`), a
//! directory holding an unpacked package, or a kernel build directory.
//!
//! Package layouts: classic (`boot/vmlinuz-<ver>` + `lib/modules/<ver>`) and merged /usr
//! (`usr/lib/modules/<ver>/vmlinuz`, from Debian's 7.x packages, where the modules may come
//! in a second package: name both, comma-separated, and they are unpacked into one tree).

use crate::error::{KcanaryError, Result};
use std::path::{Path, PathBuf};

/// A kernel ready to boot.
#[derive(Debug, Clone)]
pub struct Kernel {
    /// What the user passed (for messages and file names).
    pub input: String,
    /// The kernel release when known ("6.1.0-56-cloud-amd64"), else the image's file name.
    pub label: String,
    pub image: PathBuf,
    /// The module tree (`lib/modules/<ver>` or a build directory), when there is one.
    pub modules: Option<PathBuf>,
}

/// The x86 boot protocol's "HdrS" signature at offset 0x202 of every bzImage.
pub fn is_bzimage(bytes: &[u8]) -> bool {
    bytes.get(0x202..0x206) == Some(b"HdrS")
}

/// The release in a bzImage's version string ("6.12.117+deb12-cloud-amd64 (debian-kernel@...)
/// #1 SMP ..."), found through the boot header's `kernel_version` pointer at 0x20e.
pub fn bzimage_release(bytes: &[u8]) -> Option<String> {
    let pointer = u16::from_le_bytes(bytes.get(0x20e..0x210)?.try_into().ok()?) as usize;
    if pointer == 0 {
        return None;
    }
    let text = bytes.get(0x200 + pointer..)?;
    let text = &text[..text.iter().take(256).position(|&b| b == 0)?];
    let release = std::str::from_utf8(text).ok()?.split_whitespace().next()?;
    Some(release.to_string())
}

/// Prepares `input`, unpacking packages under `work_dir`.
pub fn prepare(input: &str, work_dir: &Path) -> Result<Kernel> {
    let parts: Vec<&Path> = input.split(',').map(Path::new).collect();
    for part in &parts {
        if !part.exists() {
            return Err(KcanaryError::bad_input(
                part,
                None,
                "no such kernel file or directory",
            ));
        }
    }
    let kernel = if parts.iter().all(|p| is_deb(p)) {
        let stem = parts[0]
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let root = work_dir
            .join("unpacked")
            .join(stem.trim_end_matches(".deb"));
        for part in &parts {
            unpack_deb(part, &root)?;
        }
        detect_layout(&root).map_err(|message| KcanaryError::bad_input(parts[0], None, message))?
    } else if parts.len() > 1 {
        return Err(KcanaryError::Usage(format!(
            "--kernel {input}: only .deb packages can be combined with ','"
        )));
    } else if parts[0].is_dir() {
        detect_layout(parts[0])
            .map_err(|message| KcanaryError::bad_input(parts[0], None, message))?
    } else {
        let bytes = std::fs::read(parts[0])
            .map_err(|e| KcanaryError::bad_input(parts[0], None, format!("cannot read: {e}")))?;
        if !is_bzimage(&bytes) {
            return Err(KcanaryError::bad_input(
                parts[0],
                None,
                "not a bzImage (no 'HdrS' boot header), a .deb package or a directory; a \
                 `vmlinux` ELF file cannot be booted with -kernel, use arch/x86/boot/bzImage",
            ));
        }
        Layout {
            image: parts[0].to_path_buf(),
            modules: None,
            release: bzimage_release(&bytes),
        }
    };
    let label = kernel.release.clone().unwrap_or_else(|| {
        kernel
            .image
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    Ok(Kernel {
        input: input.to_string(),
        label,
        image: kernel.image,
        modules: kernel.modules,
    })
}

fn is_deb(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    use std::io::Read;
    path.extension().is_some_and(|e| e == "deb")
        || std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
            && &magic == b"!<arch>\n"
}

fn unpack_deb(deb: &Path, root: &Path) -> Result<()> {
    let stamp = root.join(format!(
        ".kcanary-unpacked-{}",
        deb.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    if stamp.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(root)
        .map_err(|e| KcanaryError::Io(format!("cannot create {}: {e}", root.display())))?;
    let output = std::process::Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(root)
        .output()
        .map_err(|e| {
            KcanaryError::Io(format!(
                "cannot run dpkg-deb to unpack {} ({e}); install dpkg",
                deb.display()
            ))
        })?;
    if !output.status.success() {
        return Err(KcanaryError::bad_input(
            deb,
            None,
            format!(
                "dpkg-deb -x failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        ));
    }
    std::fs::write(&stamp, b"")
        .map_err(|e| KcanaryError::Io(format!("cannot write {}: {e}", stamp.display())))
}

/// Where the pieces of a kernel are inside a directory.
#[derive(Debug, PartialEq)]
pub struct Layout {
    pub image: PathBuf,
    pub modules: Option<PathBuf>,
    pub release: Option<String>,
}

fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// Finds the image and module tree in an unpacked package or a build directory.
pub fn detect_layout(root: &Path) -> std::result::Result<Layout, String> {
    let build_image = root.join("arch/x86/boot/bzImage");
    if build_image.is_file() {
        let release = std::fs::read_to_string(root.join("include/config/kernel.release"))
            .ok()
            .map(|s| s.trim().to_string());
        let has_modules = root.join("modules.order").is_file();
        return Ok(Layout {
            image: build_image,
            modules: has_modules.then(|| root.to_path_buf()),
            release,
        });
    }
    let module_dirs: Vec<PathBuf> = ["lib/modules", "usr/lib/modules"]
        .iter()
        .flat_map(|base| subdirectories(&root.join(base)))
        .collect();
    // Merged /usr: the image sits in the module directory.
    for dir in &module_dirs {
        if dir.join("vmlinuz").is_file() {
            let release = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            return Ok(Layout {
                image: dir.join("vmlinuz"),
                modules: Some(dir.clone()),
                release,
            });
        }
    }
    // Classic: boot/vmlinuz-<release> next to lib/modules/<release>.
    let boot = root.join("boot");
    let mut images: Vec<PathBuf> = std::fs::read_dir(&boot)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    images.retain(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
    });
    images.sort();
    match images.as_slice() {
        [image] => {
            let release =
                image.file_name().unwrap().to_string_lossy()["vmlinuz-".len()..].to_string();
            let modules = module_dirs
                .iter()
                .find(|d| d.file_name().is_some_and(|n| *n == *release))
                .cloned();
            Ok(Layout {
                image: image.clone(),
                modules,
                release: Some(release),
            })
        }
        [] => Err(format!(
            "no kernel image found in {}: expected boot/vmlinuz-<release>, \
             usr/lib/modules/<release>/vmlinuz or arch/x86/boot/bzImage",
            root.display()
        )),
        many => Err(format!(
            "{} kernel images in {}: name one package or image per --kernel",
            many.len(),
            boot.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, path: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }

    #[test]
    fn classic_debian_layout() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "boot/vmlinuz-6.1.0-56-cloud-amd64");
        touch(dir.path(), "boot/config-6.1.0-56-cloud-amd64");
        touch(
            dir.path(),
            "lib/modules/6.1.0-56-cloud-amd64/kernel/net/ip_set.ko",
        );
        let layout = detect_layout(dir.path()).unwrap();
        assert_eq!(
            layout.image,
            dir.path().join("boot/vmlinuz-6.1.0-56-cloud-amd64")
        );
        assert_eq!(
            layout.modules,
            Some(dir.path().join("lib/modules/6.1.0-56-cloud-amd64"))
        );
        assert_eq!(layout.release.as_deref(), Some("6.1.0-56-cloud-amd64"));
    }

    #[test]
    fn merged_usr_layout() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "usr/lib/modules/7.0.1-amd64/vmlinuz");
        touch(
            dir.path(),
            "usr/lib/modules/7.0.1-amd64/kernel/net/ip_set.ko.xz",
        );
        let layout = detect_layout(dir.path()).unwrap();
        assert_eq!(
            layout.image,
            dir.path().join("usr/lib/modules/7.0.1-amd64/vmlinuz")
        );
        assert_eq!(
            layout.modules,
            Some(dir.path().join("usr/lib/modules/7.0.1-amd64"))
        );
        assert_eq!(layout.release.as_deref(), Some("7.0.1-amd64"));
    }

    #[test]
    fn classic_image_with_modules_under_usr() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "boot/vmlinuz-6.12.5-amd64");
        touch(dir.path(), "usr/lib/modules/6.12.5-amd64/modules.order");
        let layout = detect_layout(dir.path()).unwrap();
        assert_eq!(
            layout.modules,
            Some(dir.path().join("usr/lib/modules/6.12.5-amd64"))
        );
    }

    #[test]
    fn build_directory_with_and_without_modules() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "arch/x86/boot/bzImage");
        std::fs::create_dir_all(dir.path().join("include/config")).unwrap();
        std::fs::write(
            dir.path().join("include/config/kernel.release"),
            "6.12.0-rc1+\n",
        )
        .unwrap();
        let layout = detect_layout(dir.path()).unwrap();
        assert_eq!(layout.modules, None);
        assert_eq!(layout.release.as_deref(), Some("6.12.0-rc1+"));
        touch(dir.path(), "modules.order");
        assert_eq!(
            detect_layout(dir.path()).unwrap().modules,
            Some(dir.path().to_path_buf())
        );
    }

    #[test]
    fn empty_and_ambiguous_directories_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let error = detect_layout(dir.path()).unwrap_err();
        assert!(error.contains("expected boot/vmlinuz-<release>"), "{error}");
        touch(dir.path(), "boot/vmlinuz-a");
        touch(dir.path(), "boot/vmlinuz-b");
        assert!(
            detect_layout(dir.path())
                .unwrap_err()
                .contains("2 kernel images")
        );
    }

    #[test]
    fn plain_files_must_be_bzimages() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("vmlinux");
        std::fs::write(&fake, b"\x7fELF not a bzImage").unwrap();
        let error = prepare(fake.to_str().unwrap(), dir.path()).unwrap_err();
        assert_eq!(error.exit_code(), crate::error::exit_code::BAD_INPUT);
        assert!(error.to_string().contains("not a bzImage"), "{error}");
        let mut image = vec![0u8; 0x300];
        image[0x202..0x206].copy_from_slice(b"HdrS");
        assert_eq!(bzimage_release(&image), None);
        let good = dir.path().join("bzImage");
        std::fs::write(&good, &image).unwrap();
        let kernel = prepare(good.to_str().unwrap(), dir.path()).unwrap();
        assert_eq!(kernel.modules, None);
        assert_eq!(kernel.label, "bzImage");
    }

    #[test]
    fn release_from_the_bzimage_version_string() {
        let mut image = vec![0u8; 0x400];
        image[0x202..0x206].copy_from_slice(b"HdrS");
        image[0x20e..0x210].copy_from_slice(&0x100u16.to_le_bytes());
        let version = b"6.12.117+deb12-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP\0";
        image[0x300..0x300 + version.len()].copy_from_slice(version);
        assert_eq!(
            bzimage_release(&image).as_deref(),
            Some("6.12.117+deb12-cloud-amd64")
        );
    }
}
