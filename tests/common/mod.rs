//! Helpers shared by the integration tests: running the binary, scratch
//! directories, the bundled store.

#![allow(dead_code)] // each test crate uses some of these

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The bundled store's account.
pub const ACCOUNT: &str = "1234567890123456";

/// Project `immtest` in the bundled store's account.
pub const IMMTEST: &str = "acs:imm:cn-hangzhou:1234567890123456:project/immtest";

/// The bundled store, `policies/`.
pub fn bundled_store() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

/// Runs the binary in the repository root.
pub fn ramcheck(args: &[&str]) -> Output {
    ramcheck_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Runs the binary in `dir`, with no `NO_COLOR` inherited.
pub fn ramcheck_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ramcheck"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run ramcheck")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn status(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

/// A fresh scratch directory under the target dir (emptied first; names
/// are per test, so tests running at once never share one).
pub fn scratch(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", env!("CARGO_CRATE_NAME")));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies the bundled store's files into `to`.
pub fn copy_store(to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(bundled_store()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}
