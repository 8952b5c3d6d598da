//! The one reader of every input: policies, tokens, CA files, `--config`,
//! `--baseline`, standard input and the files `lint` is given.
//!
//! Every read is capped in size (the caller names the cap: [`MAX_FILE_BYTES`]
//! for policies and most inputs, [`crate::baseline::MAX_BASELINE_BYTES`] for a
//! baseline) and no read waits unbounded:
//!
//! - `open()` is always made with `O_NONBLOCK`, so that a FIFO without a writer
//!   cannot block it (on a regular file the flag changes nothing);
//! - a regular file is read to its end (it has one);
//! - anything else — a FIFO, a pipe or process substitution (`<(…)`, `/dev/fd/N`),
//!   a character device, a socket on standard input — is read with `poll()`
//!   before each `read()`, for at most [`NON_REGULAR_READ_TIMEOUT`] in total
//!   (overridable with `$OIDC_DOCTOR_READ_TIMEOUT_MS`, up to
//!   [`MAX_READ_TIMEOUT`]). Standard input that is a terminal is the exception:
//!   a person is typing, and Ctrl-D ends the input;
//! - a FIFO opened by path that no process holds open for writing is refused
//!   after [`NO_WRITER_GRACE`] instead of the whole wait: on Linux a
//!   non-blocking `read()` returns end-of-input while no writer exists and
//!   `EAGAIN` while a writer exists but is silent, so a FIFO nobody writes to
//!   is told apart from a slow producer (a process substitution's writer holds
//!   the pipe from the start, however long it takes to write).
//!
//! Errors are [`ReadError`]s; [`ReadError::message`] makes the one-line message
//! (exit 2) that names the input and the limit hit.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;
use std::time::{Duration, Instant};

pub use super::MAX_FILE_BYTES;

/// How long reading one non-regular input (a FIFO, a pipe, a process
/// substitution, a character device) may take in all, from open to end of
/// input. Generous for a producer such as `terraform show -json` writing into a
/// pipe (seconds), short enough that a CI job whose FIFO never gets a writer
/// fails with a message instead of hanging until the job's own timeout (an hour
/// by default on GitLab).
pub const NON_REGULAR_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a FIFO opened by path may stay without any writer before it is
/// refused (the read time limit when that is shorter). A writer started just
/// after oidc-doctor (`lint f & producer > f`) opens it well within this; a
/// FIFO nobody will ever write to fails in a second instead of the whole wait.
pub const NO_WRITER_GRACE: Duration = Duration::from_secs(1);

/// How often a FIFO without a writer is looked at again during the grace.
const WRITER_CHECK_INTERVAL: Duration = Duration::from_millis(20);

/// Milliseconds that replace [`NON_REGULAR_READ_TIMEOUT`] (the tests use a short
/// wait; a job with a slower producer can allow more, up to [`MAX_READ_TIMEOUT`]).
pub const READ_TIMEOUT_ENV: &str = "OIDC_DOCTOR_READ_TIMEOUT_MS";

/// The longest wait [`READ_TIMEOUT_ENV`] may ask for: ten minutes, so that no
/// setting turns the wait back into an unbounded one.
pub const MAX_READ_TIMEOUT: Duration = Duration::from_secs(600);

/// The size of one `read()` of a non-regular input (a pipe delivers at most its
/// buffer, 64 KiB on Linux, per call).
const CHUNK_BYTES: usize = 64 << 10;

/// The wait in force: [`READ_TIMEOUT_ENV`] when set to a number of milliseconds
/// (capped at [`MAX_READ_TIMEOUT`]), else [`NON_REGULAR_READ_TIMEOUT`].
pub fn read_timeout() -> Duration {
    timeout_from(std::env::var(READ_TIMEOUT_ENV).ok().as_deref())
}

/// [`read_timeout`] from the variable's value (anything but a number of
/// milliseconds leaves the default).
fn timeout_from(value: Option<&str>) -> Duration {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|ms| Duration::from_millis(ms).min(MAX_READ_TIMEOUT))
        .unwrap_or(NON_REGULAR_READ_TIMEOUT)
}

/// What kind of thing an input is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Regular,
    Directory,
    /// A named FIFO or an anonymous pipe (process substitution, `|`).
    Fifo,
    CharDevice,
    BlockDevice,
    Socket,
    Terminal,
    Other,
}

impl InputKind {
    pub fn of(file_type: std::fs::FileType) -> InputKind {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if file_type.is_fifo() {
                return InputKind::Fifo;
            }
            if file_type.is_char_device() {
                return InputKind::CharDevice;
            }
            if file_type.is_block_device() {
                return InputKind::BlockDevice;
            }
            if file_type.is_socket() {
                return InputKind::Socket;
            }
        }
        if file_type.is_file() {
            InputKind::Regular
        } else if file_type.is_dir() {
            InputKind::Directory
        } else {
            InputKind::Other
        }
    }

    /// "a FIFO", "a character device", …
    pub fn describe(self) -> &'static str {
        match self {
            InputKind::Regular => "a regular file",
            InputKind::Directory => "a directory",
            InputKind::Fifo => "a FIFO or pipe",
            InputKind::CharDevice => "a character device",
            InputKind::BlockDevice => "a block device",
            InputKind::Socket => "a socket",
            InputKind::Terminal => "a terminal",
            InputKind::Other => "not a regular file",
        }
    }
}

/// Why an input was not read.
#[derive(Debug)]
pub enum ReadError {
    /// The system refused (no such file, permission denied, …).
    Io(std::io::Error),
    /// More than the cap; `kind` says what was read.
    TooLarge { cap: u64, kind: InputKind },
    /// A non-regular input did not end within the wait.
    TimedOut {
        waited: Duration,
        kind: InputKind,
        /// Bytes that had arrived (discarded: a partial policy is not linted).
        received: usize,
    },
    /// A FIFO that no process opened for writing within the grace.
    NoWriter { waited: Duration },
    /// Something that cannot be read as a file (a directory, a socket).
    NotReadable(InputKind),
}

impl ReadError {
    /// The one-line message: `what` names the input ("trust.json",
    /// "configuration .oidc-doctor.toml", "standard input").
    pub fn message(&self, what: &str) -> String {
        match self {
            ReadError::Io(e) => format!("cannot read {what}: {e}"),
            ReadError::TooLarge { cap, kind } => {
                let of = match kind {
                    InputKind::Regular | InputKind::Terminal => String::new(),
                    k => format!(" ({})", k.describe()),
                };
                format!(
                    "{what}{of} is larger than {} MiB (the input size limit); refusing to read it",
                    cap >> 20
                )
            }
            ReadError::TimedOut {
                waited,
                kind,
                received,
            } => {
                let got = if *received == 0 {
                    "no data arrived (no writer?)".to_string()
                } else {
                    format!("{received} bytes arrived but the input did not end")
                };
                format!(
                    "cannot read {what} ({}): {got} within {} (the read time limit; set {READ_TIMEOUT_ENV} to change it); nothing was checked",
                    kind.describe(),
                    human_duration(*waited),
                )
            }
            ReadError::NoWriter { waited } => format!(
                "cannot read {what} ({}): no process opened it for writing within {} (a FIFO needs a writer; the read time limit, {READ_TIMEOUT_ENV}, applies once one has); nothing was checked",
                InputKind::Fifo.describe(),
                human_duration(*waited),
            ),
            ReadError::NotReadable(kind) => format!(
                "cannot read {what}: it is {}; expected a file, a FIFO or a pipe",
                kind.describe()
            ),
        }
    }
}

fn human_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Opens a path without ever blocking in `open()` (a FIFO without a writer
/// blocks a plain open forever).
pub fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    options.open(path)
}

/// Reads a file (any kind: see the module documentation) of at most `cap` bytes.
pub fn read_path(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let file = match open_nonblocking(path) {
        Ok(f) => f,
        Err(e) => {
            // A socket cannot be opened (ENXIO): say what it is.
            if let Ok(meta) = std::fs::metadata(path) {
                let kind = InputKind::of(meta.file_type());
                if matches!(kind, InputKind::Socket | InputKind::Other) {
                    return Err(ReadError::NotReadable(kind));
                }
            }
            return Err(ReadError::Io(e));
        }
    };
    let kind = InputKind::of(file.metadata()?.file_type());
    // Opened here with O_NONBLOCK: a read never blocks, so a FIFO's writer can be asked after.
    read_open(file, kind, cap, read_timeout(), Opened::NonBlocking)
}

/// How an input was opened: only a descriptor opened with `O_NONBLOCK` may be
/// read while `poll()` says nothing is there (standard input is shared with
/// the parent and keeps its own flags).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Opened {
    NonBlocking,
    Inherited,
}

/// Reads standard input (at most `cap` bytes): a terminal without a time
/// limit, a pipe or anything else not regular within [`read_timeout`].
pub fn read_stdin(cap: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let mut buf = Vec::new();
        stdin.lock().take(cap + 1).read_to_end(&mut buf)?;
        return check_cap(buf, cap, InputKind::Terminal);
    }
    #[cfg(unix)]
    {
        // A duplicate of fd 0 as a `File`: `fstat`, `poll` and `read` on it act
        // on standard input itself (closing the duplicate leaves fd 0 open).
        use std::os::fd::AsFd;
        let file = File::from(stdin.as_fd().try_clone_to_owned()?);
        let kind = InputKind::of(file.metadata()?.file_type());
        read_open(file, kind, cap, read_timeout(), Opened::Inherited)
    }
    #[cfg(not(unix))]
    {
        let mut buf = Vec::new();
        stdin.lock().take(cap + 1).read_to_end(&mut buf)?;
        check_cap(buf, cap, InputKind::Other)
    }
}

fn check_cap(buf: Vec<u8>, cap: u64, kind: InputKind) -> Result<Vec<u8>, ReadError> {
    if buf.len() as u64 > cap {
        Err(ReadError::TooLarge { cap, kind })
    } else {
        Ok(buf)
    }
}

/// Reads an open file of the given kind; `wait` bounds a non-regular read.
fn read_open(
    file: File,
    kind: InputKind,
    cap: u64,
    wait: Duration,
    opened: Opened,
) -> Result<Vec<u8>, ReadError> {
    match kind {
        InputKind::Regular => {
            let mut buf = Vec::new();
            let mut limited = file.take(cap + 1);
            loop {
                match limited.read_to_end(&mut buf) {
                    Ok(_) => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            check_cap(buf, cap, kind)
        }
        InputKind::Directory | InputKind::Socket | InputKind::Other => {
            Err(ReadError::NotReadable(kind))
        }
        InputKind::Fifo if opened == Opened::NonBlocking => {
            read_bounded(file, kind, cap, wait, Some(NO_WRITER_GRACE.min(wait)))
        }
        _ => read_bounded(file, kind, cap, wait, None),
    }
}

/// Reads a non-regular file already open (with `O_NONBLOCK` or not): `poll()`
/// before every `read()`, so that no call waits past `wait` from now, and at
/// most `cap` + 1 bytes kept.
///
/// `writer_grace` (only for a FIFO opened with `O_NONBLOCK`): while `poll()`
/// reports nothing, a read is tried every [`WRITER_CHECK_INTERVAL`]; end of
/// input there means no process holds the FIFO for writing (a writer that
/// came and went makes `poll()` report the hang-up instead), and after the
/// grace without one the FIFO is refused.
fn read_bounded(
    mut file: File,
    kind: InputKind,
    cap: u64,
    wait: Duration,
    writer_grace: Option<Duration>,
) -> Result<Vec<u8>, ReadError> {
    let opened = Instant::now();
    let deadline = opened + wait;
    let limit = usize::try_from(cap).unwrap_or(usize::MAX).saturating_add(1);
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; CHUNK_BYTES];
    // `Some` until a writer has been seen.
    let mut grace = writer_grace;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let slice = match grace {
            Some(_) => left.min(WRITER_CHECK_INTERVAL),
            None => left,
        };
        let ready = if slice.is_zero() {
            Ok(false)
        } else {
            wait_readable(&file, slice)
        };
        match ready {
            Ok(true) => {}
            Ok(false) if grace.is_some() && !left.is_zero() => {
                let room = limit.saturating_sub(buf.len()).min(chunk.len());
                let Some(into) = chunk.get_mut(..room) else {
                    break;
                };
                match file.read(into) {
                    // No writer now: refuse once the grace is over.
                    Ok(0) => {
                        if let Some(g) = grace
                            && opened.elapsed() >= g
                        {
                            return Err(ReadError::NoWriter { waited: g });
                        }
                    }
                    // A writer raced `poll()`: keep what it wrote.
                    Ok(n) => {
                        grace = None;
                        buf.extend_from_slice(into.get(..n).unwrap_or_default());
                        if buf.len() >= limit {
                            break;
                        }
                    }
                    // A writer holds it and is silent: the read time limit applies.
                    Err(e) if e.kind() == ErrorKind::WouldBlock => grace = None,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
                continue;
            }
            Ok(false) => {
                return Err(ReadError::TimedOut {
                    waited: wait,
                    kind,
                    received: buf.len(),
                });
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
        let room = limit.saturating_sub(buf.len()).min(chunk.len());
        let Some(into) = chunk.get_mut(..room) else {
            break;
        };
        match file.read(into) {
            Ok(0) => break,
            Ok(n) => {
                grace = None;
                buf.extend_from_slice(into.get(..n).unwrap_or_default());
                if buf.len() >= limit {
                    break;
                }
            }
            // Ready by `poll` yet nothing to read (a spurious wake-up): poll again.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    check_cap(buf, cap, kind)
}

/// Waits until `file` has data or its end (`true`) or `left` passes (`false`).
#[cfg(unix)]
fn wait_readable(file: &File, left: Duration) -> std::io::Result<bool> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut fds = [PollFd::new(file, PollFlags::IN)];
    let timeout = Timespec {
        tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(left.subsec_nanos()),
    };
    let ready = poll(&mut fds, Some(&timeout)).map_err(std::io::Error::from)?;
    Ok(ready > 0)
}

#[cfg(not(unix))]
fn wait_readable(_file: &File, _left: Duration) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_at_the_cap_is_read_and_one_byte_more_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, vec![b'x'; 100]).unwrap();
        assert_eq!(read_path(&p, 100).unwrap().len(), 100);
        let e = read_path(&p, 99).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::TooLarge {
                    cap: 99,
                    kind: InputKind::Regular
                }
            ),
            "{e:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_character_device_is_read_up_to_the_cap() {
        let e = read_path(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::TooLarge {
                    kind: InputKind::CharDevice,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.message("/dev/zero").contains("larger than 1 MiB"));
        assert_eq!(read_path(Path::new("/dev/null"), 10).unwrap(), b"");
    }

    #[test]
    fn the_wait_is_configurable_within_its_cap() {
        assert_eq!(timeout_from(None), NON_REGULAR_READ_TIMEOUT);
        assert_eq!(timeout_from(Some("250")), Duration::from_millis(250));
        assert_eq!(timeout_from(Some("soon")), NON_REGULAR_READ_TIMEOUT);
        assert_eq!(timeout_from(Some("86400000")), MAX_READ_TIMEOUT);
    }

    #[test]
    fn a_directory_is_not_readable() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_path(dir.path(), 10).unwrap_err();
        assert!(
            matches!(e, ReadError::NotReadable(InputKind::Directory)),
            "{e:?}"
        );
    }
}
