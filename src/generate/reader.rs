//! Reading `--from` files as a stream (docs/generate.md, "Scale"): JSON
//! lines are parsed one line at a time and dropped, so memory does not grow
//! with the file; gzip files (ActionTrail's OSS delivery) are decompressed
//! on the fly. A JSON array, or one JSON value over several lines, is read
//! whole, within [`MAX_EVENTS_BYTES`] (after decompression).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use flate2::read::MultiGzDecoder;

use crate::input::{Line, MAX_EVENTS_BYTES, display_name, is_stdin, open_lines, read_line_capped};
use crate::json::{self, Node, Value};

use super::actiontrail::FastEvent;
use super::{GenerateError, Progress};

/// One record of a file: read by the fast reader of ActionTrail events,
/// or by the crate's strict JSON reader.
pub(super) enum Record<'a> {
    /// An ActionTrail event on one JSON line.
    Event(&'a FastEvent<'a>),
    /// Anything else: an intent, an SLS row, an event the fast reader
    /// left to the strict one.
    Node(&'a Node),
}

/// Why a `--from` file cannot be read as records (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The file cannot be opened.
    #[error("{file}: cannot read: {reason}")]
    Open {
        /// The file, as named.
        file: String,
        /// The operating system's error.
        reason: String,
    },
    /// Reading failed after `line - 1` lines: an I/O error, or a damaged
    /// gzip stream.
    #[error("{file}:{line}: cannot read: {reason}{hint}")]
    Io {
        /// The file, as named.
        file: String,
        /// The line being read.
        line: u32,
        /// The error.
        reason: String,
        /// A hint for `.gz` files, or empty.
        hint: &'static str,
    },
    /// A line over [`MAX_LINE_BYTES`].
    #[error(
        "{file}:{line}: a line longer than {MAX_LINE_BYTES} bytes, ramcheck's limit for one record"
    )]
    LineTooLong {
        /// The file, as named.
        file: String,
        /// The line.
        line: u32,
    },
    /// A line that is not UTF-8.
    #[error("{file}:{line}: not UTF-8 text")]
    NotUtf8 {
        /// The file, as named.
        file: String,
        /// The line.
        line: u32,
    },
    /// A line, or the whole file, that is not JSON.
    #[error(
        "{file}:{line}: not JSON (expected a JSON array, or one JSON object per line): {reason}"
    )]
    NotJson {
        /// The file, as named.
        file: String,
        /// The line of the first error.
        line: u32,
        /// What is wrong.
        reason: String,
    },
    /// A file read whole that is over [`MAX_EVENTS_BYTES`].
    #[error(
        "{0}: a JSON value larger than {MAX_EVENTS_BYTES} bytes, ramcheck's limit for a file read \
         whole; write it as JSON lines (one record per line), which are read as a stream"
    )]
    TooLarge(String),
    /// No record at all.
    #[error("{0}: empty: no JSON record")]
    Empty(String),
}

type Visit<'v> = dyn FnMut(Record<'_>, &str) -> Result<(), GenerateError> + 'v;

/// The longest line read: 16 MiB. An ActionTrail event is a few KiB; a
/// longer line is an error naming it, never held whole.
pub(crate) const MAX_LINE_BYTES: u64 = 16 * 1024 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Calls `visit(record, origin)` for every record of `path`, `origin`
/// being `file:line`.
pub(super) fn read_file(path: &Path, visit: &mut Visit) -> Result<(), GenerateError> {
    let shown = display_name(path);
    let mut reader = open(path, &shown)?;
    let mut line_no: u32 = 0;
    let mut seen_record = false;
    let mut origin = String::new();
    loop {
        let line = read_line_capped(&mut *reader, MAX_LINE_BYTES).map_err(|e| FileError::Io {
            file: shown.clone(),
            line: line_no + 1,
            reason: e.to_string(),
            hint: gzip_hint(path),
        })?;
        let Some(line) = line else { break };
        line_no += 1;
        let bytes = match line {
            Line::Text(bytes) => bytes,
            Line::TooLong => {
                return Err(FileError::LineTooLong {
                    file: shown,
                    line: line_no,
                }
                .into());
            }
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| FileError::NotUtf8 {
            file: shown.clone(),
            line: line_no,
        })?;
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        if !seen_record && trimmed.starts_with('[') {
            return read_whole(text, line_no, &mut *reader, &shown, visit);
        }
        origin.clear();
        origin.push_str(&shown);
        origin.push(':');
        origin.push_str(&line_no.to_string());
        // Most lines of a trail are events: read them with the fast reader
        // (an object only: serde would read an array as a struct too).
        if trimmed.starts_with('{')
            && let Some(event) = FastEvent::parse(text)
        {
            seen_record = true;
            visit(Record::Event(&event), &origin)?;
            continue;
        }
        match json::parse(text) {
            Ok(node) => {
                seen_record = true;
                visit(Record::Node(&node), &origin)?;
            }
            // One JSON value over several lines (a pretty-printed event).
            Err(_) if !seen_record => {
                return read_whole(text, line_no, &mut *reader, &shown, visit);
            }
            Err(e) => {
                return Err(FileError::NotJson {
                    file: shown,
                    line: line_no,
                    reason: e.kind.to_string(),
                }
                .into());
            }
        }
    }
    if !seen_record {
        return Err(FileError::Empty(shown).into());
    }
    Ok(())
}

/// Opens `path`, through a gzip decoder when it starts with gzip's magic
/// bytes.
fn open(path: &Path, shown: &str) -> Result<Box<dyn BufRead>, GenerateError> {
    let io = |e: std::io::Error| FileError::Open {
        file: shown.to_string(),
        reason: e.to_string(),
    };
    let mut reader: Box<dyn BufRead> = if is_stdin(path) {
        open_lines(path).map_err(|e| FileError::Open {
            file: shown.to_string(),
            reason: e.to_string(),
        })?
    } else {
        Box::new(BufReader::with_capacity(
            1 << 16,
            File::open(path).map_err(io)?,
        ))
    };
    let gzip = reader.fill_buf().map_err(io)?.starts_with(&GZIP_MAGIC);
    if gzip {
        return Ok(Box::new(BufReader::with_capacity(
            1 << 16,
            MultiGzDecoder::new(reader),
        )));
    }
    Ok(reader)
}

fn gzip_hint(path: &Path) -> &'static str {
    if path.extension().is_some_and(|e| e == "gz") {
        " (a damaged or truncated gzip file?)"
    } else {
        ""
    }
}

/// Reads the rest of the input whole (a JSON array, or one value over
/// several lines) after `first`, the first non-empty line (line
/// `first_line`), and visits its records.
fn read_whole(
    first: &str,
    first_line: u32,
    reader: &mut dyn BufRead,
    shown: &str,
    visit: &mut Visit,
) -> Result<(), GenerateError> {
    // Lines before `first` were empty: keep them so positions stay right.
    let mut bytes = "\n".repeat(first_line as usize - 1).into_bytes();
    bytes.extend_from_slice(first.as_bytes());
    bytes.push(b'\n');
    let limit = MAX_EVENTS_BYTES.saturating_sub(bytes.len() as u64);
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::Open {
            file: shown.to_string(),
            reason: e.to_string(),
        })?;
    if bytes.len() as u64 > MAX_EVENTS_BYTES {
        return Err(FileError::TooLarge(shown.to_string()).into());
    }
    let root = json::parse_bytes(&bytes).map_err(|e| FileError::NotJson {
        file: shown.to_string(),
        line: e.position.line,
        reason: e.kind.to_string(),
    })?;
    match &root.value {
        Value::Array(items) => {
            for item in items {
                visit(
                    Record::Node(item),
                    &format!("{shown}:{}", item.span.start.line),
                )?;
            }
        }
        _ => visit(Record::Node(&root), &format!("{shown}:{first_line}"))?,
    }
    Ok(())
}

/// Reports progress at most every quarter second, checking the clock
/// every 1,024 records only.
pub(super) struct Ticker {
    report: Option<fn(&Progress)>,
    start: Instant,
    last: Instant,
    calls: u32,
}

impl Ticker {
    pub(super) fn new(report: Option<fn(&Progress)>) -> Self {
        let now = Instant::now();
        Ticker {
            report,
            start: now,
            last: now,
            calls: 0,
        }
    }

    pub(super) fn tick(&mut self, read: usize, mapped: usize, distinct: usize) {
        if self.report.is_none() {
            return;
        }
        self.calls = self.calls.wrapping_add(1);
        if !self.calls.is_multiple_of(1024) {
            return;
        }
        self.tick_at(Instant::now(), read, mapped, distinct);
    }

    /// Reports at `now` unless the last report is less than a quarter
    /// second old.
    fn tick_at(&mut self, now: Instant, read: usize, mapped: usize, distinct: usize) {
        let Some(report) = self.report else { return };
        if now.duration_since(self.last) < Duration::from_millis(250) {
            return;
        }
        self.last = now;
        report(&Progress {
            read,
            mapped,
            distinct,
            elapsed: now.duration_since(self.start),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    static SEEN: Mutex<Vec<Progress>> = Mutex::new(Vec::new());

    fn record(p: &Progress) {
        SEEN.lock().unwrap().push(*p);
    }

    #[test]
    fn progress_at_most_every_quarter_second() {
        let mut ticker = Ticker::new(Some(record));
        let start = ticker.start;
        ticker.tick_at(start + Duration::from_millis(100), 1, 1, 1);
        ticker.tick_at(start + Duration::from_millis(300), 2, 2, 2);
        ticker.tick_at(start + Duration::from_millis(400), 3, 3, 3);
        ticker.tick_at(start + Duration::from_millis(600), 4, 3, 3);
        let seen = SEEN.lock().unwrap().clone();
        assert_eq!(
            seen.iter().map(|p| p.read).collect::<Vec<_>>(),
            [2, 4],
            "{seen:?}"
        );
        assert_eq!(seen[1].elapsed, Duration::from_millis(600));
        // Without a reporter, nothing is counted or reported.
        let mut silent = Ticker::new(None);
        for _ in 0..5000 {
            silent.tick(1, 1, 1);
        }
        assert_eq!(silent.calls, 0);
    }
}
