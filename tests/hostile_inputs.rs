//! Hostile inputs, bounded (issue 14): every input is read under the size cap,
//! no `open()` or read waits unbounded, `lint` reads what it is named (FIFOs,
//! process substitutions) or refuses it with exit 2, says what a directory walk
//! skipped, and its peak memory does not grow with the number of clean files.
//!
//! Every child runs under a deadline in the test itself (`run`), so a regression
//! that hangs fails the test instead of hanging the suite; the waits the binary
//! applies are shortened through `OIDC_DOCTOR_READ_TIMEOUT_MS`.

#![cfg(unix)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::root;

/// How long the binary may wait for a FIFO in these tests.
const SHORT_WAIT_MS: &str = "300";

/// How long any child may run before the test calls it hung.
const DEADLINE: Duration = Duration::from_secs(60);

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_oidc-doctor"))
}

/// The binary with a clean environment and the short FIFO wait.
fn oidc_doctor() -> Command {
    let mut cmd = Command::new(binary());
    cmd.current_dir(root())
        .env_remove("GITLAB_OIDC_TOKEN")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_ROLE_ARN")
        .env_remove("CI_PROJECT_DIR")
        .env("NO_COLOR", "1")
        .env("OIDC_DOCTOR_READ_TIMEOUT_MS", SHORT_WAIT_MS)
        .stdin(Stdio::null());
    cmd
}

/// Waits for `child` at most [`DEADLINE`]; kills it and fails the test past it.
fn wait_bounded(mut child: Child, what: &str) -> Output {
    // Drain both pipes on their own threads so a large output cannot block the child.
    let mut out_pipe = child.stdout.take().expect("stdout is piped");
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        out_pipe.read_to_end(&mut b).map(|_| b)
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        err_pipe.read_to_end(&mut b).map(|_| b)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            child.kill().ok();
            child.wait().ok();
            panic!("{what}: still running after {DEADLINE:?} (hung)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().expect("stdout thread").expect("read stdout"),
        stderr: err.join().expect("stderr thread").expect("read stderr"),
    }
}

/// Runs a command to its end (within [`DEADLINE`]) and checks its exit code.
fn run(cmd: &mut Command, code: i32) -> Output {
    let what = format!("{cmd:?}");
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let out = wait_bounded(child, &what);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Writes into a FIFO once a reader has opened it (tried without blocking until
/// [`DEADLINE`], so that a binary that never opens it cannot hang the test).
fn write_when_read(fifo: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let start = Instant::now();
    loop {
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(fifo);
        match opened {
            // Smaller than the pipe's buffer: one non-blocking write suffices.
            Ok(mut f) => return f.write_all(bytes).map_err(|e| e.to_string()),
            Err(e) if start.elapsed() > DEADLINE => {
                return Err(format!("no reader opened {}: {e}", fifo.display()));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).expect("fixture")
}

/// The one-line error of a FIFO that no process opened for writing (the
/// grace is the read time limit when that is shorter, as here).
fn assert_fifo_without_writer(err: &str, path: &str) {
    assert!(
        err.contains(path)
            && err.contains("a FIFO or pipe")
            && err.contains(&format!(
                "no process opened it for writing within {SHORT_WAIT_MS} ms"
            ))
            && err.contains("nothing was checked"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
}

#[test]
fn config_and_baseline_are_read_under_a_size_cap() {
    // `/dev/zero` never ends: without a cap it is read until memory runs out.
    let out = run(
        oidc_doctor().args(["lint", "--config", "/dev/zero", "fixtures/policies"]),
        2,
    );
    let err = stderr(&out);
    assert!(
        err.contains("configuration /dev/zero (a character device) is larger than 4 MiB")
            && err.contains("the input size limit"),
        "{err}"
    );
    // The baseline's cap is its own (a baseline records many findings); the
    // wait is long enough for a slow machine to read 32 MiB of zeros.
    let out = run(
        oidc_doctor()
            .env("OIDC_DOCTOR_READ_TIMEOUT_MS", "30000")
            .args([
                "lint",
                "--baseline",
                "/dev/zero",
                "fixtures/policies/clean-gitlab-com.json",
            ]),
        2,
    );
    let err = stderr(&out);
    assert!(
        err.contains("baseline /dev/zero (a character device) is larger than 32 MiB")
            && err.contains("the input size limit"),
        "{err}"
    );
    // A regular configuration file over the cap is refused the same way.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    std::fs::write(&big, format!("# {}\n", "x".repeat(4 << 20))).unwrap();
    let out = run(
        oidc_doctor().args(["lint", "--config", s(&big), "fixtures/policies"]),
        2,
    );
    assert!(
        stderr(&out).contains("is larger than 4 MiB"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_fifo_without_a_writer_ends_with_exit_2_wherever_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("nobody-writes");
    mkfifo(&fifo);
    let f = s(&fifo);
    let policy = "fixtures/policies/clean-gitlab-com.json";
    let cases: Vec<Vec<&str>> = vec![
        vec!["simulate", "--policy", f, "--claim", "sub=x"],
        vec!["who", f],
        vec!["lint", "--config", f, policy],
        vec!["lint", "--baseline", f, policy],
        vec!["lint", f],
        vec!["decode", "--token-file", f],
    ];
    for args in cases {
        let start = Instant::now();
        let out = run(oidc_doctor().args(&args), 2);
        assert_fifo_without_writer(&stderr(&out), f);
        assert!(
            out.stdout.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        // It waited (the limit is a wait, not an immediate refusal).
        assert!(start.elapsed() >= Duration::from_millis(300), "{args:?}");
    }
    // Writing a baseline into a FIFO nobody reads fails at once instead of
    // blocking in open() for a reader.
    let out = run(
        oidc_doctor().args(["lint", "--baseline", f, "--write-baseline", policy]),
        2,
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("cannot write baseline {f}:")),
        "{err}"
    );
}

#[test]
fn a_fifo_without_a_writer_is_refused_after_the_grace_not_the_whole_wait() {
    // The read time limit is 20 s here; the FIFO has no writer, so the
    // one-second grace ends it (the test's own deadline would catch a hang).
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("nobody-writes");
    mkfifo(&fifo);
    let f = s(&fifo);
    let start = Instant::now();
    let out = run(
        oidc_doctor()
            .env("OIDC_DOCTOR_READ_TIMEOUT_MS", "20000")
            .args(["lint", f]),
        2,
    );
    let waited = start.elapsed();
    let err = stderr(&out);
    assert!(
        err.contains("no process opened it for writing within 1 s"),
        "{err}"
    );
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(15),
        "waited {waited:?}"
    );
}

#[test]
fn a_fifo_whose_writer_is_silent_gets_the_whole_read_limit() {
    // A writer holds the FIFO open and never writes: that is a slow producer,
    // not a missing one, so the read time limit applies and says so.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("silent");
    mkfifo(&fifo);
    // O_RDWR on a FIFO never blocks (Linux) and makes this process a writer.
    let _writer = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .expect("open the FIFO as its writer");
    let f = s(&fifo);
    let out = run(
        oidc_doctor()
            .env("OIDC_DOCTOR_READ_TIMEOUT_MS", "1500")
            .args(["lint", f]),
        2,
    );
    let err = stderr(&out);
    assert!(
        err.contains(f)
            && err.contains("no data arrived")
            && err.contains("within 1500 ms")
            && err.contains("the read time limit"),
        "{err}"
    );
}

#[test]
fn a_fifo_whose_writer_comes_late_within_the_grace_is_read() {
    // `oidc-doctor lint f & producer > f`: the writer opens the FIFO a little
    // after the reader. It is read like any other.
    let (v, _) = lint_a_fifo_written_after(Duration::from_millis(400));
    assert_eq!(v["findings"][0]["rule"], "wrong-action", "{v}");
}

/// `lint --format json` of a FIFO holding the wrong-action trigger, written by
/// a thread `delay` after the test starts (once the binary has opened it):
/// the report (exit 1) and the FIFO's path.
fn lint_a_fifo_written_after(delay: Duration) -> (serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("policy.json");
    mkfifo(&fifo);
    let text = fixture("fixtures/rules/wrong-action/trigger.json");
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            write_when_read(&fifo, text.as_bytes())
        })
    };
    let out = run(
        oidc_doctor()
            .env("OIDC_DOCTOR_READ_TIMEOUT_MS", "20000")
            .args(["--format", "json", "lint", s(&fifo)]),
        1,
    );
    writer
        .join()
        .expect("writer thread")
        .expect("the binary opened the FIFO");
    (json(&out), s(&fifo).to_string())
}

#[test]
fn standard_input_that_never_ends_is_bounded_too() {
    let what = "who - with an open, silent stdin";
    let mut child = oidc_doctor()
        .args(["who", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    // Kept open and never written to: the writer is alive but silent.
    let stdin = child.stdin.take();
    let out = wait_bounded(child, what);
    drop(stdin);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot read standard input (a FIFO or pipe): no data arrived")
            && err.contains("the read time limit"),
        "{err}"
    );
}

#[test]
fn lint_reads_a_named_fifo_with_a_writer() {
    let (v, fifo) = lint_a_fifo_written_after(Duration::ZERO);
    assert_eq!(v["findings"][0]["rule"], "wrong-action", "{v}");
    assert_eq!(v["findings"][0]["location"]["path"], fifo, "{v}");
    assert_eq!(v["summary"]["files"], 1, "{v}");
}

#[test]
fn lint_reads_a_process_substitution() {
    // `<(…)` is a pipe under /dev/fd: it used to be skipped without a word (exit 0).
    let trigger = root().join("fixtures/rules/wrong-action/trigger.json");
    let script = format!(
        "exec {:?} --format json lint <(cat {:?})",
        binary(),
        trigger
    );
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &script])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("OIDC_DOCTOR_READ_TIMEOUT_MS", "20000")
        .stdin(Stdio::null());
    let out = run(&mut cmd, 1);
    let v = json(&out);
    assert_eq!(v["findings"][0]["rule"], "wrong-action", "{v}");
    let path = v["findings"][0]["location"]["path"].as_str().unwrap();
    assert!(path.starts_with("/dev/fd/"), "{v}");
    assert_eq!(v["summary"]["files"], 1, "{v}");

    // A clean policy through a process substitution: checked, and counted.
    let clean = root().join("fixtures/policies/clean-gitlab-com.json");
    let script = format!("exec {:?} lint <(cat {:?})", binary(), clean);
    let mut cmd = Command::new("bash");
    cmd.args(["-c", &script])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    let out = run(&mut cmd, 0);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("0 errors, 0 warnings, 0 infos in 1 policy file checked"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn lint_refuses_what_it_cannot_read() {
    // A character device without end: read up to the cap, then refused.
    let out = run(oidc_doctor().args(["lint", "/dev/zero"]), 2);
    let err = stderr(&out);
    assert!(
        err.contains("/dev/zero (a character device) is larger than 4 MiB")
            && err.contains("the input size limit"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    // A socket cannot be opened as a file.
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("trust.json");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).expect("bind a socket");
    let out = run(oidc_doctor().args(["lint", s(&sock)]), 2);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("cannot read {}: it is a socket", s(&sock))),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn a_directory_walk_says_what_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(
        tree.join("clean.json"),
        fixture("fixtures/policies/clean-gitlab-com.json"),
    )
    .unwrap();
    mkfifo(&tree.join("fifo.json"));
    std::os::unix::fs::symlink(
        root().join("fixtures/rules/wrong-action/trigger.json"),
        tree.join("link.json"),
    )
    .unwrap();
    // Not a name `lint` reads: not counted.
    mkfifo(&tree.join("notes.txt"));

    let out = run(
        oidc_doctor().args(["--format", "json", "lint", s(&tree)]),
        0,
    );
    let v = json(&out);
    assert_eq!(v["summary"]["files"], 1, "{v}");
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "note: {}: 2 entries skipped, not regular files (1 symbolic link, 1 FIFO); name them on the command line to lint them",
            s(&tree)
        )),
        "{err}"
    );

    // Named on the command line, the symbolic link is followed and linted.
    let out = run(
        oidc_doctor().args(["--format", "json", "lint", s(&tree.join("link.json"))]),
        1,
    );
    assert_eq!(json(&out)["findings"][0]["rule"], "wrong-action");
}

/// The peak resident set of `lint --format sarif DIR` in KiB: the child's own
/// `ru_maxrss`, from `wait4` (the report streams, so no moment before the end
/// is its peak; `wait4` reports exactly this child, whatever else runs).
fn lint_peak_kib(dir: &Path) -> u64 {
    let child = oidc_doctor()
        .args(["--format", "sarif", "lint", s(dir)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the binary");
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut status: libc::c_int = 0;
        // SAFETY: a zeroed `rusage` is a valid value for wait4 to fill in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our child, not waited for elsewhere (`child` is
        // never waited on through std), and both pointers are valid.
        let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        tx.send((got, status, usage.ru_maxrss)).ok();
    });
    let (got, status, maxrss) = rx.recv_timeout(DEADLINE).unwrap_or_else(|_| {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        panic!("lint of {} did not end within {DEADLINE:?}", dir.display())
    });
    drop(child);
    assert_eq!(got, pid, "wait4 of the lint");
    assert!(libc::WIFEXITED(status), "lint ended by a signal: {status}");
    assert_eq!(
        libc::WEXITSTATUS(status),
        1,
        "the planted findings make exit 1"
    );
    u64::try_from(maxrss).expect("a size")
}

/// Adds clean policy files `from..to` to `dir` (100 per directory).
fn add_clean_files(dir: &Path, from: usize, to: usize, text: &str) {
    for i in from..to {
        let sub = dir.join(format!("clean{:03}", i / 100));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("p{i:06}.json")), text).unwrap();
    }
}

/// Growth allowed when `extra` files are added to a tree: what each file keeps
/// while the run lasts — its path in the walk's list, its way back for the
/// cross-file checks when the tree has a provider (a path and a kind), the
/// occurrence count of its findings' fingerprints — 256 bytes a file at most,
/// plus the allocator's granularity (runs of the same tree differ by up to
/// 3 MiB on a busy machine). Keeping each clean file's text, line index and slim
/// policy, as `lint` did, grew 14 MiB from 5,000 to 20,000 clean files (55 MiB
/// with a provider in the tree); keeping each file's findings, 10 KB a file.
fn allowed_growth_kib(extra: usize) -> u64 {
    (3 << 10) + ((extra as u64 * 256) >> 10)
}

const PROVIDER_TF: &str = "resource \"aws_iam_openid_connect_provider\" \"gitlab\" {\n  url             = \"https://gitlab.com\"\n  client_id_list  = [\"https://gitlab.com\"]\n  thumbprint_list = []\n}\n";

#[test]
fn lint_peak_memory_is_flat_in_the_number_of_clean_files() {
    const N: usize = 5_000;
    let clean = fixture("fixtures/policies/clean-gitlab-com.json");
    let trigger = fixture("fixtures/rules/wrong-action/trigger.json");
    let dir = tempfile::tempdir().unwrap();
    // The same findings in every run: a report larger than a pipe.
    let findings = dir.path().join("findings");
    std::fs::create_dir(&findings).unwrap();
    for i in 0..120 {
        std::fs::write(findings.join(format!("t{i:03}.json")), &trigger).unwrap();
    }
    let provider = dir.path().join("oidc.tf");
    // Without a provider nothing re-reads the policies; with one, the
    // cross-file checks read every policy again, one file at a time.
    // The lower of two runs: a busy machine (the rest of the suite running
    // beside this test) adds allocator noise of a few MiB to a single run.
    let peak = |path: &Path| lint_peak_kib(path).min(lint_peak_kib(path));
    let measure = || {
        let plain = peak(dir.path());
        std::fs::write(&provider, PROVIDER_TF).unwrap();
        let cross = peak(dir.path());
        std::fs::remove_file(&provider).unwrap();
        (plain, cross)
    };
    add_clean_files(dir.path(), 0, N, &clean);
    let (small, small_cross) = measure();
    add_clean_files(dir.path(), N, 4 * N, &clean);
    let (large, large_cross) = measure();
    eprintln!(
        "peak RSS, {N} / {} clean files: {small} / {large} KiB; with a provider: {small_cross} / {large_cross} KiB",
        4 * N
    );
    assert!(
        large <= small + allowed_growth_kib(3 * N),
        "peak RSS grew from {small} KiB ({N} clean files) to {large} KiB ({} clean files)",
        4 * N
    );
    assert!(
        large_cross <= small_cross + allowed_growth_kib(3 * N),
        "with a provider, peak RSS grew from {small_cross} KiB ({N} clean files) to {large_cross} KiB ({} clean files)",
        4 * N
    );
}

#[test]
fn lint_peak_memory_is_flat_in_the_number_of_findings() {
    // Every file has findings: the report streams them as each file is linted,
    // so only the walk's list of paths and the fingerprints' occurrence counts
    // grow (about 200 bytes a file). Keeping every finding until the end, as
    // `lint` did, grew about 10 KB a file: 60 MB more here from N to 4N.
    const N: usize = 2_000;
    let trigger = fixture("fixtures/rules/wrong-action/trigger.json");
    let dir = tempfile::tempdir().unwrap();
    let add = |from: usize, to: usize| {
        for i in from..to {
            let sub = dir.path().join(format!("f{:03}", i / 100));
            std::fs::create_dir_all(&sub).unwrap();
            std::fs::write(sub.join(format!("p{i:06}.json")), &trigger).unwrap();
        }
    };
    let peak = |path: &Path| lint_peak_kib(path).min(lint_peak_kib(path));
    add(0, N);
    let small = peak(dir.path());
    add(N, 4 * N);
    let large = peak(dir.path());
    eprintln!(
        "peak RSS, {N} / {} files with findings: {small} / {large} KiB",
        4 * N
    );
    assert!(
        large <= small + allowed_growth_kib(3 * N),
        "peak RSS grew from {small} KiB ({N} files with findings) to {large} KiB ({} files)",
        4 * N
    );
}
