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
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
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
        std::fs::write(path, text)
            .map_err(|e| format!("cannot write baseline {}: {e}", path.display()))
    }

    /// Drops the recorded findings; returns how many were dropped.
    pub fn filter(&self, findings: &mut Vec<Fingerprinted>) -> usize {
        let known: HashSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let before = findings.len();
        findings.retain(|f| !known.contains(f.fingerprint.as_str()));
        before - findings.len()
    }
}
