//! Stable finding fingerprints, for GitLab Code Quality, SARIF `partialFingerprints`
//! and `--baseline`.
//!
//! A fingerprint must survive edits that do not touch the finding — above all lines
//! inserted above it — and must differ between two findings of one run. So it hashes
//! what identifies the problem, never its line or column:
//!
//! ```text
//! sha256("oidc-doctor/v1" \0 rule \0 project path \0 JSON pointer \0 offending text \0 occurrence)
//! ```
//!
//! - *project path*: the file's path relative to `$CI_PROJECT_DIR` when that is set,
//!   else to the working directory, with `/` separators (so `./infra/a.json`,
//!   `infra/a.json` and its absolute path agree);
//! - *offending text*: the source text of the finding's span with runs of whitespace
//!   collapsed (re-indenting does not change it); the message when there is no span;
//! - *occurrence*: 0 for the first finding with the same rule, path, pointer and
//!   text in document order, 1 for the next, … (identical findings stay distinct).
//!
//! The result is 32 lowercase hex digits (128 bits).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::config::{absolute, normalize, slash_path};
use crate::finding::Finding;
use crate::json::SourceText;

/// A finding ready for the machine formats: its fingerprint and its path relative
/// to the project.
#[derive(Debug, Clone)]
pub struct Fingerprinted {
    pub finding: Finding,
    pub fingerprint: String,
    /// The location's path relative to the project root; `None` without a location.
    pub project_path: Option<String>,
    /// The text of the finding's span, as written.
    pub snippet: Option<String>,
}

impl Fingerprinted {
    /// A finding for a report that shows neither fingerprints nor project paths
    /// (human output without a baseline): nothing is hashed.
    pub fn without_fingerprint(finding: Finding) -> Fingerprinted {
        Fingerprinted {
            finding,
            fingerprint: String::new(),
            project_path: None,
            snippet: None,
        }
    }
}

/// Where paths are made relative to: `$CI_PROJECT_DIR` when set, else the working
/// directory.
#[derive(Debug, Clone, Default)]
pub struct ProjectRoot {
    pub root: Option<PathBuf>,
    /// The working directory, asked once: relative paths are made absolute
    /// against it (`std::path::absolute` asks the kernel on every call).
    pub cwd: Option<PathBuf>,
}

impl ProjectRoot {
    /// From the environment, as a CI job sees it.
    pub fn from_env() -> ProjectRoot {
        let cwd = std::env::current_dir().ok();
        let root = std::env::var_os("CI_PROJECT_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| cwd.clone());
        ProjectRoot {
            root: root.map(|r| normalize(&absolute(&r))),
            cwd,
        }
    }

    /// `path` relative to the root with `/` separators, or as given (normalised)
    /// when it lies elsewhere. `<stdin>` stays `<stdin>`.
    pub fn relative(&self, path: &str) -> String {
        if path.starts_with('<') {
            return path.to_string();
        }
        let p = Path::new(path);
        if let Some(root) = &self.root {
            let abs = match &self.cwd {
                Some(cwd) if p.is_relative() => normalize(&cwd.join(p)),
                _ => normalize(&absolute(p)),
            };
            if let Ok(rel) = abs.strip_prefix(root) {
                return slash_path(rel);
            }
        }
        if p.is_absolute() {
            normalize(p).to_string_lossy().replace('\\', "/")
        } else {
            slash_path(&normalize(p))
        }
    }
}

/// Fingerprints findings one at a time, in report order: the occurrence count
/// that tells identical findings apart lives here between calls (a streamed
/// report fingerprints each file's findings as the file is linted).
#[derive(Debug, Default)]
pub struct Fingerprinter {
    seen: std::collections::HashMap<[u8; 32], usize>,
    /// The last path made relative, and what it became: a file's findings
    /// come together, so one entry spares most of the path work.
    last: Option<(String, String)>,
}

impl Fingerprinter {
    /// The next finding's fingerprint; `source` is the text of its file.
    pub fn take(
        &mut self,
        finding: Finding,
        root: &ProjectRoot,
        source: Option<&SourceText>,
    ) -> Fingerprinted {
        let project_path = finding
            .location
            .as_ref()
            .map(|l| self.relative(root, &l.path));
        let snippet = finding.location.as_ref().and_then(|l| {
            let span = l.span?;
            let text = source?.text();
            text.get(span.start..span.end.max(span.start))
                .map(str::to_string)
        });
        let pointer = finding
            .location
            .as_ref()
            .and_then(|l| l.pointer.as_deref())
            .unwrap_or("");
        let identity = match &snippet {
            Some(s) => s.split_whitespace().collect::<Vec<_>>().join(" "),
            None => finding.message.clone(),
        };
        let mut h = Sha256::new();
        for part in [
            "oidc-doctor/v1",
            finding.rule,
            project_path.as_deref().unwrap_or(""),
            pointer,
            &identity,
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let key: [u8; 32] = h.clone().finalize().into();
        let n = self.seen.entry(key).or_insert(0);
        h.update(n.to_string().as_bytes());
        *n += 1;
        let digest = h.finalize();
        let fingerprint = hex(digest.get(..16).unwrap_or_default());
        Fingerprinted {
            finding,
            fingerprint,
            project_path,
            snippet,
        }
    }

    /// [`ProjectRoot::relative`], remembered for the last path (one root per
    /// fingerprinter: the run's).
    fn relative(&mut self, root: &ProjectRoot, path: &str) -> String {
        match &self.last {
            Some((p, rel)) if p == path => rel.clone(),
            _ => {
                let rel = root.relative(path);
                self.last = Some((path.to_string(), rel.clone()));
                rel
            }
        }
    }
}

/// Lowercase hexadecimal, two digits a byte (one allocation, not one a byte).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lowercase_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn paths_are_made_relative_to_the_root() {
        let r = ProjectRoot {
            root: Some(PathBuf::from("/builds/g/p")),
            cwd: Some(PathBuf::from("/builds/g/p/infra")),
        };
        assert_eq!(r.relative("/builds/g/p/infra/a.json"), "infra/a.json");
        assert_eq!(r.relative("/elsewhere/a.json"), "/elsewhere/a.json");
        assert_eq!(r.relative("<stdin>"), "<stdin>");
        assert_eq!(r.relative("./b.json"), "infra/b.json");
        assert_eq!(r.relative("../c/./d.json"), "c/d.json");
        let none = ProjectRoot::default();
        assert_eq!(none.relative("./infra//a.json"), "infra/a.json");
    }
}
