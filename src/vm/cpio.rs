//! A writer for the "newc" cpio format (SVR4 without CRC), the format the kernel unpacks as
//! an initramfs. Written here rather than pulled in as a crate because the format is ~30 lines
//! and we need device nodes (`/dev/console`) that must be created without root. Symbolic links
//! give a shared library its second name (the kernel's unpacker creates them) without a
//! second copy.
//!
//! Each entry is a 110-byte ASCII header (magic `070701` and 13 eight-digit hex fields), the
//! NUL-terminated name, padding to 4 bytes, the data, padding to 4 bytes. The archive ends with
//! the entry `TRAILER!!!`. The kernel accepts an uncompressed archive from every version we
//! care about, so no compression is applied.

use std::io::{self, Write};

const MAGIC: &str = "070701";
const TRAILER: &str = "TRAILER!!!";

/// File type bits of `st_mode` (from `<sys/stat.h>`).
const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFCHR: u32 = 0o020000;
const S_IFLNK: u32 = 0o120000;

/// Writes entries one after the other; `finish` appends the trailer.
pub struct CpioWriter<W: Write> {
    out: W,
    next_inode: u32,
    written: u64,
}

impl<W: Write> CpioWriter<W> {
    pub fn new(out: W) -> CpioWriter<W> {
        CpioWriter {
            out,
            next_inode: 1,
            written: 0,
        }
    }

    /// A directory; parents must be added first (the kernel does not create them).
    pub fn directory(&mut self, path: &str, permissions: u32) -> io::Result<()> {
        self.entry(path, S_IFDIR | permissions, 2, (0, 0), &[])
    }

    /// A regular file with `contents`.
    pub fn file(&mut self, path: &str, permissions: u32, contents: &[u8]) -> io::Result<()> {
        self.entry(path, S_IFREG | permissions, 1, (0, 0), contents)
    }

    /// A character device node, e.g. `/dev/console` (5, 1).
    pub fn char_device(
        &mut self,
        path: &str,
        permissions: u32,
        major: u32,
        minor: u32,
    ) -> io::Result<()> {
        self.entry(path, S_IFCHR | permissions, 1, (major, minor), &[])
    }

    /// A symbolic link at `path` pointing to `target`; newc stores the target as the data.
    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.entry(path, S_IFLNK | 0o777, 1, (0, 0), target.as_bytes())
    }

    /// Writes the trailer and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.header(TRAILER, 0, 1, (0, 0), 0, 0)?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn entry(
        &mut self,
        path: &str,
        mode: u32,
        links: u32,
        rdev: (u32, u32),
        data: &[u8],
    ) -> io::Result<()> {
        // Names are stored without the leading slash, as `cpio -H newc` does.
        let name = path.trim_start_matches('/');
        if name.is_empty() || name.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad cpio path {path:?}"),
            ));
        }
        let size = u32::try_from(data.len()).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{path} is over 4 GiB"))
        })?;
        let inode = self.next_inode;
        self.next_inode += 1;
        self.header(name, mode, links, rdev, size, inode)?;
        self.out.write_all(data)?;
        self.written += data.len() as u64;
        self.pad()
    }

    fn header(
        &mut self,
        name: &str,
        mode: u32,
        links: u32,
        rdev: (u32, u32),
        size: u32,
        inode: u32,
    ) -> io::Result<()> {
        let name_size = name.len() + 1;
        let fields = [
            inode,
            mode,
            0, // uid
            0, // gid
            links,
            0, // mtime: fixed, so the same inputs give the same archive
            size,
            0, // devmajor
            0, // devminor
            rdev.0,
            rdev.1,
            name_size as u32,
            0, // check (always 0 in newc)
        ];
        let mut header = String::with_capacity(110);
        header.push_str(MAGIC);
        for field in fields {
            header.push_str(&format!("{field:08x}"));
        }
        self.out.write_all(header.as_bytes())?;
        self.out.write_all(name.as_bytes())?;
        self.out.write_all(&[0])?;
        self.written += (header.len() + name_size) as u64;
        self.pad()
    }

    fn pad(&mut self) -> io::Result<()> {
        let padding = (4 - (self.written % 4) as usize) % 4;
        self.out.write_all(&[0u8; 3][..padding])?;
        self.written += padding as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn sample_archive() -> Vec<u8> {
        let mut cpio = CpioWriter::new(Vec::new());
        cpio.directory("/dev", 0o755).unwrap();
        cpio.char_device("/dev/console", 0o600, 5, 1).unwrap();
        cpio.directory("/modules", 0o755).unwrap();
        cpio.file("/init", 0o755, b"#!/bin/sh\necho hi\n").unwrap();
        cpio.file("/modules/001-a.ko", 0o644, &[7u8; 5]).unwrap();
        cpio.file("/empty", 0o644, b"").unwrap();
        cpio.finish().unwrap()
    }

    fn run_cpio(args: &[&str], input: &[u8], dir: &std::path::Path) -> String {
        let mut child = Command::new("cpio")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the cpio tool is installed (apt-get install cpio)");
        child.stdin.take().unwrap().write_all(input).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "cpio failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    #[test]
    fn archive_is_aligned_and_ends_with_trailer() {
        let archive = sample_archive();
        assert_eq!(archive.len() % 4, 0);
        assert!(archive.starts_with(b"070701"));
        let trailer_at = archive
            .windows(10)
            .rposition(|w| w == b"TRAILER!!!")
            .unwrap();
        assert!(trailer_at > archive.len() - 20);
    }

    #[test]
    fn host_cpio_lists_every_entry_with_its_type() {
        let dir = tempfile::tempdir().unwrap();
        let listing = run_cpio(&["-t", "-v", "-H", "newc"], &sample_archive(), dir.path());
        let lines: Vec<&str> = listing.lines().collect();
        let names: Vec<&str> = lines
            .iter()
            .map(|l| l.split_whitespace().last().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "dev",
                "dev/console",
                "modules",
                "init",
                "modules/001-a.ko",
                "empty"
            ]
        );
        assert!(lines[0].starts_with('d'), "{}", lines[0]);
        assert!(lines[1].starts_with("crw-------"), "{}", lines[1]);
        assert!(
            lines[1].contains("5,") && lines[1].contains(" 1 "),
            "major/minor: {}",
            lines[1]
        );
        assert!(lines[3].starts_with("-rwxr-xr-x"), "{}", lines[3]);
    }

    #[test]
    fn host_cpio_extracts_identical_contents() {
        let dir = tempfile::tempdir().unwrap();
        // -i without device nodes: extracting /dev/console needs root and is covered by -t.
        let mut cpio = CpioWriter::new(Vec::new());
        cpio.directory("/modules", 0o755).unwrap();
        cpio.file("/init", 0o755, b"odd length!").unwrap();
        let big: Vec<u8> = (0..100_003u32).map(|i| (i % 251) as u8).collect();
        cpio.file("/modules/big.ko", 0o644, &big).unwrap();
        cpio.symlink("/modules/alias.ko", "/modules/big.ko")
            .unwrap();
        cpio.symlink("/relative", "modules/big.ko").unwrap();
        let archive = cpio.finish().unwrap();
        run_cpio(
            &["-i", "-d", "-H", "newc", "--no-absolute-filenames"],
            &archive,
            dir.path(),
        );
        assert_eq!(
            std::fs::read(dir.path().join("init")).unwrap(),
            b"odd length!"
        );
        assert_eq!(
            std::fs::read(dir.path().join("modules/big.ko")).unwrap(),
            big
        );
        // Absolute targets are stored as they are (they mean the guest's root); a relative one
        // resolves from the link's directory, here inside the extraction directory.
        assert_eq!(
            std::fs::read_link(dir.path().join("modules/alias.ko")).unwrap(),
            std::path::Path::new("/modules/big.ko")
        );
        assert_eq!(std::fs::read(dir.path().join("relative")).unwrap(), big);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("init"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }

    #[test]
    fn rejects_empty_names() {
        let mut cpio = CpioWriter::new(Vec::new());
        assert!(cpio.file("/", 0o644, b"x").is_err());
    }
}
