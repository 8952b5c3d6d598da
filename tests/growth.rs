//! Growth as a test (issue 14): every hostile input of `support/hostile.rs`, at
//! sizes 1×, 2×, 4× and 8×, through the real command line, must end with an
//! allowed exit code and do work that grows near-linearly with its size.
//!
//! Work is measured in allocations and allocated bytes, not time: they are the
//! same on every machine and under any load. Each run is a child process of this
//! test binary (the `growth_child` test below, re-run with the command in its
//! environment), so that the counts belong to one command alone, its output goes
//! to /dev/null and a crash or a hang is the child's, bounded by a deadline here.

#[path = "support/hostile.rs"]
mod hostile;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hostile::Case;

/// Counts every allocation (and reallocation) of the process, and the peak of
/// live bytes.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);

fn grew(bytes: usize) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    let live = LIVE.fetch_add(bytes as u64, Ordering::Relaxed) + bytes as u64;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        grew(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const CHILD_ARGS: &str = "OIDC_DOCTOR_GROWTH_ARGS";
const MARK: &str = "growth-counts:";

/// The child's side: runs one command line in-process and reports its exit
/// code and counts on stderr.
fn child(json: &str) -> ! {
    let argv: Vec<String> = serde_json::from_str(json).expect("the parent sends a JSON list");
    let before = (
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let code = oidc_doctor::cli::main_from(std::iter::once("oidc-doctor".to_string()).chain(argv));
    let exit = (0..=255u8)
        .find(|c| std::process::ExitCode::from(*c) == code)
        .map(i32::from)
        .unwrap_or(-1);
    eprintln!(
        "{MARK} {exit} {} {} {}",
        ALLOCATIONS.load(Ordering::Relaxed) - before.0,
        BYTES.load(Ordering::Relaxed) - before.1,
        PEAK.load(Ordering::Relaxed).saturating_sub(base)
    );
    std::process::exit(0);
}

#[derive(Debug, Clone, Copy)]
struct Counts {
    allocations: u64,
    bytes: u64,
    peak: u64,
}

/// Runs one command of a case in a child; panics (with the child's stderr) on
/// a crash, a hang past the deadline, or an exit code the case does not allow.
fn measure(case: &Case, dir: &Path, command: &[String]) -> Counts {
    let argv: Vec<String> = command
        .iter()
        .map(|a| a.replace("{dir}", &dir.display().to_string()))
        .collect();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ARGS, serde_json::to_string(&argv).unwrap())
        .env("NO_COLOR", "1")
        .env_remove("GITLAB_OIDC_TOKEN")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_ROLE_ARN")
        .env_remove("CI_PROJECT_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    // Generous: a debug build on a loaded two-core machine. A hang is what it
    // catches, not slowness (growth is judged by the counts).
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "{}: `{}` did not end within 300 s",
                case.name,
                argv.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let err = reader.join().unwrap();
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix(MARK))
        .unwrap_or_else(|| {
            panic!(
                "{}: `{}` ended ({status}) without its counts:\n{err}",
                case.name,
                argv.join(" ")
            )
        });
    let n: Vec<i64> = line
        .split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect();
    assert!(
        case.exits.contains(&(n[0] as i32)),
        "{}: `{}` exited {} (allowed: {:?}):\n{err}",
        case.name,
        argv.join(" "),
        n[0],
        case.exits
    );
    assert!(
        !err.contains("internal error"),
        "{}: `{}`:\n{err}",
        case.name,
        argv.join(" ")
    );
    Counts {
        allocations: n[1] as u64,
        bytes: n[2] as u64,
        peak: n[3] as u64,
    }
}

fn write_case(case: &Case) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in &case.files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    dir
}

/// Near-linear: from 1× to 8× the input, at most 8 × 1.5 = 12 times the work
/// (room for n log n and for fixed costs that shrink in proportion), and no
/// doubling more than 3 times the work. Quadratic work is 4 times a doubling
/// and 64 times from 1× to 8×.
const MAX_8X: f64 = 12.0;
const MAX_STEP: f64 = 3.0;

fn assert_near_linear(what: &str, series: &[(usize, u64)]) {
    let first = series[0].1.max(1) as f64;
    let last = series[series.len() - 1].1 as f64;
    let steps: Vec<f64> = series
        .windows(2)
        .map(|w| w[1].1 as f64 / w[0].1.max(1) as f64)
        .collect();
    assert!(
        last / first <= MAX_8X && steps.iter().all(|s| *s <= MAX_STEP),
        "{what} grows faster than near-linearly: {series:?} (steps {steps:.2?}, 8x/1x {:.2})",
        last / first
    );
}

/// Bounded: past a cap, no size does more than [`MAX_8X`] times the least work
/// of any size (the capped inputs grow exponentially: uncapped, 8× is 10⁷ times).
fn assert_bounded(what: &str, series: &[(usize, u64)]) {
    let least = series.iter().map(|s| s.1).min().unwrap_or(0).max(1) as f64;
    let most = series.iter().map(|s| s.1).max().unwrap_or(0) as f64;
    assert!(
        most / least <= MAX_8X,
        "{what} is not bounded: {series:?} (most/least {:.2})",
        most / least
    );
}

fn growth_of(name: &str, make: hostile::Generator, growth: hostile::Growth) {
    let sizes = [1usize, 2, 4, 8];
    let cases: Vec<Case> = sizes.iter().map(|k| make(*k)).collect();
    let dirs: Vec<tempfile::TempDir> = cases.iter().map(write_case).collect();
    for (c, command) in cases[0].commands.iter().enumerate() {
        let counts: Vec<Counts> = cases
            .iter()
            .zip(&dirs)
            .map(|(case, dir)| measure(case, dir.path(), &case.commands[c]))
            .collect();
        let label = format!("{name}: `{}`", command.join(" "));
        let series = |f: fn(&Counts) -> u64| -> Vec<(usize, u64)> {
            sizes.iter().copied().zip(counts.iter().map(f)).collect()
        };
        let check = match growth {
            hostile::Growth::Linear => assert_near_linear,
            hostile::Growth::Bounded => assert_bounded,
        };
        check(&format!("{label} allocations"), &series(|c| c.allocations));
        check(&format!("{label} allocated bytes"), &series(|c| c.bytes));
        check(&format!("{label} peak live bytes"), &series(|c| c.peak));
    }
}

/// The measure itself can fail: quadratic work is seen as such.
fn the_measure_sees_quadratic_work() {
    // The panics below are expected: keep their messages out of the log.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(the_measure_sees_quadratic_work_quietly);
    std::panic::set_hook(hook);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

fn the_measure_sees_quadratic_work_quietly() {
    let quadratic: Vec<(usize, u64)> = [1usize, 2, 4, 8]
        .iter()
        .map(|k| (*k, (k * k * 1000) as u64))
        .collect();
    let result = std::panic::catch_unwind(|| assert_near_linear("n²", &quadratic));
    assert!(result.is_err());
    let linear: Vec<(usize, u64)> = [1usize, 2, 4, 8]
        .iter()
        .map(|k| (*k, (k * 1000 + 500) as u64))
        .collect();
    assert_near_linear("n", &linear);
    // Bounded work fails on linear growth, passes on noise below the cap.
    let result = std::panic::catch_unwind(|| assert_bounded("n", &quadratic));
    assert!(result.is_err());
    assert_bounded(
        "capped",
        &[
            (1, 1_000_000),
            (2, 4_400_000),
            (4, 1_200_000),
            (8, 1_300_000),
        ],
    );
}

/// `harness = false` (Cargo.toml): the same binary is the parent, which runs
/// every generator's growth check and prints libtest's closing line, and the
/// child, which runs one command when the parent says so.
fn main() {
    if let Ok(json) = std::env::var(CHILD_ARGS) {
        child(&json);
    }
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut checks: Vec<(String, Box<dyn Fn() + std::panic::RefUnwindSafe>)> = vec![(
        "the_measure_sees_quadratic_work".into(),
        Box::new(the_measure_sees_quadratic_work),
    )];
    for (name, make, growth) in hostile::scalable() {
        checks.push((
            format!("growth::{name}"),
            Box::new(move || growth_of(name, make, growth)),
        ));
    }
    let checks: Vec<_> = checks
        .into_iter()
        .filter(|(n, _)| filter.as_ref().is_none_or(|f| n.contains(f.as_str())))
        .collect();
    println!("\nrunning {} tests", checks.len());
    let (mut passed, mut failed) = (0, Vec::new());
    for (name, check) in &checks {
        match std::panic::catch_unwind(check) {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok");
            }
            Err(_) => {
                failed.push(name.clone());
                println!("test {name} ... FAILED");
            }
        }
    }
    let result = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {result}. {passed} passed; {} failed; 0 ignored; 0 measured; 0 filtered out\n",
        failed.len()
    );
    if !failed.is_empty() {
        println!("failures: {}", failed.join(", "));
        std::process::exit(101);
    }
}
