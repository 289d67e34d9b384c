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

/// The environment variables that change ramcheck's output, none of
/// which a test inherits.
pub const ENV: [&str; 6] = [
    "NO_COLOR",
    "CLICOLOR_FORCE",
    "CLICOLOR",
    "TERM",
    "COLUMNS",
    "RAMCHECK_STORE",
];

/// The binary, to run in `dir`, with none of [`ENV`] inherited.
pub fn command_in(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ramcheck"));
    command.args(args).current_dir(dir);
    for var in ENV {
        command.env_remove(var);
    }
    command
}

/// Runs the binary in `dir`, with none of [`ENV`] inherited.
pub fn ramcheck_in(dir: &Path, args: &[&str]) -> Output {
    command_in(dir, args).output().expect("run ramcheck")
}

/// Runs the binary in `dir` with `input` on standard input and `env` set.
pub fn ramcheck_with(dir: &Path, args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut command = command_in(dir, args);
    command.envs(env.iter().copied());
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ramcheck");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    // Written from a thread, so a child that stops reading cannot block
    // the test on a full pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for ramcheck");
    let _ = writer.join();
    out
}

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
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
