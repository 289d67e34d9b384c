//! A real nginx for the tests and the load benchmark: run as the current
//! user with its own prefix, configuration, pid file, logs and temp paths
//! under a scratch directory, in one process (`master_process off`, so that
//! killing it leaves no worker behind), on a free port of 127.0.0.1.
//! Included with `#[path = "common/nginx.rs"] mod nginx;` (the harness in
//! `serve.rs` beside it is needed too).

#![allow(dead_code)] // each crate uses some of these

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::serve_harness::Process;

/// Set to `1` to make a missing nginx a failure instead of a skip (CI).
pub const REQUIRE_ENV: &str = "RAMCHECK_REQUIRE_NGINX";

/// The nginx binary: `$RAMCHECK_NGINX` when set (if it is a file), else
/// `nginx` on the `PATH` or in the usual sbin directories.
pub fn find() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("RAMCHECK_NGINX") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(
            [
                "/usr/sbin",
                "/usr/local/sbin",
                "/usr/local/nginx/sbin",
                "/sbin",
            ]
            .iter()
            .map(PathBuf::from),
        )
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
}

/// The nginx binary, or `None` after printing why the caller skips; with
/// `RAMCHECK_REQUIRE_NGINX=1`, a missing nginx panics instead.
pub fn find_or_skip(test: &str) -> Option<PathBuf> {
    let found = find();
    if found.is_none() {
        let required = std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{test}: nginx not found (PATH, /usr/sbin, /usr/local/sbin, $RAMCHECK_NGINX) \
             and {REQUIRE_ENV}=1 requires it; install it with `apt-get install -y nginx-light`"
        );
        // Straight to the process's stderr: the test harness captures
        // eprintln! of passing tests, and a skip must be seen.
        let message = format!(
            "SKIPPED {test}: nginx not found (PATH, /usr/sbin, /usr/local/sbin, $RAMCHECK_NGINX); \
             install it (`apt-get install -y nginx-light`) or set {REQUIRE_ENV}=1 to make this a failure\n"
        );
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), message.as_bytes());
    }
    found
}

/// A port of 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nginx serving `http_block` (the inside of `http { }`, with `{listen}`
/// standing for the address to listen on); stopped on drop.
pub struct Nginx {
    pub process: Process,
    pub addr: SocketAddr,
    pub dir: PathBuf,
}

impl Nginx {
    /// Starts nginx in `dir` (created), trying a few free ports; waits until
    /// it accepts connections.
    pub fn start(binary: &Path, dir: &Path, http_block: &str) -> Nginx {
        std::fs::create_dir_all(dir).unwrap();
        let mut last_error = String::new();
        for _ in 0..3 {
            let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
            let d = dir.display();
            let conf = format!(
                "daemon off;\n\
                 master_process off;\n\
                 worker_processes 1;\n\
                 pid {d}/nginx.pid;\n\
                 error_log {d}/error.log info;\n\
                 events {{ worker_connections 1024; }}\n\
                 http {{\n\
                 access_log {d}/access.log;\n\
                 client_body_temp_path {d}/body;\n\
                 proxy_temp_path {d}/proxy;\n\
                 fastcgi_temp_path {d}/fastcgi;\n\
                 uwsgi_temp_path {d}/uwsgi;\n\
                 scgi_temp_path {d}/scgi;\n\
                 {}\n\
                 }}\n",
                http_block.replace("{listen}", &addr.to_string())
            );
            let conf_path = dir.join("nginx.conf");
            std::fs::write(&conf_path, conf).unwrap();
            let mut command = Command::new(binary);
            command
                .arg("-p")
                .arg(dir)
                .arg("-c")
                .arg(&conf_path)
                .arg("-e")
                .arg(dir.join("error.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            let mut process = Process::spawn("nginx", command);
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                    return Nginx {
                        process,
                        addr,
                        dir: dir.to_path_buf(),
                    };
                }
                if process.child.try_wait().unwrap().is_some() {
                    break;
                }
                thread::sleep(Duration::from_millis(20));
            }
            last_error = format!(
                "stderr:\n{}\nerror.log:\n{}",
                process.stderr(),
                std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
            );
            // Dropping the process kills it; try another port.
        }
        panic!("nginx did not start: {last_error}");
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}
