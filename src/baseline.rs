//! `lint --baseline FILE`: accept today's findings, report only new ones.
//!
//! `--baseline FILE --write-baseline` records the fingerprints (see
//! [`crate::fingerprint`]) of every finding the run reports; a later run with
//! `--baseline FILE` drops the findings whose fingerprint is recorded. Fingerprints
//! do not contain line numbers, so edits elsewhere in a file do not resurrect a
//! recorded finding; changing the offending text itself does.
//!
//! The file is JSON, sorted, one entry per finding, so that it reviews well in a
//! merge request:
//!
//! ```json
//! {
//!   "oidc_doctor_baseline": 1,
//!   "findings": [
//!     {"fingerprint": "…", "rule": "wrong-action", "path": "infra/trust.json",
//!      "pointer": "/Statement/0/Action", "message": "…"}
//!   ]
//! }
//! ```
//!
//! Only `fingerprint` is used for matching; the other fields are for the reader.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprinted;

/// The format version written and understood.
pub const VERSION: u32 = 1;

/// Largest baseline read (and written: a baseline this run could not read back
/// is refused). An entry takes about 300 bytes, so 32 MiB records some 100,000
/// findings — one per file of the 100,000-file lint benchmark — while keeping a
/// `/dev/zero` or runaway file from being read until memory runs out.
pub const MAX_BASELINE_BYTES: u64 = 32 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    pub oidc_doctor_baseline: u32,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub pointer: Option<String>,
    #[serde(default)]
    pub message: String,
}

impl Baseline {
    pub fn of(findings: &[Fingerprinted]) -> Baseline {
        let mut entries: Vec<Entry> = findings
            .iter()
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                rule: f.finding.rule.to_string(),
                path: f.project_path.clone(),
                pointer: f.finding.location.as_ref().and_then(|l| l.pointer.clone()),
                message: f.finding.message.clone(),
            })
            .collect();
        entries.sort_by(|a, b| {
            (&a.path, &a.rule, &a.pointer, &a.fingerprint).cmp(&(
                &b.path,
                &b.rule,
                &b.pointer,
                &b.fingerprint,
            ))
        });
        Baseline {
            oidc_doctor_baseline: VERSION,
            findings: entries,
        }
    }

    /// Reads a baseline; `Err` is a one-line message (exit 2).
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let what = format!("baseline {}", path.display());
        let bytes =
            crate::lint::read::read_path(path, MAX_BASELINE_BYTES).map_err(|e| e.message(&what))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            format!(
                "invalid {what}: not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            )
        })?;
        let b: Baseline = serde_json::from_str(&text)
            .map_err(|e| format!("invalid baseline {}: {e}", path.display()))?;
        if b.oidc_doctor_baseline != VERSION {
            return Err(format!(
                "invalid baseline {}: format version {} is not supported (expected {VERSION})",
                path.display(),
                b.oidc_doctor_baseline
            ));
        }
        Ok(b)
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| format!("cannot write baseline {}: {e}", path.display()))?;
        text.push('\n');
        if text.len() as u64 > MAX_BASELINE_BYTES {
            return Err(format!(
                "cannot write baseline {}: {} findings make {} MiB, more than the {} MiB a baseline may hold (the baseline size limit); fix or turn off some rules first",
                path.display(),
                self.findings.len(),
                text.len() >> 20,
                MAX_BASELINE_BYTES >> 20
            ));
        }
        write_nonblocking(path, text.as_bytes())
            .map_err(|e| format!("cannot write baseline {}: {e}", path.display()))
    }

    /// The recorded fingerprints.
    pub fn fingerprints(self) -> HashSet<String> {
        self.findings.into_iter().map(|e| e.fingerprint).collect()
    }
}

/// Writes a file without blocking in `open()`: a FIFO with no reader fails at
/// once (ENXIO) instead of waiting for one forever.
fn write_nonblocking(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    options.open(path)?.write_all(bytes)
}
