//! The decision log: one JSON object per line per decision, written by a
//! thread of its own behind a bounded queue.
//!
//! A decision never waits for the log. [`DecisionLog::record`] only tries
//! to enqueue: when the writer has fallen behind (a slow disk, a pipe
//! nobody reads) and the queue is full, the line is dropped and counted;
//! when a write fails (a full disk), its lines are lost and counted. Both
//! are reported on stderr (at most once a second) and in `/metrics`.
//!
//! A log written to a file is reopened on `SIGHUP` ([`DecisionLog::reopen`]),
//! so that logrotate's rename-then-signal rotation works: the lines after
//! the signal go to a new file of the same name (docs/deploy.md).

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::metrics::LogCounts;

/// Lines queued for the writer at most; past that, lines are dropped.
pub const QUEUE_LINES: usize = 8192;

/// Opens the log's file again, for [`DecisionLog::reopen`].
pub type Opener = Box<dyn Fn() -> std::io::Result<Box<dyn Write + Send>> + Send>;

/// Bytes gathered before a write, when more lines are waiting.
const BATCH_BYTES: usize = 64 * 1024;

#[derive(Debug, Default)]
struct Counters {
    written: AtomicU64,
    dropped: AtomicU64,
    lost: AtomicU64,
    write_errors: AtomicU64,
    /// When a problem was last reported on stderr, in ms since `start`
    /// (plus one, so 0 means never).
    last_report: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> LogCounts {
        LogCounts {
            written: self.written.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
            write_errors: self.write_errors.load(Ordering::Relaxed),
        }
    }
}

/// Reports on stderr at most once a second.
struct Reporter {
    start: Instant,
}

impl Reporter {
    fn report(&self, counters: &Counters, what: &str) {
        let now = self.start.elapsed().as_millis() as u64 + 1;
        let last = counters.last_report.load(Ordering::Relaxed);
        if last != 0 && now < last + 1000 {
            return;
        }
        if counters
            .last_report
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            let c = counters.snapshot();
            eprintln!(
                "ramcheck: decision log: {what} (so far {} lines dropped because the writer fell behind, {} lost to {} failed writes)",
                c.dropped, c.lost, c.write_errors
            );
        }
    }
}

/// A decision log writing to any `Write` (a file, stdout) from its own
/// thread.
pub struct DecisionLog {
    sender: Mutex<Option<SyncSender<String>>>,
    counters: Arc<Counters>,
    reporter: Arc<Reporter>,
    writer: Mutex<Option<JoinHandle<()>>>,
    reopen: Arc<AtomicBool>,
}

impl DecisionLog {
    /// Starts the writer thread on `out`, with room for `queue` lines.
    pub fn new(out: Box<dyn Write + Send>, queue: usize) -> std::io::Result<Self> {
        Self::start(out, None, queue)
    }

    /// Opens `path` for appending (creating it) and starts the writer
    /// thread on it; [`DecisionLog::reopen`] opens the path again.
    pub fn file(path: &std::path::Path, queue: usize) -> std::io::Result<Self> {
        let path = path.to_path_buf();
        let opener: Opener = Box::new(move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            Ok(Box::new(file) as Box<dyn Write + Send>)
        });
        Self::start(opener()?, Some(opener), queue)
    }

    fn start(
        out: Box<dyn Write + Send>,
        opener: Option<Opener>,
        queue: usize,
    ) -> std::io::Result<Self> {
        let reopen = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = sync_channel::<String>(queue.max(1));
        let counters = Arc::new(Counters::default());
        let reporter = Arc::new(Reporter {
            start: Instant::now(),
        });
        let writer = {
            let counters = Arc::clone(&counters);
            let reporter = Arc::clone(&reporter);
            let file = opener.map(|opener| Reopen {
                opener,
                requested: Arc::clone(&reopen),
            });
            std::thread::Builder::new()
                .name("ramcheck-decision-log".into())
                .spawn(move || write_lines(out, file, &receiver, &counters, &reporter))?
        };
        Ok(DecisionLog {
            sender: Mutex::new(Some(sender)),
            counters,
            reporter,
            writer: Mutex::new(Some(writer)),
            reopen,
        })
    }

    /// Asks the writer to open the log's file again before its next write
    /// (a log on standard output is left as it is). If the file cannot be
    /// opened, the writer keeps the one it has and says so on stderr.
    pub fn reopen(&self) {
        self.reopen.store(true, Ordering::Relaxed);
    }

    /// Queues one line (without its newline); never blocks on the writer.
    pub fn record(&self, line: String) {
        let sent = {
            let sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
            match sender.as_ref() {
                Some(s) => s.try_send(line),
                None => Err(TrySendError::Disconnected(line)),
            }
        };
        if sent.is_err() {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            self.reporter
                .report(&self.counters, "the writer fell behind; dropping lines");
        }
    }

    /// The counters so far.
    pub fn counts(&self) -> LogCounts {
        self.counters.snapshot()
    }

    /// Stops taking lines, writes those queued and waits for the writer, for
    /// up to `grace` (a writer stuck on a full pipe is left behind).
    pub fn close(&self, grace: Duration) {
        drop(
            self.sender
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let Some(writer) = self
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return;
        };
        let deadline = Instant::now() + grace;
        while !writer.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if writer.is_finished() {
            let _ = writer.join();
        } else {
            eprintln!("ramcheck: decision log: the writer did not finish within {grace:?}");
        }
    }
}

impl Drop for DecisionLog {
    fn drop(&mut self) {
        self.close(Duration::from_secs(5));
    }
}

/// How the writer opens its file again when asked.
struct Reopen {
    opener: Opener,
    requested: Arc<AtomicBool>,
}

/// The writer thread: gathers what is queued into one buffer, writes it,
/// flushes when the queue is empty.
fn write_lines(
    mut out: Box<dyn Write + Send>,
    file: Option<Reopen>,
    receiver: &Receiver<String>,
    counters: &Counters,
    reporter: &Reporter,
) {
    let mut batch: Vec<u8> = Vec::with_capacity(BATCH_BYTES);
    let mut lines = 0u64;
    while let Ok(first) = receiver.recv() {
        let mut next = Some(first);
        loop {
            if let Some(line) = next.take() {
                batch.extend_from_slice(line.as_bytes());
                batch.push(b'\n');
                lines += 1;
            }
            let done = batch.len() >= BATCH_BYTES;
            match if done {
                Err(TryRecvError::Empty)
            } else {
                receiver.try_recv()
            } {
                Ok(line) => next = Some(line),
                Err(_) => {
                    if let Some(file) = &file
                        && file.requested.swap(false, Ordering::Relaxed)
                    {
                        match (file.opener)() {
                            Ok(new) => out = new,
                            Err(e) => reporter.report(
                                counters,
                                &format!(
                                    "cannot reopen the log file ({e}); writing to the old one"
                                ),
                            ),
                        }
                    }
                    let written = out.write_all(&batch).and_then(|()| out.flush());
                    match written {
                        Ok(()) => {
                            counters.written.fetch_add(lines, Ordering::Relaxed);
                        }
                        Err(e) => {
                            counters.write_errors.fetch_add(1, Ordering::Relaxed);
                            counters.lost.fetch_add(lines, Ordering::Relaxed);
                            reporter.report(counters, &format!("write failed: {e}"));
                        }
                    }
                    batch.clear();
                    lines = 0;
                    if !done {
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{Receiver as Gate, channel};

    /// A writer that waits for a signal before each write, as a pipe nobody
    /// reads would.
    struct Stuck(Gate<()>, Arc<Mutex<Vec<u8>>>);

    impl Write for Stuck {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _ = self.0.recv();
            self.1.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space left on device",
            ))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stuck_writer_drops_lines_instead_of_blocking() {
        let (open, gate) = channel();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = DecisionLog::new(Box::new(Stuck(gate, Arc::clone(&seen))), 4).unwrap();
        let start = Instant::now();
        for i in 0..100 {
            log.record(format!("{{\"n\":{i}}}"));
        }
        assert!(start.elapsed() < Duration::from_secs(2));
        // Only the queue and the batch in the writer's hands got through.
        let dropped = log.counts().dropped;
        assert!(dropped > 0, "{dropped}");
        // Let the writer go: what was queued is written.
        for _ in 0..200 {
            let _ = open.send(());
        }
        log.close(Duration::from_secs(5));
        let written = log.counts().written;
        assert_eq!(written + dropped, 100);
        let text = String::from_utf8(seen.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count() as u64, written);
        assert!(text.starts_with("{\"n\":0}\n"), "{text}");
    }

    #[test]
    fn a_full_disk_is_counted() {
        let log = DecisionLog::new(Box::new(Full), 16).unwrap();
        log.record("{}".into());
        log.record("{}".into());
        log.close(Duration::from_secs(5));
        let c = log.counts();
        assert!(c.write_errors >= 1, "{c:?}");
        assert_eq!(c.lost, 2);
        assert_eq!(c.written, 0);
    }
}
