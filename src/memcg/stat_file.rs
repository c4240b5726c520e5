//! Timed reads of cgroup stat files (`memory.stat`, `memory.numa_stat`).
//!
//! The file is opened once, outside any timed region, and every read is one `pread` at
//! offset 0 into a buffer allocated and faulted in beforehand: the timed region holds the
//! syscall and two clock reads, nothing else. A seq_file regenerates its whole text on a read
//! at offset 0, which is exactly the cost a monitoring agent pays per scrape.

use crate::error::{KcanaryError, Result};
use crate::netlink::errno_name;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Far above any stat file (memory.stat is ~3 KiB, numa_stat grows with the node count).
const BUFFER_BYTES: usize = 256 * 1024;

pub struct StatFile {
    path: PathBuf,
    file: File,
    buffer: Vec<u8>,
    /// Bytes returned by the last read.
    pub last_len: usize,
}

impl StatFile {
    /// Opens `path`; `Ok(None)` when the kernel does not offer it (no NUMA, an older v2 root).
    pub fn open(path: &Path) -> Result<Option<StatFile>> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(KcanaryError::Kernel(format!(
                    "cannot open {}: {e}",
                    path.display()
                )));
            }
        };
        // Written, not just allocated, so no page fault lands inside a timed read.
        let buffer = vec![0xa5_u8; BUFFER_BYTES];
        Ok(Some(StatFile {
            path: path.to_path_buf(),
            file,
            buffer,
            last_len: 0,
        }))
    }

    /// One whole-file read; its latency in nanoseconds.
    pub fn timed_read(&mut self) -> Result<u64> {
        let started = Instant::now();
        let outcome = self.file.read_at(&mut self.buffer, 0);
        let elapsed = started.elapsed();
        match outcome {
            Ok(n) if n < self.buffer.len() => {
                self.last_len = n;
                Ok(elapsed.as_nanos() as u64)
            }
            Ok(_) => Err(KcanaryError::Kernel(format!(
                "{} is larger than the {BUFFER_BYTES}-byte read buffer",
                self.path.display()
            ))),
            Err(e) => Err(KcanaryError::Kernel(format!(
                "read {} (fd {}): {}",
                self.path.display(),
                self.file.as_raw_fd(),
                e.raw_os_error()
                    .map(errno_name)
                    .unwrap_or_else(|| e.to_string())
            ))),
        }
    }

    /// The text of the last read (for tests and sanity checks).
    pub fn last_text(&self) -> &str {
        std::str::from_utf8(&self.buffer[..self.last_len]).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_whole_file_every_time() {
        let mut file = StatFile::open(Path::new("/proc/self/status"))
            .unwrap()
            .unwrap();
        file.timed_read().unwrap();
        let first = file.last_text().to_string();
        file.timed_read().unwrap();
        assert!(first.starts_with("Name:") && file.last_text().starts_with("Name:"));
        assert!(
            StatFile::open(Path::new("/proc/self/no-such-file"))
                .unwrap()
                .is_none()
        );
    }
}
