//! Static evaluation of the Terraform expressions a trust policy is written with.
//!
//! Only what is knowable from the configuration itself: literals, `local.*`,
//! `var.*` defaults, string templates, `for` expressions, a few pure functions
//! (`replace`, `trimprefix`, `lower`, `join`, `format`, `concat`, `flatten`,
//! `jsonencode`, …) and the attributes of an `aws_iam_openid_connect_provider`
//! that follow from its `url`. Everything else (`data.*`, resource attributes known
//! after apply, splats, operators, variables without default) is [`V::Unknown`]. A
//! template with an unknown part keeps the known text around a [`HOLE`], so
//! `arn:aws:iam::${data.aws_caller_identity.c.account_id}:oidc-provider/gitlab.com`
//! still names its provider.
//!
//! Evaluation is bounded by construction: each local and variable is evaluated
//! once (memoised, so a chain of locals referring to each other twice is linear,
//! not exponential), a reference cycle is detected and named instead of followed,
//! and every value, the nesting of expressions and the total work of a module are
//! capped by the named limits below. Past a cap the value is [`V::Unknown`] — never
//! a truncated, wrong value — and the first [`Hit`] is kept for the front end to
//! report as one `analysis-limit` finding per file.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

use hcl_edit::expr::{Expression, ForExpr, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::{Element, Template};

/// Marks the unknown part of a string (a Unicode private-use character).
pub const HOLE: char = '\u{E000}';

/// Largest value one expression may produce: the bytes of a string, or for a
/// list or object the bytes of its strings and keys plus one per element. IAM
/// accepts at most 8,192 characters for a whole trust policy (2,048 by default),
/// so 1 MiB — 128 times that — never cuts a value a deployable policy can hold,
/// while `replace()` over chained locals, which squares a string per level, is
/// stopped at its third or fourth level instead of at 4 GiB.
pub const MAX_VALUE_BYTES: usize = 1 << 20;

/// Bytes all evaluation of one file may produce (strings built, lists built,
/// values of locals copied where they are used). 16 values at the
/// [`MAX_VALUE_BYTES`] cap, or two thousand trust policies of IAM's maximum
/// size; four times the 4 MiB input cap, so memory stays a small multiple of the
/// input whatever the expressions do.
pub const MAX_EVAL_BYTES: usize = 16 << 20;

/// Expressions evaluated for one file (every sub-expression, every `for`
/// iteration). A file at the 4 MiB input cap holds well under a million
/// expressions, and memoised locals are evaluated once, so a real module never
/// comes near; nested `for` expressions over large lists (quadratic work) stop
/// here, within about a second.
pub const MAX_EVAL_STEPS: usize = 1_000_000;

/// Deepest nesting of expressions followed: parentheses, function calls, `for`
/// bodies and references to locals (a local referring to a local counts one
/// level each, its expression more). The HCL parser refuses one expression nested
/// more than 64 levels, so what reaches this cap is a chain of locals (about 30
/// deep) — hand-written policies nest a few levels.
pub const MAX_EVAL_DEPTH: usize = 64;

/// Most elements one `for` expression iterates. A trust policy of IAM's maximum
/// size holds at most about 4,000 values, so a longer collection cannot all end
/// up in one; the cap stops a `for` over a generated list before its body runs
/// ten thousand times.
pub const MAX_FOR_ITEMS: usize = 10_000;

pub use crate::rules::analysis_limit::Hit;

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

    /// The size counted against [`MAX_VALUE_BYTES`] and [`MAX_EVAL_BYTES`] (bytes of
    /// strings and keys, plus one per element) and the nesting depth of a value.
    /// Values are built under [`MAX_EVAL_DEPTH`], so the recursion is bounded.
    pub fn measure(&self) -> (usize, usize) {
        match self {
            V::Null | V::Bool(_) | V::Unknown => (1, 0),
            V::Num(s) | V::Str(s) => (s.len().max(1), 0),
            V::List(items) => items.iter().fold((1, 1), |(w, d), v| {
                let (vw, vd) = v.measure();
                (w.saturating_add(vw), d.max(vd + 1))
            }),
            V::Obj(members) => members.iter().fold((1, 1), |(w, d), (k, v)| {
                let (vw, vd) = v.measure();
                (w.saturating_add(k.len()).saturating_add(vw), d.max(vd + 1))
            }),
        }
    }
}

/// What a Terraform file declares that expressions may refer to, and the state
/// of evaluating them (memoised values, the chain being followed, the budgets).
#[derive(Default)]
pub struct Env<'a> {
    pub locals: HashMap<&'a str, &'a Expression>,
    /// `variable "x" { default = … }`: `None` when there is no default.
    pub vars: HashMap<&'a str, Option<&'a Expression>>,
    /// `aws_iam_openid_connect_provider` bodies by name.
    pub providers: HashMap<&'a str, &'a Body>,
    /// `data "aws_iam_policy_document"` blocks by name.
    pub documents: HashMap<&'a str, &'a Block>,
    /// `local.x` / `var.x` → its value, its weight, and whether a limit left
    /// (part of) it unknown, once evaluated.
    memo: RefCell<HashMap<String, (V, usize, bool)>>,
    /// The references being evaluated, outermost first (for cycles).
    active: RefCell<Vec<String>>,
    /// `for` variables in scope, innermost last.
    scope: RefCell<Vec<(String, V)>>,
    steps: Cell<usize>,
    bytes: Cell<usize>,
    /// Evaluations left unknown by a limit or a cycle, counted.
    hits: Cell<usize>,
    first_hit: RefCell<Option<Hit>>,
    /// A budget of the whole file ran out.
    exhausted: Cell<bool>,
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
        if self.exhausted.get() {
            // Counted: the caller sees that this value, too, is unknown because of it.
            self.hits.set(self.hits.get() + 1);
            return V::Unknown;
        }
        self.eval_at(expr, 0)
    }

    /// How many evaluations a limit or a cycle has left unknown so far (a caller
    /// compares it before and after [`Env::eval`]).
    pub fn hits(&self) -> usize {
        self.hits.get()
    }

    /// Expressions evaluated so far (see [`MAX_EVAL_STEPS`]).
    pub fn steps(&self) -> usize {
        self.steps.get()
    }

    /// The first limit or cycle met, if any.
    pub fn first_hit(&self) -> Option<Hit> {
        self.first_hit.borrow().clone()
    }

    fn hit(&self, limit: &'static str, detail: String, exhausted: bool) -> V {
        self.hits.set(self.hits.get() + 1);
        if exhausted {
            self.exhausted.set(true);
        }
        let mut first = self.first_hit.borrow_mut();
        if first.is_none() {
            let within = self.active.borrow().last().cloned();
            let detail = match within {
                Some(name) => format!("in `{name}`: {detail}"),
                None => detail,
            };
            *first = Some(Hit {
                limit,
                detail,
                exhausted,
            });
        }
        V::Unknown
    }

    /// Counts `n` bytes produced against [`MAX_EVAL_BYTES`]; `false` past it.
    fn charge(&self, n: usize) -> bool {
        let total = self.bytes.get().saturating_add(n);
        self.bytes.set(total);
        if total > MAX_EVAL_BYTES {
            self.hit(
                "MAX_EVAL_BYTES",
                format!(
                    "evaluating this file produced more than {} bytes of values",
                    thousands(MAX_EVAL_BYTES)
                ),
                true,
            );
            return false;
        }
        true
    }

    /// A value produced by `what`, or unknown when it is larger or deeper than
    /// the caps allow. Its bytes are charged to the file's budget.
    fn bounded(&self, v: V, what: &str) -> V {
        let (weight, depth) = match &v {
            V::Str(s) | V::Num(s) => (s.len(), 0),
            V::List(_) | V::Obj(_) => v.measure(),
            _ => return v,
        };
        if weight > MAX_VALUE_BYTES {
            return self.too_large(what, weight);
        }
        if depth > MAX_EVAL_DEPTH {
            return self.hit(
                "MAX_EVAL_DEPTH",
                format!("{what} builds a value nested more than {MAX_EVAL_DEPTH} levels deep"),
                false,
            );
        }
        let new = match &v {
            V::List(items) => items.len(),
            V::Obj(members) => members.len(),
            _ => weight,
        };
        if !self.charge(new) {
            return V::Unknown;
        }
        v
    }

    fn too_large(&self, what: &str, size: usize) -> V {
        self.hit(
            "MAX_VALUE_BYTES",
            format!(
                "{what} would be {} bytes; one value may have at most {}",
                thousands(size),
                thousands(MAX_VALUE_BYTES)
            ),
            false,
        )
    }

    fn eval_at(&self, expr: &Expression, depth: usize) -> V {
        if self.exhausted.get() {
            return V::Unknown;
        }
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > MAX_EVAL_STEPS {
            return self.hit(
                "MAX_EVAL_STEPS",
                format!(
                    "evaluating this file took more than {} steps (expressions and `for` iterations)",
                    thousands(MAX_EVAL_STEPS)
                ),
                true,
            );
        }
        if depth >= MAX_EVAL_DEPTH {
            return self.hit(
                "MAX_EVAL_DEPTH",
                format!(
                    "expressions nest more than {MAX_EVAL_DEPTH} levels deep (parentheses, function calls, `for` bodies and references to locals each count one)"
                ),
                false,
            );
        }
        let d = depth + 1;
        match expr {
            Expression::Null(_) => V::Null,
            Expression::Bool(b) => V::Bool(*b.value()),
            Expression::Number(n) => V::Num(n.value().to_string()),
            Expression::String(s) => self.bounded(V::Str(s.value().clone()), "a string"),
            Expression::Array(a) => {
                let items = a.iter().map(|e| self.eval_at(e, d)).collect();
                self.bounded(V::List(items), "a list")
            }
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
                self.bounded(V::Obj(out), "an object")
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
            Expression::Variable(v) => self.scoped(v.value().as_str()),
            Expression::ForExpr(f) => self.for_expr(f, d),
            Expression::UnaryOp(_) | Expression::BinaryOp(_) => V::Unknown,
        }
    }

    /// A `for` variable in scope (a copy, charged), or unknown.
    fn scoped(&self, name: &str) -> V {
        let found = self
            .scope
            .borrow()
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone());
        match found {
            Some(v) => {
                if !self.charge(v.measure().0) {
                    return V::Unknown;
                }
                v
            }
            None => V::Unknown,
        }
    }

    fn template(&self, t: &Template, d: usize) -> V {
        let mut out = String::new();
        for el in t.iter() {
            let part = match el {
                Element::Literal(l) => l.value().clone(),
                Element::Interpolation(i) => match self.eval_at(&i.expr, d) {
                    V::Null => String::new(),
                    V::Unknown => HOLE.to_string(),
                    v => match v.as_text() {
                        Some(s) => s,
                        None => return V::Unknown,
                    },
                },
                Element::Directive(_) => return V::Unknown,
            };
            if out.len().saturating_add(part.len()) > MAX_VALUE_BYTES {
                return self.too_large("a string template", out.len() + part.len());
            }
            out.push_str(&part);
        }
        self.bounded(V::Str(out), "a string template")
    }

    /// The value of `local.NAME` or `var.NAME`: evaluated once, then copied
    /// (the copy charged); a reference back into its own evaluation is a cycle.
    fn reference(&self, key: String, expr: &Expression, d: usize) -> V {
        let cached = self
            .memo
            .borrow()
            .get(&key)
            .map(|(v, w, limited)| (v.clone(), *w, *limited));
        if let Some((v, weight, limited)) = cached {
            if limited {
                // Unknown here for the same reason: counted again.
                self.hits.set(self.hits.get() + 1);
            }
            if !self.charge(weight) {
                return V::Unknown;
            }
            return v;
        }
        let cycle = {
            let active = self.active.borrow();
            active.iter().position(|k| *k == key).map(|at| {
                let mut chain: Vec<&str> = active[at..].iter().map(String::as_str).collect();
                chain.push(&key);
                chain.join(" → ")
            })
        };
        if let Some(chain) = cycle {
            return self.hit(
                crate::rules::analysis_limit::CYCLE,
                format!(
                    "`{chain}` refers back to itself; Terraform rejects such a configuration (\"Cycle: …\")"
                ),
                false,
            );
        }
        self.active.borrow_mut().push(key.clone());
        // A local sees no `for` variable of the place that refers to it.
        let outer = std::mem::take(&mut *self.scope.borrow_mut());
        let before = self.hits.get();
        let v = self.eval_at(expr, d);
        let limited = self.hits.get() > before;
        *self.scope.borrow_mut() = outer;
        self.active.borrow_mut().pop();
        let weight = v.measure().0;
        self.memo
            .borrow_mut()
            .insert(key, (v.clone(), weight, limited));
        v
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
        let rest = ops.get(1..).unwrap_or_default();
        match root.value().as_str() {
            "local" => match attr(0).and_then(|n| self.locals.get(n).map(|e| (n, e))) {
                Some((n, e)) => {
                    let base = self.reference(format!("local.{n}"), e, d);
                    self.apply(base, rest, d)
                }
                None => V::Unknown,
            },
            "var" => match attr(0).and_then(|n| self.vars.get(n).map(|e| (n, e))) {
                Some((n, Some(e))) => {
                    let base = self.reference(format!("var.{n}"), e, d);
                    self.apply(base, rest, d)
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
                let url = match body.get_attribute("url") {
                    Some(a) => self.reference(
                        format!("aws_iam_openid_connect_provider.{name}.url"),
                        &a.value,
                        d,
                    ),
                    None => return V::Unknown,
                };
                let Some(url) = url.known_str() else {
                    return V::Unknown;
                };
                let host_path = crate::lint::cross::provider_host_path(url).to_string();
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
            name => {
                let base = self.scoped(name);
                self.apply(base, ops, d)
            }
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

    /// `[for k, v in coll : expr if cond]` and `{for k, v in coll : key => value}`
    /// (`...` groups values by key). Maps are iterated in key order, as Terraform does.
    fn for_expr(&self, f: &ForExpr, d: usize) -> V {
        let items: Vec<(V, V)> = match self.eval_at(&f.intro.collection_expr, d) {
            V::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (V::Num(i.to_string()), v))
                .collect(),
            V::Obj(members) => {
                let mut by_key: std::collections::BTreeMap<String, V> =
                    std::collections::BTreeMap::new();
                for (k, v) in members {
                    by_key.insert(k, v);
                }
                by_key.into_iter().map(|(k, v)| (V::Str(k), v)).collect()
            }
            _ => return V::Unknown,
        };
        if items.len() > MAX_FOR_ITEMS {
            return self.hit(
                "MAX_FOR_ITEMS",
                format!(
                    "a `for` expression iterates {} elements; at most {} are followed",
                    thousands(items.len()),
                    thousands(MAX_FOR_ITEMS)
                ),
                false,
            );
        }
        let key_var = f.intro.key_var.as_ref().map(|k| k.value().to_string());
        let value_var = f.intro.value_var.value().to_string();
        let mut list = Vec::new();
        let mut object: Vec<(String, V)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (k, v) in items {
            let base = self.scope.borrow().len();
            {
                let mut scope = self.scope.borrow_mut();
                if let Some(name) = &key_var {
                    scope.push((name.clone(), k));
                }
                scope.push((value_var.clone(), v));
            }
            let one = self.for_item(f, d);
            self.scope.borrow_mut().truncate(base);
            match one {
                None => return V::Unknown,
                Some(None) => {}
                Some(Some((None, value))) => list.push(value),
                Some(Some((Some(key), value))) => match index.get(&key) {
                    Some(&at) if f.grouping => {
                        if let Some((_, V::List(group))) = object.get_mut(at) {
                            group.push(value);
                        }
                    }
                    // Terraform: "Duplicate object key".
                    Some(_) => return V::Unknown,
                    None => {
                        index.insert(key.clone(), object.len());
                        let value = if f.grouping {
                            V::List(vec![value])
                        } else {
                            value
                        };
                        object.push((key, value));
                    }
                },
            }
        }
        let v = if f.key_expr.is_some() {
            V::Obj(object)
        } else {
            V::List(list)
        };
        self.bounded(v, "a `for` expression")
    }

    /// One iteration: `None` when it cannot be known, `Some(None)` when the
    /// condition skips it, else the key (object form) and the value.
    #[allow(clippy::option_option)]
    fn for_item(&self, f: &ForExpr, d: usize) -> Option<Option<(Option<String>, V)>> {
        if let Some(cond) = &f.cond {
            match self.eval_at(&cond.expr, d) {
                V::Bool(true) => {}
                V::Bool(false) => return Some(None),
                _ => return None,
            }
        }
        let key = match &f.key_expr {
            Some(k) => match self.eval_at(k, d) {
                v @ (V::Str(_) | V::Num(_) | V::Bool(_)) => {
                    let text = v.as_text()?;
                    if text.contains(HOLE) {
                        return None;
                    }
                    Some(text)
                }
                _ => return None,
            },
            None => None,
        };
        Some(Some((key, self.eval_at(&f.value_expr, d))))
    }

    fn call(&self, f: &hcl_edit::expr::FuncCall, d: usize) -> V {
        if !f.name.namespace.is_empty() {
            return V::Unknown;
        }
        let name = f.name.name.value().as_str();
        let mut args: Vec<V> = f.args.iter().map(|a| self.eval_at(a, d)).collect();
        if f.args.expand_final() {
            // `f(a, list...)`: the last argument's elements are the arguments.
            match args.pop() {
                Some(V::List(items)) => args.extend(items),
                _ => return V::Unknown,
            }
        }
        let what = format!("{name}()");
        let v = self.function(name, args);
        self.bounded(v, &what)
    }

    fn function(&self, name: &str, args: Vec<V>) -> V {
        let text = |i: usize| args.get(i).and_then(V::as_text);
        match (name, args.len()) {
            ("replace", 3) => match (text(0), text(1), text(2)) {
                // A `/…/` search is a regular expression: not evaluated.
                (Some(s), Some(from), Some(to)) if !is_regex(&from) && !from.is_empty() => {
                    // The size is known before the string is built.
                    let n = s.matches(from.as_str()).count();
                    let size =
                        (s.len() - n * from.len()).saturating_add(n.saturating_mul(to.len()));
                    if size > MAX_VALUE_BYTES {
                        return self.too_large("replace()", size);
                    }
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
                    let Some(parts) = items.iter().map(V::as_text).collect::<Option<Vec<_>>>()
                    else {
                        return V::Unknown;
                    };
                    let size = parts.iter().fold(
                        sep.len().saturating_mul(parts.len().saturating_sub(1)),
                        |a, p| a.saturating_add(p.len()),
                    );
                    if size > MAX_VALUE_BYTES {
                        return self.too_large("join()", size);
                    }
                    V::Str(parts.join(&sep))
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
            ("flatten", 1) => match args.into_iter().next() {
                Some(V::List(items)) => {
                    let mut out = Vec::new();
                    if flatten_into(items, &mut out) {
                        V::List(out)
                    } else {
                        V::Unknown
                    }
                }
                _ => V::Unknown,
            },
            ("tolist" | "toset" | "distinct", 1) => match args.into_iter().next() {
                Some(V::List(items)) => {
                    let mut out: Vec<V> = Vec::new();
                    let mut seen: HashSet<String> = HashSet::new();
                    for i in items {
                        // Values with an unknown part may or may not be equal: kept.
                        let duplicate = canonical(&i).is_some_and(|key| !seen.insert(key));
                        if !duplicate {
                            out.push(i);
                        }
                    }
                    V::List(out)
                }
                _ => V::Unknown,
            },
            ("jsonencode", 1) => match args.first().and_then(jsonencode) {
                Some(s) if s.len() > MAX_VALUE_BYTES => self.too_large("jsonencode()", s.len()),
                Some(s) => V::Str(s),
                None => V::Unknown,
            },
            ("format", n) if n >= 1 => format(&args).map_or(V::Unknown, |s| {
                if s.len() > MAX_VALUE_BYTES {
                    self.too_large("format()", s.len())
                } else {
                    V::Str(s)
                }
            }),
            _ => V::Unknown,
        }
    }
}

/// `format(fmt, args…)` with `%s`, `%d`, `%v` and `%%`; `None` for anything
/// else. Stops (returns what it has, which the caller finds too large) once the
/// result passes [`MAX_VALUE_BYTES`].
fn format(args: &[V]) -> Option<String> {
    let fmt = args.first()?.as_text()?;
    let mut out = String::new();
    let mut next = 1;
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if out.len() > MAX_VALUE_BYTES {
            return Some(out);
        }
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'd' | 'v') => {
                match args.get(next)? {
                    V::Unknown => out.push(HOLE),
                    a => out.push_str(&a.as_text()?),
                }
                next += 1;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// `flatten()`: nested lists spliced in order; `false` when an element is unknown
/// (it may be a list).
fn flatten_into(items: Vec<V>, out: &mut Vec<V>) -> bool {
    for i in items {
        match i {
            V::List(inner) => {
                if !flatten_into(inner, out) {
                    return false;
                }
            }
            V::Unknown => return false,
            v => out.push(v),
        }
    }
    true
}

/// A text that is equal for equal values, `None` when the value has an unknown part.
fn canonical(v: &V) -> Option<String> {
    fn walk(v: &V, out: &mut String) -> Option<()> {
        match v {
            V::Null => out.push('n'),
            V::Bool(b) => out.push(if *b { 't' } else { 'f' }),
            V::Num(n) => {
                out.push('#');
                out.push_str(&serde_json::to_string(n).ok()?);
            }
            V::Str(s) if s.contains(HOLE) => return None,
            V::Str(s) => out.push_str(&serde_json::to_string(s).ok()?),
            V::List(items) => {
                out.push('[');
                for i in items {
                    walk(i, out)?;
                    out.push(',');
                }
                out.push(']');
            }
            V::Obj(members) => {
                out.push('{');
                for (k, v) in members {
                    out.push_str(&serde_json::to_string(k).ok()?);
                    out.push(':');
                    walk(v, out)?;
                    out.push(',');
                }
                out.push('}');
            }
            V::Unknown => return None,
        }
        Some(())
    }
    let mut out = String::new();
    walk(v, &mut out)?;
    Some(out)
}

/// `jsonencode()` as Terraform writes it: object keys sorted, `<`, `>` and `&`
/// escaped as `\u003c`, `\u003e`, `\u0026`; `None` when a part is unknown.
fn jsonencode(v: &V) -> Option<String> {
    fn walk(v: &V, out: &mut String) -> Option<()> {
        if out.len() > MAX_VALUE_BYTES {
            // The caller reports the size; the rest would only grow it.
            return Some(());
        }
        match v {
            V::Null => out.push_str("null"),
            V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            V::Num(n) => out.push_str(n),
            V::Str(s) if s.contains(HOLE) => return None,
            V::Str(s) => out.push_str(&serde_json::to_string(s).ok()?),
            V::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    walk(item, out)?;
                }
                out.push(']');
            }
            V::Obj(members) => {
                let mut sorted: Vec<&(String, V)> = members.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                sorted.dedup_by(|a, b| a.0 == b.0);
                out.push('{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).ok()?);
                    out.push(':');
                    walk(v, out)?;
                }
                out.push('}');
            }
            V::Unknown => return None,
        }
        Some(())
    }
    let mut out = String::new();
    walk(v, &mut out)?;
    Some(
        out.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026"),
    )
}

/// `replace("…", "/re/", …)` searches with a regular expression.
fn is_regex(search: &str) -> bool {
    search.len() > 1 && search.starts_with('/') && search.ends_with('/')
}

/// `1048576` → `1,048,576`.
pub fn thousands(n: usize) -> String {
    crate::rules::analysis_limit::thousands(n)
}

impl Env<'_> {
    /// Records a limit met by the front end itself (outside expression evaluation).
    pub fn note(&self, limit: &'static str, detail: String) {
        self.hit(limit, detail, false);
    }
}
