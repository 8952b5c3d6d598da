//! `lint`: find trust policies under the given paths and run every rule on them.
//!
//! Front ends turn a file into zero or more policies with locations; today that is
//! IAM policy JSON (recognised by content: an object with `Statement`, or a
//! `Version` IAM knows). Files that are not policies are skipped, silently when a
//! directory walk found them, with a note when they were named explicitly.

use std::path::Path;

use crate::config::Config;
use crate::finding::{Finding, Location};
use crate::json::{self, SourceText, Span, Value};
use crate::policy::from_json::from_node;
use crate::rules::{self, PolicyContext};

pub mod source;
pub use source::{Extracted, IdTokenDecl, ProviderDecl, SourceKind, SourcePolicy};

/// Largest file read; see [`crate::cli`]'s input caps. IAM's own limit for a trust
/// policy is 8,192 characters.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// One linted file.
#[derive(Debug, Clone)]
pub struct LintedFile {
    pub path: String,
    pub source: SourceText,
    pub findings: Vec<Finding>,
}

/// What a lint run produced.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    pub files: Vec<LintedFile>,
    /// Remarks for stderr: files skipped because they are not policies, too large, …
    pub notes: Vec<String>,
}

impl LintReport {
    /// All findings, ordered by path, position and rule.
    pub fn findings(&self) -> Vec<&Finding> {
        let mut all: Vec<&Finding> = self.files.iter().flat_map(|f| f.findings.iter()).collect();
        all.sort_by_cached_key(|f| sort_key(f));
        all
    }
}

fn sort_key(f: &Finding) -> (String, usize, usize, &'static str, String) {
    match &f.location {
        Some(l) => (l.path.clone(), l.line, l.column, f.rule, f.message.clone()),
        None => (String::new(), 0, 0, f.rule, f.message.clone()),
    }
}

/// What a lint run is told besides the paths.
#[derive(Debug, Clone, Copy, Default)]
pub struct LintOptions<'a> {
    /// `.oidc-doctor.toml`: `[files]` filters directory walks, `[scope]` reaches the
    /// rules. (Severities and `[[ignore]]` apply to the findings afterwards.)
    pub config: Option<&'a Config>,
}

/// Lints one text. `explicit`: the user named this file, so a file that is not a
/// policy is worth a note. `Err` (a note) when the text is not a policy.
pub fn lint_text(path: &str, text: String, explicit: bool) -> Result<LintedFile, String> {
    lint_text_with(path, text, explicit, LintOptions::default())
}

/// [`lint_text`] with options.
pub fn lint_text_with(
    path: &str,
    text: String,
    explicit: bool,
    opts: LintOptions<'_>,
) -> Result<LintedFile, String> {
    let source = SourceText::new(text);
    if let Some(extracted) = extract_iac(path, &source) {
        let findings = lint_extracted(path, &source, extracted, opts);
        return Ok(LintedFile {
            path: path.to_string(),
            source,
            findings,
        });
    }
    if is_yaml(path) {
        return Err(format!(
            "{path}: neither a CloudFormation template nor a GitLab CI file, skipped"
        ));
    }
    let findings = match json::parse(source.text()) {
        Ok(root) => {
            if !looks_like_policy(&root.value) {
                return Err(format!(
                    "{path}: not an IAM policy document (no `Statement`), skipped"
                ));
            }
            match from_node(&root) {
                Ok(policy) => rules::check_policy(
                    &PolicyContext::new(path, &source, &policy)
                        .with_scope(opts.config.and_then(|c| c.scope.as_ref())),
                ),
                Err(e) => vec![invalid_json(path, &source, e.span, e.message)],
            }
        }
        // A JSON file that does not parse is reported when it is meant to be a
        // policy: named explicitly, or mentioning policy elements.
        Err(e)
            if explicit
                || source.text().contains("\"Statement\"")
                || source.text().contains("\"Version\"") =>
        {
            vec![invalid_json(
                path,
                &source,
                Span::new(e.offset, e.offset + e.len),
                e.message,
            )]
        }
        Err(_) => return Err(format!("{path}: not JSON, skipped")),
    };
    Ok(LintedFile {
        path: path.to_string(),
        source,
        findings,
    })
}

fn is_yaml(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yml") || lower.ends_with(".yaml")
}

/// The CloudFormation and `.gitlab-ci.yml` front ends, when the file is one of those.
fn extract_iac(path: &str, source: &SourceText) -> Option<Extracted> {
    let text = source.text();
    let name = Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let json_policy =
        !is_yaml(path) && text.contains("\"Statement\"") && !text.contains("\"Resources\"");
    if !json_policy && crate::policy::from_cloudformation::looks_like_cloudformation(text) {
        return Some(crate::policy::from_cloudformation::extract(path, source));
    }
    if is_gitlab_ci_name(name) || (is_yaml(path) && crate::gitlab::ci::looks_like_gitlab_ci(text)) {
        return Some(crate::gitlab::ci::extract(path, source));
    }
    None
}

fn is_gitlab_ci_name(name: &str) -> bool {
    name.ends_with(".gitlab-ci.yml") || name.ends_with(".gitlab-ci.yaml")
}

/// The files a walked `.gitlab-ci.yml` includes locally (from its directory, the
/// project root), also when hidden (`.gitlab/ci/deploy.yml`). Glob patterns are
/// not expanded.
fn add_local_includes(found: &mut Vec<std::path::PathBuf>) {
    let ci_files: Vec<std::path::PathBuf> = found
        .iter()
        .filter(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_gitlab_ci_name)
        })
        .cloned()
        .collect();
    for ci in ci_files {
        let Ok(meta) = std::fs::metadata(&ci) else {
            continue;
        };
        if meta.len() > MAX_FILE_BYTES {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&ci) else {
            continue;
        };
        let root = ci.parent().unwrap_or(Path::new("."));
        for inc in crate::gitlab::ci::local_includes(&SourceText::new(text)) {
            if inc.contains(['*', '?', '[']) || inc.split('/').any(|c| c == "..") {
                continue;
            }
            let p = root.join(&inc);
            if p.is_file() && !found.contains(&p) {
                found.push(p);
            }
        }
    }
}

/// Runs the policy rules on each extracted policy, with its resource.
fn lint_extracted(
    path: &str,
    source: &SourceText,
    extracted: Extracted,
    opts: LintOptions<'_>,
) -> Vec<Finding> {
    let mut findings = extracted.findings;
    for sp in &extracted.policies {
        let mut cx = PolicyContext::new(path, source, &sp.policy)
            .with_scope(opts.config.and_then(|c| c.scope.as_ref()));
        cx.resource = sp.resource.as_deref();
        findings.extend(rules::check_policy(&cx));
    }
    findings
}

fn invalid_json(path: &str, source: &SourceText, span: Span, message: String) -> Finding {
    Finding::new(&rules::INVALID_POLICY_JSON, message)
        .at(Location::from_span(path, source, span, None))
}

/// An object with a `Statement` key, or a `Version` IAM knows, is a policy —
/// whatever the file is called.
fn looks_like_policy(v: &Value) -> bool {
    let Value::Object(members) = v else {
        return false;
    };
    members.iter().any(|m| {
        m.key == "Statement"
            || (m.key == "Version"
                && matches!(&m.value.value, Value::String(s) if s == "2012-10-17" || s == "2008-10-17"))
    })
}

/// Whether a directory walk should read this file.
fn is_candidate(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        e.eq_ignore_ascii_case("json")
            || e.eq_ignore_ascii_case("yml")
            || e.eq_ignore_ascii_case("yaml")
            || e.eq_ignore_ascii_case("template")
    })
}

/// Reads a file (at most [`MAX_FILE_BYTES`]); invalid UTF-8 becomes a finding.
fn read(
    path: &Path,
    display: &str,
    explicit: bool,
    report: &mut LintReport,
    opts: LintOptions<'_>,
) -> Result<(), String> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            // Sized up front: one read instead of a doubling series of them.
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            buf.reserve_exact(size.min(MAX_FILE_BYTES) as usize + 1);
            f.take(MAX_FILE_BYTES + 1).read_to_end(&mut buf)
        })
        .map_err(|e| format!("cannot read {display}: {e}"))?;
    if buf.len() as u64 > MAX_FILE_BYTES {
        let note = format!(
            "{display}: larger than {} MiB, skipped",
            MAX_FILE_BYTES >> 20
        );
        if explicit {
            return Err(note);
        }
        report.notes.push(note);
        return Ok(());
    }
    lint_bytes_with(display, buf, explicit, report, opts);
    Ok(())
}

/// Lints bytes read from somewhere (a file, stdin).
pub fn lint_bytes(display: &str, bytes: Vec<u8>, explicit: bool, report: &mut LintReport) {
    lint_bytes_with(display, bytes, explicit, report, LintOptions::default());
}

/// [`lint_bytes`] with options.
pub fn lint_bytes_with(
    display: &str,
    bytes: Vec<u8>,
    explicit: bool,
    report: &mut LintReport,
    opts: LintOptions<'_>,
) {
    match String::from_utf8(bytes) {
        Ok(text) => match lint_text_with(display, text, explicit, opts) {
            Ok(file) => report.files.push(file),
            Err(note) if explicit => report.notes.push(note),
            Err(_) => {}
        },
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            if explicit || text.contains("\"Statement\"") {
                let source = SourceText::new(text);
                // A YAML file (template, CI configuration) does not parse: parse-error.
                let (rule, help) = if is_yaml(display) {
                    (&rules::PARSE_ERROR, "save the file as UTF-8")
                } else {
                    (&rules::INVALID_POLICY_JSON, "save the policy as UTF-8")
                };
                let f = Finding::new(rule, "the file is not valid UTF-8")
                    .help(help)
                    .at(Location::from_span(
                        display,
                        &source,
                        Span::new(offset, offset + 1),
                        None,
                    ));
                report.files.push(LintedFile {
                    path: display.to_string(),
                    source,
                    findings: vec![f],
                });
            }
        }
    }
}

/// Lints paths: files are read whatever their name, directories are walked
/// recursively (hidden and git-ignored files skipped) for `.json` files.
/// `Err` is an unreadable path named on the command line (exit 2).
pub fn lint_paths(paths: &[String]) -> Result<LintReport, String> {
    lint_paths_with(paths, LintOptions::default())
}

/// [`lint_paths`] with options: `[files]` of the configuration filters what a
/// directory walk finds (files named on the command line are always read).
pub fn lint_paths_with(paths: &[String], opts: LintOptions<'_>) -> Result<LintReport, String> {
    let mut report = LintReport::default();
    for p in paths {
        let path = Path::new(p);
        let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {p}: {e}"))?;
        if meta.is_file() {
            read(path, p, true, &mut report, opts)?;
            continue;
        }
        let mut found: Vec<std::path::PathBuf> = Vec::new();
        let mut walker = ignore::WalkBuilder::new(path);
        // Hidden files stay skipped, except `.gitlab-ci.yml` itself.
        walker.hidden(false).filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0 || !name.starts_with('.') || is_gitlab_ci_name(&name)
        });
        for entry in walker.build() {
            let entry = entry.map_err(|e| format!("cannot walk {p}: {e}"))?;
            if entry.file_type().is_some_and(|t| t.is_file())
                && is_candidate(entry.path())
                && opts.config.is_none_or(|c| c.wants_file(entry.path()))
            {
                found.push(entry.into_path());
            }
        }
        add_local_includes(&mut found);
        found.sort();
        found.dedup();
        for f in found {
            let display = f.to_string_lossy().into_owned();
            if let Err(note) = read(&f, &display, false, &mut report, opts) {
                report.notes.push(note);
            }
        }
    }
    Ok(report)
}
