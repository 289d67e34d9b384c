//! Reading files that someone else wrote: every read has a size cap, so a
//! hostile or mistaken input (`--policy /dev/zero`, a 60 MB "policy")
//! is refused after at most the cap plus one byte, before memory grows with
//! it. The caps sit far above RAM's own limits (a policy document is at most
//! 6,144 characters) and are listed in SECURITY.md.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The largest policy document ramcheck reads: 1 MiB, over 40 times the
/// largest document RAM accepts (6,144 characters, at most 24 KiB in UTF-8).
pub const MAX_POLICY_BYTES: u64 = 1024 * 1024;

/// The largest `principals.json` a store may hold: 16 MiB.
pub const MAX_PRINCIPALS_BYTES: u64 = 16 * 1024 * 1024;

/// The largest Terraform plan (`terraform show -json`) lint reads: 256 MiB.
pub const MAX_PLAN_BYTES: u64 = 256 * 1024 * 1024;

/// The largest `ramcheck.toml`: 1 MiB.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The largest input file of `ramcheck generate` (intents or ActionTrail
/// events): 256 MiB.
pub const MAX_EVENTS_BYTES: u64 = 256 * 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be opened or read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file, as named.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than the limit for its kind.
    #[error(
        "{path}: larger than {limit} bytes, ramcheck's limit for {what}; refused without reading it whole"
    )]
    TooLarge {
        /// The file, as named.
        path: String,
        /// The limit, in bytes.
        limit: u64,
        /// The kind of file, e.g. `a policy document`.
        what: &'static str,
    },
    /// A file that must be a regular file is not one: a directory, a pipe
    /// or a device.
    #[error("{path}: not a regular file")]
    NotRegularFile {
        /// The file, as named.
        path: String,
    },
    /// A text file that is not valid UTF-8.
    #[error("{path}: not UTF-8 text")]
    NotUtf8 {
        /// The file, as named.
        path: String,
    },
}

impl ReadError {
    /// The file the error is about, as it was named.
    pub fn path(&self) -> &str {
        match self {
            ReadError::Io { path, .. }
            | ReadError::TooLarge { path, .. }
            | ReadError::NotRegularFile { path }
            | ReadError::NotUtf8 { path } => path,
        }
    }
}

/// Reads at most `limit` bytes of `path`; more is an error, found after
/// reading `limit + 1` bytes at most. `what` names the kind of file for the
/// message (`"a policy document"`). Pipes and devices are read like files,
/// so `--policy <(jq …)` works; [`read_regular`] refuses them.
pub fn read_limited(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    read_capped(file, limit)
        .map_err(io)?
        .ok_or_else(|| ReadError::TooLarge {
            path: path.display().to_string(),
            limit,
            what,
        })
}

/// [`read_limited`] for a file that must be a regular file after following
/// links, as every file of a principal store is: a FIFO would block the
/// loader, a directory or device is never a policy.
pub fn read_regular(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.display().to_string(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io)?;
    if !metadata.is_file() {
        return Err(ReadError::NotRegularFile {
            path: path.display().to_string(),
        });
    }
    read_limited(path, limit, what)
}

/// [`read_limited`] for a text file: UTF-8 or an error.
pub fn read_text(path: &Path, limit: u64, what: &'static str) -> Result<String, ReadError> {
    String::from_utf8(read_limited(path, limit, what)?).map_err(|_| ReadError::NotUtf8 {
        path: path.display().to_string(),
    })
}

/// Reads at most `limit` bytes from `reader`: `None` when there is more.
pub fn read_capped(reader: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_cap() {
        let bytes = read_capped(std::io::repeat(b'x'), 10).unwrap();
        assert!(bytes.is_none());
        assert_eq!(
            read_capped(&b"0123456789"[..], 10).unwrap().unwrap().len(),
            10
        );
        #[cfg(unix)]
        {
            let e = read_limited(Path::new("/dev/zero"), 1024, "a policy document").unwrap_err();
            assert!(matches!(e, ReadError::TooLarge { limit: 1024, .. }), "{e}");
            let e = read_regular(Path::new("/dev/zero"), 1024, "a policy document").unwrap_err();
            assert!(matches!(e, ReadError::NotRegularFile { .. }), "{e}");
        }
    }
}
