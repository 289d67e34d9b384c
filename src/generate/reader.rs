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

use super::{GenerateError, Progress};

/// The longest line read: 16 MiB. An ActionTrail event is a few KiB; a
/// longer line is an error naming it, never held whole.
pub(crate) const MAX_LINE_BYTES: u64 = 16 * 1024 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Calls `visit(record, origin)` for every record of `path`, `origin`
/// being `file:line`.
pub(super) fn read_file(
    path: &Path,
    visit: &mut dyn FnMut(&Node, &str) -> Result<(), GenerateError>,
) -> Result<(), GenerateError> {
    let shown = display_name(path);
    let mut reader = open(path, &shown)?;
    let mut line_no: u32 = 0;
    let mut seen_record = false;
    let mut origin = String::new();
    loop {
        let line = read_line_capped(&mut *reader, MAX_LINE_BYTES).map_err(|e| {
            GenerateError::Input(format!(
                "{shown}:{}: cannot read: {e}{}",
                line_no + 1,
                gzip_hint(path)
            ))
        })?;
        let Some(line) = line else { break };
        line_no += 1;
        let bytes = match line {
            Line::Text(bytes) => bytes,
            Line::TooLong => {
                return Err(GenerateError::Input(format!(
                    "{shown}:{line_no}: a line longer than {MAX_LINE_BYTES} bytes, \
                     ramcheck's limit for one record"
                )));
            }
        };
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| GenerateError::Input(format!("{shown}:{line_no}: not UTF-8 text")))?;
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        if !seen_record && trimmed.starts_with('[') {
            return read_whole(text, line_no, &mut *reader, &shown, visit);
        }
        match json::parse(text) {
            Ok(node) => {
                seen_record = true;
                origin.clear();
                origin.push_str(&shown);
                origin.push(':');
                origin.push_str(&line_no.to_string());
                visit(&node, &origin)?;
            }
            // One JSON value over several lines (a pretty-printed event).
            Err(_) if !seen_record => {
                return read_whole(text, line_no, &mut *reader, &shown, visit);
            }
            Err(e) => {
                return Err(GenerateError::Input(format!(
                    "{shown}:{line_no}: not JSON (expected a JSON array, or one JSON object per \
                     line): {}",
                    e.kind
                )));
            }
        }
    }
    if !seen_record {
        return Err(GenerateError::Input(format!(
            "{shown}: empty: no JSON record"
        )));
    }
    Ok(())
}

/// Opens `path`, through a gzip decoder when it starts with gzip's magic
/// bytes.
fn open(path: &Path, shown: &str) -> Result<Box<dyn BufRead>, GenerateError> {
    let io = |e: std::io::Error| GenerateError::Input(format!("{shown}: cannot read: {e}"));
    let mut reader: Box<dyn BufRead> = if is_stdin(path) {
        open_lines(path).map_err(|e| GenerateError::Input(e.to_string()))?
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
    visit: &mut dyn FnMut(&Node, &str) -> Result<(), GenerateError>,
) -> Result<(), GenerateError> {
    // Lines before `first` were empty: keep them so positions stay right.
    let mut bytes = "\n".repeat(first_line as usize - 1).into_bytes();
    bytes.extend_from_slice(first.as_bytes());
    bytes.push(b'\n');
    let limit = MAX_EVENTS_BYTES.saturating_sub(bytes.len() as u64);
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| GenerateError::Input(format!("{shown}: cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_EVENTS_BYTES {
        return Err(GenerateError::Input(format!(
            "{shown}: a JSON value larger than {MAX_EVENTS_BYTES} bytes, ramcheck's limit for a \
             file read whole; write it as JSON lines (one record per line), which are read as \
             a stream"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| GenerateError::Input(format!("{shown} is not UTF-8 text")))?;
    let root = json::parse(&text).map_err(|e| {
        GenerateError::Input(format!(
            "{shown}:{}: not JSON (expected a JSON array, or one JSON object per line): {}",
            e.position.line, e.kind
        ))
    })?;
    match &root.value {
        Value::Array(items) => {
            for item in items {
                visit(item, &format!("{shown}:{}", item.span.start.line))?;
            }
        }
        _ => visit(&root, &format!("{shown}:{first_line}"))?,
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
        let Some(report) = self.report else { return };
        self.calls = self.calls.wrapping_add(1);
        if !self.calls.is_multiple_of(1024) {
            return;
        }
        let now = Instant::now();
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
