//! `.gitlab-ci.yml`: the `id_tokens:` each job declares, the legacy `CI_JOB_JWT*`
//! variables, and the `aws sts assume-role-with-web-identity` calls of its scripts.
//!
//! The file is read with [`crate::yaml`] (anchors, `<<` merges; `!reference` tags
//! are left opaque). Jobs inherit `id_tokens:` from `default:` unless they declare
//! their own, and from the jobs they `extends:` (resolved within the file; a job
//! extending something defined elsewhere is not judged on its tokens). Script
//! lines are split like a shell would split them (quotes, `\` line continuations,
//! `$(…)`), by hand: `shlex` and friends lose the positions each finding needs.
//! An `AWS_ROLE_SESSION_NAME` variable (read by the AWS CLI and SDKs with
//! `AWS_WEB_IDENTITY_TOKEN_FILE`) is checked like `--role-session-name`.
//! Findings point at the flag's value (or the variable inside it) in the file.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::finding::{Finding, Location};
use crate::json::{Node, SourceText, Span, Value, pointer_token};
use crate::lint::source::{Extracted, IdTokenDecl};
use crate::policy::Located;
use crate::rules::{self, RuleMeta};
use crate::yaml;

/// Top-level keys that are not jobs.
const GLOBAL_KEYWORDS: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
];

/// The legacy job JWT variables, removed in GitLab 17.0.
const LEGACY: &[&str] = &["CI_JOB_JWT", "CI_JOB_JWT_V1", "CI_JOB_JWT_V2"];

/// Predefined variables whose value can hold characters a role session name
/// refuses (`/` in branch names and paths, spaces and `:` in job names).
const UNSAFE_SESSION_VARS: &[&str] = &[
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_BRANCH",
    "CI_COMMIT_TAG",
    "CI_DEFAULT_BRANCH",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
    "CI_MERGE_REQUEST_TITLE",
    "CI_PROJECT_PATH",
    "CI_PROJECT_NAMESPACE",
    "CI_PROJECT_ROOT_NAMESPACE",
    "CI_PROJECT_TITLE",
    "CI_JOB_NAME",
    "CI_JOB_STAGE",
    "CI_ENVIRONMENT_NAME",
    "CI_PIPELINE_NAME",
    "CI_COMMIT_TITLE",
    "CI_COMMIT_MESSAGE",
    "CI_COMMIT_AUTHOR",
    "GITLAB_USER_NAME",
    "GITLAB_USER_EMAIL",
];

const MIN_DURATION: u64 = 900;
const MAX_DURATION: u64 = 43_200;
const DEFAULT_MAX_SESSION: u64 = 3_600;

/// Whether a YAML file looks like GitLab CI configuration (for files found in a
/// directory walk that are not named `.gitlab-ci.yml`, such as included files).
pub fn looks_like_gitlab_ci(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with("script:")
            || t.starts_with("id_tokens:")
            || t.starts_with("before_script:")
            || l.starts_with("stages:")
            || l.starts_with("include:")
    })
}

fn ci_tags(tag: &str) -> Option<String> {
    // `!reference [job, script]` stays opaque: an object with this key.
    (tag == "!reference").then(|| "!reference".to_string())
}

/// The local files a CI file includes (`include: 'path.yml'`,
/// `include: {local: path}`, or lists of them), as written without a leading `/`
/// (GitLab resolves them from the project root). Remote, project, template and
/// component includes are left out. Unparsable text includes nothing.
pub fn local_includes(source: &SourceText) -> Vec<String> {
    local_include_entries(source.text())
        .into_iter()
        .map(|(p, _)| p)
        .collect()
}

/// [`local_includes`] with the span of each entry.
fn local_include_entries(text: &str) -> Vec<(String, Span)> {
    let Ok(docs) = yaml::load(text, &ci_tags) else {
        return Vec::new();
    };
    let Some(root) = config_doc(&docs) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(inc) = get(root, "include") {
        let items: Vec<&Node> = match &inc.value {
            Value::Array(items) => items.iter().collect(),
            _ => vec![inc],
        };
        for item in items {
            let path = match &item.value {
                Value::String(s) if !s.contains("://") => Some(s.as_str()),
                Value::Object(_) => get_str(item, "local"),
                _ => None,
            };
            if let Some(p) = path {
                out.push((p.trim_start_matches('/').to_string(), item.span));
            }
        }
    }
    out
}

/// Most files one `.gitlab-ci.yml`'s include graph is followed to, nested
/// includes counted: GitLab's own default (`ci_max_includes`, 150 includes per
/// pipeline), so a graph GitLab accepts is always read whole.
pub const MAX_INCLUDES: usize = 150;

/// Deepest chain of nested includes followed: GitLab nests includes at most 100
/// levels deep.
pub const MAX_INCLUDE_DEPTH: usize = 100;

/// Limits and cycles met walking include graphs, by the including file
/// (normalised path). Handed to [`extract_with`] when that file is linted (one
/// finding per file), on whichever thread lints it.
#[derive(Debug, Default, Clone)]
pub struct IncludeNotes(HashMap<PathBuf, IncludeNote>);

/// The first limit or cycle met at one including file, and how many there were.
#[derive(Debug, Clone)]
pub struct IncludeNote {
    span: Span,
    message: String,
    count: usize,
}

impl IncludeNotes {
    fn note(&mut self, file: &Path, span: Span, message: String) {
        self.0
            .entry(normalize(file))
            .and_modify(|e| e.count += 1)
            .or_insert(IncludeNote {
                span,
                message,
                count: 1,
            });
    }

    /// The note left for `path`, if any.
    pub fn get(&self, path: &Path) -> Option<&IncludeNote> {
        if self.0.is_empty() {
            return None; // no path to normalise for most runs
        }
        self.0.get(&normalize(path))
    }

    /// Adds another graph's notes (a file two graphs reach keeps the first
    /// note, counted with the others).
    pub fn merge(&mut self, other: IncludeNotes) {
        for (file, note) in other.0 {
            self.0
                .entry(file)
                .and_modify(|e| e.count += note.count)
                .or_insert(note);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What following one `.gitlab-ci.yml`'s includes found.
#[derive(Debug, Default)]
pub struct IncludeGraph {
    /// The included files, breadth first, each once.
    pub files: Vec<PathBuf>,
    /// Limits and cycles, for the files where they were met.
    pub notes: IncludeNotes,
}

/// A path with `.` components removed.
fn normalize(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// The local files a `.gitlab-ci.yml` includes, nested includes followed
/// (paths relative to its directory, the project root, as GitLab resolves them;
/// glob patterns and `..` are not followed). Breadth first; each file is read
/// and parsed once however often it is included; a cycle is named and not
/// followed; at most [`MAX_INCLUDES`] files, [`MAX_INCLUDE_DEPTH`] levels deep, of
/// at most `max_bytes` each (regular files only). Limits and cycles become an
/// `analysis-limit` finding of the including file when it is linted.
pub fn include_graph(root: &Path, max_bytes: u64) -> IncludeGraph {
    let dir = root.parent().unwrap_or(Path::new("."));
    let start = normalize(root);
    // File → the file that first included it (the root has none).
    let mut parent: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    parent.insert(start.clone(), None);
    let mut out = Vec::new();
    let mut notes = IncludeNotes::default();
    let mut queue = std::collections::VecDeque::from([(start, 0usize)]);
    let mut full = false;
    while let Some((file, depth)) = queue.pop_front() {
        // The bounded reader: a file swapped for a FIFO is never waited on.
        let readable = std::fs::metadata(&file).is_ok_and(|m| m.is_file() && m.len() <= max_bytes);
        let Some(text) = readable
            .then(|| crate::lint::read::read_path(&file, max_bytes).ok())
            .flatten()
            .and_then(|b| String::from_utf8(b).ok())
        else {
            continue;
        };
        for (inc, span) in local_include_entries(&text) {
            if inc.contains(['*', '?', '[']) || inc.split('/').any(|c| c == "..") {
                continue;
            }
            let target = normalize(&dir.join(&inc));
            if parent.contains_key(&target) {
                // Read already. A cycle when it is this file or one that leads here.
                let mut chain = vec![file.clone()];
                let mut at = parent.get(&file).cloned().flatten();
                while chain.last() != Some(&target) {
                    match at {
                        Some(p) => {
                            at = parent.get(&p).cloned().flatten();
                            chain.push(p);
                        }
                        None => break,
                    }
                }
                if chain.last() == Some(&target) {
                    let names: Vec<String> = chain
                        .iter()
                        .rev()
                        .chain(std::iter::once(&target))
                        .map(|p| format!("`{}`", p.strip_prefix(dir).unwrap_or(p).display()))
                        .collect();
                    notes.note(
                        &file,
                        span,
                        format!(
                            "the includes {} form a cycle; each file was read once and the cycle not followed",
                            names.join(" → ")
                        ),
                    );
                }
                continue;
            }
            if full {
                continue;
            }
            if out.len() >= MAX_INCLUDES {
                full = true;
                notes.note(
                    &file,
                    span,
                    crate::rules::analysis_limit::message(
                        "MAX_INCLUDES",
                        &format!(
                            "the include graph of this pipeline holds more than {MAX_INCLUDES} files (nested includes counted; GitLab refuses more by default)"
                        ),
                        &format!(
                            "`{inc}` and the includes after it were not followed (a file the directory walk finds is still linted on its own)"
                        ),
                    ),
                );
                continue;
            }
            if depth + 1 > MAX_INCLUDE_DEPTH {
                notes.note(
                    &file,
                    span,
                    crate::rules::analysis_limit::message(
                        "MAX_INCLUDE_DEPTH",
                        &format!(
                            "includes nest more than {MAX_INCLUDE_DEPTH} levels deep here (GitLab allows no deeper)"
                        ),
                        &format!(
                            "`{inc}` and what it includes were not followed (a file the directory walk finds is still linted on its own)"
                        ),
                    ),
                );
                continue;
            }
            parent.insert(target.clone(), Some(file.clone()));
            out.push(target.clone());
            queue.push_back((target, depth + 1));
        }
    }
    IncludeGraph { files: out, notes }
}

/// The `analysis-limit` finding for the limit or cycle the include graph met
/// in this file.
fn include_finding(path: &str, source: &SourceText, note: &IncludeNote) -> Finding {
    let IncludeNote {
        span,
        message,
        count,
    } = note;
    let (span, count) = (*span, *count);
    let more = match count {
        1 => String::new(),
        n => format!(" (and {} more in this file)", n - 1),
    };
    let end = span.end.min(source.text().len());
    Finding::new(&rules::ANALYSIS_LIMIT, format!("{message}{more}"))
        .help("include each file once, from the top; GitLab stops at 150 includes per pipeline and 100 levels of nesting")
        .at(Location::from_span(
            path,
            source,
            Span::new(span.start.min(end), end),
            None,
        ))
}

/// The configuration document: the last one (a `spec:` header comes first).
fn config_doc(docs: &[Node]) -> Option<&Node> {
    docs.iter()
        .rev()
        .find(|d| matches!(d.value, Value::Object(_)))
}

fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    match &node.value {
        Value::Object(ms) => ms.iter().rev().find(|m| m.key == key).map(|m| &m.value),
        _ => None,
    }
}

fn get_str<'n>(node: &'n Node, key: &str) -> Option<&'n str> {
    match &get(node, key)?.value {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// Reads a CI file: its `id_tokens:` and the findings of its scripts.
pub fn extract(path: &str, source: &SourceText) -> Extracted {
    extract_with(path, source, None)
}

/// [`extract`], with the limit or cycle its project's include graph met in
/// this file ([`IncludeNotes::get`]).
pub fn extract_with(path: &str, source: &SourceText, include: Option<&IncludeNote>) -> Extracted {
    let mut out = Extracted::default();
    out.findings
        .extend(include.map(|note| include_finding(path, source, note)));
    let docs = match yaml::load(source.text(), &ci_tags) {
        Ok(d) => d,
        Err(e) if e.limit.is_some() => {
            out.findings.push(rules::analysis_limit::yaml_not_read(
                path,
                source,
                e.offset,
                "the CI configuration",
                &e.message,
                "anchors that refer to anchors multiply what they expand to; use `extends:` or write the repeated part once",
            ));
            return out;
        }
        Err(e) => {
            let start = e.offset.min(source.text().len());
            let end = (start + 1).min(source.text().len());
            out.findings.push(
                Finding::new(
                    &rules::PARSE_ERROR,
                    format!("the CI configuration is not valid YAML: {}", e.message),
                )
                .at(Location::from_span(
                    path,
                    source,
                    Span::new(start, end),
                    None,
                )),
            );
            return out;
        }
    };
    let Some(root) = config_doc(&docs) else {
        return out;
    };
    let ci = Ci::read(root);
    let mut cx = Cx {
        path,
        source,
        findings: Vec::new(),
        timeouts: ci
            .jobs
            .iter()
            .filter_map(|(name, _)| Some((name.to_string(), ci.timeout_of(name)?)))
            .collect(),
        only_token: false,
    };
    // Token declarations.
    for (job, node) in ci
        .jobs
        .iter()
        .map(|(n, j)| (*n, *j))
        .chain(ci.default.map(|d| ("default", d)))
    {
        if let Some(Value::Object(tokens)) = get(node, "id_tokens").map(|n| &n.value) {
            for t in tokens {
                let base = format!(
                    "/{}/id_tokens/{}/aud",
                    pointer_token(job),
                    pointer_token(&t.key)
                );
                let mut aud = Vec::new();
                if let Some(a) = get(&t.value, "aud") {
                    match &a.value {
                        Value::String(s) => aud.push(Located::new(s.clone(), a.span, base.clone())),
                        Value::Array(items) => {
                            for (i, item) in items.iter().enumerate() {
                                if let Value::String(s) = &item.value {
                                    aud.push(Located::new(
                                        s.clone(),
                                        item.span,
                                        format!("{base}/{i}"),
                                    ));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                out.id_tokens.push(IdTokenDecl {
                    job: job.to_string(),
                    name: t.key.clone(),
                    span: t.key_span,
                    aud,
                });
            }
        }
    }
    // Legacy variables, wherever a value mentions them.
    if let Value::Object(ms) = &root.value {
        for m in ms {
            let job = (!GLOBAL_KEYWORDS.contains(&m.key.as_str())).then_some(m.key.as_str());
            cx.legacy(&m.value, job);
        }
    }
    // Scripts.
    let globals: Vec<&Node> = ["before_script", "after_script"]
        .iter()
        .filter_map(|k| get(root, k))
        .chain(
            ci.default
                .into_iter()
                .flat_map(|d| ["before_script", "after_script"].map(|k| get(d, k)))
                .flatten(),
        )
        .collect();
    for g in globals {
        // Inherited by jobs with different tokens: not judged on the token.
        cx.scripts(g, None, None);
    }
    // `AWS_ROLE_SESSION_NAME`: the session name the AWS CLI and SDKs use with
    // `AWS_WEB_IDENTITY_TOKEN_FILE`, under the same constraints.
    let variable_blocks = ci
        .jobs
        .iter()
        .map(|(n, j)| (Some(*n), get(j, "variables")))
        .chain([
            (None, ci.variables),
            (None, ci.default.and_then(|d| get(d, "variables"))),
        ]);
    for (job, block) in variable_blocks {
        let Some(v) = block.and_then(|b| get(b, "AWS_ROLE_SESSION_NAME")) else {
            continue;
        };
        let v = get(v, "value").unwrap_or(v);
        if let Value::String(raw) = &v.value {
            let w = Word {
                raw: raw.clone(),
                start: 0,
            };
            cx.session_name(&w, v, job);
        }
    }
    for (name, job) in &ci.jobs {
        let tokens = if name.starts_with('.') {
            None
        } else {
            ci.tokens_of(name)
        };
        let vars = ci.variables_of(name);
        for k in ["before_script", "script", "after_script"] {
            if let Some(s) = get(job, k) {
                cx.scripts(s, Some(name), tokens.as_ref().map(|t| (t, &vars)));
                continue;
            }
            // A script the job inherits (from what it extends, or from
            // `default:`) runs with this job's tokens.
            let Some(tokens) = &tokens else { continue };
            let chain = ci.chain(name).unwrap_or_default();
            let inherited = chain.iter().skip(1).find_map(|j| get(j, k)).or_else(|| {
                (k != "script" && ci.inherits_default(&chain, k))
                    .then(|| ci.default.and_then(|d| get(d, k)).or_else(|| get(root, k)))
                    .flatten()
            });
            if let Some(s) = inherited {
                cx.only_token = true;
                cx.scripts(s, Some(name), Some((tokens, &vars)));
                cx.only_token = false;
            }
        }
    }
    out.findings.extend(cx.findings);
    out
}

struct Ci<'a> {
    jobs: Vec<(&'a str, &'a Node)>,
    by_name: HashMap<&'a str, &'a Node>,
    default: Option<&'a Node>,
    variables: Option<&'a Node>,
}

impl<'a> Ci<'a> {
    fn read(root: &'a Node) -> Ci<'a> {
        let mut jobs = Vec::new();
        if let Value::Object(ms) = &root.value {
            for m in ms {
                if !GLOBAL_KEYWORDS.contains(&m.key.as_str())
                    && matches!(m.value.value, Value::Object(_))
                {
                    jobs.push((m.key.as_str(), &m.value));
                }
            }
        }
        Ci {
            by_name: jobs.iter().copied().collect(),
            jobs,
            default: get(root, "default"),
            variables: get(root, "variables"),
        }
    }

    /// The job and what it `extends:`, nearest first; `None` when something it
    /// extends is not in this file.
    fn chain(&self, name: &str) -> Option<Vec<&'a Node>> {
        let mut out = Vec::new();
        let mut todo = vec![name.to_string()];
        let mut seen = BTreeSet::new();
        while let Some(n) = todo.pop() {
            if !seen.insert(n.clone()) || seen.len() > 64 {
                continue;
            }
            let job = *self.by_name.get(n.as_str())?;
            out.push(job);
            match get(job, "extends").map(|e| &e.value) {
                Some(Value::String(s)) => todo.push(s.clone()),
                Some(Value::Array(items)) => {
                    for i in items.iter().rev() {
                        match &i.value {
                            Value::String(s) => todo.push(s.clone()),
                            _ => return None,
                        }
                    }
                }
                Some(_) => return None,
                None => {}
            }
        }
        Some(out)
    }

    /// The `id_tokens:` names a job gets; `None` when they cannot be known.
    fn tokens_of(&self, name: &str) -> Option<BTreeSet<String>> {
        let chain = self.chain(name)?;
        let mut names = BTreeSet::new();
        let mut declared = false;
        for job in &chain {
            match get(job, "id_tokens").map(|t| &t.value) {
                Some(Value::Object(ms)) => {
                    declared = true;
                    names.extend(ms.iter().map(|m| m.key.clone()));
                }
                Some(_) => return None,
                None => {}
            }
        }
        if !declared && self.inherits_default(&chain, "id_tokens") {
            match self
                .default
                .and_then(|d| get(d, "id_tokens"))
                .map(|t| &t.value)
            {
                Some(Value::Object(ms)) => names.extend(ms.iter().map(|m| m.key.clone())),
                Some(_) => return None,
                None => {}
            }
        }
        Some(names)
    }

    /// Whether the job takes `key` from `default:` (`inherit: default:`).
    fn inherits_default(&self, chain: &[&Node], key: &str) -> bool {
        chain.iter().all(|job| {
            match get(job, "inherit")
                .and_then(|i| get(i, "default"))
                .map(|d| &d.value)
            {
                Some(Value::Bool(false)) => false,
                Some(Value::Array(items)) => items
                    .iter()
                    .any(|i| matches!(&i.value, Value::String(s) if s == key)),
                _ => true,
            }
        })
    }

    /// The job's `timeout:` (its own, what it extends, or `default:`), in seconds.
    fn timeout_of(&self, name: &str) -> Option<u64> {
        let chain = self.chain(name).unwrap_or_default();
        chain
            .iter()
            .copied()
            .chain(self.default)
            .find_map(|j| get(j, "timeout"))
            .and_then(|t| match &t.value {
                Value::String(s) | Value::Number(s) => parse_timeout(s),
                _ => None,
            })
    }

    /// `variables:` a job sees (its own, what it extends, global), name → value.
    fn variables_of(&self, name: &str) -> HashMap<String, String> {
        let mut out = HashMap::new();
        let mut add = |n: Option<&Node>| {
            if let Some(Value::Object(ms)) = n.map(|n| &n.value) {
                for m in ms {
                    let v = match &m.value.value {
                        Value::String(s) => Some(s.clone()),
                        Value::Object(_) => get_str(&m.value, "value").map(str::to_string),
                        _ => None,
                    };
                    if let Some(v) = v {
                        out.entry(m.key.clone()).or_insert(v);
                    }
                }
            }
        };
        for job in self.chain(name).unwrap_or_default() {
            add(get(job, "variables"));
        }
        add(self.default.and_then(|d| get(d, "variables")));
        add(self.variables);
        out
    }
}

struct Cx<'a> {
    path: &'a str,
    source: &'a SourceText,
    findings: Vec<Finding>,
    /// Each job's `timeout:` in seconds, when it sets (or inherits) one.
    timeouts: HashMap<String, u64>,
    /// Checking a script a job inherits: only the token it passes is judged
    /// (the rest was reported where the script is written).
    only_token: bool,
}

/// A shell word of a command: as written, and where it starts in the value.
#[derive(Debug, Clone)]
struct Word {
    raw: String,
    start: usize,
}

impl Cx<'_> {
    fn report(
        &mut self,
        meta: &'static RuleMeta,
        message: String,
        node: &Node,
        at: usize,
        len: usize,
        job: Option<&str>,
    ) {
        let text = self.source.text();
        let start = yaml::offset_in_scalar(text, node, at);
        let mut end = start;
        for (i, c) in text[start.min(text.len())..].char_indices() {
            if i >= len || c == '\n' {
                break;
            }
            end = start + i + c.len_utf8();
        }
        let mut loc = Location::from_span(
            self.path,
            self.source,
            Span::new(start, end.max(start)),
            None,
        );
        loc.resource = job.map(str::to_string);
        self.findings.push(Finding::new(meta, message).at(loc));
    }

    /// Every mention of `CI_JOB_JWT*` in a string value.
    fn legacy(&mut self, node: &Node, job: Option<&str>) {
        match &node.value {
            Value::String(s) => {
                for (at, name) in legacy_mentions(s) {
                    self.report(
                        &rules::LEGACY_CI_JOB_JWT,
                        format!("`{name}` was removed in GitLab 17.0: on a current instance it is empty, so no token reaches STS"),
                        node,
                        at,
                        name.len(),
                        job,
                    );
                }
            }
            Value::Array(items) => {
                for i in items {
                    self.legacy(i, job);
                }
            }
            Value::Object(ms) => {
                for m in ms {
                    self.legacy(&m.value, job);
                }
            }
            _ => {}
        }
    }

    /// A `script:` value: a command, or a list of them (nested lists included).
    fn scripts(
        &mut self,
        node: &Node,
        job: Option<&str>,
        tokens: Option<(&BTreeSet<String>, &HashMap<String, String>)>,
    ) {
        match &node.value {
            Value::String(s) => self.command(s, node, job, tokens),
            Value::Array(items) => {
                for i in items {
                    self.scripts(i, job, tokens);
                }
            }
            _ => {}
        }
    }

    fn command(
        &mut self,
        script: &str,
        node: &Node,
        job: Option<&str>,
        tokens: Option<(&BTreeSet<String>, &HashMap<String, String>)>,
    ) {
        const CALL: &str = "assume-role-with-web-identity";
        let mut from = 0;
        while let Some(i) = script[from..].find(CALL) {
            let after = from + i + CALL.len();
            from = after;
            let words = words(script, after);
            let mut flags: Vec<(&str, Option<&Word>)> = Vec::new();
            let mut owned: Vec<(String, Word)> = Vec::new();
            let mut k = 0;
            while k < words.len() {
                let w = &words[k];
                if let Some((flag, value)) =
                    w.raw.split_once('=').filter(|(f, _)| f.starts_with("--"))
                {
                    owned.push((
                        flag.to_string(),
                        Word {
                            raw: value.to_string(),
                            start: w.start + flag.len() + 1,
                        },
                    ));
                    k += 1;
                } else if w.raw.starts_with("--") {
                    let value = words.get(k + 1).filter(|v| !v.raw.starts_with("--"));
                    flags.push((w.raw.as_str(), value));
                    k += if value.is_some() { 2 } else { 1 };
                } else {
                    k += 1;
                }
            }
            let all: Vec<(&str, Option<&Word>)> = flags
                .into_iter()
                .chain(owned.iter().map(|(f, w)| (f.as_str(), Some(w))))
                .collect();
            for (flag, value) in all {
                let Some(value) = value else { continue };
                match flag {
                    "--role-session-name" if !self.only_token => {
                        self.session_name(value, node, job)
                    }
                    "--duration-seconds" if !self.only_token => self.duration(value, node, job),
                    "--web-identity-token" => {
                        if let Some((names, vars)) = tokens {
                            self.token(value, node, job, names, vars);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn session_name(&mut self, w: &Word, node: &Node, job: Option<&str>) {
        let parts = expand(&w.raw);
        if parts.opaque {
            return;
        }
        for (at, c) in &parts.literal {
            if !(c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c)) {
                self.report(
                    &rules::ROLE_SESSION_NAME_INVALID,
                    format!("`{c}` is not allowed in a role session name (2–64 characters of [\\w+=,.@-])"),
                    node,
                    w.start + at,
                    c.len_utf8(),
                    job,
                );
                return;
            }
        }
        for (at, name, len) in &parts.vars {
            if UNSAFE_SESSION_VARS.contains(&name.as_str()) {
                self.report(
                    &rules::ROLE_SESSION_NAME_INVALID,
                    format!("`${name}` can contain `/` and other characters a role session name refuses (2–64 characters of [\\w+=,.@-]): the call fails for such refs"),
                    node,
                    w.start + at,
                    *len,
                    job,
                );
                return;
            }
        }
        let literal_len = parts.literal.len();
        if (parts.vars.is_empty() && !(2..=64).contains(&literal_len)) || literal_len > 64 {
            self.report(
                &rules::ROLE_SESSION_NAME_INVALID,
                format!(
                    "the role session name has {literal_len} character{}; STS accepts 2 to 64",
                    if literal_len == 1 { "" } else { "s" }
                ),
                node,
                w.start,
                w.raw.len(),
                job,
            );
        }
    }

    fn duration(&mut self, w: &Word, node: &Node, job: Option<&str>) {
        let parts = expand(&w.raw);
        if parts.opaque {
            return;
        }
        if parts.vars.is_empty() {
            let digits: String = parts.literal.iter().map(|(_, c)| *c).collect();
            if let Ok(n) = digits.parse::<u64>()
                && !(MIN_DURATION..=MAX_DURATION).contains(&n)
            {
                self.report(
                    &rules::DURATION_EXCEEDS_MAX_SESSION,
                    format!(
                        "--duration-seconds {n} is outside what STS accepts (900 to 43,200 seconds)"
                    ),
                    node,
                    w.start,
                    w.raw.len(),
                    job,
                );
            }
            return;
        }
        if let Some((at, name, len)) = parts.vars.iter().find(|(_, n, _)| n == "CI_JOB_TIMEOUT") {
            let message = match job.and_then(|j| self.timeouts.get(j)) {
                Some(&t) if (MIN_DURATION..=DEFAULT_MAX_SESSION).contains(&t) => return,
                Some(&t) if t < MIN_DURATION => format!(
                    "`${name}` is this job's timeout in seconds ({t}), below the minimum DurationSeconds of {MIN_DURATION}: STS refuses the call"
                ),
                Some(&t) => format!(
                    "`${name}` is this job's timeout in seconds ({t}): more than the role's MaxSessionDuration unless the role sets at least that ({DEFAULT_MAX_SESSION} by default{}); STS then refuses the call",
                    if t > MAX_DURATION {
                        ", and never more than 43,200"
                    } else {
                        ""
                    }
                ),
                None => format!(
                    "`${name}` is the job timeout in seconds: a job allowed more than an hour (the project's timeout applies when the job sets none) asks for more than the role's MaxSessionDuration ({DEFAULT_MAX_SESSION} seconds unless the role sets more), one under 15 minutes for less than the minimum of {MIN_DURATION}; STS refuses both"
                ),
            };
            self.report(
                &rules::DURATION_EXCEEDS_MAX_SESSION,
                message,
                node,
                w.start + at,
                *len,
                job,
            );
        }
    }

    fn token(
        &mut self,
        w: &Word,
        node: &Node,
        job: Option<&str>,
        names: &BTreeSet<String>,
        vars: &HashMap<String, String>,
    ) {
        let parts = expand(&w.raw);
        if parts.opaque || w.raw.contains("file://") || parts.vars.len() != 1 {
            return;
        }
        let (at, name, len) = &parts.vars[0];
        if LEGACY.contains(&name.as_str()) || names.contains(name) {
            return;
        }
        if let Some(value) = vars.get(name) {
            // A variable defined from something else: judged by what it holds
            // only when that is one variable.
            let inner = expand(value);
            if inner.opaque
                || inner.vars.len() != 1
                || names.contains(&inner.vars[0].1)
                || LEGACY.contains(&inner.vars[0].1.as_str())
            {
                return;
            }
        }
        let declared = if names.is_empty() {
            "the job declares no `id_tokens:`".to_string()
        } else {
            format!(
                "the job's id_tokens are {}",
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        self.report(
            &rules::WEB_IDENTITY_TOKEN_NOT_AN_ID_TOKEN,
            format!("`${name}` is passed as the web identity token, but {declared}: GitLab puts no ID token in it"),
            node,
            w.start + at,
            *len,
            job,
        );
    }
}

/// A GitLab `timeout:` (`3h`, `1h 30m`, `90 minutes`, `2 hours 5 min`, `3600`)
/// in seconds; `None` when it is not one of these forms.
fn parse_timeout(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    if let Ok(n) = s.parse::<u64>() {
        return Some(n);
    }
    let mut total: u64 = 0;
    let mut rest = s.as_str();
    let mut any = false;
    while !rest.trim_start().is_empty() {
        rest = rest.trim_start();
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let factor = match unit {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
            "d" | "day" | "days" => 86_400,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(factor)?)?;
        any = true;
    }
    any.then_some(total)
}

/// `CI_JOB_JWT`, `CI_JOB_JWT_V1`, `CI_JOB_JWT_V2` as whole identifiers.
fn legacy_mentions(s: &str) -> Vec<(usize, &'static str)> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut from = 0;
    while let Some(i) = s[from..].find("CI_JOB_JWT") {
        let at = from + i;
        from = at + "CI_JOB_JWT".len();
        if at > 0 && ident(bytes[at - 1]) {
            continue;
        }
        let name = LEGACY.iter().rev().find(|n| {
            s[at..].starts_with(**n) && !bytes.get(at + n.len()).is_some_and(|b| ident(*b))
        });
        if let Some(n) = name {
            out.push((at, *n));
        }
    }
    out
}

/// The shell words after `from`, up to the end of the command (`;`, `|`, `&`, an
/// unbalanced `)`, or an unescaped line break).
fn words(s: &str, from: usize) -> Vec<Word> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = from;
    loop {
        // Blanks and line continuations.
        while i < b.len() {
            if b[i] == b' ' || b[i] == b'\t' || b[i] == b'\r' {
                i += 1;
            } else if b[i] == b'\\' && b.get(i + 1) == Some(&b'\n') {
                i += 2;
            } else {
                break;
            }
        }
        if i >= b.len() || matches!(b[i], b';' | b'|' | b'&' | b')' | b'\n' | b'#') {
            return out;
        }
        let start = i;
        let mut depth = 0usize;
        let mut quote: Option<u8> = None;
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(q) => {
                    if c == b'\\' && q == b'"' {
                        i += 1;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => {
                    if c == b'\'' || c == b'"' {
                        quote = Some(c);
                    } else if c == b'\\' {
                        i += 1;
                    } else if c == b'$' && b.get(i + 1) == Some(&b'(') {
                        depth += 1;
                        i += 1;
                    } else if c == b'(' && depth > 0 {
                        depth += 1;
                    } else if c == b')' {
                        if depth == 0 {
                            break;
                        }
                        depth -= 1;
                    } else if depth == 0
                        && matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b';' | b'|' | b'&')
                    {
                        break;
                    }
                }
            }
            i += 1;
        }
        let end = i.min(b.len());
        out.push(Word {
            raw: s.get(start..end).unwrap_or("").to_string(),
            start,
        });
        if out.len() > 256 {
            return out;
        }
    }
}

/// What a shell word expands to, as far as it can be told statically.
#[derive(Debug, Default)]
struct Expansion {
    /// Literal characters with their byte offset in the word.
    literal: Vec<(usize, char)>,
    /// Variables: offset of the `$`, name, length as written.
    vars: Vec<(usize, String, usize)>,
    /// Holds a command substitution or other expansion not followed.
    opaque: bool,
}

fn expand(raw: &str) -> Expansion {
    let mut e = Expansion::default();
    let chars: Vec<(usize, char)> = raw.char_indices().collect();
    let mut k = 0;
    let mut quote: Option<char> = None;
    while k < chars.len() {
        let (at, c) = chars[k];
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (Some('\''), c) => e.literal.push((at, c)),
            (_, '\\') => {
                if let Some(&(at2, c2)) = chars.get(k + 1) {
                    e.literal.push((at2, c2));
                    k += 1;
                }
            }
            (_, '$') => {
                let rest = &raw[at + 1..];
                if rest.starts_with('(') {
                    e.opaque = true;
                    return e;
                }
                let (name, len) = if let Some(inner) = rest.strip_prefix('{') {
                    match inner.find('}') {
                        Some(close) => {
                            let body = &inner[..close];
                            let name: String = body
                                .chars()
                                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                                .collect();
                            if name.len() != body.len() {
                                // ${X:-default} and friends.
                                e.opaque = true;
                            }
                            (name, close + 3)
                        }
                        None => {
                            e.opaque = true;
                            return e;
                        }
                    }
                } else {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let len = name.len() + 1;
                    (name, len)
                };
                if name.is_empty() {
                    e.literal.push((at, '$'));
                } else {
                    e.vars.push((at, name, len));
                    while k + 1 < chars.len() && chars[k + 1].0 < at + len {
                        k += 1;
                    }
                }
            }
            _ => e.literal.push((at, c)),
        }
        k += 1;
    }
    e
}

#[cfg(test)]
mod tests;
