//! Keeping a served store current: reload on `SIGHUP` and when the store's
//! content changes, keep the last good store when a reload fails. Shared by
//! `ramcheck serve` and the gateway example.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::authorizer::SharedAuthorizer;
use crate::store::{StoreError, directory_digest};

/// A store directory served through a [`SharedAuthorizer`], reloaded on
/// demand. Reloads are serialized, and each is logged on stderr with the
/// given prefix and counted.
pub struct StoreReloader {
    authorizer: SharedAuthorizer,
    dir: PathBuf,
    prefix: &'static str,
    /// The digest of the store files as seen just before the last load;
    /// held while reloading, so that reloads (`SIGHUP` and the poller)
    /// never race to swap in an older view.
    watched: Mutex<String>,
    ok: AtomicU64,
    failed: AtomicU64,
}

impl StoreReloader {
    /// Loads and compiles the store in `dir`; `prefix` starts every line
    /// it logs (e.g. `ramcheck`).
    pub fn new(dir: impl Into<PathBuf>, prefix: &'static str) -> Result<Self, StoreError> {
        let dir = dir.into();
        // Digest first: a change made while loading is seen by the first poll.
        let watched = directory_digest(&dir);
        let authorizer = SharedAuthorizer::from_store(&dir)?;
        Ok(StoreReloader {
            authorizer,
            dir,
            prefix,
            watched: Mutex::new(watched),
            ok: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        })
    }

    /// The authorizer in force (see [`SharedAuthorizer::current`]).
    pub fn authorizer(&self) -> &SharedAuthorizer {
        &self.authorizer
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reloads done and failed so far (not counting the initial load).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.ok.load(Ordering::SeqCst),
            self.failed.load(Ordering::SeqCst),
        )
    }

    /// Reloads the store now; on failure the previous store keeps serving.
    /// Blocking (it reads and compiles the store).
    pub fn reload(&self, reason: &str) -> Result<(), StoreError> {
        let mut watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
        *watched = directory_digest(&self.dir);
        self.reload_locked(reason)
    }

    /// Reloads when a store file changed content since the last look (a
    /// digest, so an edit that keeps size and modification time is seen);
    /// `None` when nothing changed. Blocking.
    pub fn reload_if_changed(&self) -> Option<Result<(), StoreError>> {
        let mut watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
        let now = directory_digest(&self.dir);
        if now == *watched {
            return None;
        }
        *watched = now;
        Some(self.reload_locked("store files changed"))
    }

    fn reload_locked(&self, reason: &str) -> Result<(), StoreError> {
        let before = self.authorizer.current().revision().to_string();
        match self.authorizer.reload(&self.dir) {
            Ok(()) => {
                self.ok.fetch_add(1, Ordering::SeqCst);
                eprintln!(
                    "{}: reloaded {} ({reason}): revision {before} -> {}",
                    self.prefix,
                    self.dir.display(),
                    self.authorizer.current().revision()
                );
                Ok(())
            }
            Err(e) => {
                self.failed.fetch_add(1, Ordering::SeqCst);
                eprintln!(
                    "{}: reload of {} failed ({reason}); still serving revision {before}: {}",
                    self.prefix,
                    self.dir.display(),
                    crate::terminal::escape(&e.to_string())
                );
                Err(e)
            }
        }
    }
}

/// The background tasks that keep a store current; they stop when this is
/// dropped.
pub struct Watch(Vec<JoinHandle<()>>);

impl Drop for Watch {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Starts reloading `reloader` on `SIGHUP` and, with `poll`, whenever its
/// content changes (checked every `poll`). The `SIGHUP` handler is
/// installed before this returns. Must be called within a tokio runtime.
pub fn watch(reloader: &Arc<StoreReloader>, poll: Option<Duration>) -> std::io::Result<Watch> {
    watch_with_hangup(reloader, poll, || {})
}

/// [`watch`], calling `on_hangup` on each `SIGHUP` before the reload (to
/// reopen a log file, say).
pub fn watch_with_hangup(
    reloader: &Arc<StoreReloader>,
    poll: Option<Duration>,
    on_hangup: impl Fn() + Send + Sync + 'static,
) -> std::io::Result<Watch> {
    let mut tasks = Vec::new();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = signal(SignalKind::hangup())?;
        let reloader = Arc::clone(reloader);
        tasks.push(tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                on_hangup();
                let reloader = Arc::clone(&reloader);
                // Logged and counted by reload.
                let _ = tokio::task::spawn_blocking(move || reloader.reload("SIGHUP")).await;
            }
        }));
    }
    if let Some(period) = poll {
        let reloader = Arc::clone(reloader);
        tasks.push(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let reloader = Arc::clone(&reloader);
                let _ = tokio::task::spawn_blocking(move || reloader.reload_if_changed()).await;
            }
        }));
    }
    Ok(Watch(tasks))
}
