//! GitLab Code Quality output (`lint --format gitlab`): a JSON array of Code Climate
//! issues, for `artifacts: reports: codequality:`.
//!
//! Paths are relative to `$CI_PROJECT_DIR` (else the working directory), as GitLab
//! needs to place them in the merge request diff. Severities: error → `critical`,
//! warning → `minor`, info → `info`. GitLab shows `description` but not
//! `check_name`, so the description starts with the rule name.

use serde::Serialize;

use crate::finding::{Category, Severity};
use crate::fingerprint::Fingerprinted;
use crate::report::rule_doc;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'static str,
    fingerprint: &'a str,
    severity: &'static str,
    location: Location<'a>,
    categories: [&'static str; 1],
    content: Content,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

#[derive(Serialize)]
struct Content {
    body: String,
}

pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

/// Code Climate's categories closest to ours.
fn category(c: Category) -> &'static str {
    match c {
        Category::Correctness | Category::Connectivity => "Bug Risk",
        Category::Security => "Security",
        Category::Hygiene => "Clarity",
    }
}

/// Writes the Code Quality report into `out` as the findings come.
pub fn write_lint(
    findings: impl Iterator<Item = Fingerprinted>,
    out: impl std::io::Write,
) -> serde_json::Result<()> {
    super::terminal::write_json(&super::terminal::streamed(findings.map(Item)), out)
}

/// One finding as it is written: its [`Issue`] borrows from it.
struct Item(Fingerprinted);

impl Serialize for Item {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        issue(&self.0).serialize(serializer)
    }
}

fn issue(fp: &Fingerprinted) -> Issue<'_> {
    let f = &fp.finding;
    let (begin, end) = f
        .location
        .as_ref()
        .map(|l| (l.line.max(1), l.end_line.max(l.line).max(1)))
        .unwrap_or((1, 1));
    let mut body = f.help.clone();
    if let Some(ex) = &f.example {
        body.push_str(&format!("\n\nExample: `{ex}`"));
    }
    if let Some(e) = &f.aws_error {
        body.push_str(&format!("\n\nAWS error: `{e}`"));
    }
    body.push_str(&format!(
        "\n\nRule documentation: [{}]({})",
        f.rule,
        rule_doc::doc_url(f.rule)
    ));
    Issue {
        description: format!("{}: {}", f.rule, f.message),
        check_name: f.rule,
        fingerprint: &fp.fingerprint,
        severity: severity(f.severity),
        location: Location {
            // Code Climate requires a location; a finding without a file
            // points at the project.
            path: fp.project_path.as_deref().unwrap_or("."),
            lines: Lines { begin, end },
        },
        categories: [category(f.category)],
        content: Content {
            body: body.trim_start().to_string(),
        },
    }
}
