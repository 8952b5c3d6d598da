//! Linting ahead of the report on several threads, handed out in the plan's order.
//!
//! Threads take the planned files a few at a time ([`CHUNK_FILES`]) from a
//! shared queue, lint each ([`super::lint_planned`]: read, parse, rules,
//! findings sorted and maybe rendered) and send the outcomes back in batches;
//! [`Workers::next`] gives them back in the plan's order, so the report and the
//! cross-file checks see exactly what a single thread would. (One file at a
//! time, the hand-off cost more than the lint: a wake-up per file, 90,000
//! context switches for 100,000 files.)
//!
//! The threads never run far ahead of the report: a file is linted only while
//! fewer than [`AHEAD_FILES`] files, holding under [`AHEAD_BYTES`] of text, wait
//! for their turn — except the file the report waits for, which always is.
//! Memory therefore stays flat in the number of files, even when the report is
//! slower than the lint (human output to a slow terminal).
//!
//! Hand-written over a thread pool crate: the order-preserving, memory-bounded
//! hand-off is the whole of it, and rayon's `par_iter` either collects
//! everything (memory grows with the findings) or needs this same reorder window
//! around it.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread::JoinHandle;

use super::{LintOptions, Outcome, Planned, lint_planned};
use crate::config::Config;
use crate::gitlab::ci::IncludeNotes;

/// What every lint thread reads: the run's options, owned.
pub struct Shared {
    pub config: Option<Config>,
    pub include_notes: Arc<IncludeNotes>,
    pub render: Option<Arc<super::Render>>,
}

/// Most files linted ahead of the one the report waits for.
pub const AHEAD_FILES: usize = 256;

/// Most bytes of text the files linted ahead may hold (a file with findings
/// keeps its text for the report's snippets; 4 MiB files are allowed).
pub const AHEAD_BYTES: usize = 32 << 20;

/// Most files a thread takes from the queue at once.
pub const CHUNK_FILES: usize = 16;

/// A thread sends what it linted when it holds this many bytes of it (or its
/// chunk is done), so a chunk of large files is not held whole.
const FLUSH_BYTES: usize = 1 << 20;

/// Waiting threads are woken every this many files the report takes (not after
/// each: 100,000 wake-ups cost more than the lint they let through), and
/// whenever the report is about to wait for a file.
const WAKE_EVERY: usize = AHEAD_FILES / 8;

/// Stack of each lint thread: the main thread's (8 MiB on Linux), so that a
/// deep document behaves the same whichever thread reads it.
const STACK_BYTES: usize = 8 << 20;

/// The planned files and the window's state, behind one lock.
struct Queue {
    planned: std::vec::IntoIter<Planned>,
    /// Index of the next file to hand out.
    next: usize,
    /// Files the report has taken.
    consumed: usize,
    /// Bytes held by outcomes sent and not yet taken.
    held: usize,
    /// Threads waiting for room in the window.
    waiting: usize,
    /// The run is over (dropped early): take nothing more.
    stop: bool,
    /// The byte window: [`AHEAD_BYTES`] (smaller in tests).
    ahead_bytes: usize,
}

impl Queue {
    /// Whether the file at `index` (the next to hand out, or one a thread
    /// holds) may be linted now.
    fn may_lint(&self, index: usize) -> bool {
        index == self.consumed
            || (index < self.consumed + AHEAD_FILES && self.held < self.ahead_bytes)
    }
}

struct Window {
    queue: Mutex<Queue>,
    room: Condvar,
}

impl Window {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panicking lint thread fails the run through `Workers::next`; the
        // queue's counters stay consistent under the lock either way.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The lint threads of one run.
pub struct Workers {
    shared: Arc<Window>,
    results: Option<mpsc::Receiver<Vec<(usize, Outcome)>>>,
    /// Outcomes that arrived before their turn.
    early: BTreeMap<usize, Outcome>,
    /// Outcomes given out so far.
    taken: usize,
    total: usize,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `threads` threads on `planned`. `Err` gives the plan back when no
    /// thread could be started (the caller lints on its own thread).
    pub fn start(
        planned: Vec<Planned>,
        run: Shared,
        threads: usize,
    ) -> Result<Workers, Vec<Planned>> {
        Workers::start_within(planned, run, threads, AHEAD_BYTES)
    }

    /// [`Workers::start`] with a byte window of `ahead_bytes`.
    fn start_within(
        planned: Vec<Planned>,
        run: Shared,
        threads: usize,
        ahead_bytes: usize,
    ) -> Result<Workers, Vec<Planned>> {
        let total = planned.len();
        let shared = Arc::new(Window {
            queue: Mutex::new(Queue {
                planned: planned.into_iter(),
                next: 0,
                consumed: 0,
                held: 0,
                waiting: 0,
                stop: false,
                ahead_bytes,
            }),
            room: Condvar::new(),
        });
        let run = Arc::new(run);
        let (send, results) = mpsc::channel();
        let mut handles = Vec::new();
        for n in 0..threads.min(total) {
            let (shared, send, run) = (shared.clone(), send.clone(), run.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("lint-{n}"))
                .stack_size(STACK_BYTES)
                .spawn(move || work(&shared, &send, &run));
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(_) => break, // fewer threads: slower, not wrong
            }
        }
        if handles.is_empty() {
            let planned = std::mem::take(&mut shared.lock().planned);
            return Err(planned.collect());
        }
        Ok(Workers {
            shared,
            results: Some(results),
            early: BTreeMap::new(),
            taken: 0,
            total,
            handles,
        })
    }

    /// The next file's outcome in the plan's order; `None` after the last.
    /// `Err` only if the threads ended with files left and none panicked
    /// (a panicking thread's panic is resumed here instead).
    pub fn next(&mut self) -> Result<Option<Outcome>, String> {
        if self.taken == self.total {
            return Ok(None);
        }
        let outcome = loop {
            if let Some(outcome) = self.early.remove(&self.taken) {
                break outcome;
            }
            let Some(results) = &self.results else {
                return Err(self.fail());
            };
            let batch = match results.try_recv() {
                Ok(batch) => batch,
                Err(mpsc::TryRecvError::Empty) => {
                    // About to wait: a thread holding the file waited for may
                    // be waiting for room, and may always go on with it.
                    if self.shared.lock().waiting > 0 {
                        self.shared.room.notify_all();
                    }
                    match results.recv() {
                        Ok(batch) => batch,
                        // Every thread ended with files left: one panicked.
                        Err(_) => return Err(self.fail()),
                    }
                }
                Err(mpsc::TryRecvError::Disconnected) => return Err(self.fail()),
            };
            self.early.extend(batch);
        };
        self.taken += 1;
        let bytes = outcome.held_bytes();
        let mut queue = self.shared.lock();
        queue.consumed = self.taken;
        let was_full = queue.held >= queue.ahead_bytes;
        queue.held = queue.held.saturating_sub(bytes);
        if queue.waiting > 0
            && (self.taken.is_multiple_of(WAKE_EVERY)
                || (was_full && queue.held < queue.ahead_bytes))
        {
            self.shared.room.notify_all();
        }
        drop(queue);
        Ok(Some(outcome))
    }

    /// A lint thread panicked: its panic becomes this thread's (the panic hook
    /// reports it). Otherwise the message for a run that cannot go on.
    fn fail(&mut self) -> String {
        for handle in self.handles.drain(..) {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
        // Unreachable while the plan's length is the number of outcomes sent.
        format!(
            "internal error: the lint threads ended with {} of {} files left to lint",
            self.total - self.taken,
            self.total
        )
    }
}

impl Drop for Workers {
    /// Stops the threads after the file each is linting, and waits for them.
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.room.notify_all();
        self.results = None;
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}

/// One lint thread: takes the next files while the window has room, lints
/// them, sends the outcomes.
fn work(shared: &Window, send: &mpsc::Sender<Vec<(usize, Outcome)>>, run: &Shared) {
    let opts = LintOptions {
        config: run.config.as_ref(),
        include_notes: Some(&run.include_notes),
        render: run.render.as_deref(),
    };
    let mut scratch = Vec::new();
    loop {
        let (first, chunk) = {
            let mut queue = shared.lock();
            loop {
                if queue.stop {
                    return;
                }
                let next = queue.next;
                if queue.may_lint(next) {
                    break;
                }
                queue = wait(shared, queue);
            }
            let room = (queue.consumed + AHEAD_FILES).saturating_sub(queue.next);
            let chunk: Vec<Planned> = queue
                .planned
                .by_ref()
                .take(room.clamp(1, CHUNK_FILES))
                .collect();
            if chunk.is_empty() {
                return;
            }
            queue.next += chunk.len();
            (queue.next - chunk.len(), chunk)
        };
        let mut out: Vec<(usize, Outcome)> = Vec::with_capacity(chunk.len());
        let mut out_bytes = 0;
        for (index, entry) in (first..).zip(chunk) {
            if index > first {
                // The window may have filled since the chunk was taken.
                let mut queue = shared.lock();
                if !queue.may_lint(index) {
                    if !flush(shared, send, &mut out, &mut out_bytes, Some(queue)) {
                        return;
                    }
                    queue = shared.lock();
                    while !queue.stop && !queue.may_lint(index) {
                        queue = wait(shared, queue);
                    }
                    if queue.stop {
                        return;
                    }
                }
            }
            let outcome = lint_planned(entry, opts, &mut scratch);
            out_bytes += outcome.held_bytes();
            out.push((index, outcome));
            if out_bytes >= FLUSH_BYTES && !flush(shared, send, &mut out, &mut out_bytes, None) {
                return;
            }
        }
        if !flush(shared, send, &mut out, &mut out_bytes, None) {
            return;
        }
    }
}

/// Waits under the lock for the report to make room.
fn wait<'q>(shared: &'q Window, mut queue: MutexGuard<'q, Queue>) -> MutexGuard<'q, Queue> {
    queue.waiting += 1;
    let mut queue = shared
        .room
        .wait(queue)
        .unwrap_or_else(PoisonError::into_inner);
    queue.waiting -= 1;
    queue
}

/// Sends what the thread linted, counting its bytes as held; `false` when the
/// run is over. `queue`: the lock, when the caller holds it.
fn flush(
    shared: &Window,
    send: &mpsc::Sender<Vec<(usize, Outcome)>>,
    out: &mut Vec<(usize, Outcome)>,
    out_bytes: &mut usize,
    queue: Option<MutexGuard<'_, Queue>>,
) -> bool {
    if out.is_empty() {
        return true;
    }
    if *out_bytes > 0 {
        let mut queue = queue.unwrap_or_else(|| shared.lock());
        queue.held += *out_bytes;
    }
    *out_bytes = 0;
    send.send(std::mem::take(out)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// `n` policy files in a fresh directory, each with its own finding.
    fn tree(n: usize) -> (tempfile::TempDir, Vec<Planned>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut planned = Vec::new();
        for i in 0..n {
            let path = dir.path().join(format!("{i:05}.json"));
            let sid = format!("s{i}");
            let text = format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{sid}","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}]}}"#
            );
            std::fs::write(&path, text).expect("write");
            planned.push(Planned::File(
                Path::new(&path).into(),
                false,
                super::super::NameKind::Json,
            ));
        }
        (dir, planned)
    }

    /// Two threads on a tree of `n` files, the report's first file taken.
    fn started(n: usize) -> (tempfile::TempDir, Workers) {
        let (dir, planned) = tree(n);
        let mut workers = Workers::start(planned, no_options(), 2)
            .ok()
            .expect("threads");
        assert!(workers.next().expect("no error").is_some());
        (dir, workers)
    }

    /// Returns once `n` threads wait for room (waited for, not timed: a slow
    /// machine only takes longer to get there; a minute means they never will).
    fn until_threads_wait(workers: &Workers, n: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while workers.shared.lock().waiting < n {
            assert!(
                std::time::Instant::now() < deadline,
                "the threads never waited"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    fn no_options() -> Shared {
        Shared {
            config: None,
            include_notes: Arc::default(),
            render: None,
        }
    }

    fn paths(outcomes: impl Iterator<Item = Outcome>) -> Vec<String> {
        outcomes
            .map(|o| match o {
                Outcome::Linted(l) => l.0.path.clone(),
                other => panic!("not linted: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn outcomes_come_back_in_the_plans_order_past_the_window() {
        let n = AHEAD_FILES * 3 + 7;
        let (_dir, planned) = tree(n);
        let expected: Vec<String> = planned
            .iter()
            .map(|p| match p {
                Planned::File(path, ..) => path.to_string_lossy().into_owned(),
                Planned::Read(_) => unreachable!(),
            })
            .collect();
        let mut workers = Workers::start(planned, no_options(), 3)
            .ok()
            .expect("threads");
        let got = paths(std::iter::from_fn(|| workers.next().expect("no error")));
        assert_eq!(got, expected);
        assert!(workers.next().expect("no error").is_none());
    }

    #[test]
    fn threads_wait_for_a_slow_report_within_the_window() {
        let (_dir, mut workers) = started(AHEAD_FILES * 2);
        // However long the report takes over its first file, both threads stop
        // at the window's edge.
        until_threads_wait(&workers, 2);
        let queue = workers.shared.lock();
        // The window's edge as it was when they stopped: before or after the
        // report took its first file (waiting threads are woken every
        // `WAKE_EVERY` files, not for each).
        assert!(
            (AHEAD_FILES..=1 + AHEAD_FILES).contains(&queue.next),
            "taken ahead: {}",
            queue.next
        );
        drop(queue);
        // And go on when the report does.
        let rest = paths(std::iter::from_fn(|| workers.next().expect("no error")));
        assert_eq!(rest.len(), AHEAD_FILES * 2 - 1);
    }

    #[test]
    fn threads_stop_when_the_files_ahead_hold_the_byte_window() {
        // 512 KiB files (a policy and spaces) and an 8 MiB window: the byte
        // window, not the file window, stops the threads, mid-chunk included
        // (a chunk is 8 MiB of such files). Enough files that no thread runs
        // out of work before the window fills.
        const FILE: usize = 512 << 10;
        const WINDOW: usize = 8 << 20;
        let threads = 2;
        let n = WINDOW / FILE + threads * CHUNK_FILES * 2 + CHUNK_FILES;
        let dir = tempfile::tempdir().expect("tempdir");
        let mut planned = Vec::new();
        for i in 0..n {
            let path = dir.path().join(format!("{i:03}.json"));
            let mut text = String::from(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#,
            );
            text.push_str(&" ".repeat(FILE - text.len()));
            std::fs::write(&path, text).expect("write");
            planned.push(Planned::File(
                Path::new(&path).into(),
                false,
                super::super::NameKind::Json,
            ));
        }
        let mut workers = Workers::start_within(planned, no_options(), threads, WINDOW)
            .ok()
            .expect("threads");
        assert!(workers.next().expect("no error").is_some());
        until_threads_wait(&workers, threads);
        let queue = workers.shared.lock();
        // Past the window by at most what each thread had linted and not sent.
        assert!(queue.held >= WINDOW, "held {}", queue.held);
        assert!(
            queue.held <= WINDOW + threads * (FLUSH_BYTES + FILE),
            "held {}",
            queue.held
        );
        drop(queue);
        let rest = paths(std::iter::from_fn(|| workers.next().expect("no error")));
        assert_eq!(rest.len(), n - 1);
    }

    #[test]
    fn dropping_the_run_early_stops_the_threads() {
        let (_dir, workers) = started(AHEAD_FILES * 4);
        let shared = workers.shared.clone();
        drop(workers); // joins every thread
        assert!(shared.lock().next <= 1 + AHEAD_FILES);
        assert_eq!(Arc::strong_count(&shared), 1, "every thread ended");
    }
}
