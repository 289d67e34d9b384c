//! Reading files that someone else wrote: every read has a size cap, so a
//! hostile or mistaken input (`--policy /dev/zero`, a 60 MB "policy")
//! is refused after at most the cap plus one byte, before memory grows with
//! it. The caps sit far above RAM's own limits (a policy document is at most
//! 6,144 characters) and are listed in SECURITY.md.

use std::fs::File;
use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// The longest line `ramcheck can-i --batch` reads: 64 KiB. A query is a
/// few hundred bytes; a longer line is answered with an error and skipped
/// without being held in memory.
pub const MAX_BATCH_LINE_BYTES: u64 = 64 * 1024;

/// How messages name standard input, which the command line calls `-`.
pub const STDIN_NAME: &str = "<stdin>";

/// Whether `path` is `-`, which stands for standard input wherever the
/// command line takes a file.
pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// `path` as messages name it: [`STDIN_NAME`] for `-`, else as given.
pub fn display_name(path: &Path) -> String {
    if is_stdin(path) {
        STDIN_NAME.to_string()
    } else {
        path.display().to_string()
    }
}

/// Set once standard input has been handed out: it can be read once per
/// process, so `--policy - --session-policy -` is an error, not a second,
/// empty document.
static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

fn take_stdin() -> Result<std::io::Stdin, ReadError> {
    if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
        return Err(ReadError::StdinTwice);
    }
    Ok(std::io::stdin())
}

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
    /// `-` named a second input: standard input can be read only once.
    #[error(
        "{STDIN_NAME}: standard input is already read for another argument; `-` can stand for one input only"
    )]
    StdinTwice,
}

impl ReadError {
    /// The file the error is about, as it was named.
    pub fn path(&self) -> &str {
        match self {
            ReadError::Io { path, .. }
            | ReadError::TooLarge { path, .. }
            | ReadError::NotRegularFile { path }
            | ReadError::NotUtf8 { path } => path,
            ReadError::StdinTwice => STDIN_NAME,
        }
    }
}

/// Reads at most `limit` bytes of `path`; more is an error, found after
/// reading `limit + 1` bytes at most. `what` names the kind of file for the
/// message (`"a policy document"`). Pipes and devices are read like files,
/// so `--policy <(jq …)` works; [`read_regular`] refuses them. `-` reads
/// standard input (once per process, see [`ReadError::StdinTwice`]),
/// named [`STDIN_NAME`] in errors.
pub fn read_limited(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io {
        path: display_name(path),
        source,
    };
    let read = if is_stdin(path) {
        read_capped(take_stdin()?.lock(), limit)
    } else {
        read_capped(File::open(path).map_err(io)?, limit)
    };
    read.map_err(io)?.ok_or_else(|| ReadError::TooLarge {
        path: display_name(path),
        limit,
        what,
    })
}

/// Opens `path` (or standard input for `-`) to be read line by line with
/// [`read_line_capped`], for inputs read as a stream rather than whole.
pub fn open_lines(path: &Path) -> Result<Box<dyn BufRead>, ReadError> {
    if is_stdin(path) {
        return Ok(Box::new(take_stdin()?.lock()));
    }
    let file = File::open(path).map_err(|source| ReadError::Io {
        path: display_name(path),
        source,
    })?;
    Ok(Box::new(std::io::BufReader::new(file)))
}

/// One line read by [`read_line_capped`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// The line's bytes, without its `\n` (or `\r\n`).
    Text(Vec<u8>),
    /// The line was longer than the limit; it was skipped, up to and
    /// including its newline, without being kept.
    TooLong,
}

/// Reads the next line of at most `limit` bytes (its newline excluded):
/// `None` at the end of the input. A longer line is consumed to its end in
/// pieces, never held whole, and reported as [`Line::TooLong`], so memory
/// stays within the limit however long a hostile line is.
pub fn read_line_capped(reader: &mut dyn BufRead, limit: u64) -> std::io::Result<Option<Line>> {
    let mut line = Vec::new();
    let mut too_long = false;
    let mut any = false;
    loop {
        let (done, used) = {
            let buf = match reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            any = true;
            let (piece, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            if !too_long {
                if (line.len() + piece.len()) as u64 > limit {
                    too_long = true;
                    line = Vec::new();
                } else {
                    line.extend_from_slice(piece);
                }
            }
            (done.is_some(), done.unwrap_or(buf.len()))
        };
        reader.consume(used);
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if too_long {
        return Ok(Some(Line::TooLong));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(Line::Text(line)))
}

/// [`read_limited`] for a file that must be a regular file after following
/// links, as every file of a principal store is: a FIFO would block the
/// loader, a directory or device is never a policy.
pub fn read_regular(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io {
        path: display_name(path),
        source,
    };
    if is_stdin(path) || !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(ReadError::NotRegularFile {
            path: display_name(path),
        });
    }
    read_limited(path, limit, what)
}

/// [`read_limited`] for a text file: UTF-8 or an error.
pub fn read_text(path: &Path, limit: u64, what: &'static str) -> Result<String, ReadError> {
    String::from_utf8(read_limited(path, limit, what)?).map_err(|_| ReadError::NotUtf8 {
        path: display_name(path),
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

    #[test]
    fn lines_stop_at_the_cap() {
        let text = format!("a\r\n{}\nbc\n\nlast", "x".repeat(100));
        let mut reader = std::io::BufReader::with_capacity(7, text.as_bytes());
        let mut lines = Vec::new();
        while let Some(line) = read_line_capped(&mut reader, 10).unwrap() {
            lines.push(line);
        }
        let t = |s: &str| Line::Text(s.as_bytes().to_vec());
        assert_eq!(
            lines,
            vec![t("a"), Line::TooLong, t("bc"), t(""), t("last")]
        );
        // An endless line is skipped in pieces, in bounded memory.
        let mut endless = std::io::BufReader::new(std::io::repeat(b'x').take(10_000_000));
        assert_eq!(
            read_line_capped(&mut endless, 1024).unwrap(),
            Some(Line::TooLong)
        );
        assert_eq!(display_name(Path::new("-")), "<stdin>");
        assert_eq!(display_name(Path::new("a/-")), "a/-");
    }
}
