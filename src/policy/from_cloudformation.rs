//! CloudFormation (JSON or YAML, and CDK output, which is CloudFormation JSON):
//! the trust policies of `AWS::IAM::Role` resources and the
//! `AWS::IAM::OIDCProvider` declarations.
//!
//! A template is read into the span-keeping tree of [`crate::json`] (YAML short
//! forms such as `!Sub` become their `Fn::Sub` long forms, with the tag's span).
//! Each `AssumeRolePolicyDocument` is then evaluated as far as it can be statically:
//! `Ref`/`Fn::Sub`/`Fn::Join`/`Fn::Select`/`Fn::Split`/`Fn::FindInMap` over
//! literals, parameter defaults and pseudo parameters (`AWS::Partition` is taken
//! as `aws`, `AWS::AccountId` as [`super::DEPLOYING_ACCOUNT`], so an ARN built
//! from them can still be judged; `AWS::URLSuffix` is `amazonaws.com`), and a
//! `Ref`/`Fn::GetAtt … Arn` of an `AWS::IAM::OIDCProvider` of the same template
//! becomes that provider's ARN. Anything else (`Fn::ImportValue`, a parameter
//! without default, `Fn::If`, other resources' attributes) is unknown: the policy
//! records it in [`Policy::unknowns`] and no rule reports on it. Evaluated values
//! keep the span of the expression that produced them; JSON pointers address the
//! policy as IAM sees it.
//!
//! Evaluation is bounded: each parameter default is evaluated once (a `Ref` chain
//! that leads back to itself is named as a cycle), and every string built, the
//! nesting of intrinsics and the total work per template are capped by the named
//! limits below. Past a cap the value is unknown (never truncated) and the
//! template gets one `analysis-limit` finding naming the limit.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::from_json::from_node;
use super::{Located, Policy};
use crate::finding::{Finding, Location};
use crate::json::{self, Member, Node, SourceText, Span, Value, pointer_token};
use crate::lint::source::{Extracted, ProviderDecl, SourcePolicy};
use crate::rules;
use crate::rules::analysis_limit::{CYCLE, Hit, thousands};

/// The account used for `AWS::AccountId`: the stack's own account.
pub const EXAMPLE_ACCOUNT: &str = super::DEPLOYING_ACCOUNT;
/// Deepest chain of intrinsic functions evaluated (an intrinsic inside an
/// intrinsic, a `Ref` to a parameter counted one each). Templates nest two or
/// three; the YAML and JSON readers cap nesting at 128 before this.
pub const MAX_EVAL_DEPTH: usize = 32;

/// Largest string one intrinsic may produce (`Fn::Sub`, `Fn::Join`, a parameter
/// default). IAM accepts at most 8,192 characters for a whole trust policy, so
/// 1 MiB — 128 times that — never cuts a value a deployable policy can hold, while
/// `!Sub` repeating a 100 KB default thousands of times stops at once.
pub const MAX_VALUE_BYTES: usize = 1 << 20;

/// Bytes all intrinsic evaluation of one template may produce, copies of
/// literals and parameter defaults included: four times the 4 MiB input cap, so
/// memory stays a small multiple of the input whatever the intrinsics do.
pub const MAX_EVAL_BYTES: usize = 16 << 20;

/// Intrinsic calls evaluated for one template. A template at the 4 MiB input cap
/// holds far fewer, and each parameter default is evaluated once.
pub const MAX_EVAL_STEPS: usize = 1_000_000;

/// Whether a text looks like a CloudFormation template: it names
/// `AWSTemplateFormatVersion`, or has a top-level `Resources` section with
/// `AWS::` resource types.
pub fn looks_like_cloudformation(text: &str) -> bool {
    if text.contains("AWSTemplateFormatVersion") {
        return true;
    }
    let has_resources = text.contains("\"Resources\"")
        || text
            .lines()
            .any(|l| l.starts_with("Resources:") || l.starts_with("\"Resources\":"));
    has_resources && text.contains("AWS::")
}

/// The YAML short-form tags of CloudFormation, as the long form's key.
pub fn cfn_tag(tag: &str) -> Option<String> {
    let name = tag.strip_prefix('!')?;
    match name {
        "Ref" | "Condition" => Some(name.to_string()),
        "Sub" | "GetAtt" | "Join" | "Select" | "Split" | "FindInMap" | "ImportValue" | "If"
        | "Equals" | "Not" | "And" | "Or" | "Base64" | "Cidr" | "GetAZs" | "Transform"
        | "ToJsonString" | "Length" => Some(format!("Fn::{name}")),
        _ => None,
    }
}

/// Reads a template and extracts its trust policies and OIDC providers.
pub fn extract(path: &str, source: &SourceText) -> Extracted {
    let mut out = Extracted::default();
    let text = source.text();
    let root = if text.trim_start().starts_with('{') {
        match json::parse(text) {
            Ok(n) => n,
            Err(e) => {
                out.findings.push(parse_error(
                    path,
                    source,
                    Span::new(e.offset, e.offset + e.len.max(1)),
                    format!("the template is not valid JSON: {}", e.message),
                ));
                return out;
            }
        }
    } else {
        match crate::yaml::load(text, &cfn_tag) {
            Ok(mut docs) if !docs.is_empty() => docs.swap_remove(0),
            Ok(_) => return out,
            Err(e) if e.limit.is_some() => {
                out.findings.push(rules::analysis_limit::yaml_not_read(
                    path,
                    source,
                    e.offset,
                    "the template",
                    &e.message,
                    "anchors that refer to anchors multiply what they expand to; write the repeated part once, or lint the processed template",
                ));
                return out;
            }
            Err(e) => {
                out.findings.push(parse_error(
                    path,
                    source,
                    Span::new(e.offset, e.offset + 1),
                    format!("the template is not valid YAML: {}", e.message),
                ));
                return out;
            }
        }
    };
    let template = Template::read(&root, text);
    // Where the first value a limit left unknown is.
    let mut first: Option<Location> = None;
    for (id, resource) in &template.resources {
        let Some(ty) = get_str(resource, "Type") else {
            continue;
        };
        let before = (template.hits.get(), template.limited.borrow().1);
        match ty {
            "AWS::IAM::Role" => {
                if let Some(doc) =
                    get(resource, "Properties").and_then(|p| get(p, "AssumeRolePolicyDocument"))
                    && let Some(p) = template.policy(doc)
                {
                    out.policies.push(SourcePolicy {
                        policy: p,
                        resource: Some(id.to_string()),
                    });
                }
            }
            "AWS::IAM::OIDCProvider" => out.providers.push(template.provider(id, resource)),
            _ => {}
        }
        if template.hits.get() > before.0 && template.limited.borrow().1 == before.1 {
            // Met outside a policy value (an OIDC provider's properties).
            template.note_limited(resource.span, "");
        }
        if first.is_none() && template.limited.borrow().1 > before.1 {
            let (span, pointer) = template
                .limited
                .borrow()
                .0
                .clone()
                .unwrap_or((resource.span, String::new()));
            let pointer = (!pointer.is_empty()).then_some(pointer);
            let mut l = Location::from_span(path, source, span, pointer.as_deref());
            l.resource = Some(id.to_string());
            first = Some(l);
        }
    }
    if let Some(hit) = template.first_hit.borrow().clone() {
        let values = template.limited.borrow().1;
        let at = first.unwrap_or_else(|| {
            let span = template
                .limited
                .borrow()
                .0
                .as_ref()
                .map_or(Span::default(), |(s, _)| *s);
            Location::from_span(path, source, span, None)
        });
        out.findings.push(limit_finding(&hit, values, at));
    }
    out
}

/// The template's one `analysis-limit` finding.
fn limit_finding(hit: &Hit, values: usize, at: Location) -> Finding {
    let mut unchecked = match values {
        0 | 1 => "the value is unknown and was not checked".to_string(),
        n => format!(
            "{n} values of this template are unknown and were not checked (the first is here)"
        ),
    };
    if hit.exhausted {
        unchecked.push_str(", nor was anything evaluated after it");
    }
    let message = if hit.limit == CYCLE {
        format!(
            "CloudFormation evaluation stopped at a reference cycle: {}; {unchecked}; everything else in the template was checked",
            hit.detail
        )
    } else {
        rules::analysis_limit::message(
            hit.limit,
            &format!("CloudFormation evaluation stopped: {}", hit.detail),
            &unchecked,
        )
    };
    Finding::new(&rules::ANALYSIS_LIMIT, message)
        .help("no value that large can be part of a deployable trust policy (IAM accepts at most 8,192 characters); simplify the intrinsics, or lint the processed template")
        .at(at)
}

/// The size counted against the limits: bytes of strings and keys, plus one per
/// element. Trees come from the JSON and YAML readers, nested at most 128 deep.
fn weight(node: &Node) -> usize {
    match &node.value {
        Value::String(s) | Value::Number(s) => s.len().max(1),
        Value::Array(items) => items
            .iter()
            .fold(1usize, |a, i| a.saturating_add(weight(i))),
        Value::Object(ms) => ms.iter().fold(1usize, |a, m| {
            a.saturating_add(m.key.len())
                .saturating_add(weight(&m.value))
        }),
        _ => 1,
    }
}

fn parse_error(path: &str, source: &SourceText, span: Span, message: String) -> Finding {
    let end = span.end.min(source.text().len()).max(span.start);
    Finding::new(&rules::PARSE_ERROR, message).at(Location::from_span(
        path,
        source,
        Span::new(span.start.min(end), end),
        None,
    ))
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

/// One intrinsic function call: `{"Ref": …}` or `{"Fn::X": …}` as the only member.
fn intrinsic(node: &Node) -> Option<(&str, &Node, &Member)> {
    match &node.value {
        Value::Object(ms) if ms.len() == 1 => {
            let m = &ms[0];
            (m.key == "Ref" || m.key.starts_with("Fn::")).then_some((m.key.as_str(), &m.value, m))
        }
        _ => None,
    }
}

/// What evaluating an expression gave.
enum Eval {
    Known(Node),
    /// Not known statically; the expression as written.
    Unknown(String),
    /// `Ref: AWS::NoValue`: the element is removed.
    NoValue,
}

type Mappings<'a> = HashMap<&'a str, HashMap<&'a str, HashMap<&'a str, &'a Node>>>;

struct Template<'a> {
    text: &'a str,
    resources: Vec<(&'a str, &'a Node)>,
    parameters: HashMap<&'a str, Option<&'a Node>>,
    /// `Mappings`, indexed (map → top-level key → second-level key), so each
    /// `Fn::FindInMap` is a constant-time lookup.
    mappings: Mappings<'a>,
    /// Logical ID → the OIDC provider's ARN, when its Url is known.
    provider_arns: HashMap<&'a str, Option<String>>,
    /// Parameter name → its evaluated default (`None`: unknown), once evaluated.
    memo: RefCell<HashMap<String, Option<Node>>>,
    /// Parameters being evaluated, outermost first (for cycles).
    active: RefCell<Vec<String>>,
    steps: Cell<usize>,
    bytes: Cell<usize>,
    exhausted: Cell<bool>,
    /// Evaluations left unknown by a limit or a cycle, counted.
    hits: Cell<usize>,
    first_hit: RefCell<Option<Hit>>,
    /// Where the first policy value left unknown by a limit is, and how many.
    limited: RefCell<(Option<(Span, String)>, usize)>,
}

impl<'a> Template<'a> {
    fn read(root: &'a Node, text: &'a str) -> Template<'a> {
        let mut t = Template {
            text,
            resources: Vec::new(),
            parameters: HashMap::new(),
            mappings: HashMap::new(),
            provider_arns: HashMap::new(),
            memo: RefCell::new(HashMap::new()),
            active: RefCell::new(Vec::new()),
            steps: Cell::new(0),
            bytes: Cell::new(0),
            exhausted: Cell::new(false),
            hits: Cell::new(0),
            first_hit: RefCell::new(None),
            limited: RefCell::new((None, 0)),
        };
        if let Some(Value::Object(maps)) = get(root, "Mappings").map(|n| &n.value) {
            for m in maps {
                let Value::Object(tops) = &m.value.value else {
                    continue;
                };
                let by_top = t.mappings.entry(m.key.as_str()).or_default();
                for top in tops {
                    let Value::Object(seconds) = &top.value.value else {
                        continue;
                    };
                    let by_second = by_top.entry(top.key.as_str()).or_default();
                    for second in seconds {
                        by_second.insert(second.key.as_str(), &second.value);
                    }
                }
            }
        }
        if let Some(Value::Object(ms)) = get(root, "Resources").map(|n| &n.value) {
            t.resources = ms.iter().map(|m| (m.key.as_str(), &m.value)).collect();
        }
        if let Some(Value::Object(ms)) = get(root, "Parameters").map(|n| &n.value) {
            for m in ms {
                t.parameters
                    .insert(m.key.as_str(), get(&m.value, "Default"));
            }
        }
        let providers: Vec<(&str, &Node)> = t
            .resources
            .iter()
            .filter(|(_, r)| get_str(r, "Type") == Some("AWS::IAM::OIDCProvider"))
            .copied()
            .collect();
        for (id, r) in providers {
            let before = t.hits.get();
            let url = get(r, "Properties")
                .and_then(|p| get(p, "Url"))
                .and_then(|u| match t.eval(u, 0) {
                    Eval::Known(Node {
                        value: Value::String(s),
                        ..
                    }) => Some(s),
                    _ => None,
                });
            let arn = url.map(|u| {
                let host = u.strip_prefix("https://").unwrap_or(&u);
                format!("arn:aws:iam::{EXAMPLE_ACCOUNT}:oidc-provider/{host}")
            });
            t.provider_arns.insert(id, arn);
            if t.hits.get() > before {
                t.note_limited(r.span, "");
            }
        }
        t
    }

    /// Records that the value at `span` (`pointer` in the policy) was left unknown
    /// by a limit.
    fn note_limited(&self, span: Span, pointer: &str) {
        let mut l = self.limited.borrow_mut();
        l.1 += 1;
        if l.0.is_none() {
            l.0 = Some((span, pointer.to_string()));
        }
    }

    fn hit(&self, limit: &'static str, detail: String, exhausted: bool) {
        self.hits.set(self.hits.get() + 1);
        if exhausted {
            self.exhausted.set(true);
        }
        let mut first = self.first_hit.borrow_mut();
        if first.is_none() {
            let detail = match self.active.borrow().last() {
                Some(p) => format!("in the default of parameter `{p}`: {detail}"),
                None => detail,
            };
            *first = Some(Hit {
                limit,
                detail,
                exhausted,
            });
        }
    }

    /// Counts `n` bytes produced against [`MAX_EVAL_BYTES`]; `false` past it.
    fn charge(&self, n: usize) -> bool {
        let total = self.bytes.get().saturating_add(n);
        self.bytes.set(total);
        if total > MAX_EVAL_BYTES {
            self.hit(
                "MAX_EVAL_BYTES",
                format!(
                    "evaluating this template produced more than {} bytes of values",
                    thousands(MAX_EVAL_BYTES)
                ),
                true,
            );
            return false;
        }
        true
    }

    /// `false` (and a hit) when a string of `size` bytes is over [`MAX_VALUE_BYTES`].
    fn fits(&self, what: &str, size: usize) -> bool {
        if size > MAX_VALUE_BYTES {
            self.hit(
                "MAX_VALUE_BYTES",
                format!(
                    "{what} would be {} bytes; one value may have at most {}",
                    thousands(size),
                    thousands(MAX_VALUE_BYTES)
                ),
                false,
            );
            return false;
        }
        self.charge(size)
    }

    /// The expression as written (its first line, shortened).
    fn written(&self, node: &Node) -> String {
        let s = self
            .text
            .get(node.span.start..node.span.end.min(self.text.len()))
            .unwrap_or("");
        let first = s.lines().next().unwrap_or("").trim();
        let mut out: String = first.chars().take(80).collect();
        if out.len() < first.len() || s.lines().nth(1).is_some() {
            out.push('…');
        }
        out
    }

    fn string(&self, s: impl Into<String>, span: Span) -> Eval {
        Eval::Known(Node {
            value: Value::String(s.into()),
            span,
        })
    }

    /// Evaluates an expression (a literal is itself; containers are not entered).
    fn eval(&self, node: &Node, depth: usize) -> Eval {
        let unknown = || Eval::Unknown(self.written(node));
        if self.exhausted.get() {
            self.hits.set(self.hits.get() + 1);
            return unknown();
        }
        let Some((func, arg, _)) = intrinsic(node) else {
            // A literal: copied, and the copy counted.
            if !self.charge(weight(node)) {
                return unknown();
            }
            return Eval::Known(node.clone());
        };
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > MAX_EVAL_STEPS {
            self.hit(
                "MAX_EVAL_STEPS",
                format!(
                    "evaluating this template took more than {} intrinsic function calls",
                    thousands(MAX_EVAL_STEPS)
                ),
                true,
            );
            return unknown();
        }
        if depth > MAX_EVAL_DEPTH {
            self.hit(
                "MAX_EVAL_DEPTH",
                format!(
                    "intrinsic functions nest more than {MAX_EVAL_DEPTH} levels deep (a `Ref` to a parameter counts one)"
                ),
                false,
            );
            return unknown();
        }
        match func {
            "Ref" => {
                let Value::String(name) = &arg.value else {
                    return unknown();
                };
                match self.reference(name, node.span, depth) {
                    Some(e) => e,
                    None => unknown(),
                }
            }
            "Fn::GetAtt" => {
                let (res, attr) = match &arg.value {
                    Value::String(s) => match s.split_once('.') {
                        Some((r, a)) => (r.to_string(), a.to_string()),
                        None => return unknown(),
                    },
                    Value::Array(items) if items.len() == 2 => {
                        match (self.scalar(&items[0], depth), self.scalar(&items[1], depth)) {
                            (Some(r), Some(a)) => (r, a),
                            _ => return unknown(),
                        }
                    }
                    _ => return unknown(),
                };
                match (self.provider_arns.get(res.as_str()), attr.as_str()) {
                    (Some(Some(arn)), "Arn") => self.string(arn.clone(), node.span),
                    _ => unknown(),
                }
            }
            "Fn::Sub" => {
                let (template, vars) = match &arg.value {
                    Value::String(s) => (s.as_str(), None),
                    Value::Array(items) if !items.is_empty() && items.len() <= 2 => {
                        match &items[0].value {
                            Value::String(s) => (s.as_str(), items.get(1)),
                            _ => return unknown(),
                        }
                    }
                    _ => return unknown(),
                };
                match self.sub(template, vars, node.span, depth) {
                    Some(s) if self.charge(s.len()) => self.string(s, node.span),
                    _ => unknown(),
                }
            }
            "Fn::Join" => {
                let Value::Array(items) = &arg.value else {
                    return unknown();
                };
                let [delim, list] = items.as_slice() else {
                    return unknown();
                };
                let Some(delim) = self.scalar(delim, depth) else {
                    return unknown();
                };
                let Some(parts) = self.list(list, depth) else {
                    return unknown();
                };
                let size = parts.iter().fold(
                    delim.len().saturating_mul(parts.len().saturating_sub(1)),
                    |a, p| a.saturating_add(p.len()),
                );
                if !self.fits("Fn::Join", size) {
                    return unknown();
                }
                self.string(parts.join(&delim), node.span)
            }
            "Fn::Split" => {
                let Value::Array(items) = &arg.value else {
                    return unknown();
                };
                let [delim, s] = items.as_slice() else {
                    return unknown();
                };
                match (self.scalar(delim, depth), self.scalar(s, depth)) {
                    (Some(d), Some(s))
                        if !d.is_empty() && self.charge(s.matches(d.as_str()).count() + 1) =>
                    {
                        Eval::Known(Node {
                            value: Value::Array(
                                s.split(d.as_str())
                                    .map(|p| Node {
                                        value: Value::String(p.to_string()),
                                        span: node.span,
                                    })
                                    .collect(),
                            ),
                            span: node.span,
                        })
                    }
                    _ => unknown(),
                }
            }
            "Fn::Select" => {
                let Value::Array(items) = &arg.value else {
                    return unknown();
                };
                let [index, list] = items.as_slice() else {
                    return unknown();
                };
                let Some(i) = self
                    .scalar(index, depth)
                    .and_then(|i| i.parse::<usize>().ok())
                else {
                    return unknown();
                };
                // A literal list is indexed in place, not copied whole.
                let owned;
                let list = if intrinsic(list).is_some() {
                    match self.eval(list, depth + 1) {
                        Eval::Known(n) => {
                            owned = n;
                            &owned
                        }
                        _ => return unknown(),
                    }
                } else {
                    list
                };
                match &list.value {
                    Value::Array(items) => match items.get(i) {
                        Some(item) => match self.eval(item, depth + 1) {
                            Eval::Known(n) => Eval::Known(Node {
                                value: n.value,
                                span: node.span,
                            }),
                            _ => unknown(),
                        },
                        None => unknown(),
                    },
                    _ => unknown(),
                }
            }
            "Fn::FindInMap" => {
                let Value::Array(items) = &arg.value else {
                    return unknown();
                };
                let [map, top, second] = items.as_slice() else {
                    return unknown();
                };
                let keys = (
                    self.scalar(map, depth),
                    self.scalar(top, depth),
                    self.scalar(second, depth),
                );
                let (Some(map), Some(top), Some(second)) = keys else {
                    return unknown();
                };
                let found = self
                    .mappings
                    .get(map.as_str())
                    .and_then(|m| m.get(top.as_str()))
                    .and_then(|m| m.get(second.as_str()))
                    .copied();
                match found.map(|f| self.eval(f, depth + 1)) {
                    Some(Eval::Known(n)) => Eval::Known(Node {
                        value: n.value,
                        span: node.span,
                    }),
                    _ => unknown(),
                }
            }
            // Fn::ImportValue, Fn::If, Fn::Base64, Fn::GetAZs, Fn::Cidr, …
            _ => unknown(),
        }
    }

    /// `Ref` (and `${Name}` in `Fn::Sub`): a pseudo parameter, a parameter's
    /// default, or an OIDC provider's ARN. `None` when unknown.
    fn reference(&self, name: &str, span: Span, depth: usize) -> Option<Eval> {
        match name {
            "AWS::Partition" => return Some(self.string("aws", span)),
            "AWS::AccountId" => return Some(self.string(EXAMPLE_ACCOUNT, span)),
            "AWS::URLSuffix" => return Some(self.string("amazonaws.com", span)),
            "AWS::NoValue" => return Some(Eval::NoValue),
            _ => {}
        }
        if let Some(default) = self.parameters.get(name) {
            let default = (*default)?;
            let cached = self.memo.borrow().get(name).cloned();
            let value = match cached {
                Some(v) => {
                    // The copy is counted like any other.
                    let v = v?;
                    if !self.charge(weight(&v)) {
                        return None;
                    }
                    v
                }
                None => {
                    let cycle = {
                        let active = self.active.borrow();
                        active.iter().position(|p| p == name).map(|at| {
                            let mut chain: Vec<&str> =
                                active[at..].iter().map(String::as_str).collect();
                            chain.push(name);
                            chain.join(" → ")
                        })
                    };
                    if let Some(chain) = cycle {
                        self.hit(
                            CYCLE,
                            format!("the parameter defaults `{chain}` refer back to themselves"),
                            false,
                        );
                        return None;
                    }
                    self.active.borrow_mut().push(name.to_string());
                    let v = match self.eval(default, depth + 1) {
                        Eval::Known(n) => Some(n),
                        _ => None,
                    };
                    self.active.borrow_mut().pop();
                    self.memo.borrow_mut().insert(name.to_string(), v.clone());
                    v?
                }
            };
            return Some(Eval::Known(Node {
                value: match value.value {
                    Value::Number(s) => Value::String(s),
                    Value::Bool(b) => Value::String(b.to_string()),
                    v => v,
                },
                span,
            }));
        }
        match self.provider_arns.get(name) {
            Some(Some(arn)) => Some(self.string(arn.clone(), span)),
            _ => None,
        }
    }

    /// A scalar's text, after evaluation.
    fn scalar(&self, node: &Node, depth: usize) -> Option<String> {
        match self.eval(node, depth + 1) {
            Eval::Known(n) => match n.value {
                Value::String(s) | Value::Number(s) => Some(s),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            },
            _ => None,
        }
    }

    /// A list of scalars, after evaluation (the list itself may be an expression).
    fn list(&self, node: &Node, depth: usize) -> Option<Vec<String>> {
        // A literal list is read in place, not copied first.
        let owned;
        let list = if intrinsic(node).is_some() {
            match self.eval(node, depth + 1) {
                Eval::Known(n) => {
                    owned = n;
                    &owned
                }
                _ => return None,
            }
        } else {
            node
        };
        match &list.value {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match self.eval(item, depth + 1) {
                        Eval::NoValue => {}
                        Eval::Known(n) => match n.value {
                            Value::String(s) | Value::Number(s) => out.push(s),
                            Value::Bool(b) => out.push(b.to_string()),
                            _ => return None,
                        },
                        Eval::Unknown(_) => return None,
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// `Fn::Sub`: `${Name}`, `${Resource.Attr}` and `${!Literal}`.
    fn sub(&self, template: &str, vars: Option<&Node>, span: Span, depth: usize) -> Option<String> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        // Checked before each part is added: the string never grows past the cap.
        let fits = |out: &String, more: usize| {
            let size = out.len().saturating_add(more);
            size <= MAX_VALUE_BYTES || self.fits("Fn::Sub", size)
        };
        while let Some(i) = rest.find("${") {
            if !fits(&out, i) {
                return None;
            }
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[i..]);
                return Some(out);
            };
            let name = after[..close].trim();
            rest = &after[close + 1..];
            if let Some(lit) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(lit);
                out.push('}');
                continue;
            }
            if let Some(v) = vars.and_then(|v| get(v, name)) {
                let v = self.scalar(v, depth)?;
                if !fits(&out, v.len()) {
                    return None;
                }
                out.push_str(&v);
                continue;
            }
            if let Some((res, attr)) = name.split_once('.') {
                match (self.provider_arns.get(res), attr) {
                    (Some(Some(arn)), "Arn") => out.push_str(arn),
                    _ => return None,
                }
                continue;
            }
            match self.reference(name, span, depth + 1)? {
                Eval::Known(n) => match n.value {
                    Value::String(s) | Value::Number(s) => {
                        if !fits(&out, s.len()) {
                            return None;
                        }
                        out.push_str(&s)
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
        if !fits(&out, rest.len()) {
            return None;
        }
        out.push_str(rest);
        Some(out)
    }

    /// Evaluates a policy document into the JSON IAM would receive, recording
    /// what is unknown.
    fn policy(&self, doc: &Node) -> Option<Policy> {
        // A policy given as a JSON string (`AssumeRolePolicyDocument: '{"Version": …}'`,
        // or built with `Fn::Sub`): parsed, every element placed at the string.
        let embedded;
        let before = self.hits.get();
        let evaluated = self.eval(doc, 0);
        if self.hits.get() > before {
            self.note_limited(doc.span, "");
        }
        let doc = match evaluated {
            Eval::Known(Node {
                value: Value::String(s),
                span,
            }) => match json::parse(&s) {
                Ok(mut n) => {
                    relocate(&mut n, span);
                    embedded = n;
                    &embedded
                }
                Err(_) => return None,
            },
            _ => doc,
        };
        let mut unknowns = Vec::new();
        let resolved = self.build(doc, "", &mut unknowns, 0)?;
        if !unknowns.is_empty()
            && unknowns
                .iter()
                .any(|u: &Located<String>| u.pointer.is_empty())
        {
            // The whole document is unknown: nothing to check.
            return None;
        }
        let mut policy = match from_node(&resolved) {
            Ok(p) => p,
            Err(_) => return None,
        };
        policy.unknowns = unknowns;
        super::from_terraform::mark_unknown_values(&mut policy);
        Some(policy)
    }

    /// Builds the resolved tree under `pointer`; `None` for `AWS::NoValue`.
    fn build(
        &self,
        node: &Node,
        pointer: &str,
        unknowns: &mut Vec<Located<String>>,
        depth: usize,
    ) -> Option<Node> {
        if depth > json::MAX_DEPTH {
            // Intrinsics whose results hold intrinsics (a mapping value that
            // looks itself up) would otherwise nest without end.
            self.hit(
                "json::MAX_DEPTH",
                format!(
                    "the policy built from intrinsics nests more than {} levels deep",
                    json::MAX_DEPTH
                ),
                false,
            );
            self.note_limited(node.span, pointer);
            unknowns.push(Located::new(self.written(node), node.span, pointer));
            return Some(Node {
                value: Value::String(self.written(node)),
                span: node.span,
            });
        }
        let owned;
        let node: &Node = if intrinsic(node).is_some() {
            let before = self.hits.get();
            let evaluated = self.eval(node, 0);
            if self.hits.get() > before {
                self.note_limited(node.span, pointer);
            }
            match evaluated {
                Eval::Known(n) => {
                    owned = n;
                    &owned
                }
                Eval::NoValue => return None,
                Eval::Unknown(written) => {
                    unknowns.push(Located::new(written.clone(), node.span, pointer));
                    return Some(Node {
                        value: Value::String(written),
                        span: node.span,
                    });
                }
            }
        } else {
            node
        };
        let value = match &node.value {
            Value::Object(members) => {
                let mut out = Vec::with_capacity(members.len());
                for m in members {
                    let p = format!("{pointer}/{}", pointer_token(&m.key));
                    if let Some(v) = self.build(&m.value, &p, unknowns, depth + 1) {
                        out.push(Member {
                            key: m.key.clone(),
                            key_span: m.key_span,
                            value: v,
                        });
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let p = format!("{pointer}/{}", out.len());
                    if let Some(v) = self.build(item, &p, unknowns, depth + 1) {
                        out.push(v);
                    }
                }
                Value::Array(out)
            }
            other => other.clone(),
        };
        Some(Node {
            value,
            span: node.span,
        })
    }

    fn provider(&self, id: &str, resource: &Node) -> ProviderDecl {
        let props = get(resource, "Properties");
        let base = format!("/Resources/{}/Properties", pointer_token(id));
        let located = |n: &Node, ptr: String| -> Option<Located<String>> {
            match self.eval(n, 0) {
                Eval::Known(Node {
                    value: Value::String(s),
                    ..
                }) => Some(Located::new(s, n.span, ptr)),
                _ => None,
            }
        };
        let url = props
            .and_then(|p| get(p, "Url"))
            .and_then(|u| located(u, format!("{base}/Url")));
        let list = |key: &str| -> (Vec<Located<String>>, bool) {
            let mut out = Vec::new();
            let mut complete = true;
            let Some(n) = props.and_then(|p| get(p, key)) else {
                return (out, true);
            };
            let n = match self.eval(n, 0) {
                Eval::Known(n) => n,
                Eval::NoValue => return (out, true),
                Eval::Unknown(_) => return (out, false),
            };
            match &n.value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        match located(item, format!("{base}/{key}/{i}")) {
                            Some(l) => out.push(l),
                            None => complete = false,
                        }
                    }
                }
                _ => complete = false,
            }
            (out, complete)
        };
        let (client_ids, client_ids_complete) = list("ClientIdList");
        let (thumbprints, _) = list("ThumbprintList");
        ProviderDecl {
            resource: id.to_string(),
            span: resource.span,
            url,
            client_ids,
            client_ids_complete,
            thumbprints,
        }
    }
}

/// Places every element of an embedded document at `span`.
fn relocate(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.value {
        Value::Object(ms) => {
            for m in ms {
                m.key_span = span;
                relocate(&mut m.value, span);
            }
        }
        Value::Array(items) => {
            for i in items {
                relocate(i, span);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
