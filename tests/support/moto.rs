//! moto's AWS emulator (`moto_server`) on loopback, for the AWS tests.
//!
//! The binary is found through `OIDC_DOCTOR_MOTO_SERVER`, else `tests/.venv/bin/moto_server`
//! (made by `./scripts/test.sh`), else `PATH`. When none exists the test fails and says how to
//! install it: a missing emulator must never turn into a silently skipped test.
//!
//! The server binds 127.0.0.1 only. It runs under a small `sh` guard that kills it when our
//! end of its stdin closes, which happens when the [`MotoServer`] is dropped *and* when the
//! test process exits in any way (a shared server lives in a `static`, never dropped).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long moto gets to start answering (a cold Python start is 1–3 s).
const START_LIMIT: Duration = Duration::from_secs(60);

pub const INSTALL_HINT: &str = "moto_server (moto's AWS emulator) was not found. Install it with \
     ./scripts/test.sh (it creates tests/.venv from tests/moto-requirements.txt), or by hand: \
     python3 -m venv tests/.venv && tests/.venv/bin/pip install -r tests/moto-requirements.txt; \
     or point OIDC_DOCTOR_MOTO_SERVER at a moto_server binary.";

/// A running moto server; killed when dropped.
pub struct MotoServer {
    pub port: u16,
    guard: Child,
    stdin: Option<ChildStdin>,
    log: PathBuf,
}

impl MotoServer {
    /// `http://127.0.0.1:<port>`, for `endpoint_url`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts a fresh server and waits (bounded) until it answers HTTP.
    pub fn start() -> MotoServer {
        let binary = locate().unwrap_or_else(|| panic!("{INSTALL_HINT}"));
        let port = free_port();
        let log = std::env::temp_dir().join(format!(
            "oidc-doctor-moto-{}-{port}.log",
            std::process::id()
        ));
        let log_file = std::fs::File::create(&log).expect("create moto log file");
        let log_err = log_file.try_clone().expect("clone moto log file");
        // The guard: start moto in the background, wait for stdin to close, then kill moto.
        let script = r#"bin="$1"; shift; "$bin" "$@" & pid=$!; cat >/dev/null; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; exit 0"#;
        let mut guard = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("moto-guard")
            .arg(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::from(log_file))
            .stderr(Stdio::from(log_err))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdin = guard.stdin.take();
        let server = MotoServer {
            port,
            guard,
            stdin,
            log,
        };
        server.wait_until_ready();
        server
    }

    /// One server for the whole test binary (tests use unique resource names); it dies with
    /// the process.
    pub fn shared() -> &'static MotoServer {
        static SHARED: OnceLock<MotoServer> = OnceLock::new();
        SHARED.get_or_init(MotoServer::start)
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + START_LIMIT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            if answers_http(addr) {
                return;
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!(
                    "moto_server did not answer on {addr} within {START_LIMIT:?}; its output:\n{log}"
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // Closing stdin makes the guard kill moto; then reap the guard.
        drop(self.stdin.take());
        let _ = self.guard.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn answers_http(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// A loopback port nobody listens on right now (the OS picks it; we release it for moto).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// `OIDC_DOCTOR_MOTO_SERVER`, else `tests/.venv/bin/moto_server`, else `moto_server` on PATH.
pub fn locate() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OIDC_DOCTOR_MOTO_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "OIDC_DOCTOR_MOTO_SERVER={} is not a file. {INSTALL_HINT}",
            path.display()
        );
        return Some(path);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/.venv/bin/moto_server");
    if venv.is_file() {
        return Some(venv);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("moto_server"))
        .find(|candidate| candidate.is_file())
}

/// An IAM client on `moto` for setting resources up in tests, with explicit dummy
/// credentials (nothing read from the environment).
pub fn iam_admin(moto: &MotoServer) -> aws_sdk_iam::Client {
    let config = aws_sdk_iam::Config::builder()
        .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
        .region(aws_sdk_iam::config::Region::new("us-east-1"))
        .endpoint_url(moto.url())
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    aws_sdk_iam::Client::from_conf(config)
}
