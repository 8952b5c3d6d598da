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

use std::collections::HashMap;

use super::from_json::from_node;
use super::{JsonType, Located, Policy};
use crate::finding::{Finding, Location};
use crate::json::{self, Member, Node, SourceText, Span, Value, pointer_token};
use crate::lint::source::{Extracted, ProviderDecl, SourcePolicy};
use crate::rules;

/// The account used for `AWS::AccountId`: the stack's own account.
pub const EXAMPLE_ACCOUNT: &str = super::DEPLOYING_ACCOUNT;
/// Deepest chain of intrinsic functions evaluated.
const MAX_EVAL_DEPTH: usize = 32;

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
    for (id, resource) in &template.resources {
        let Some(ty) = get_str(resource, "Type") else {
            continue;
        };
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
    }
    out
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

struct Template<'a> {
    text: &'a str,
    resources: Vec<(&'a str, &'a Node)>,
    parameters: HashMap<&'a str, Option<&'a Node>>,
    mappings: Option<&'a Node>,
    /// Logical ID → the OIDC provider's ARN, when its Url is known.
    provider_arns: HashMap<&'a str, Option<String>>,
}

impl<'a> Template<'a> {
    fn read(root: &'a Node, text: &'a str) -> Template<'a> {
        let mut t = Template {
            text,
            resources: Vec::new(),
            parameters: HashMap::new(),
            mappings: get(root, "Mappings"),
            provider_arns: HashMap::new(),
        };
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
        }
        t
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
        let Some((func, arg, _)) = intrinsic(node) else {
            return Eval::Known(node.clone());
        };
        if depth > MAX_EVAL_DEPTH {
            return Eval::Unknown(self.written(node));
        }
        let unknown = || Eval::Unknown(self.written(node));
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
                    Some(s) => self.string(s, node.span),
                    None => unknown(),
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
                    (Some(d), Some(s)) if !d.is_empty() => Eval::Known(Node {
                        value: Value::Array(
                            s.split(d.as_str())
                                .map(|p| Node {
                                    value: Value::String(p.to_string()),
                                    span: node.span,
                                })
                                .collect(),
                        ),
                        span: node.span,
                    }),
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
                let list = match self.eval(list, depth + 1) {
                    Eval::Known(n) => n,
                    _ => return unknown(),
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
                    .and_then(|m| get(m, &map))
                    .and_then(|m| get(m, &top))
                    .and_then(|m| get(m, &second));
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
            return match self.eval(default, depth + 1) {
                Eval::Known(n) => Some(Eval::Known(Node {
                    value: match n.value {
                        Value::Number(s) => Value::String(s),
                        Value::Bool(b) => Value::String(b.to_string()),
                        v => v,
                    },
                    span,
                })),
                _ => None,
            };
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
        let list = match self.eval(node, depth + 1) {
            Eval::Known(n) => n,
            _ => return None,
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
        while let Some(i) = rest.find("${") {
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
                out.push_str(&self.scalar(v, depth)?);
                continue;
            }
            if let Some((res, attr)) = name.split_once('.') {
                match (self.provider_arns.get(res), attr) {
                    (Some(Some(arn)), "Arn") => out.push_str(arn),
                    _ => return None,
                }
                continue;
            }
            match self.reference(name, span, depth)? {
                Eval::Known(n) => match n.value {
                    Value::String(s) | Value::Number(s) => out.push_str(&s),
                    _ => return None,
                },
                _ => return None,
            }
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
        let doc = match self.eval(doc, 0) {
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
        let unknown_pointers: Vec<String> =
            policy.unknowns.iter().map(|u| u.pointer.clone()).collect();
        for s in &mut policy.statements {
            for c in &mut s.conditions {
                for v in &mut c.values {
                    if unknown_pointers
                        .iter()
                        .any(|p| v.pointer == *p || v.pointer.starts_with(&format!("{p}/")))
                    {
                        v.value.json_type = JsonType::Unknown;
                    }
                }
            }
        }
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
            unknowns.push(Located::new(self.written(node), node.span, pointer));
            return Some(Node {
                value: Value::String(self.written(node)),
                span: node.span,
            });
        }
        let owned;
        let node: &Node = if intrinsic(node).is_some() {
            match self.eval(node, 0) {
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
