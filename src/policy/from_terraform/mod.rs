//! Terraform (HCL) front end: the trust policies and OIDC providers of a `*.tf` file.
//!
//! Parsed with `hcl-edit`, which keeps byte spans for every block, attribute and
//! expression. Each trust policy is rebuilt as the JSON document IAM will see —
//! a [`json::Node`] tree whose spans point into the `.tf` file — and read by the
//! same [`from_node`] as policy JSON, so every rule applies unchanged, findings
//! point at the HCL line and column, and pointers name the IAM element
//! (`/Statement/0/Condition/StringLike/gitlab.com:sub/0`).
//!
//! Read:
//! - `data "aws_iam_policy_document"` with `statement` blocks (`sid`, `effect`,
//!   `actions`, `not_actions`, `resources`, `not_resources`, `principals` /
//!   `not_principals { type identifiers }`, `condition { test variable values }`),
//!   when it is a trust policy: it has `principals`, or a role's
//!   `assume_role_policy` refers to its `.json`;
//! - `resource "aws_iam_role"` `assume_role_policy` given as `jsonencode({…})`, a
//!   heredoc of JSON (with `${…}` inside strings resolved), a JSON string, or a
//!   `local.*` holding one of these; a reference to a policy document is checked
//!   at the document;
//! - `resource "aws_iam_openid_connect_provider"` → [`ProviderDecl`].
//!
//! Values are resolved statically (see [`eval`]); what cannot be known is
//! recorded in [`Policy::unknowns`] and never yields a finding.
//!
//! `*.tf.json` files are rewritten as HCL first and read here too (see
//! [`json_syntax`]); a [`SpanMap`] places the rewritten text's spans in the file.

pub mod eval;
pub mod json_syntax;
pub mod plan;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body};

use self::eval::{Env, HOLE, V};
use super::from_json::from_node;
use super::{JsonType, Located, Policy};
use crate::finding::{Finding, Location};
use crate::json::{self, Member, Node, SourceText, Span, Value, pointer_token};
use crate::lint::{Extracted, ProviderDecl, SourcePolicy};
use crate::rules;

/// Deepest bracket nesting accepted before parsing (the parser recurses).
const MAX_NESTING: usize = 128;

/// Most locals (or parentheses) an `assume_role_policy` is followed through to
/// reach its `jsonencode(…)`, heredoc or JSON string. One or two in practice; past
/// this the role's policy is not checked and an `analysis-limit` finding says so.
pub const MAX_POLICY_INDIRECTION: usize = 8;

/// Values of one file that an evaluation limit (or a reference cycle) left
/// unknown: where the first one is, and how many there are.
#[derive(Default)]
struct Limited {
    first: Option<Location>,
    values: usize,
}

impl Limited {
    fn note(&mut self, at: impl FnOnce() -> Location) {
        self.values += 1;
        if self.first.is_none() {
            self.first = Some(at());
        }
    }

    fn merge(&mut self, other: Limited) {
        self.values += other.values;
        if self.first.is_none() {
            self.first = other.first;
        }
    }

    /// The file's one `analysis-limit` finding, when a limit was reached.
    fn finding(self, env: &Env<'_>, path: &str, source: &SourceText) -> Option<Finding> {
        let hit = env.first_hit()?;
        let at = self
            .first
            .unwrap_or_else(|| Location::from_span(path, source, Span::default(), None));
        let mut unchecked = match self.values {
            0 | 1 => "the value is unknown and was not checked".to_string(),
            n => format!(
                "{n} values of this file are unknown and were not checked (the first is here)"
            ),
        };
        if hit.exhausted {
            unchecked.push_str(", nor was anything evaluated after it");
        }
        let message = if hit.limit == rules::analysis_limit::CYCLE {
            format!(
                "Terraform evaluation stopped at a reference cycle: {}; {unchecked}; everything else in the file was checked",
                hit.detail
            )
        } else {
            rules::analysis_limit::message(
                hit.limit,
                &format!("Terraform evaluation stopped: {}", hit.detail),
                &unchecked,
            )
        };
        Some(
            Finding::new(&rules::ANALYSIS_LIMIT, message)
                .help("no value that large or that deep can be part of a deployable trust policy (IAM accepts at most 8,192 characters); simplify the expression, or lint the plan (`terraform show -json`)")
                .at(at),
        )
    }
}

/// Marks the condition values at or under an unknown place as unknown, looking
/// each value's pointer and its ancestors up in a set (linear in the values).
/// Also sorts [`Policy::unknowns`], as its lookups expect.
pub(crate) fn mark_unknown_values(policy: &mut Policy) {
    if policy.unknowns.is_empty() {
        return;
    }
    crate::policy::sort_unknowns(&mut policy.unknowns);
    let unknown: HashSet<&str> = policy.unknowns.iter().map(|u| u.pointer.as_str()).collect();
    let is_unknown = |p: &str| {
        unknown.contains(p)
            || p.match_indices('/')
                .any(|(i, _)| unknown.contains(p.get(..i).unwrap_or_default()))
    };
    let mut marks = Vec::new();
    for (si, s) in policy.statements.iter().enumerate() {
        for (ci, c) in s.conditions.iter().enumerate() {
            for (vi, v) in c.values.iter().enumerate() {
                if is_unknown(&v.pointer) {
                    marks.push((si, ci, vi));
                }
            }
        }
    }
    for (si, ci, vi) in marks {
        if let Some(v) = policy
            .statements
            .get_mut(si)
            .and_then(|s| s.conditions.get_mut(ci))
            .and_then(|c| c.values.get_mut(vi))
        {
            v.value.json_type = JsonType::Unknown;
        }
    }
}

/// Reads one Terraform file.
pub fn extract(path: &str, source: &SourceText) -> Extracted {
    let text = source.text();
    if let Some(offset) = too_deep(text) {
        return parse_failure(
            path,
            source,
            offset,
            format!("brackets nested more than {MAX_NESTING} levels deep"),
        );
    }
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(b) => b,
        Err(e) => {
            let offset = e.location().offset().min(text.len());
            let message = e.message().trim().replace('\n', "; ");
            return parse_failure(path, source, offset, format!("HCL syntax error: {message}"));
        }
    };
    extract_module(path, source, text, &body, SpanMap::IDENTITY)
}

/// Where the spans of the HCL text a front end parsed lie in the file as
/// written: the file itself for `*.tf`, a byte map for the HCL a `*.tf.json`
/// file is converted to (see [`json_syntax`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpanMap<'m>(Option<&'m [(u32, u32)]>);

impl<'m> SpanMap<'m> {
    pub(crate) const IDENTITY: SpanMap<'static> = SpanMap(None);

    pub(crate) fn new(map: &'m [(u32, u32)]) -> Self {
        SpanMap(Some(map))
    }

    /// The file's span for a span of the parsed text (clamped: spans of a
    /// sibling file's text may reach past this map).
    pub(crate) fn span(&self, s: Span) -> Span {
        let Some(map) = self.0 else {
            return s;
        };
        let Some(last) = map.last() else {
            return Span::default();
        };
        let at = |i: usize| map.get(i).unwrap_or(last);
        let start = at(s.start).0 as usize;
        if s.end <= s.start {
            return Span::new(start, start);
        }
        let end = (at(s.end - 1).1 as usize).max(start);
        Span::new(start, end)
    }

    /// [`SpanMap::span`] for every span of a node.
    fn node(&self, node: &Node) -> Node {
        fn walk(n: &mut Node, m: &SpanMap<'_>) {
            n.span = m.span(n.span);
            match &mut n.value {
                Value::Array(items) => items.iter_mut().for_each(|i| walk(i, m)),
                Value::Object(members) => {
                    for member in members {
                        member.key_span = m.span(member.key_span);
                        walk(&mut member.value, m);
                    }
                }
                _ => {}
            }
        }
        let mut node = node.clone();
        if self.0.is_some() {
            walk(&mut node, self);
        }
        node
    }
}

/// Reads the trust policies and providers of one parsed file of a module.
/// `text` is what `body` was parsed from; `map` places its spans in `source`.
pub(crate) fn extract_module(
    path: &str,
    source: &SourceText,
    text: &str,
    body: &Body,
    map: SpanMap<'_>,
) -> Extracted {
    let module = module_bodies(path);
    let own_name = std::path::Path::new(path).file_name();
    let mut bodies: Vec<&Body> = vec![body];
    bodies.extend(
        module
            .iter()
            .filter(|(name, _)| Some(name.as_os_str()) != own_name)
            .map(|(_, b)| b),
    );
    let env = Env::new(&bodies);
    let mut out = Extracted::default();
    let mut limited = Limited::default();
    // Documents a role of the module uses as its trust policy (in any file).
    let mut referenced: HashSet<&str> = HashSet::new();
    for block in bodies.iter().flat_map(|b| b.blocks()) {
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        if let ("resource", ["aws_iam_role", _]) = (block.ident.value().as_str(), labels.as_slice())
            && let Some(doc) = block
                .body
                .get_attribute("assume_role_policy")
                .and_then(|a| document_reference(&a.value))
        {
            referenced.insert(doc);
        }
    }

    for block in body.blocks() {
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        match (block.ident.value().as_str(), labels.as_slice()) {
            ("resource", ["aws_iam_role", name]) => {
                let Some(attr) = block.body.get_attribute("assume_role_policy") else {
                    continue;
                };
                let resource = format!("aws_iam_role.{name}");
                let mut b = Builder::new(&env, path, source, (text, map), &resource);
                if document_reference(&attr.value).is_some() {
                    continue; // checked at the document
                }
                if let Some(policy) = b.role_policy(&attr.value, 0) {
                    out.policies.push(SourcePolicy {
                        policy,
                        resource: Some(resource.clone()),
                    });
                }
                out.findings.append(&mut b.findings);
                limited.merge(b.limited.into_inner());
            }
            ("resource", ["aws_iam_openid_connect_provider", name]) => {
                let before = env.hits();
                out.providers.push(provider(&env, block, name, map));
                if env.hits() > before {
                    let span = map.span(span_of(block, Span::default()));
                    limited.note(|| {
                        let mut l = Location::from_span(path, source, span, None);
                        l.resource = Some(format!("aws_iam_openid_connect_provider.{name}"));
                        l
                    });
                }
            }
            _ => {}
        }
    }
    for block in body.blocks() {
        let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
        if let ("data", ["aws_iam_policy_document", name]) =
            (block.ident.value().as_str(), labels.as_slice())
        {
            if !referenced.contains(name) && !has_principals(&block.body) {
                continue; // a permissions policy, not a trust policy
            }
            let resource = format!("data.aws_iam_policy_document.{name}");
            let mut b = Builder::new(&env, path, source, (text, map), &resource);
            let node = b.document(block);
            if let Some(policy) = b.finish(&node) {
                out.policies.push(SourcePolicy {
                    policy,
                    resource: Some(resource.clone()),
                });
            }
            out.findings.append(&mut b.findings);
            limited.merge(b.limited.into_inner());
        }
    }
    out.findings.extend(limited.finding(&env, path, source));
    out
}

/// Most sibling files read for a module's variables, locals and providers.
const MAX_SIBLINGS: usize = 64;
/// Largest sibling file read.
const MAX_SIBLING_BYTES: u64 = 1 << 20;

/// The parsed `*.tf` and `*.tf.json` files of a module directory, by file name.
type ModuleBodies = std::rc::Rc<Vec<(std::ffi::OsString, Body)>>;

thread_local! {
    /// Each module directory is read and parsed once per run, not once per file of
    /// it: a directory of n files would otherwise parse up to 64 siblings n times.
    /// Keyed by the directory and its modification time, so a file added or removed
    /// since is seen.
    static MODULES: std::cell::RefCell<
        std::collections::HashMap<(std::path::PathBuf, Option<std::time::SystemTime>), ModuleBodies>,
    > = std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The `*.tf` and `*.tf.json` files of the file's directory (the file itself included;
/// the caller skips it): a Terraform module is the whole directory, so `var.*`,
/// `local.*` and providers may be declared there. At most [`MAX_SIBLINGS`] files of
/// [`MAX_SIBLING_BYTES`], in name order; files that cannot be read or parsed are left
/// out (they get their own `parse-error` when linted).
fn module_bodies(path: &str) -> ModuleBodies {
    let path = std::path::Path::new(path);
    let Some(dir) = path.parent() else {
        return ModuleBodies::default();
    };
    let dir = if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    };
    let key = (
        dir.to_path_buf(),
        std::fs::metadata(dir).and_then(|m| m.modified()).ok(),
    );
    if let Some(hit) = MODULES.with(|m| m.borrow().get(&key).cloned()) {
        return hit;
    }
    let bodies = ModuleBodies::new(read_module(dir));
    MODULES.with(|m| m.borrow_mut().insert(key, bodies.clone()));
    bodies
}

fn read_module(dir: &std::path::Path) -> Vec<(std::ffi::OsString, Body)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                crate::lint::kind_by_name(p),
                crate::lint::NameKind::Terraform | crate::lint::NameKind::TerraformJson
            ) && std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() <= MAX_SIBLING_BYTES)
        })
        .collect();
    files.sort();
    files.truncate(MAX_SIBLINGS);
    files
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            let body = if crate::lint::kind_by_name(p) == crate::lint::NameKind::TerraformJson {
                json_syntax::declarations(&text)?
            } else {
                too_deep(&text).is_none().then_some(())?;
                hcl_edit::parser::parse_body(&text).ok()?
            };
            Some((p.file_name()?.to_os_string(), body))
        })
        .collect()
}

fn parse_failure(path: &str, source: &SourceText, offset: usize, message: String) -> Extracted {
    // The parser's offset may fall inside a multi-byte character.
    let text = source.text();
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let end = text[offset..]
        .chars()
        .next()
        .map_or(offset, |c| offset + c.len_utf8());
    Extracted {
        findings: vec![
            Finding::new(&rules::PARSE_ERROR, message).at(Location::from_span(
                path,
                source,
                Span::new(offset, end),
                None,
            )),
        ],
        ..Extracted::default()
    }
}

/// The offset where bracket nesting first exceeds [`MAX_NESTING`], if it does.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// `data.aws_iam_policy_document.NAME.json` → `NAME`.
fn document_reference(expr: &Expression) -> Option<&str> {
    let Expression::Traversal(t) = expr else {
        return None;
    };
    let Expression::Variable(root) = &t.expr else {
        return None;
    };
    let names: Vec<&str> = t
        .operators
        .iter()
        .map(|o| match o.value() {
            hcl_edit::expr::TraversalOperator::GetAttr(a) => Some(a.value().as_str()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    match (root.value().as_str(), names.as_slice()) {
        ("data", ["aws_iam_policy_document", name, "json" | "minified_json"]) => Some(name),
        _ => None,
    }
}

fn has_principals(body: &Body) -> bool {
    body.get_blocks("statement")
        .any(|s| s.body.has_blocks("principals") || s.body.has_blocks("not_principals"))
        || body.blocks().any(|b| {
            b.ident.value().as_str() == "dynamic"
                && b.labels.first().is_some_and(|l| l.as_str() == "statement")
        })
}

fn span_of(x: &impl hcl_edit::Span, fallback: Span) -> Span {
    x.span().map_or(fallback, |r| Span::new(r.start, r.end))
}

/// `aws_iam_openid_connect_provider` → its URL, client IDs and thumbprints.
fn provider(env: &Env<'_>, block: &Block, name: &str, map: SpanMap<'_>) -> ProviderDecl {
    let span = span_of(block, Span::default());
    let url = block.body.get_attribute("url").and_then(|a| {
        let s = map.span(span_of(&a.value, span));
        env.eval(&a.value)
            .known_str()
            .map(|u| Located::new(u.to_string(), s, ""))
    });
    let list = |attr: &str| -> (Vec<Located<String>>, bool) {
        let Some(a) = block.body.get_attribute(attr) else {
            return (Vec::new(), attr != "client_id_list");
        };
        let mut out = Vec::new();
        let mut complete = true;
        match &a.value {
            Expression::Array(items) => {
                for item in items.iter() {
                    match env.eval(item).known_str() {
                        Some(v) => {
                            let s = map.span(span_of(item, span));
                            out.push(Located::new(v.to_string(), s, ""));
                        }
                        None => complete = false,
                    }
                }
            }
            other => match env.eval(other) {
                V::List(items) => {
                    let s = map.span(span_of(other, span));
                    for v in items {
                        match v.known_str() {
                            Some(v) => out.push(Located::new(v.to_string(), s, "")),
                            None => complete = false,
                        }
                    }
                }
                _ => complete = false,
            },
        }
        (out, complete)
    };
    let (client_ids, client_ids_complete) = list("client_id_list");
    let (thumbprints, _) = list("thumbprint_list");
    ProviderDecl {
        resource: format!("aws_iam_openid_connect_provider.{name}"),
        span: map.span(span),
        url,
        client_ids,
        client_ids_complete,
        thumbprints,
    }
}

/// Builds the JSON document of one policy, recording unknown values and the
/// Terraform-specific findings on the way.
struct Builder<'e, 'a> {
    env: &'e Env<'a>,
    path: &'e str,
    source: &'e SourceText,
    /// The text spans refer to (the HCL a `*.tf.json` file was converted to).
    text: &'e str,
    map: SpanMap<'e>,
    resource: &'e str,
    unknowns: Vec<Located<String>>,
    /// Spans of [`Builder::unknowns`], to look them up in constant time.
    unknown_spans: HashSet<Span>,
    /// Locals `assume_role_policy` went through (a cycle is named, not followed).
    via: HashSet<String>,
    findings: Vec<Finding>,
    /// Values an evaluation limit left unknown: where the first is, how many.
    limited: RefCell<Limited>,
}

impl<'e, 'a> Builder<'e, 'a> {
    fn new(
        env: &'e Env<'a>,
        path: &'e str,
        source: &'e SourceText,
        (text, map): (&'e str, SpanMap<'e>),
        resource: &'e str,
    ) -> Self {
        Builder {
            env,
            path,
            source,
            text,
            map,
            resource,
            unknowns: Vec::new(),
            unknown_spans: HashSet::new(),
            via: HashSet::new(),
            findings: Vec::new(),
            limited: RefCell::new(Limited::default()),
        }
    }

    /// [`Env::eval`], noting where a value was left unknown by a limit.
    fn eval(&self, expr: &Expression, span: Span, pointer: Option<&str>) -> V {
        let before = self.env.hits();
        let v = self.env.eval(expr);
        if self.env.hits() > before {
            self.limited
                .borrow_mut()
                .note(|| self.location_opt(span, pointer));
        }
        v
    }

    fn text(&self, span: Span) -> String {
        self.text
            .get(span.start..span.end)
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    fn unknown(&mut self, span: Span, pointer: &str) -> Node {
        let text = self.text(span);
        self.unknown_spans.insert(span);
        self.unknowns
            .push(Located::new(text.clone(), span, pointer.to_string()));
        Node {
            value: Value::String(text),
            span,
        }
    }

    fn location(&self, span: Span, pointer: &str) -> Location {
        self.location_opt(span, Some(pointer))
    }

    fn location_opt(&self, span: Span, pointer: Option<&str>) -> Location {
        let span = self.map.span(span);
        let mut l = Location::from_span(self.path, self.source, span, pointer);
        l.resource = Some(self.resource.to_string());
        l
    }

    /// The policy model of a finished document, with unknown condition values
    /// marked as such.
    fn finish(&mut self, node: &Node) -> Option<Policy> {
        let mut policy = from_node(&self.map.node(node)).ok()?;
        let map = self.map;
        policy.unknowns = std::mem::take(&mut self.unknowns);
        for u in &mut policy.unknowns {
            u.span = map.span(u.span);
        }
        mark_unknown_values(&mut policy);
        Some(policy)
    }

    // ---- aws_iam_role.assume_role_policy ------------------------------------

    fn role_policy(&mut self, expr: &Expression, depth: usize) -> Option<Policy> {
        if depth > MAX_POLICY_INDIRECTION {
            let span = span_of(expr, Span::default());
            self.env.note(
                "MAX_POLICY_INDIRECTION",
                format!(
                    "`assume_role_policy` goes through more than {MAX_POLICY_INDIRECTION} locals or parentheses before its document"
                ),
            );
            self.limited
                .borrow_mut()
                .note(|| self.location_opt(span, None));
            return None;
        }
        match expr {
            Expression::FuncCall(f)
                if f.name.namespace.is_empty()
                    && f.name.name.value().as_str() == "jsonencode"
                    && f.args.len() == 1 =>
            {
                let arg = f.args.iter().next()?;
                let node = self.value_node(arg, "");
                if !matches!(node.value, Value::Object(_)) {
                    return None;
                }
                self.finish(&node)
            }
            Expression::HeredocTemplate(h) => {
                let span = span_of(&**h, Span::default());
                self.heredoc_policy(span)
            }
            Expression::String(s) => {
                let span = span_of(s, Span::default());
                let root = json::parse(s.value()).ok()?;
                let node = respan(root, span);
                self.finish(&node)
            }
            Expression::Traversal(t) => {
                // `local.trust` holding a jsonencode/heredoc: checked where written.
                let Expression::Variable(root) = &t.expr else {
                    return None;
                };
                if root.value().as_str() != "local" || t.operators.len() != 1 {
                    return None;
                }
                let hcl_edit::expr::TraversalOperator::GetAttr(name) = t.operators[0].value()
                else {
                    return None;
                };
                let name = name.value().as_str();
                let e = self.env.locals.get(name)?;
                if !self.via.insert(name.to_string()) {
                    let span = span_of(expr, Span::default());
                    self.env.note(
                        crate::rules::analysis_limit::CYCLE,
                        format!(
                            "`assume_role_policy` refers to `local.{name}`, which leads back to itself; Terraform rejects such a configuration (\"Cycle: …\")"
                        ),
                    );
                    self.limited
                        .borrow_mut()
                        .note(|| self.location_opt(span, None));
                    return None;
                }
                self.role_policy(e, depth + 1)
            }
            Expression::Parenthesis(p) => self.role_policy(p.inner(), depth + 1),
            _ => None,
        }
    }

    /// A heredoc holding policy JSON: the raw text between the heredoc's first
    /// and last line is parsed as JSON in place (so spans are exact); `${…}`
    /// inside JSON strings are then evaluated.
    fn heredoc_policy(&mut self, span: Span) -> Option<Policy> {
        let text = self.text.get(span.start..span.end)?;
        let body_start = text.find('\n')? + 1;
        let body_end = text.rfind('\n')?;
        if body_end < body_start {
            return None;
        }
        let raw = &text[body_start..body_end];
        let base = span.start + body_start;
        match json::parse(raw) {
            Ok(root) => {
                let mut node = shift(root, base);
                self.resolve_templates(&mut node, "");
                self.finish(&node)
            }
            // Interpolations or directives outside strings: not knowable.
            Err(_) if raw.contains("${") || raw.contains("%{") => None,
            Err(e) => {
                let start = base + e.offset;
                self.findings.push(
                    Finding::new(&rules::INVALID_POLICY_JSON, e.message)
                        .at(self.location(Span::new(start, start + e.len.max(1)), "")),
                );
                None
            }
        }
    }

    fn resolve_templates(&mut self, node: &mut Node, pointer: &str) {
        match &mut node.value {
            Value::String(s) if s.contains("${") || s.contains("%{") => {
                // Escapes (`\u0024\u007b`) can build nesting the file-level guard
                // did not see: check the decoded text too.
                let v = (too_deep(s).is_none())
                    .then(|| hcl_edit::parser::parse_template(s).ok())
                    .flatten()
                    .map(|t| {
                        let e = Expression::StringTemplate(t.into_iter().collect());
                        self.eval(&e, node.span, Some(pointer))
                    })
                    .unwrap_or(V::Unknown);
                match resolved_text(&v) {
                    Some(text) => *s = text,
                    None => {
                        let span = node.span;
                        *node = self.unknown(span, pointer);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.resolve_templates(item, &format!("{pointer}/{i}"));
                }
            }
            Value::Object(members) => {
                for m in members.iter_mut() {
                    let p = format!("{pointer}/{}", pointer_token(&m.key));
                    self.resolve_templates(&mut m.value, &p);
                }
            }
            _ => {}
        }
    }

    // ---- expressions → JSON nodes -------------------------------------------

    /// The JSON a value expression stands for, with spans of the expressions as
    /// written (literal arrays and objects keep their elements' own spans).
    fn value_node(&mut self, expr: &Expression, pointer: &str) -> Node {
        let span = span_of(expr, Span::default());
        match expr {
            Expression::Array(items) => Node {
                value: Value::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, e)| self.value_node(e, &format!("{pointer}/{i}")))
                        .collect(),
                ),
                span,
            },
            Expression::Object(o) => {
                let mut members = Vec::new();
                for (k, v) in o.iter() {
                    let key_span = span_of(k, span);
                    let (key, known) = match k {
                        ObjectKey::Ident(i) => (i.value().as_str().to_string(), true),
                        ObjectKey::Expression(e) => {
                            match resolved_text(&self.eval(e, key_span, Some(pointer))) {
                                Some(s) => (s, true),
                                None => (self.text(key_span), false),
                            }
                        }
                    };
                    let p = format!("{pointer}/{}", pointer_token(&key));
                    let value = if known {
                        self.value_node(v.expr(), &p)
                    } else {
                        self.unknown(span_of(v.expr(), key_span), &p)
                    };
                    members.push(Member {
                        key,
                        key_span,
                        value,
                    });
                }
                Node {
                    value: Value::Object(members),
                    span,
                }
            }
            Expression::Parenthesis(p) => self.value_node(p.inner(), pointer),
            other => {
                let v = self.eval(other, span, Some(pointer));
                self.node_of(v, span, pointer)
            }
        }
    }

    fn node_of(&mut self, v: V, span: Span, pointer: &str) -> Node {
        let value = match v {
            V::Null => Value::Null,
            V::Bool(b) => Value::Bool(b),
            V::Num(n) => Value::Number(n),
            V::Str(_) => match resolved_text(&v) {
                Some(s) => Value::String(s),
                None => return self.unknown(span, pointer),
            },
            V::List(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| self.node_of(v, span, &format!("{pointer}/{i}")))
                    .collect(),
            ),
            V::Obj(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| {
                        let p = format!("{pointer}/{}", pointer_token(&k));
                        Member {
                            value: self.node_of(v, span, &p),
                            key: k,
                            key_span: span,
                        }
                    })
                    .collect(),
            ),
            V::Unknown => return self.unknown(span, pointer),
        };
        Node { value, span }
    }

    /// A string argument (`effect`, `sid`, `test`, `variable`, `type`): its text,
    /// or `None` when unknown (recorded at `pointer`).
    fn string_arg(&self, expr: &Expression) -> Option<String> {
        resolved_text(&self.eval(expr, span_of(expr, Span::default()), None))
    }

    /// A list argument (`actions`, `values`, …). A scalar where a list is
    /// expected is a `terraform-wrong-type` finding, then read as one element.
    /// `merged_at`: the list is merged with other blocks' lists into the one at
    /// `pointer`, starting at this index.
    fn list_arg(
        &mut self,
        body: &Body,
        name: &str,
        pointer: &str,
        merged_at: Option<usize>,
    ) -> Option<Node> {
        let attr = body.get_attribute(name)?;
        let node = match (merged_at, &attr.value) {
            (None, e) => self.value_node(e, pointer),
            (Some(at), Expression::Array(items)) => Node {
                value: Value::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, e)| self.value_node(e, &format!("{pointer}/{}", at + i)))
                        .collect(),
                ),
                span: span_of(&attr.value, Span::default()),
            },
            (Some(at), e) => self.value_node(e, &format!("{pointer}/{at}")),
        };
        let scalar = matches!(
            node.value,
            Value::String(_) | Value::Number(_) | Value::Bool(_)
        );
        if scalar && !self.unknown_spans.contains(&node.span) {
            let at = match merged_at {
                Some(at) => format!("{pointer}/{at}"),
                None => pointer.to_string(),
            };
            self.findings.push(
                Finding::new(
                    &rules::TERRAFORM_WRONG_TYPE,
                    format!(
                        "`{name}` must be a list of strings, not a single value: `terraform plan` fails with \"Inappropriate value for attribute {name}: list of string required\""
                    ),
                )
                .help(format!("write `{name} = [{}]`", self.text(node.span)))
                .at(self.location(node.span, &at)),
            );
        }
        Some(node)
    }

    // ---- data "aws_iam_policy_document" -------------------------------------

    fn document(&mut self, block: &Block) -> Node {
        let span = span_of(block, Span::default());
        let ident = span_of(&block.ident, span);
        let mut members = Vec::new();
        let body = &block.body;
        match body.get_attribute("version") {
            Some(a) => {
                let v = self.value_node(&a.value, "/Version");
                members.push(member("Version", span_of(&a.key, ident), v));
            }
            // The data source writes this Version when none is given.
            None => members.push(member(
                "Version",
                ident,
                Node {
                    value: Value::String("2012-10-17".into()),
                    span: ident,
                },
            )),
        }
        if let Some(a) = body.get_attribute("policy_id") {
            let v = self.value_node(&a.value, "/Id");
            members.push(member("Id", span_of(&a.key, ident), v));
        }
        let mut statements = Vec::new();
        let mut partial = false;
        for s in body.blocks() {
            match s.ident.value().as_str() {
                "statement" => {
                    let i = statements.len();
                    statements.push(self.statement(s, &format!("/Statement/{i}")));
                }
                "dynamic" => partial = true,
                _ => {}
            }
        }
        let merged = [
            "source_policy_documents",
            "override_policy_documents",
            "source_json",
            "override_json",
        ]
        .iter()
        .any(|a| body.has_attribute(a));
        let statement_node = Node {
            value: Value::Array(statements),
            span,
        };
        members.push(member("Statement", ident, statement_node));
        if partial || merged {
            // Statements come from elsewhere too: what this block says is not the
            // whole document.
            self.unknowns.push(Located::new(
                "dynamic or merged statements".to_string(),
                span,
                "/Statement",
            ));
        }
        Node {
            value: Value::Object(members),
            span,
        }
    }

    fn statement(&mut self, block: &Block, pointer: &str) -> Node {
        let span = span_of(block, Span::default());
        let ident = span_of(&block.ident, span);
        let body = &block.body;
        let mut members = Vec::new();
        let scalar = |this: &mut Self, name: &str, element: &str, members: &mut Vec<Member>| {
            if let Some(a) = body.get_attribute(name) {
                let p = format!("{pointer}/{element}");
                let v = this.value_node(&a.value, &p);
                members.push(member(element, span_of(&a.key, ident), v));
            }
        };
        scalar(self, "sid", "Sid", &mut members);
        if body.has_attribute("effect") {
            scalar(self, "effect", "Effect", &mut members);
        } else {
            members.push(member(
                "Effect",
                ident,
                Node {
                    value: Value::String("Allow".into()),
                    span: ident,
                },
            ));
        }
        for (name, element) in [
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ] {
            let p = format!("{pointer}/{element}");
            if let Some(v) = self.list_arg(body, name, &p, None) {
                let key_span = body
                    .get_attribute(name)
                    .map_or(ident, |a| span_of(&a.key, ident));
                members.push(member(element, key_span, v));
            }
        }
        for (name, element) in [
            ("principals", "Principal"),
            ("not_principals", "NotPrincipal"),
        ] {
            let blocks: Vec<&Block> = body.get_blocks(name).collect();
            if blocks.is_empty() {
                continue;
            }
            let p = format!("{pointer}/{element}");
            let key_span = span_of(&blocks[0].ident, ident);
            let v = self.principals(&blocks, &p, span_of(blocks[0], ident));
            members.push(member(element, key_span, v));
        }
        let conditions: Vec<&Block> = body.get_blocks("condition").collect();
        let dynamic_inside = body.blocks().any(|b| b.ident.value().as_str() == "dynamic");
        if !conditions.is_empty() {
            let p = format!("{pointer}/Condition");
            let key_span = span_of(&conditions[0].ident, ident);
            let v = self.conditions(&conditions, &p, span_of(conditions[0], ident));
            members.push(member("Condition", key_span, v));
        }
        if dynamic_inside {
            self.unknowns.push(Located::new(
                "dynamic block".to_string(),
                span,
                pointer.to_string(),
            ));
        }
        Node {
            value: Value::Object(members),
            span,
        }
    }

    /// `principals { type identifiers }` blocks → `{"Federated": [...], …}`
    /// (blocks of the same type merged, as the data source does; type `*` with
    /// identifiers `["*"]` is `"*"`).
    fn principals(&mut self, blocks: &[&Block], pointer: &str, span: Span) -> Node {
        let mut groups: Vec<(String, Span, bool, Vec<Node>)> = Vec::new();
        let types: Vec<Option<String>> = blocks
            .iter()
            .map(|b| {
                b.body
                    .get_attribute("type")
                    .and_then(|a| self.string_arg(&a.value))
            })
            .collect();
        let mut type_count: HashMap<&Option<String>, usize> = HashMap::new();
        for t in &types {
            *type_count.entry(t).or_default() += 1;
        }
        let mut group_at: HashMap<String, usize> = HashMap::new();
        let mut group_items: Vec<usize> = Vec::new();
        for (n, b) in blocks.iter().enumerate() {
            let single = types.get(n).and_then(|t| type_count.get(t)) == Some(&1);
            let bspan = span_of(*b, span);
            let type_attr = b.body.get_attribute("type");
            let type_span = type_attr.map_or(bspan, |a| span_of(&a.value, bspan));
            let (kind, known) = match type_attr.and_then(|a| self.string_arg(&a.value)) {
                Some(k) => (k, true),
                None => (self.text(type_span), false),
            };
            if kind == "*" {
                return Node {
                    value: Value::String("*".into()),
                    span: type_span,
                };
            }
            let p = format!("{pointer}/{}", pointer_token(&kind));
            let idx = match group_at.get(&kind) {
                Some(&i) => i,
                None => {
                    group_at.insert(kind.clone(), groups.len());
                    groups.push((kind.clone(), type_span, known, Vec::new()));
                    groups.len() - 1
                }
            };
            // Items merged into each group so far (counted as they come, not
            // recounted per block).
            if group_items.len() < groups.len() {
                group_items.resize(groups.len(), 0);
            }
            if !known {
                let n = self.unknown(type_span, &p);
                group_items[idx] += item_count(std::slice::from_ref(&n));
                groups[idx].3.push(n);
                continue;
            }
            let merged_at = (!single).then(|| group_items[idx]);
            if let Some(v) = self.list_arg(&b.body, "identifiers", &p, merged_at) {
                group_items[idx] += item_count(std::slice::from_ref(&v));
                groups[idx].3.push(v);
            }
        }
        let members = groups
            .into_iter()
            .map(|(kind, key_span, _, nodes)| {
                let value = flatten(nodes, key_span);
                Member {
                    key: kind,
                    key_span,
                    value,
                }
            })
            .collect();
        Node {
            value: Value::Object(members),
            span,
        }
    }

    /// `condition { test variable values }` blocks → `{"test": {"variable": values}}`.
    fn conditions(&mut self, blocks: &[&Block], pointer: &str, span: Span) -> Node {
        // test → (span, [(variable, span, values)])
        type Keys = Vec<(String, Span, Vec<Node>)>;
        let mut ops: Vec<(String, Span, Keys)> = Vec::new();
        // How many blocks share each test and variable (their values merge).
        let names: Vec<(Option<String>, Option<String>)> = blocks
            .iter()
            .map(|b| {
                let get = |n: &str| {
                    b.body
                        .get_attribute(n)
                        .and_then(|a| self.string_arg(&a.value))
                };
                (get("test"), get("variable"))
            })
            .collect();
        let mut name_count: HashMap<&(Option<String>, Option<String>), usize> = HashMap::new();
        for n in &names {
            *name_count.entry(n).or_default() += 1;
        }
        let mut op_at: HashMap<String, usize> = HashMap::new();
        let mut key_at: HashMap<(usize, String), usize> = HashMap::new();
        // Values merged under each (test, variable) so far.
        let mut key_items: HashMap<(usize, usize), usize> = HashMap::new();
        for (n, b) in blocks.iter().enumerate() {
            let single = names[n].0.is_none()
                || names[n].1.is_none()
                || name_count.get(&names[n]) == Some(&1);
            let bspan = span_of(*b, span);
            let test = b.body.get_attribute("test");
            let var = b.body.get_attribute("variable");
            let test_span = test.map_or(bspan, |a| span_of(&a.value, bspan));
            let var_span = var.map_or(bspan, |a| span_of(&a.value, bspan));
            let test_text = test.and_then(|a| self.string_arg(&a.value));
            let var_text = var.and_then(|a| self.string_arg(&a.value));
            let op_name = test_text.clone().unwrap_or_else(|| self.text(test_span));
            let key_name = var_text.clone().unwrap_or_else(|| self.text(var_span));
            let op_ptr = format!("{pointer}/{}", pointer_token(&op_name));
            let key_ptr = format!("{op_ptr}/{}", pointer_token(&key_name));
            if test_text.is_none() {
                self.unknowns
                    .push(Located::new(op_name.clone(), test_span, op_ptr.clone()));
            } else if var_text.is_none() {
                self.unknowns
                    .push(Located::new(key_name.clone(), var_span, key_ptr.clone()));
            }
            let oi = match op_at.get(&op_name) {
                Some(&i) => i,
                None => {
                    op_at.insert(op_name.clone(), ops.len());
                    ops.push((op_name.clone(), test_span, Vec::new()));
                    ops.len() - 1
                }
            };
            let ki = match key_at.get(&(oi, key_name.clone())) {
                Some(&i) => i,
                None => {
                    key_at.insert((oi, key_name.clone()), ops[oi].2.len());
                    ops[oi].2.push((key_name.clone(), var_span, Vec::new()));
                    ops[oi].2.len() - 1
                }
            };
            let merged = key_items.entry((oi, ki)).or_default();
            let merged_at = (!single).then_some(*merged);
            if let Some(v) = self.list_arg(&b.body, "values", &key_ptr, merged_at) {
                if let Some(m) = key_items.get_mut(&(oi, ki)) {
                    *m += item_count(std::slice::from_ref(&v));
                }
                ops[oi].2[ki].2.push(v);
            }
        }
        let members = ops
            .into_iter()
            .map(|(op, op_span, keys)| {
                let inner = keys
                    .into_iter()
                    .map(|(key, key_span, nodes)| Member {
                        key,
                        key_span,
                        value: flatten(nodes, key_span),
                    })
                    .collect();
                Member {
                    key: op,
                    key_span: op_span,
                    value: Node {
                        value: Value::Object(inner),
                        span: op_span,
                    },
                }
            })
            .collect();
        Node {
            value: Value::Object(members),
            span,
        }
    }
}

/// Several blocks' lists merged into one (pointers then index the merged list:
/// only exact when each block contributed one value, which is the usual case).
fn flatten(nodes: Vec<Node>, span: Span) -> Node {
    if nodes.len() == 1 {
        if let Some(n) = nodes.into_iter().next() {
            return n;
        }
        return Node {
            value: Value::Array(Vec::new()),
            span,
        };
    }
    let mut items = Vec::new();
    for n in nodes {
        match n.value {
            Value::Array(inner) => items.extend(inner),
            other => items.push(Node {
                value: other,
                span: n.span,
            }),
        }
    }
    Node {
        value: Value::Array(items),
        span,
    }
}

/// How many list items merged nodes hold so far.
fn item_count(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match &n.value {
            Value::Array(items) => items.len(),
            _ => 1,
        })
        .sum()
}

fn member(key: &str, key_span: Span, value: Node) -> Member {
    Member {
        key: key.to_string(),
        key_span,
        value,
    }
}

/// The text of a value known completely, or (for an OIDC provider ARN whose only
/// unknown part is the account) the ARN with a placeholder account: the account
/// does not matter to any policy rule, the provider does.
fn resolved_text(v: &V) -> Option<String> {
    let text = v.as_text()?;
    if !text.contains(HOLE) {
        return Some(text);
    }
    let (head, rest) = text.split_once(HOLE)?;
    if !rest.contains(HOLE)
        && head.starts_with("arn:")
        && head.ends_with(":iam::")
        && !head.contains(HOLE)
        && rest.starts_with(":oidc-provider/")
    {
        return Some(format!("{head}{}{rest}", crate::policy::DEPLOYING_ACCOUNT));
    }
    None
}

/// Moves every span of a parsed node by `base` bytes.
fn shift(mut node: Node, base: usize) -> Node {
    fn walk(n: &mut Node, base: usize) {
        n.span = Span::new(n.span.start + base, n.span.end + base);
        match &mut n.value {
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, base)),
            Value::Object(members) => {
                for m in members {
                    m.key_span = Span::new(m.key_span.start + base, m.key_span.end + base);
                    walk(&mut m.value, base);
                }
            }
            _ => {}
        }
    }
    walk(&mut node, base);
    node
}

/// Gives every span of a node the same place (JSON held in a string).
pub(crate) fn respan(mut node: Node, span: Span) -> Node {
    fn walk(n: &mut Node, span: Span) {
        n.span = span;
        match &mut n.value {
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, span)),
            Value::Object(members) => {
                for m in members {
                    m.key_span = span;
                    walk(&mut m.value, span);
                }
            }
            _ => {}
        }
    }
    walk(&mut node, span);
    node
}

#[cfg(test)]
mod tests;
