//! Reading the files operators hand the service (the config file, plugin
//! files) without letting a file stall or flood it.
//!
//! A path swapped for a FIFO or a device blocked the reload thread forever on
//! `open`, and a 50 MB config file left the process holding half a gigabyte.
//! So a file is opened without blocking, must turn out to be a regular file
//! (symlinks to one are fine: Kubernetes ConfigMap volumes are made of them),
//! and is read only up to a cap.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not there (deleted or renamed away between a scan and the read).
    #[error("no such file")]
    NotFound,
    /// A FIFO, a socket, a device or a directory.
    #[error("not a regular file (a FIFO, a device or a directory is never read)")]
    NotRegular,
    /// Larger than the cap.
    #[error("the file is {size} bytes, above the limit of {cap} bytes ({key})")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The cap.
        cap: u64,
        /// The configuration key or constant that sets the cap.
        key: &'static str,
    },
    /// Any other I/O error.
    #[error("{0}")]
    Io(std::io::Error),
}

/// Reads `path` if it is a regular file of at most `cap` bytes; `key` names
/// the bound in the error.
pub fn read_regular(path: &Path, cap: u64, key: &'static str) -> Result<Vec<u8>, ReadError> {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e),
    };
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
    // writer. It changes nothing for a regular file.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            cap,
            key,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow between the check and the read.
    file.take(cap + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            cap,
            key,
        });
    }
    Ok(bytes)
}

/// The hex sha256 of `bytes`: how a config file or a plugin file is
/// identified in statuses, logs and the compiled cache.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_and_symlinks_to_them_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(&file, b"x = 1\n").unwrap();
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_regular(&file, 100, "k").unwrap(), b"x = 1\n");
        assert_eq!(read_regular(&link, 100, "k").unwrap(), b"x = 1\n");
        assert!(matches!(
            read_regular(&file, 3, "k"),
            Err(ReadError::TooLarge {
                size: 6,
                cap: 3,
                ..
            })
        ));
        assert!(matches!(
            read_regular(&dir.path().join("missing"), 3, "k"),
            Err(ReadError::NotFound)
        ));
        assert!(matches!(
            read_regular(dir.path(), 3, "k"),
            Err(ReadError::NotRegular)
        ));
    }

    #[test]
    fn a_fifo_is_refused_at_once_instead_of_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("config.toml");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        assert!(matches!(
            read_regular(&fifo, 100, "k"),
            Err(ReadError::NotRegular)
        ));
    }
}
