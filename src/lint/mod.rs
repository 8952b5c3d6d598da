//! `lint`: find trust policies under the given paths and run every rule on them.
//!
//! Each file is recognised by name first, then by content, and read by its front
//! end into the same [`Extracted`] shape:
//!
//! | file | kind | front end |
//! |---|---|---|
//! | `*.json` with `Statement` (or a `Version` IAM knows) | IAM policy JSON | [`crate::policy::from_json`] |
//! | `*.json` with `format_version` and `planned_values`/`resource_changes` | `terraform show -json` | [`crate::policy::from_terraform::plan`] |
//! | `*.tf` | Terraform | [`crate::policy::from_terraform`] |
//! | `*.tf.json` | Terraform JSON syntax (CDK for Terraform's `cdk.tf.json`) | [`crate::policy::from_terraform::json_syntax`] |
//! | `*.json`/`*.yaml`/`*.yml`/`*.template` with `AWSTemplateFormatVersion` or `Resources` | CloudFormation | [`crate::policy::from_cloudformation`] |
//! | `.gitlab-ci.yml`, the files it `include:`s locally, other YAML shaped like CI configuration | GitLab CI | [`crate::gitlab::ci`] |
//!
//! The policy rules run on every policy found, with the IaC resource that holds
//! it; after the walk, [`cross`] compares what different files declare (provider
//! client IDs against `:aud` conditions and `id_tokens:` audiences, …). Files that
//! are none of these are skipped, silently when a directory walk found them, with
//! a note when they were named explicitly. Entries of a walk that are not regular
//! files (symbolic links, FIFOs, sockets, devices) are skipped with a note that
//! counts them; named on the command line, a FIFO, pipe (`<(…)`) or device is read
//! within [`read`]'s limits, and what cannot be read is an error (exit 2).
//!
//! Memory stays flat in the number of files: a file without findings keeps
//! nothing but its count ([`LintReport::checked_files`]); one whose policies the
//! cross-file checks may need keeps only its path, and is read again, one file at
//! a time, when the tree turns out to declare a provider or an `id_tokens`
//! audience ([`LintReport::cross_check`]).
//!
//! With [`Run::parallel`], files are linted on several threads ahead of the
//! report (`workers`: a bounded window, outcomes handed back in the plan's
//! order), so what is reported, and in which order, never depends on the
//! number of threads. Nothing a file's lint needs from the plan is kept per
//! thread: the include graphs' notes travel in [`LintOptions`].

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::finding::{Finding, Location};
use crate::json::{self, SourceText, Span, Value};
use crate::policy::from_json::from_node;
use crate::rules::{self, PolicyContext};

pub mod cross;
pub mod read;
pub mod source;
mod workers;
pub use source::{Extracted, IdTokenDecl, ProviderDecl, SourceKind, SourcePolicy};

/// Largest file read; see [`crate::cli`]'s input caps. IAM's own limit for a trust
/// policy is 8,192 characters.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// One linted file kept for the report: its findings, and the text that
/// rendering and fingerprinting them read.
#[derive(Debug, Clone)]
pub struct LintedFile {
    pub path: String,
    pub source: SourceText,
    pub findings: Vec<Finding>,
    /// The first findings as the report shows them, when a lint thread
    /// rendered them ahead of the report ([`Run::render_ahead`]): the rest
    /// (the cross-file checks' findings) are rendered by the report.
    pub rendered: Vec<String>,
}

/// How the report shows one finding of a file (the configuration's severity
/// applied): given to [`Run::render_ahead`] so that lint threads do it.
/// The source is the file's when the finding is located in it, as the report
/// looks it up.
pub type Render = dyn Fn(&Finding, Option<&SourceText>) -> String + Send + Sync;

/// What one file declared that another file's checks may need.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    /// Index into [`LintReport::files`].
    pub file: usize,
    pub kind: Option<SourceKind>,
    /// Policies kept for the cross-file checks (policy JSON keeps only a slim
    /// copy of its statements with an `:aud` condition: see [`cross::slim`]).
    pub policies: Vec<SourcePolicy>,
    pub providers: Vec<ProviderDecl>,
    pub id_tokens: Vec<IdTokenDecl>,
    /// A policy JSON file with statements the cross-file checks read: its slim
    /// copy is rebuilt from the file's text only when the tree declares a provider
    /// or an `id_tokens` audience (without either, no cross-file check reads a
    /// policy, and 10,000 kept copies were a third of a run's memory).
    pub slim_pending: bool,
}

/// One file's part in the cross-file checks, in file order.
#[derive(Debug, Clone)]
pub enum Fact {
    /// What a file kept in [`LintReport::files`] declared or holds.
    Kept(Box<FileFacts>),
    /// A file read from disk that has policies but no finding and declares
    /// nothing: neither its text nor its policies are kept, only the way back
    /// to it; the cross-file checks read it again when they need its policies.
    Reread(Reread),
}

/// How to read a file again for its policies (see [`Fact::Reread`]).
#[derive(Debug, Clone)]
pub struct Reread {
    pub path: Box<Path>,
    kind: NameKind,
    explicit: bool,
}

impl FileFacts {
    fn is_empty(&self) -> bool {
        self.policies.is_empty()
            && self.providers.is_empty()
            && self.id_tokens.is_empty()
            && !self.slim_pending
    }
}

/// Which work [`lint_source`] does: the whole lint, or (reading a file again for
/// the cross-file checks) only what they need of its policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Lint,
    Facts,
}

/// What a lint run produced.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// The files kept for the report: those with findings, those that declare
    /// what the cross-file checks compare (providers, `id_tokens`), and those
    /// read from standard input or a pipe whose policies the checks may need.
    pub files: Vec<LintedFile>,
    /// How many files were linted, kept in `files` or not (the summary's count).
    pub checked_files: usize,
    /// Remarks for stderr: files skipped because they are not policies, too large, …
    pub notes: Vec<String>,
    /// Declarations for the cross-file checks; consumed by [`LintReport::cross_check`].
    pub facts: Vec<Fact>,
    /// Streaming ([`LintReport::streaming`]): each file's own findings leave
    /// through [`LintReport::take_ready`] as soon as the file is linted,
    /// instead of staying in `files` until the end.
    stream: bool,
    /// Files linted whose own findings wait to be reported (streaming only).
    ready: Vec<LintedFile>,
}

impl LintReport {
    /// A report that hands out each file's own findings as soon as the file is
    /// linted ([`Self::take_ready`]), so that memory does not grow with the
    /// number of findings; `files` keeps only what the cross-file checks need,
    /// and after [`Self::cross_check`] holds only their findings.
    pub fn streaming() -> LintReport {
        LintReport {
            stream: true,
            ..LintReport::default()
        }
    }

    /// The files linted since the last call, each with its own findings (in
    /// position order) and its source: streaming only.
    pub fn take_ready(&mut self) -> Vec<LintedFile> {
        std::mem::take(&mut self.ready)
    }

    /// Runs the cross-file checks over everything read so far (once: the facts
    /// are consumed) and files each finding under its primary location's file.
    /// Files whose policies were not kept ([`Fact::Reread`]) are read
    /// again one at a time, and their text stays only when a finding lands there.
    pub fn cross_check(&mut self) {
        let facts = std::mem::take(&mut self.facts);
        if facts.is_empty() {
            return;
        }
        let mut checker = cross::Checker::new(facts.iter().filter_map(|f| match f {
            Fact::Kept(f) => Some(&**f),
            Fact::Reread(_) => None,
        }));
        if !checker.needs_policies() {
            return; // every cross-file check starts from a provider or an id_tokens audience
        }
        let mut found = checker.providers(&self.files);
        let mut scratch = Vec::new();
        for fact in facts {
            let mut f = match fact {
                Fact::Kept(f) => f,
                Fact::Reread(again) => {
                    let index = self.files.len();
                    let f = match reread(&again, &mut scratch) {
                        Ok(Some((file, policies))) => {
                            self.files.push(file);
                            FileFacts {
                                file: index,
                                policies,
                                ..FileFacts::default()
                            }
                        }
                        Ok(None) => continue,
                        Err(note) => {
                            self.notes.push(note);
                            continue;
                        }
                    };
                    let out = checker.policies(&self.files, &f);
                    let lands_here = self.files.get(index).is_some_and(|file| {
                        out.iter()
                            .any(|x| x.location.as_ref().is_some_and(|l| l.path == file.path))
                    });
                    if !lands_here {
                        self.files.truncate(index);
                    }
                    found.extend(out);
                    continue;
                }
            };
            if f.slim_pending {
                let slim = self.files.get(f.file).and_then(|file| {
                    let root = json::parse(file.source.text()).ok()?;
                    cross::slim(&from_node(&root).ok()?)
                });
                if let Some(policy) = slim {
                    f.policies.push(SourcePolicy {
                        policy,
                        resource: None,
                    });
                }
            }
            found.extend(checker.policies(&self.files, &f));
        }
        found.extend(checker.finish(&self.files));
        let mut by_path: HashMap<String, usize> = HashMap::with_capacity(self.files.len());
        for (i, file) in self.files.iter().enumerate() {
            by_path.entry(file.path.clone()).or_insert(i);
        }
        for f in found {
            let index = f
                .location
                .as_ref()
                .and_then(|l| by_path.get(l.path.as_str()).copied())
                .unwrap_or(0);
            if let Some(file) = self.files.get_mut(index) {
                file.findings.push(f);
            }
        }
    }

    /// Records what linting one file gave. `Err`: a file named on the command
    /// line could not be read.
    pub(crate) fn absorb(&mut self, outcome: Outcome) -> Result<(), String> {
        match outcome {
            Outcome::Linted(linted) => {
                let (file, facts, again) = *linted;
                self.push(file, facts, again);
            }
            Outcome::Clean(again) => {
                // What `push` keeps of such a file.
                self.checked_files += 1;
                if let Some(again) = again {
                    self.facts.push(Fact::Reread(again));
                }
            }
            Outcome::Note(note) => self.notes.push(note),
            Outcome::Refused(note) => return Err(note),
            Outcome::Nothing => {}
        }
        Ok(())
    }

    /// Records one linted file: counted always, kept only as far as the report
    /// and the cross-file checks need it. `reread`: the file can be read again
    /// from disk (it came from a path, not from standard input or a pipe).
    fn push(&mut self, mut file: LintedFile, mut facts: FileFacts, reread: Option<Reread>) {
        self.checked_files += 1;
        let declares = !facts.providers.is_empty() || !facts.id_tokens.is_empty();
        let has_policies = facts.slim_pending || !facts.policies.is_empty();
        if self.stream && !file.findings.is_empty() {
            // Sorted by `Outcome::linted`.
            let findings = std::mem::take(&mut file.findings);
            let rendered = std::mem::take(&mut file.rendered);
            // Kept for the cross-file checks below as well: a copy of the source
            // (few files declare a provider or come from a pipe).
            let needed = declares || (has_policies && reread.is_none());
            let source = if needed {
                file.source.clone()
            } else {
                // Not needed again: `file` is dropped below (a clean file).
                std::mem::replace(&mut file.source, SourceText::new(String::new()))
            };
            self.ready.push(LintedFile {
                path: file.path.clone(),
                source,
                findings,
                rendered,
            });
        }
        // A file whose findings left for the report above (files without
        // findings that declare nothing were `Outcome::Clean` already).
        if file.findings.is_empty() && !declares {
            if !has_policies {
                return; // the cross-file checks have no use for it
            }
            if let Some(again) = reread {
                self.facts.push(Fact::Reread(again));
                return;
            }
        }
        // Everything pushed here lives until the report is printed: no spare
        // capacity (Vec growth reserves four elements at a time).
        file.findings.shrink_to_fit();
        let index = self.files.len();
        self.files.push(file);
        if !facts.is_empty() {
            facts.policies.shrink_to_fit();
            facts.providers.shrink_to_fit();
            facts.id_tokens.shrink_to_fit();
            self.facts.push(Fact::Kept(Box::new(FileFacts {
                file: index,
                ..facts
            })));
        }
    }
}

/// The report's order: path, position, rule, message. Borrowed, so that
/// sorting 100,000 findings allocates nothing per finding.
pub fn sort_key(f: &Finding) -> (&str, usize, usize, &'static str, &str) {
    match &f.location {
        Some(l) => (
            l.path.as_str(),
            l.line,
            l.column,
            f.rule,
            f.message.as_str(),
        ),
        None => ("", 0, 0, f.rule, f.message.as_str()),
    }
}

/// What a lint run is told besides the paths.
#[derive(Clone, Copy, Default)]
pub struct LintOptions<'a> {
    /// `.oidc-doctor.toml`: `[files]` filters directory walks, `[scope]` reaches the
    /// rules. (Severities and `[[ignore]]` apply to the findings afterwards.)
    pub config: Option<&'a Config>,
    /// Limits and cycles the plan's include graphs met, reported by the files
    /// where they were met ([`Run::new`] follows the graphs).
    pub include_notes: Option<&'a crate::gitlab::ci::IncludeNotes>,
    /// Renders each linted file's findings on the thread that linted it
    /// ([`Run::render_ahead`]).
    pub render: Option<&'a Render>,
}

impl std::fmt::Debug for LintOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LintOptions")
            .field("config", &self.config)
            .field("include_notes", &self.include_notes)
            .field("render", &self.render.is_some())
            .finish()
    }
}

/// What the file name alone says about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// `*.json`: a policy, a Terraform plan or a CloudFormation template.
    Json,
    /// `*.tf`.
    Terraform,
    /// `*.tf.json`.
    TerraformJson,
    /// `*.yaml`, `*.yml`, `*.template`: CloudFormation when its content says so.
    Yaml,
    /// `.gitlab-ci.yml` (or a file it includes).
    GitLabCi,
    /// Anything else (standard input, a file named explicitly): sniffed.
    Other,
}

/// Recognises a file by its name (the cheap first step of detection).
pub fn kind_by_name(path: &Path) -> NameKind {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    // No allocation: this runs for every file of a walk.
    let ends = |suffix: &str| {
        name.len() >= suffix.len()
            && name
                .get(name.len() - suffix.len()..)
                .is_some_and(|t| t.eq_ignore_ascii_case(suffix))
    };
    if ends(".json") {
        if ends(".tf.json") {
            NameKind::TerraformJson
        } else {
            NameKind::Json
        }
    } else if ends(".tf") {
        NameKind::Terraform
    } else if name.eq_ignore_ascii_case(".gitlab-ci.yml")
        || name.eq_ignore_ascii_case(".gitlab-ci.yaml")
    {
        NameKind::GitLabCi
    } else if ends(".yaml") || ends(".yml") || ends(".template") {
        NameKind::Yaml
    } else {
        NameKind::Other
    }
}

/// Whether a YAML (or `.template`) text is a CloudFormation template.
pub fn looks_like_cloudformation_text(text: &str) -> bool {
    crate::policy::from_cloudformation::looks_like_cloudformation(text)
}

/// Whether a parsed JSON document is `terraform show -json` output.
fn looks_like_plan(v: &Value) -> bool {
    let Value::Object(members) = v else {
        return false;
    };
    members.iter().any(|m| m.key == "format_version")
        && members
            .iter()
            .any(|m| m.key == "planned_values" || m.key == "resource_changes" || m.key == "values")
}

/// Whether a parsed JSON document is a CloudFormation template.
fn looks_like_cfn_json(v: &Value) -> bool {
    let Value::Object(members) = v else {
        return false;
    };
    members.iter().any(|m| {
        m.key == "AWSTemplateFormatVersion"
            || (m.key == "Resources" && matches!(m.value.value, Value::Object(_)))
    })
}

/// CloudFormation templates (JSON or YAML).
fn cloudformation(path: &str, source: &SourceText) -> Result<Extracted, String> {
    Ok(crate::policy::from_cloudformation::extract(path, source))
}

/// `.gitlab-ci.yml` and the files it includes.
fn gitlab_ci(path: &str, source: &SourceText, opts: LintOptions<'_>) -> Result<Extracted, String> {
    let note = opts.include_notes.and_then(|n| n.get(Path::new(path)));
    Ok(crate::gitlab::ci::extract_with(path, source, note))
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
    let kind = kind_by_name(Path::new(path));
    lint_source(path, text, kind, explicit, opts, Pass::Lint).map(|(file, _)| file)
}

/// Reads one text with the front end its name and content call for, runs the
/// policy rules on what it holds, and returns the file with what the cross-file
/// checks need. `Err` is a note: the file is none of the kinds `lint` reads.
fn lint_source(
    path: &str,
    text: String,
    kind: NameKind,
    explicit: bool,
    opts: LintOptions<'_>,
    pass: Pass,
) -> Result<(LintedFile, FileFacts), String> {
    let source = SourceText::new(text);
    let (kind, extracted) = match kind {
        NameKind::Json | NameKind::Other => {
            if kind == NameKind::Other && !source.text().trim_start().starts_with(['{', '[']) {
                if looks_like_cloudformation_text(source.text()) {
                    (SourceKind::CloudFormation, cloudformation(path, &source)?)
                } else if looks_like_terraform_text(source.text()) {
                    (
                        SourceKind::Terraform,
                        crate::policy::from_terraform::extract(path, &source),
                    )
                } else {
                    return lint_json(path, source, explicit, opts, pass);
                }
            } else {
                return lint_json(path, source, explicit, opts, pass);
            }
        }
        NameKind::Terraform => (
            SourceKind::Terraform,
            crate::policy::from_terraform::extract(path, &source),
        ),
        NameKind::TerraformJson => (
            SourceKind::Terraform,
            crate::policy::from_terraform::json_syntax::extract(path, &source),
        ),
        NameKind::GitLabCi => (SourceKind::GitLabCi, gitlab_ci(path, &source, opts)?),
        NameKind::Yaml => {
            if looks_like_cloudformation_text(source.text()) {
                (SourceKind::CloudFormation, cloudformation(path, &source)?)
            } else if crate::gitlab::ci::looks_like_gitlab_ci(source.text()) {
                (SourceKind::GitLabCi, gitlab_ci(path, &source, opts)?)
            } else {
                return Err(format!(
                    "{path}: not a CloudFormation template nor a GitLab CI file, skipped"
                ));
            }
        }
    };
    if extracted.policies.is_empty()
        && extracted.providers.is_empty()
        && extracted.id_tokens.is_empty()
        && extracted.findings.is_empty()
        && kind != SourceKind::GitLabCi
    {
        return Err(format!(
            "{path}: no trust policy or OIDC provider found, skipped"
        ));
    }
    Ok(run_extracted(path, source, kind, extracted, opts, pass))
}

/// The trust policies of one file of any kind `lint` reads (for `check --policy`
/// and `simulate --policy` on Terraform and CloudFormation). `Ok` is empty for
/// policy JSON, which the caller parses itself; `Err` says why the file holds no
/// trust policy.
pub fn trust_policies(
    path: &str,
    source: &SourceText,
) -> Result<Result<Vec<SourcePolicy>, Finding>, String> {
    let text = source.text();
    let kind = kind_by_name(Path::new(path));
    let extracted = match kind {
        NameKind::Terraform => crate::policy::from_terraform::extract(path, source),
        NameKind::TerraformJson => {
            crate::policy::from_terraform::json_syntax::extract(path, source)
        }
        NameKind::Yaml | NameKind::Json | NameKind::Other
            if looks_like_cloudformation_text(text) =>
        {
            crate::policy::from_cloudformation::extract(path, source)
        }
        NameKind::Other if looks_like_terraform_text(text) => {
            crate::policy::from_terraform::extract(path, source)
        }
        NameKind::Json | NameKind::Other => return Ok(Ok(Vec::new())),
        NameKind::GitLabCi | NameKind::Yaml => {
            return Err(format!(
                "{path}: not a file `check --policy` reads trust policies from (policy JSON, Terraform, CloudFormation)"
            ));
        }
    };
    if let Some(f) = extracted
        .findings
        .iter()
        .find(|f| f.rule == rules::PARSE_ERROR.name)
    {
        return Ok(Err(f.clone()));
    }
    if extracted.policies.is_empty() {
        return Err(format!("{path}: no trust policy found"));
    }
    Ok(Ok(extracted.policies))
}

/// Terraform configuration given without a telling name (standard input).
fn looks_like_terraform_text(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("resource \"") || l.starts_with("data \"") || l.starts_with("locals ")
    })
}

/// Runs the policy rules on everything a front end extracted.
fn run_extracted(
    path: &str,
    source: SourceText,
    kind: SourceKind,
    extracted: Extracted,
    opts: LintOptions<'_>,
    pass: Pass,
) -> (LintedFile, FileFacts) {
    let mut findings = extracted.findings;
    let policies = if pass == Pass::Lint {
        extracted.policies.as_slice()
    } else {
        &[]
    };
    for sp in policies {
        let mut cx = PolicyContext::new(path, &source, &sp.policy)
            .with_scope(opts.config.and_then(|c| c.scope.as_ref()));
        cx.resource = sp.resource.as_deref();
        findings.extend(rules::check_policy(&cx));
    }
    let facts = FileFacts {
        file: 0,
        kind: Some(kind),
        policies: extracted.policies,
        providers: extracted.providers,
        id_tokens: extracted.id_tokens,
        slim_pending: false,
    };
    (
        LintedFile {
            path: path.to_string(),
            source,
            findings,
            rendered: Vec::new(),
        },
        facts,
    )
}

/// The JSON path: a policy (the common, fast case), a Terraform plan or a
/// CloudFormation template, told apart by content after one parse.
fn lint_json(
    path: &str,
    source: SourceText,
    explicit: bool,
    opts: LintOptions<'_>,
    pass: Pass,
) -> Result<(LintedFile, FileFacts), String> {
    let mut facts = FileFacts {
        kind: Some(SourceKind::PolicyJson),
        ..FileFacts::default()
    };
    let findings = match json::parse(source.text()) {
        Ok(root) => {
            if !looks_like_policy(&root.value) {
                if looks_like_plan(&root.value) {
                    let extracted =
                        crate::policy::from_terraform::plan::extract(path, &source, &root);
                    drop(root);
                    return Ok(run_extracted(
                        path,
                        source,
                        SourceKind::TerraformPlan,
                        extracted,
                        opts,
                        pass,
                    ));
                }
                if looks_like_cfn_json(&root.value) {
                    drop(root);
                    let extracted = cloudformation(path, &source)?;
                    return Ok(run_extracted(
                        path,
                        source,
                        SourceKind::CloudFormation,
                        extracted,
                        opts,
                        pass,
                    ));
                }
                return Err(format!(
                    "{path}: not an IAM policy document (no `Statement`), skipped"
                ));
            }
            match from_node(&root) {
                Ok(policy) if pass == Pass::Facts => {
                    // What the cross-file checks read of a policy JSON file.
                    facts
                        .policies
                        .extend(cross::slim(&policy).map(|policy| SourcePolicy {
                            policy,
                            resource: None,
                        }));
                    Vec::new()
                }
                Ok(policy) => {
                    let findings = rules::check_policy(
                        &PolicyContext::new(path, &source, &policy)
                            .with_scope(opts.config.and_then(|c| c.scope.as_ref())),
                    );
                    facts.slim_pending = cross::wants_slim(&policy);
                    findings
                }
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
    Ok((
        LintedFile {
            path: path.to_string(),
            source,
            findings,
            rendered: Vec::new(),
        },
        facts,
    ))
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

/// Whether a directory walk should read this file (by name only: the walk must
/// stay cheap on trees full of other files).
fn is_candidate(path: &Path) -> bool {
    kind_by_name(path) != NameKind::Other
}

/// Reads at most [`MAX_FILE_BYTES`] + 1 bytes of a file the caller knows to be a
/// regular file (the walk's directory entry or the command line's `stat` said so),
/// in as few system calls as a directory of thousands of small policies allows:
/// open, read into a reused scratch buffer, close. A read that returns less than
/// asked of a regular file is its end (POSIX), so neither a `stat` for the size nor
/// `read_to_end`'s closing zero-byte read is needed — at 10,000 files, 20,000 calls.
/// The open is non-blocking all the same: should the file have been replaced by
/// a FIFO since the walk saw it, `open()` returns at once and the read fails with
/// `WouldBlock` (or ends) instead of waiting for a writer.
fn read_regular(path: &Path, scratch: &mut Vec<u8>) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let cap = MAX_FILE_BYTES as usize + 1;
    let mut f = read::open_nonblocking(path)?;
    if scratch.len() < SCRATCH_BYTES {
        scratch.resize(SCRATCH_BYTES, 0);
    }
    let mut filled = 0;
    loop {
        let room = scratch.len().min(cap);
        if filled == room {
            if room == cap {
                break; // over the cap: the caller refuses the file
            }
            let grown = (scratch.len() * 2).min(cap);
            scratch.resize(grown, 0);
            continue;
        }
        match f.read(&mut scratch[filled..room]) {
            Ok(0) => break,
            Ok(n) => {
                filled += n;
                if filled < room {
                    break; // a short read of a regular file: its end
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let out = scratch[..filled].to_vec();
    if scratch.len() > SCRATCH_BYTES {
        // One large file must not pin megabytes for the rest of the run.
        scratch.truncate(SCRATCH_BYTES);
        scratch.shrink_to_fit();
    }
    Ok(out)
}

/// The scratch buffer's usual size: larger than any ordinary policy or template.
const SCRATCH_BYTES: usize = 64 << 10;

/// Reads a file (at most [`MAX_FILE_BYTES`]) and lints it; invalid UTF-8 becomes
/// a finding.
fn read(
    path: Box<Path>,
    kind: NameKind,
    explicit: bool,
    opts: LintOptions<'_>,
    scratch: &mut Vec<u8>,
) -> Outcome {
    let display = path.to_string_lossy().into_owned();
    let buf = match read_regular(&path, scratch) {
        Ok(buf) => buf,
        Err(e) => {
            let note = if e.kind() == std::io::ErrorKind::WouldBlock {
                format!("cannot read {display}: it is no longer a regular file (a FIFO?)")
            } else {
                format!("cannot read {display}: {e}")
            };
            return Outcome::unreadable(note, explicit);
        }
    };
    if buf.len() as u64 > MAX_FILE_BYTES {
        let note = format!(
            "{display}: larger than {} MiB, skipped",
            MAX_FILE_BYTES >> 20
        );
        return Outcome::unreadable(note, explicit);
    }
    let again = Reread {
        path,
        kind,
        explicit,
    };
    lint_bytes_kind(&display, buf, kind, explicit, opts, Some(again))
}

/// Reads a file again for the cross-file checks ([`FileFacts::reread`]): its
/// text (kept by the caller only while the checks read it) and the policies they
/// compare. `Ok(None)`: it no longer holds a policy; `Err`: a note.
fn reread(
    again: &Reread,
    scratch: &mut Vec<u8>,
) -> Result<Option<(LintedFile, Vec<SourcePolicy>)>, String> {
    let display = again.path.to_string_lossy();
    let changed = |why: &str| {
        format!("{display}: {why} since it was linted; the cross-file checks left it out")
    };
    let bytes = read_regular(&again.path, scratch).map_err(|e| changed(&e.to_string()))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(changed("grew past the size limit"));
    }
    let text = String::from_utf8(bytes).map_err(|_| changed("it became invalid UTF-8"))?;
    let Ok((mut file, facts)) = lint_source(
        &display,
        text,
        again.kind,
        again.explicit,
        LintOptions::default(),
        Pass::Facts,
    ) else {
        return Ok(None);
    };
    // Only the cross-file checks' findings belong to this pass.
    file.findings = Vec::new();
    Ok(Some((file, facts.policies)))
}

/// Lints bytes read from somewhere (a file, stdin).
pub fn lint_bytes(display: &str, bytes: Vec<u8>, explicit: bool, report: &mut LintReport) {
    lint_bytes_with(display, bytes, explicit, report, LintOptions::default());
}

/// [`lint_bytes`] with options. The kind of file is told by `display`'s name,
/// then by content. Cross-file checks are not run: call
/// [`LintReport::cross_check`] once everything is read.
pub fn lint_bytes_with(
    display: &str,
    bytes: Vec<u8>,
    explicit: bool,
    report: &mut LintReport,
    opts: LintOptions<'_>,
) {
    let kind = kind_by_name(Path::new(display));
    // Standard input or a pipe: never unreadable once read.
    let _ = report.absorb(lint_bytes_kind(display, bytes, kind, explicit, opts, None));
}

/// What linting one file gave, for [`LintReport::absorb`] (made on any thread).
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Linted: the file (its findings sorted in position order), what the
    /// cross-file checks need of it, and how to read it again.
    Linted(Box<(LintedFile, FileFacts, Option<Reread>)>),
    /// Linted, read from disk, without findings and declaring nothing: all
    /// the report keeps of it is the count, and the way back to its policies
    /// if it has any ([`Fact::Reread`]). Reduced on the thread that linted
    /// it, so that its text is neither sent nor freed elsewhere.
    Clean(Option<Reread>),
    /// Not linted, with a remark for stderr (not a kind `lint` reads, too large…).
    Note(String),
    /// A file named on the command line that could not be read (exit 2).
    Refused(String),
    /// Not linted, nothing to say (a file a walk found that is not a policy).
    Nothing,
}

impl Outcome {
    fn unreadable(note: String, explicit: bool) -> Outcome {
        if explicit {
            Outcome::Refused(note)
        } else {
            Outcome::Note(note)
        }
    }

    fn linted(mut file: LintedFile, facts: FileFacts, again: Option<Reread>) -> Outcome {
        let declares = !facts.providers.is_empty() || !facts.id_tokens.is_empty();
        let has_policies = facts.slim_pending || !facts.policies.is_empty();
        if file.findings.is_empty() && !declares {
            // All the report keeps of it is the count and the way back
            // (`LintReport::absorb`); decided here, on the thread that linted it.
            match again {
                _ if !has_policies => return Outcome::Clean(None),
                Some(again) => return Outcome::Clean(Some(again)),
                None => {}
            }
        }
        // Sorted here, on the thread that linted the file.
        file.findings.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
        Outcome::Linted(Box::new((file, facts, again)))
    }

    /// Bytes of text the outcome holds until it is absorbed: what bounds the
    /// memory of outcomes waiting their turn ([`workers`]).
    pub(crate) fn held_bytes(&self) -> usize {
        match self {
            Outcome::Linted(linted) => {
                linted.0.source.text().len()
                    + linted.0.rendered.iter().map(String::len).sum::<usize>()
            }
            _ => 0,
        }
    }
}

/// `again`: how to read the file again (`None` for standard input and pipes,
/// whose text is kept instead when the cross-file checks may need it).
fn lint_bytes_kind(
    display: &str,
    bytes: Vec<u8>,
    kind: NameKind,
    explicit: bool,
    opts: LintOptions<'_>,
    again: Option<Reread>,
) -> Outcome {
    match String::from_utf8(bytes) {
        Ok(text) => match lint_source(display, text, kind, explicit, opts, Pass::Lint) {
            Ok((file, facts)) => Outcome::linted(file, facts, again),
            Err(note) if explicit => Outcome::Note(note),
            Err(_) => Outcome::Nothing,
        },
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let json_like = matches!(kind, NameKind::Json | NameKind::Other);
            if !(explicit || !json_like || text.contains("\"Statement\"")) {
                return Outcome::Nothing;
            }
            let source = SourceText::new(text);
            let (rule, help) = if json_like {
                (&rules::INVALID_POLICY_JSON, "save the policy as UTF-8")
            } else {
                (&rules::PARSE_ERROR, "save the file as UTF-8")
            };
            let f = Finding::new(rule, "the file is not valid UTF-8")
                .help(help)
                .at(Location::from_span(
                    display,
                    &source,
                    Span::new(offset, offset + 1),
                    None,
                ));
            let file = LintedFile {
                path: display.to_string(),
                source,
                findings: vec![f],
                rendered: Vec::new(),
            };
            Outcome::linted(file, FileFacts::default(), None)
        }
    }
}

/// Lints paths: files are read whatever their name, directories are walked
/// recursively (hidden and git-ignored files skipped, except `.gitlab-ci.yml`
/// and `.gitlab/`) for the files `lint` reads; then the cross-file checks run.
/// `Err` is an unreadable path named on the command line (exit 2).
pub fn lint_paths(paths: &[String]) -> Result<LintReport, String> {
    lint_paths_with(paths, LintOptions::default())
}

/// [`lint_paths`] with options: `[files]` of the configuration filters what a
/// directory walk finds (files named on the command line are always read).
pub fn lint_paths_with(paths: &[String], opts: LintOptions<'_>) -> Result<LintReport, String> {
    let mut report = read_paths_with(paths, opts)?;
    report.cross_check();
    Ok(report)
}

/// [`lint_paths_with`] without the cross-file checks (for callers that add more
/// input, such as standard input, before calling [`LintReport::cross_check`]).
pub fn read_paths_with(paths: &[String], opts: LintOptions<'_>) -> Result<LintReport, String> {
    let mut run = Run::new(paths, opts, LintReport::default())?;
    while run.step()? {}
    Ok(run.report)
}

/// A lint run one file at a time: [`Run::new`] plans (walks the directories,
/// reads what cannot be read twice, refuses what is named but unreadable), and
/// each [`Run::step`] lints the next file into [`Run::report`]. With a
/// [`LintReport::streaming`] report the caller takes each file's findings
/// between steps, so a report is written while the tree is still being read.
pub struct Run<'a> {
    planned: std::vec::IntoIter<Planned>,
    opts: LintOptions<'a>,
    scratch: Vec<u8>,
    /// Threads linting ahead of the report (see [`Run::parallel`]); `None`:
    /// each step lints its file on the caller's thread.
    workers: Option<workers::Workers>,
    /// What following the include graphs met, for the files where it was met.
    include_notes: std::sync::Arc<crate::gitlab::ci::IncludeNotes>,
    /// Given by [`Run::render_ahead`]: used by the lint threads only.
    render: Option<std::sync::Arc<Render>>,
    pub report: LintReport,
}

impl<'a> Run<'a> {
    /// Plans the run: `Err` is a path named on the command line that cannot be
    /// read (exit 2), found before anything is linted or reported.
    pub fn new(
        paths: &[String],
        opts: LintOptions<'a>,
        report: LintReport,
    ) -> Result<Run<'a>, String> {
        let mut report = report;
        // Files `.gitlab-ci.yml` includes are CI configuration, whatever their name.
        let mut ci_files: BTreeSet<PathBuf> = BTreeSet::new();
        let mut include_notes = crate::gitlab::ci::IncludeNotes::default();
        // One entry per file to lint: the path alone (the display name is made from
        // it when the file is read), or what a FIFO or device named on the command
        // line gave, read at once (it cannot be read twice).
        let mut planned: Vec<Planned> = Vec::new();
        for p in paths {
            let path = Path::new(p);
            let meta = std::fs::metadata(path).map_err(|e| format!("cannot read {p}: {e}"))?;
            if meta.is_file() {
                // Refused now rather than halfway through a streamed report.
                if meta.len() > MAX_FILE_BYTES {
                    return Err(format!(
                        "{p}: larger than {} MiB, skipped",
                        MAX_FILE_BYTES >> 20
                    ));
                }
                read::open_nonblocking(path).map_err(|e| format!("cannot read {p}: {e}"))?;
                note_ci_includes(path, None, &mut ci_files, &mut include_notes);
                planned.push(Planned::File(path.into(), true, NameKind::Other));
                continue;
            }
            if !meta.is_dir() {
                // A FIFO, a process substitution (`<(…)`, a pipe), a device: read
                // within the size and time limits, or refused (exit 2).
                let bytes = read::read_path(path, MAX_FILE_BYTES).map_err(|e| e.message(p))?;
                note_ci_includes(path, Some(&bytes), &mut ci_files, &mut include_notes);
                planned.push(Planned::Read(Box::new((
                    path.to_path_buf(),
                    bytes,
                    NameKind::Other,
                ))));
                continue;
            }
            let mut found: Vec<PathBuf> = Vec::new();
            let mut not_regular = NotRegular::default();
            let walk = ignore::WalkBuilder::new(path)
                .hidden(false)
                // Each directory's names sorted (cheap byte compares) makes the walk's
                // depth-first order the paths' component order already, so the
                // `sort()` below (component-wise Path compares: 3% of a 2,000-file
                // lint when it had to sort) only confirms it in one pass.
                .sort_by_file_name(|a, b| a.cmp(b))
                .filter_entry(|e| {
                    let name = e.file_name().to_str().unwrap_or_default();
                    e.depth() == 0
                        || !name.starts_with('.')
                        || name == ".gitlab-ci.yml"
                        || name == ".gitlab"
                })
                .build();
            for entry in walk {
                let entry = entry.map_err(|e| format!("cannot walk {p}: {e}"))?;
                let Some(file_type) = entry.file_type() else {
                    continue;
                };
                if file_type.is_dir()
                    || !is_candidate(entry.path())
                    || !opts.config.is_none_or(|c| c.wants_file(entry.path()))
                {
                    continue;
                }
                if file_type.is_file() {
                    found.push(entry.into_path());
                } else {
                    not_regular.count(file_type);
                }
            }
            if let Some(note) = not_regular.note(p) {
                report.notes.push(note);
            }
            found.sort();
            let before = ci_files.len();
            for f in &found {
                note_ci_includes(f, None, &mut ci_files, &mut include_notes);
            }
            // Included files are read even when the walk skipped them (hidden
            // `.gitlab/ci/…`, another extension).
            if ci_files.len() > before {
                let known: BTreeSet<PathBuf> = found.iter().map(|f| normalize(f)).collect();
                for inc in &ci_files {
                    if inc.is_file() && !known.contains(inc) && inc.starts_with(normalize(path)) {
                        found.push(inc.clone());
                    }
                }
                found.sort();
            }
            planned.extend(
                found
                    .into_iter()
                    .map(|f| Planned::File(f.into_boxed_path(), false, NameKind::Other)),
            );
        }
        // Each file's kind is settled now: files `.gitlab-ci.yml` includes are
        // CI configuration whatever their name, which only the plan knows.
        for entry in &mut planned {
            let (path, kind) = match entry {
                Planned::File(path, _, kind) => (&**path, kind),
                Planned::Read(read) => (read.0.as_path(), &mut read.2),
            };
            *kind = kind_by_name(path);
            if *kind != NameKind::GitLabCi
                && !ci_files.is_empty()
                && ci_files.contains(&normalize(path))
            {
                *kind = NameKind::GitLabCi;
            }
        }
        Ok(Run {
            planned: planned.into_iter(),
            opts,
            scratch: Vec::new(),
            workers: None,
            include_notes: std::sync::Arc::new(include_notes),
            render: None,
            report,
        })
    }

    /// Lints on `threads` threads ahead of the report, in the plan's order:
    /// each step then takes the next file's outcome as soon as it is ready. At
    /// most a bounded number of files, and of their bytes, wait for their turn
    /// (`workers`), so memory stays flat however far the threads could run
    /// ahead of a slow report. `threads` of 1 or a plan of one file: no threads.
    pub fn parallel(mut self, threads: usize) -> Run<'a> {
        let planned = std::mem::take(&mut self.planned).collect::<Vec<_>>();
        if threads > 1 && planned.len() > 1 {
            let shared = workers::Shared {
                config: self.opts.config.cloned(),
                include_notes: self.include_notes.clone(),
                render: self.render.clone(),
            };
            match workers::Workers::start(planned, shared, threads) {
                Ok(workers) => self.workers = Some(workers),
                Err(planned) => self.planned = planned.into_iter(),
            }
        } else {
            self.planned = planned.into_iter();
        }
        self
    }

    /// Has the lint threads of [`Run::parallel`] (call it after this) also
    /// render each file's findings as `render` does, so that the report only
    /// writes them ([`LintedFile::rendered`]). Without threads nothing is
    /// rendered ahead: the report's own thread would do the same work.
    pub fn render_ahead(mut self, render: std::sync::Arc<Render>) -> Run<'a> {
        self.render = Some(render);
        self
    }

    /// The options the run was planned with.
    pub fn opts(&self) -> LintOptions<'a> {
        self.opts
    }

    /// Lints the next planned file; `Ok(false)` when none is left. `Err`: a
    /// file named on the command line could not be read after all (it changed
    /// since it was planned).
    pub fn step(&mut self) -> Result<bool, String> {
        let outcome = match &mut self.workers {
            Some(workers) => match workers.next()? {
                Some(outcome) => outcome,
                None => return Ok(false),
            },
            None => match self.planned.next() {
                Some(entry) => {
                    let opts = LintOptions {
                        include_notes: Some(&self.include_notes),
                        ..self.opts
                    };
                    lint_planned(entry, opts, &mut self.scratch)
                }
                None => return Ok(false),
            },
        };
        self.report.absorb(outcome)?;
        Ok(true)
    }
}

/// Lints one planned file (on whichever thread), and renders its findings
/// when told to ([`LintOptions::render`]).
fn lint_planned(entry: Planned, opts: LintOptions<'_>, scratch: &mut Vec<u8>) -> Outcome {
    let mut outcome = lint_planned_file(entry, opts, scratch);
    if let (Some(render), Outcome::Linted(linted)) = (opts.render, &mut outcome) {
        let file = &mut linted.0;
        file.rendered = file
            .findings
            .iter()
            .map(|f| {
                let here = f.location.as_ref().is_some_and(|l| l.path == file.path);
                render(f, here.then_some(&file.source))
            })
            .collect();
    }
    outcome
}

fn lint_planned_file(entry: Planned, opts: LintOptions<'_>, scratch: &mut Vec<u8>) -> Outcome {
    match entry {
        // Every `Planned::File` is a regular file: the walk keeps only those,
        // and a path named on the command line was `stat`ed when planned.
        Planned::File(path, explicit, kind) => read(path, kind, explicit, opts, scratch),
        Planned::Read(read) => {
            let (path, bytes, kind) = *read;
            let display = path.to_string_lossy();
            lint_bytes_kind(&display, bytes, kind, true, opts, None)
        }
    }
}

/// A file to lint (see [`read_paths_with`]), with its kind (settled by
/// [`Run::new`] once every `.gitlab-ci.yml` of the plan is known).
pub(crate) enum Planned {
    /// A regular file, read when its turn comes; `true`: named on the command line.
    File(Box<Path>, bool, NameKind),
    /// A FIFO, pipe or device named on the command line, already read.
    Read(Box<(PathBuf, Vec<u8>, NameKind)>),
}

/// The entries of a directory walk skipped because they are not regular files
/// (counted only when their name is one `lint` reads).
#[derive(Default)]
struct NotRegular {
    symlinks: usize,
    fifos: usize,
    sockets: usize,
    devices: usize,
    other: usize,
}

impl NotRegular {
    fn count(&mut self, file_type: std::fs::FileType) {
        if file_type.is_symlink() {
            self.symlinks += 1;
            return;
        }
        match read::InputKind::of(file_type) {
            read::InputKind::Fifo => self.fifos += 1,
            read::InputKind::Socket => self.sockets += 1,
            read::InputKind::CharDevice | read::InputKind::BlockDevice => self.devices += 1,
            _ => self.other += 1,
        }
    }

    /// `trees: 3 entries skipped, not regular files (2 symbolic links, 1 FIFO); …`
    fn note(&self, dir: &str) -> Option<String> {
        let plural = |n: usize, one: &str, many: &str| {
            (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
        };
        let parts: Vec<String> = [
            plural(self.symlinks, "symbolic link", "symbolic links"),
            plural(self.fifos, "FIFO", "FIFOs"),
            plural(self.sockets, "socket", "sockets"),
            plural(self.devices, "device", "devices"),
            plural(self.other, "other", "others"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let total = self.symlinks + self.fifos + self.sockets + self.devices + self.other;
        (total > 0).then(|| {
            format!(
                "{dir}: {total} {} skipped, not regular files ({}); name {} on the command line to lint {}",
                if total == 1 { "entry" } else { "entries" },
                parts.join(", "),
                if total == 1 { "it" } else { "them" },
                if total == 1 { "it" } else { "them" },
            )
        })
    }
}

/// When `path` is a `.gitlab-ci.yml`, records the local files it includes
/// (relative to its directory, the project root; glob patterns and `..` are
/// not followed). `bytes`: its content when it was read already (a FIFO).
fn note_ci_includes(
    path: &Path,
    bytes: Option<&[u8]>,
    out: &mut BTreeSet<PathBuf>,
    notes: &mut crate::gitlab::ci::IncludeNotes,
) {
    if kind_by_name(path) != NameKind::GitLabCi {
        return;
    }
    // A file on disk: nested includes followed (see
    // [`crate::gitlab::ci::include_graph`]: bounded, each file read once).
    let Some(bytes) = bytes else {
        let graph = crate::gitlab::ci::include_graph(path, MAX_FILE_BYTES);
        out.extend(graph.files);
        notes.merge(graph.notes);
        return;
    };
    // Read already (a FIFO): its own includes.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let root = path.parent().unwrap_or(Path::new("."));
    for inc in crate::gitlab::ci::local_includes(&SourceText::new(text)) {
        if inc.contains(['*', '?', '[']) || inc.split('/').any(|c| c == "..") {
            continue;
        }
        out.insert(normalize(&root.join(inc.trim_start_matches('/'))));
    }
}

/// A path with `.` components removed, for comparing walk results with includes.
fn normalize(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_file_with_findings_is_not_kept_after_the_report_took_them() {
        // Its findings go to the report; kept whole for the cross-file checks,
        // 100,000 such files made memory grow with the tree.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("trust.json");
        std::fs::write(
            &path,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#,
        )
        .expect("write");
        let paths = [dir.path().display().to_string()];
        let mut run =
            Run::new(&paths, LintOptions::default(), LintReport::streaming()).expect("planned");
        assert!(run.step().expect("linted"));
        let ready = run.report.take_ready();
        assert_eq!(ready.len(), 1);
        assert!(!ready[0].findings.is_empty());
        assert!(run.report.files.is_empty(), "the file was kept");
        assert!(
            !run.report.facts.iter().any(|f| matches!(f, Fact::Kept(_))),
            "its facts were kept"
        );
        assert_eq!(run.report.checked_files, 1);
    }

    #[test]
    fn files_are_told_apart_by_name() {
        assert_eq!(kind_by_name(Path::new("a/trust.json")), NameKind::Json);
        assert_eq!(kind_by_name(Path::new("main.tf")), NameKind::Terraform);
        assert_eq!(
            kind_by_name(Path::new("main.tf.json")),
            NameKind::TerraformJson
        );
        assert_eq!(
            kind_by_name(Path::new("x/.gitlab-ci.yml")),
            NameKind::GitLabCi
        );
        assert_eq!(kind_by_name(Path::new("stack.yaml")), NameKind::Yaml);
        assert_eq!(kind_by_name(Path::new("stack.template")), NameKind::Yaml);
        assert_eq!(kind_by_name(Path::new("README.md")), NameKind::Other);
    }

    #[test]
    fn cloudformation_is_recognised_by_content() {
        assert!(looks_like_cloudformation_text(
            "AWSTemplateFormatVersion: '2010-09-09'\n"
        ));
        assert!(looks_like_cloudformation_text(
            "Resources:\n  Role:\n    Type: AWS::IAM::Role\n"
        ));
        assert!(!looks_like_cloudformation_text("stages: [a]\n"));
    }
}
