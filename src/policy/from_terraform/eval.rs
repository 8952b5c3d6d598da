//! Static evaluation of the Terraform expressions a trust policy is written with.
//!
//! Only what is knowable from the configuration itself: literals, `local.*`,
//! `var.*` defaults, string templates, a few pure functions (`replace`,
//! `trimprefix`, `lower`, `join`, `format`, …) and the attributes of an
//! `aws_iam_openid_connect_provider` that follow from its `url`. Everything else
//! (`data.*`, resource attributes known after apply, `for`, splats, variables
//! without default) is [`V::Unknown`]. A template with an unknown part keeps the
//! known text around a [`HOLE`], so `arn:aws:iam::${data.aws_caller_identity.c.account_id}:oidc-provider/gitlab.com`
//! still names its provider.

use std::collections::HashMap;

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::{Element, Template};

/// Marks the unknown part of a string (a Unicode private-use character).
pub const HOLE: char = '\u{E000}';

/// How deep references (locals referring to locals) are followed.
const MAX_DEPTH: usize = 24;

/// A statically known value, or not.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Bool(bool),
    Num(String),
    /// May contain [`HOLE`]s.
    Str(String),
    List(Vec<V>),
    Obj(Vec<(String, V)>),
    Unknown,
}

impl V {
    /// The text of a scalar (strings, numbers and booleans convert to strings in
    /// Terraform), `None` otherwise.
    pub fn as_text(&self) -> Option<String> {
        match self {
            V::Str(s) | V::Num(s) => Some(s.clone()),
            V::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A string known completely (no hole).
    pub fn known_str(&self) -> Option<&str> {
        match self {
            V::Str(s) if !s.contains(HOLE) => Some(s),
            _ => None,
        }
    }
}

/// What a Terraform file declares that expressions may refer to.
#[derive(Default)]
pub struct Env<'a> {
    pub locals: HashMap<&'a str, &'a Expression>,
    /// `variable "x" { default = … }`: `None` when there is no default.
    pub vars: HashMap<&'a str, Option<&'a Expression>>,
    /// `aws_iam_openid_connect_provider` bodies by name.
    pub providers: HashMap<&'a str, &'a Body>,
    /// `data "aws_iam_policy_document"` blocks by name.
    pub documents: HashMap<&'a str, &'a Block>,
}

impl<'a> Env<'a> {
    /// The declarations of a module: every body given (a file and its sibling
    /// `.tf` files; the first declaration of a name wins).
    pub fn new(bodies: &[&'a Body]) -> Env<'a> {
        let mut env = Env::default();
        for block in bodies.iter().rev().flat_map(|b| b.blocks()) {
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            match (block.ident.value().as_str(), labels.as_slice()) {
                ("locals", []) => {
                    for attr in block.body.attributes() {
                        env.locals.insert(attr.key.value().as_str(), &attr.value);
                    }
                }
                ("variable", [name]) => {
                    env.vars
                        .insert(name, block.body.get_attribute("default").map(|a| &a.value));
                }
                ("resource", ["aws_iam_openid_connect_provider", name]) => {
                    env.providers.insert(name, &block.body);
                }
                ("data", ["aws_iam_policy_document", name]) => {
                    env.documents.insert(name, block);
                }
                _ => {}
            }
        }
        env
    }

    /// Evaluates an expression as far as it can be known.
    pub fn eval(&self, expr: &Expression) -> V {
        self.eval_at(expr, 0)
    }

    fn eval_at(&self, expr: &Expression, depth: usize) -> V {
        if depth > MAX_DEPTH {
            return V::Unknown;
        }
        let d = depth + 1;
        match expr {
            Expression::Null(_) => V::Null,
            Expression::Bool(b) => V::Bool(*b.value()),
            Expression::Number(n) => V::Num(n.value().to_string()),
            Expression::String(s) => V::Str(s.value().clone()),
            Expression::Array(a) => V::List(a.iter().map(|e| self.eval_at(e, d)).collect()),
            Expression::Object(o) => {
                let mut out = Vec::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.value().as_str().to_string(),
                        ObjectKey::Expression(e) => match self.eval_at(e, d).known_str() {
                            Some(s) => s.to_string(),
                            None => return V::Unknown,
                        },
                    };
                    out.push((key, self.eval_at(v.expr(), d)));
                }
                V::Obj(out)
            }
            Expression::StringTemplate(t) => self.template(t, d),
            // A `<<-` heredoc is already dedented by the parser.
            Expression::HeredocTemplate(h) => self.template(&h.template, d),
            Expression::Parenthesis(p) => self.eval_at(p.inner(), d),
            Expression::Conditional(c) => match self.eval_at(&c.cond_expr, d) {
                V::Bool(true) => self.eval_at(&c.true_expr, d),
                V::Bool(false) => self.eval_at(&c.false_expr, d),
                _ => V::Unknown,
            },
            Expression::FuncCall(f) => self.call(f, d),
            Expression::Traversal(t) => self.traversal(&t.expr, &t.operators, d),
            Expression::Variable(_)
            | Expression::UnaryOp(_)
            | Expression::BinaryOp(_)
            | Expression::ForExpr(_) => V::Unknown,
        }
    }

    fn template(&self, t: &Template, d: usize) -> V {
        let mut out = String::new();
        for el in t.iter() {
            match el {
                Element::Literal(l) => out.push_str(l.value()),
                Element::Interpolation(i) => match self.eval_at(&i.expr, d) {
                    V::Null => {}
                    v => match v.as_text() {
                        Some(s) => out.push_str(&s),
                        None if v == V::Unknown => out.push(HOLE),
                        None => return V::Unknown,
                    },
                },
                Element::Directive(_) => return V::Unknown,
            }
        }
        V::Str(out)
    }

    fn traversal(
        &self,
        root: &Expression,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        d: usize,
    ) -> V {
        let Expression::Variable(root) = root else {
            // `(expr).attr`, `[…][0]`.
            let base = self.eval_at(root, d);
            return self.apply(base, ops, d);
        };
        let attr = |i: usize| match ops.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.value().as_str()),
            _ => None,
        };
        match root.value().as_str() {
            "local" => match attr(0).and_then(|n| self.locals.get(n)) {
                Some(e) => {
                    let base = self.eval_at(e, d);
                    self.apply(base, &ops[1..], d)
                }
                None => V::Unknown,
            },
            "var" => match attr(0).and_then(|n| self.vars.get(n)) {
                Some(Some(e)) => {
                    let base = self.eval_at(e, d);
                    self.apply(base, &ops[1..], d)
                }
                _ => V::Unknown,
            },
            "aws_iam_openid_connect_provider" => {
                let (Some(name), Some(field)) = (attr(0), attr(1)) else {
                    return V::Unknown;
                };
                if ops.len() != 2 {
                    return V::Unknown;
                }
                let Some(body) = self.providers.get(name) else {
                    return V::Unknown;
                };
                let Some(url) = body
                    .get_attribute("url")
                    .map(|a| self.eval_at(&a.value, d))
                    .and_then(|v| v.known_str().map(str::to_string))
                else {
                    return V::Unknown;
                };
                let host_path = crate::lint::cross::provider_host_path(&url).to_string();
                match field {
                    // The account is not known from the configuration: a hole.
                    "arn" | "id" => {
                        V::Str(format!("arn:aws:iam::{HOLE}:oidc-provider/{host_path}"))
                    }
                    // What IAM returns (and the provider stores after a refresh):
                    // the URL without `https://`.
                    "url" => V::Str(host_path),
                    _ => V::Unknown,
                }
            }
            _ => V::Unknown,
        }
    }

    fn apply(&self, mut v: V, ops: &[hcl_edit::Decorated<TraversalOperator>], d: usize) -> V {
        for op in ops {
            v = match (op.value(), v) {
                (TraversalOperator::GetAttr(a), V::Obj(members)) => members
                    .into_iter()
                    .rev()
                    .find(|(k, _)| k == a.value().as_str())
                    .map(|(_, v)| v)
                    .unwrap_or(V::Unknown),
                (TraversalOperator::Index(e), V::List(items)) => {
                    match self
                        .eval_at(e, d)
                        .as_text()
                        .and_then(|t| t.parse::<usize>().ok())
                    {
                        Some(i) => items.into_iter().nth(i).unwrap_or(V::Unknown),
                        None => V::Unknown,
                    }
                }
                (TraversalOperator::Index(e), V::Obj(members)) => {
                    match self.eval_at(e, d).known_str() {
                        Some(k) => members
                            .into_iter()
                            .rev()
                            .find(|(m, _)| m == k)
                            .map(|(_, v)| v)
                            .unwrap_or(V::Unknown),
                        None => V::Unknown,
                    }
                }
                (TraversalOperator::LegacyIndex(i), V::List(items)) => usize::try_from(*i.value())
                    .ok()
                    .and_then(|i| items.into_iter().nth(i))
                    .unwrap_or(V::Unknown),
                _ => V::Unknown,
            };
        }
        v
    }

    fn call(&self, f: &hcl_edit::expr::FuncCall, d: usize) -> V {
        if !f.name.namespace.is_empty() {
            return V::Unknown;
        }
        let args: Vec<V> = f.args.iter().map(|a| self.eval_at(a, d)).collect();
        let text = |i: usize| args.get(i).and_then(V::as_text);
        match (f.name.name.value().as_str(), args.len()) {
            ("replace", 3) => match (text(0), text(1), text(2)) {
                // A `/…/` search is a regular expression: not evaluated.
                (Some(s), Some(from), Some(to)) if !is_regex(&from) && !from.is_empty() => {
                    V::Str(s.replace(&from, &to))
                }
                _ => V::Unknown,
            },
            ("trimprefix", 2) => match (text(0), text(1)) {
                (Some(s), Some(p)) => V::Str(s.strip_prefix(p.as_str()).unwrap_or(&s).to_string()),
                _ => V::Unknown,
            },
            ("trimsuffix", 2) => match (text(0), text(1)) {
                (Some(s), Some(p)) => V::Str(s.strip_suffix(p.as_str()).unwrap_or(&s).to_string()),
                _ => V::Unknown,
            },
            ("lower", 1) => text(0).map_or(V::Unknown, |s| V::Str(s.to_lowercase())),
            ("upper", 1) => text(0).map_or(V::Unknown, |s| V::Str(s.to_uppercase())),
            ("trimspace", 1) => text(0).map_or(V::Unknown, |s| V::Str(s.trim().to_string())),
            ("tostring", 1) => text(0).map_or(V::Unknown, V::Str),
            ("join", 2) => match (text(0), args.get(1)) {
                (Some(sep), Some(V::List(items))) => {
                    let parts: Option<Vec<String>> = items.iter().map(V::as_text).collect();
                    parts.map_or(V::Unknown, |p| V::Str(p.join(&sep)))
                }
                _ => V::Unknown,
            },
            ("concat", _) => {
                let mut out = Vec::new();
                for a in args {
                    match a {
                        V::List(items) => out.extend(items),
                        _ => return V::Unknown,
                    }
                }
                V::List(out)
            }
            ("tolist" | "toset" | "distinct", 1) => match args.into_iter().next() {
                Some(V::List(items)) => {
                    let mut out: Vec<V> = Vec::new();
                    for i in items {
                        if !out.contains(&i) {
                            out.push(i);
                        }
                    }
                    V::List(out)
                }
                _ => V::Unknown,
            },
            ("format", n) if n >= 1 => {
                let Some(fmt) = text(0) else {
                    return V::Unknown;
                };
                let mut out = String::new();
                let mut next = 1;
                let mut chars = fmt.chars();
                while let Some(c) = chars.next() {
                    if c != '%' {
                        out.push(c);
                        continue;
                    }
                    match chars.next() {
                        Some('%') => out.push('%'),
                        Some('s' | 'd' | 'v') => match args.get(next) {
                            Some(V::Unknown) => {
                                out.push(HOLE);
                                next += 1;
                            }
                            Some(a) => match a.as_text() {
                                Some(t) => {
                                    out.push_str(&t);
                                    next += 1;
                                }
                                None => return V::Unknown,
                            },
                            None => return V::Unknown,
                        },
                        _ => return V::Unknown,
                    }
                }
                V::Str(out)
            }
            _ => V::Unknown,
        }
    }
}

/// `replace("…", "/re/", …)` searches with a regular expression.
fn is_regex(search: &str) -> bool {
    search.len() > 1 && search.starts_with('/') && search.ends_with('/')
}
