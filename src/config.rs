//! `.oidc-doctor.toml`: per-rule severities, which files to lint, the intended
//! scope of trust (issuer, projects, refs), and accepted findings.
//!
//! ```toml
//! [rules]
//! wrong-action = "warning"                 # "error" | "warning" | "info" | "off"
//! null-with-if-exists = "off"
//!
//! [files]
//! include = ["infra/**"]                    # default: every candidate file
//! exclude = ["infra/legacy", "*.example.json"]
//!
//! [scope]
//! issuer = "https://gitlab.example.com"
//! projects = ["mygroup/app", "mygroup/tools/*"]
//! refs = ["main", "release/*"]
//!
//! [[ignore]]
//! rule = "wrong-action"
//! path = "infra/legacy/*.json"
//! pointer = "/Statement/1"                  # optional: this element and below
//! reason = "legacy role, removed in Q3"     # required
//! ```
//!
//! Globs (`[files]`, `[[ignore]] path`, `[scope]` patterns) follow gitignore habits:
//! `*` and `?` stay within one path component, `**` crosses any number of them. File
//! globs match the path relative to the directory holding the configuration file; a
//! glob without `/` matches a name at any depth, and a glob that matches a directory
//! covers everything below it.
//!
//! The file is found by [`Config::discover`]: the first `.oidc-doctor.toml` in the
//! directory of the (first) linted path or any of its parents. Anything it does
//! not understand — an unknown key, an unknown rule, an invalid glob, an `[[ignore]]`
//! without a reason — is an error (exit 2) naming the file, line and key.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::finding::{Finding, Severity};
use crate::rules;

/// The configuration file's name.
pub const FILE_NAME: &str = ".oidc-doctor.toml";

/// A rule's configured level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleLevel {
    Error,
    Warning,
    Info,
    Off,
}

impl RuleLevel {
    /// The severity findings get, or `None` for `off`.
    pub fn severity(self) -> Option<Severity> {
        match self {
            RuleLevel::Error => Some(Severity::Error),
            RuleLevel::Warning => Some(Severity::Warning),
            RuleLevel::Info => Some(Severity::Info),
            RuleLevel::Off => None,
        }
    }
}

/// Who is meant to assume the roles: rules that judge breadth compare the policy
/// against it. Every part is optional; an empty list means "not declared".
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The intended issuer URL, e.g. `https://gitlab.example.com` (always `https://`,
    /// no trailing slash).
    pub issuer: Option<String>,
    /// Project path patterns: `mygroup/app`, `mygroup/*` (direct projects of the
    /// group), `mygroup/**` (any depth).
    pub projects: Vec<String>,
    /// Ref patterns: `main`, `release/*`.
    pub refs: Vec<String>,
    project_set: GlobSet,
    ref_set: GlobSet,
}

impl PartialEq for Scope {
    fn eq(&self, other: &Self) -> bool {
        (&self.issuer, &self.projects, &self.refs) == (&other.issuer, &other.projects, &other.refs)
    }
}

impl Eq for Scope {}

impl Scope {
    /// A scope from its parts (the globs as in `[scope]`); `Err` names a bad pattern.
    pub fn new(
        issuer: Option<String>,
        projects: Vec<String>,
        refs: Vec<String>,
    ) -> Result<Scope, String> {
        let set = |list: &[String]| -> Result<GlobSet, String> {
            let mut b = GlobSetBuilder::new();
            for p in list {
                b.add(component_glob(p)?);
            }
            b.build().map_err(|e| e.to_string())
        };
        Ok(Scope {
            issuer,
            project_set: set(&projects)?,
            ref_set: set(&refs)?,
            projects,
            refs,
        })
    }

    /// The condition-key prefix of the intended issuer (`gitlab.example.com` for
    /// `https://gitlab.example.com`), as IAM names the provider's keys.
    pub fn issuer_key_prefix(&self) -> Option<&str> {
        self.issuer
            .as_deref()
            .and_then(|i| i.strip_prefix("https://"))
    }

    /// Whether a project path is intended; `None` when no projects are declared.
    pub fn project_intended(&self, project_path: &str) -> Option<bool> {
        (!self.projects.is_empty()).then(|| self.project_set.is_match(project_path))
    }

    /// Whether a ref name is intended; `None` when no refs are declared.
    pub fn ref_intended(&self, ref_name: &str) -> Option<bool> {
        (!self.refs.is_empty()).then(|| self.ref_set.is_match(ref_name))
    }
}

/// An accepted finding: `[[ignore]]`.
#[derive(Debug, Clone)]
pub struct Ignore {
    pub rule: String,
    pub path: String,
    pub pointer: Option<String>,
    pub reason: String,
    matcher: GlobSet,
}

/// A loaded configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub file: PathBuf,
    /// The directory file globs are relative to (absolute, normalised).
    pub base: PathBuf,
    /// Per-rule levels, by rule name.
    pub rules: BTreeMap<String, RuleLevel>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub scope: Option<Scope>,
    pub ignores: Vec<Ignore>,
    include_set: GlobSet,
    exclude_set: GlobSet,
}

// The file as written. `Spanned` keeps positions for error messages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    files: RawFiles,
    scope: Option<RawScope>,
    #[serde(default)]
    ignore: Vec<Spanned<RawIgnore>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFiles {
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    issuer: Option<Spanned<String>>,
    #[serde(default)]
    projects: Vec<Spanned<String>>,
    #[serde(default)]
    refs: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    rule: Spanned<String>,
    path: Spanned<String>,
    pointer: Option<Spanned<String>>,
    reason: Option<String>,
}

impl Config {
    /// Finds the configuration for a lint of `start` (a file or directory): the first
    /// `.oidc-doctor.toml` in its directory or a parent. `Err` is an unreadable or
    /// invalid file.
    pub fn discover(start: &Path) -> Result<Option<Config>, String> {
        let start = absolute(start);
        let dir = if !start.is_dir() {
            start.parent().map(Path::to_path_buf).unwrap_or(start)
        } else {
            start
        };
        for d in dir.ancestors() {
            let candidate = d.join(FILE_NAME);
            // Whatever it is (a FIFO too: read within the time limit), a
            // configuration file that exists is read, never skipped silently.
            if candidate.metadata().is_ok_and(|m| !m.is_dir()) {
                return Config::load(&candidate).map(Some);
            }
        }
        Ok(None)
    }

    /// Reads and validates a configuration file.
    pub fn load(file: &Path) -> Result<Config, String> {
        let what = format!("configuration {}", file.display());
        let bytes = crate::lint::read::read_path(file, crate::lint::MAX_FILE_BYTES)
            .map_err(|e| e.message(&what))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            format!(
                "cannot read {what}: not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            )
        })?;
        Config::parse(&text, file)
    }

    /// Parses configuration text; `file` names it in errors and anchors file globs.
    pub fn parse(text: &str, file: &Path) -> Result<Config, String> {
        let at = |span: std::ops::Range<usize>| {
            format!("{}:{}", file.display(), line_of(text, span.start))
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let place = match e.span() {
                Some(span) => at(span),
                None => file.display().to_string(),
            };
            // toml's messages can span lines; the contract is one line.
            let message = e.message().trim().replace('\n', "; ");
            format!("invalid configuration {place}: {message}")
        })?;

        let mut rules = BTreeMap::new();
        for (name, level) in raw.rules {
            let span = name.span();
            let name = name.into_inner();
            check_rule_name(&name)
                .map_err(|e| format!("invalid configuration {}: [rules] {e}", at(span)))?;
            let level = match level.get_ref().as_str() {
                Some("error") => RuleLevel::Error,
                Some("warning") => RuleLevel::Warning,
                Some("info") => RuleLevel::Info,
                Some("off") => RuleLevel::Off,
                _ => {
                    return Err(format!(
                        "invalid configuration {}: [rules] {name} = {}: the level is \"error\", \"warning\", \"info\" or \"off\"",
                        at(level.span()),
                        level.get_ref()
                    ));
                }
            };
            rules.insert(name, level);
        }

        let globs = |section: &str, list: &[Spanned<String>]| -> Result<GlobSet, String> {
            path_globs(list.iter().map(|g| (g.get_ref().as_str(), g.span())))
                .map_err(|(span, e)| format!("invalid configuration {}: {section}: {e}", at(span)))
        };
        let include_set = globs("[files] include", &raw.files.include)?;
        let exclude_set = globs("[files] exclude", &raw.files.exclude)?;

        let scope = raw.scope.map(|s| scope(s, &at)).transpose()?;

        let mut ignores = Vec::new();
        for (i, entry) in raw.ignore.into_iter().enumerate() {
            let span = entry.span();
            let entry = entry.into_inner();
            let which = format!("[[ignore]] #{} (rule `{}`)", i + 1, entry.rule.get_ref());
            check_rule_name(entry.rule.get_ref()).map_err(|e| {
                format!(
                    "invalid configuration {}: [[ignore]] #{}: {e}",
                    at(entry.rule.span()),
                    i + 1
                )
            })?;
            let reason = entry.reason.unwrap_or_default();
            if reason.trim().is_empty() {
                return Err(format!(
                    "invalid configuration {}: {which} has no `reason`; say why the finding is accepted",
                    at(span)
                ));
            }
            let matcher = path_globs([(entry.path.get_ref().as_str(), entry.path.span())])
                .map_err(|(span, e)| {
                    format!("invalid configuration {}: {which} path: {e}", at(span))
                })?;
            let pointer = match entry.pointer {
                Some(p) if !(p.get_ref().is_empty() || p.get_ref().starts_with('/')) => {
                    return Err(format!(
                        "invalid configuration {}: {which} pointer `{}` is not a JSON pointer (it starts with `/`)",
                        at(p.span()),
                        p.get_ref()
                    ));
                }
                p => p.map(Spanned::into_inner),
            };
            ignores.push(Ignore {
                rule: entry.rule.into_inner(),
                path: entry.path.into_inner(),
                pointer,
                reason,
                matcher,
            });
        }

        let file_abs = normalize(&absolute(file));
        let base = file_abs
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        Ok(Config {
            file: file.to_path_buf(),
            base,
            rules,
            include: raw
                .files
                .include
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            exclude: raw
                .files
                .exclude
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            scope,
            ignores,
            include_set,
            exclude_set,
        })
    }

    /// The path of a file relative to the configuration's directory (with `/`), or
    /// `None` when it lies outside it.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let abs = normalize(&absolute(path));
        let rel = abs.strip_prefix(&self.base).ok()?;
        Some(slash_path(rel))
    }

    /// Whether a file found by a directory walk is linted (`[files]`). Files named on
    /// the command line are always linted.
    pub fn wants_file(&self, path: &Path) -> bool {
        let Some(rel) = self.relative(path) else {
            // Outside the configuration's tree: `[files]` does not speak about it.
            return true;
        };
        let included = self.include.is_empty() || matches_or_ancestor(&self.include_set, &rel);
        included && !matches_or_ancestor(&self.exclude_set, &rel)
    }

    /// Applies `[rules]` and `[[ignore]]`: drops findings of rules set to `off` and
    /// accepted findings, and gives the others their configured severity.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter_map(|f| self.adjust(f))
            .collect()
    }

    /// [`Config::apply`] for one finding: `None` when it is dropped.
    pub fn adjust(&self, mut f: Finding) -> Option<Finding> {
        if let Some(level) = self.rules.get(f.rule) {
            f.severity = level.severity()?;
        }
        (!self.ignores.iter().any(|i| self.ignored_by(i, &f))).then_some(f)
    }

    fn ignored_by(&self, ignore: &Ignore, f: &Finding) -> bool {
        if ignore.rule != f.rule {
            return false;
        }
        let Some(loc) = &f.location else {
            return false;
        };
        let rel = self
            .relative(Path::new(&loc.path))
            .unwrap_or_else(|| slash_path(Path::new(&loc.path)));
        if !matches_or_ancestor(&ignore.matcher, &rel) {
            return false;
        }
        match (&ignore.pointer, &loc.pointer) {
            (None, _) => true,
            (Some(want), Some(have)) => pointer_covers(want, have),
            (Some(_), None) => false,
        }
    }
}

/// `want` names `have` or one of its ancestors (`/Statement/1` covers
/// `/Statement/1/Condition`, not `/Statement/10`).
fn pointer_covers(want: &str, have: &str) -> bool {
    let want = want.trim_end_matches('/');
    want.is_empty()
        || have == want
        || have
            .strip_prefix(want)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn check_rule_name(name: &str) -> Result<(), String> {
    if rules::by_name(name).is_some() {
        return Ok(());
    }
    let nearest = rules::ALL
        .iter()
        .map(|r| (strsim::levenshtein(name, r.name), r.name))
        .min();
    Err(match nearest {
        Some((d, n)) if d <= 3.max(name.len() / 3) => {
            format!("unknown rule `{name}` (did you mean `{n}`?)")
        }
        _ => format!("unknown rule `{name}` (`oidc-doctor rules` lists them)"),
    })
}

fn scope(raw: RawScope, at: &dyn Fn(std::ops::Range<usize>) -> String) -> Result<Scope, String> {
    let issuer = match raw.issuer {
        Some(i) => {
            let url = i.get_ref().trim_end_matches('/');
            let host = url.strip_prefix("https://").unwrap_or("");
            if host.is_empty() || host.contains(['?', '#', ' ']) {
                return Err(format!(
                    "invalid configuration {}: [scope] issuer `{}` is not an https:// URL (AWS accepts only https issuers)",
                    at(i.span()),
                    i.get_ref()
                ));
            }
            Some(url.to_string())
        }
        None => None,
    };
    let set = |key: &str, list: &[Spanned<String>]| -> Result<GlobSet, String> {
        let mut b = GlobSetBuilder::new();
        for p in list {
            let g = component_glob(p.get_ref()).map_err(|e| {
                format!("invalid configuration {}: [scope] {key}: {e}", at(p.span()))
            })?;
            b.add(g);
        }
        b.build()
            .map_err(|e| format!("invalid configuration: [scope] {key}: {e}"))
    };
    Ok(Scope {
        issuer,
        project_set: set("projects", &raw.projects)?,
        ref_set: set("refs", &raw.refs)?,
        projects: raw.projects.into_iter().map(Spanned::into_inner).collect(),
        refs: raw.refs.into_iter().map(Spanned::into_inner).collect(),
    })
}

/// A glob where `*` and `?` stay within one `/`-separated component.
fn component_glob(pattern: &str) -> Result<Glob, String> {
    if pattern.trim().is_empty() {
        return Err("empty pattern".to_string());
    }
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("invalid glob `{pattern}`: {}", e.kind()))
}

/// File globs, gitignore-style: anchored at the configuration's directory when
/// they contain `/`, matching at any depth otherwise.
fn path_globs<'s>(
    patterns: impl IntoIterator<Item = (&'s str, std::ops::Range<usize>)>,
) -> Result<GlobSet, (std::ops::Range<usize>, String)> {
    let mut b = GlobSetBuilder::new();
    for (p, span) in patterns {
        let trimmed = p.trim_start_matches("./").trim_end_matches('/');
        let anchored = match trimmed.strip_prefix('/') {
            Some(rest) => rest.to_string(),
            None if trimmed.contains('/') => trimmed.to_string(),
            None => format!("**/{trimmed}"),
        };
        let g = component_glob(&anchored).map_err(|e| (span.clone(), e.replace(&anchored, p)))?;
        b.add(g);
    }
    b.build().map_err(|e| (0..0, e.to_string()))
}

/// The path or one of its parent directories matches (a directory glob covers its contents).
fn matches_or_ancestor(set: &GlobSet, rel: &str) -> bool {
    if set.is_empty() {
        return false;
    }
    let mut prefix = rel;
    loop {
        if set.is_match(prefix) {
            return true;
        }
        match prefix.rfind('/') {
            Some(i) => prefix = &prefix[..i],
            None => return false,
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The path made absolute against the working directory (symlinks not resolved).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Removes `.` and resolves `..` lexically.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A relative path with `/` separators.
pub fn slash_path(path: &Path) -> String {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("/repo/.oidc-doctor.toml"))
    }

    #[test]
    fn a_full_configuration_parses() {
        let c = parse(
            r#"
[rules]
wrong-action = "warning"
null-with-if-exists = "off"

[files]
include = ["infra"]
exclude = ["infra/legacy/**", "*.example.json"]

[scope]
issuer = "https://gitlab.example.com/"
projects = ["mygroup/app", "mygroup/tools/*"]
refs = ["main", "release/*"]

[[ignore]]
rule = "wrong-action"
path = "infra/old.json"
pointer = "/Statement/1"
reason = "removed next quarter"
"#,
        )
        .unwrap();
        assert_eq!(c.rules["wrong-action"], RuleLevel::Warning);
        assert_eq!(c.base, Path::new("/repo"));
        let s = c.scope.as_ref().unwrap();
        assert_eq!(s.issuer.as_deref(), Some("https://gitlab.example.com"));
        assert_eq!(s.issuer_key_prefix(), Some("gitlab.example.com"));
        assert_eq!(s.project_intended("mygroup/app"), Some(true));
        assert_eq!(s.project_intended("mygroup/tools/ci"), Some(true));
        assert_eq!(s.project_intended("mygroup/tools/ci/deep"), Some(false));
        assert_eq!(s.project_intended("mygroup/app2"), Some(false));
        assert_eq!(s.ref_intended("release/1.2"), Some(true));
        assert_eq!(s.ref_intended("feature/x"), Some(false));

        assert!(c.wants_file(Path::new("/repo/infra/a/trust.json")));
        assert!(!c.wants_file(Path::new("/repo/infra/legacy/a/trust.json")));
        assert!(!c.wants_file(Path::new("/repo/infra/x.example.json")));
        assert!(!c.wants_file(Path::new("/repo/other/trust.json")));
        assert!(
            c.wants_file(Path::new("/elsewhere/trust.json")),
            "outside the tree"
        );
    }

    #[test]
    fn an_empty_configuration_changes_nothing() {
        let c = parse("").unwrap();
        assert!(c.rules.is_empty() && c.scope.is_none() && c.ignores.is_empty());
        assert!(c.wants_file(Path::new("/repo/anything.json")));
    }

    #[test]
    fn pointers_cover_their_descendants_only() {
        assert!(pointer_covers("/Statement/1", "/Statement/1"));
        assert!(pointer_covers("/Statement/1", "/Statement/1/Condition"));
        assert!(pointer_covers("/Statement/1/", "/Statement/1/Condition"));
        assert!(!pointer_covers("/Statement/1", "/Statement/10"));
        assert!(pointer_covers("", "/Statement/10"));
    }

    #[test]
    fn errors_are_one_line_and_name_the_file_line_and_key() {
        let cases = [
            ("[rule]\n", "unknown field `rule`"),
            ("[files]\nincludes = []\n", "unknown field `includes`"),
            (
                "[rules]\nwrng-action = \"off\"\n",
                "did you mean `wrong-action`",
            ),
            (
                "[rules]\nwrong-action = \"warn\"\n",
                "wrong-action = \"warn\": the level is",
            ),
            (
                "[rules]\nwrong-action = 3\n",
                "wrong-action = 3: the level is",
            ),
            ("[files]\nexclude = [\"a[\"]\n", "invalid glob `a[`"),
            (
                "[[ignore]]\nrule = \"wrong-action\"\npath = \"x\"\n",
                "has no `reason`",
            ),
            (
                "[[ignore]]\nrule = \"nope\"\npath = \"x\"\nreason = \"r\"\n",
                "unknown rule `nope`",
            ),
            ("[scope]\nissuer = \"gitlab.com\"\n", "not an https:// URL"),
            ("[scope]\nprojects = [\"\"]\n", "empty pattern"),
            ("not toml =", "invalid configuration"),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(e.contains("/repo/.oidc-doctor.toml"), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{text:?}: {e}");
        }
        let e = parse("\n\n[rules]\nwrng-action = \"off\"\n").unwrap_err();
        assert!(e.contains(".oidc-doctor.toml:4"), "{e}");
    }
}
