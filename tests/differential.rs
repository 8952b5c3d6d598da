//! Differential test: our condition engine against an independent IAM evaluator.
//!
//! From a fixed seed this generates condition blocks (one-statement policies) and
//! request contexts covering every operator family, both set qualifiers, `IfExists`,
//! `Null`, missing and multi-valued keys, wildcards, policy variables and their
//! escapes. Each block is evaluated twice:
//! - by us: the policy text goes through `policy::parse_policy_json`, and every
//!   condition entry through `iam::condition::evaluate`;
//! - by the peer, `@cloud-copilot/iam-simulate` (test-time only, AGPL; never a
//!   dependency of the crate), driven by `tests/peer/peer.js` in one node process.
//!
//! Block-level decisions and per-condition results must agree, except for the
//! documented peer deviations in [`KNOWN_DIFFERENCES`]. The generator stays clear of
//! the peer's other known quirks (see `docs/differential-testing.md`).
//!
//! Needs node and `npm ci --prefix tests/peer`. Run with
//! `cargo test --test differential -- --nocapture` to see the coverage matrix.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine as _;
use oidc_doctor::iam::condition;
use oidc_doctor::iam::context::{ContextValue, Origin, RequestContext};
use oidc_doctor::iam::operator::{BaseOperator, Family, Operator, Qualifier};
use oidc_doctor::policy::parse_policy_json;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

const SEED: u64 = 0x01DC_D0C7_0D1F;
const CASES: usize = 2000;
/// Block-level Match and NoMatch must each be at least this share of the cases.
const MIN_OUTCOME_SHARE: f64 = 0.30;

// ---------------------------------------------------------------------------
// Known differences: where the peer departs from AWS's documented semantics.
// ---------------------------------------------------------------------------

/// One condition entry as generated, with the request it is evaluated against.
struct EntryFacts<'a> {
    operator: Operator,
    key_present: bool,
    values: Vec<String>,
    ctx: &'a RequestContext,
}

/// Where the AWS-documented result of an entry comes from when the peer's own
/// answer cannot be trusted.
enum Oracle {
    /// AWS documents the result outright.
    Fixed(bool),
    /// The peer evaluates the entry with each value rewritten (`None` drops it)
    /// into one that means the same to AWS but avoids the peer's quirk.
    Rewrite(fn(&EntryFacts, &str) -> Option<String>),
}

struct KnownDifference {
    name: &'static str,
    /// What AWS documents, and where.
    reference: &'static str,
    /// Whether an entry falls under this difference (by its structure only).
    applies: fn(&EntryFacts) -> bool,
    oracle: Oracle,
}

/// For these entries our result is compared with the documented result (from the
/// oracle) instead of the peer's; a peer disagreement there is counted, not failed.
const KNOWN_DIFFERENCES: &[KnownDifference] = &[
    KnownDifference {
        name: "ForAnyValue:…IfExists on a missing key",
        reference: "IAM User Guide, \"IAM JSON policy elements: Condition operators\", \
            section \"…IfExists condition operators\": \"If the policy key is present in the \
            context of the request, process the key as specified in the policy. If the key is \
            not present, evaluate the condition element as true.\" \
            (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists). \
            The peer returns false: it applies ForAnyValue's missing-key rule before IfExists.",
        applies: |f| {
            f.operator.qualifier == Some(Qualifier::ForAnyValue)
                && f.operator.if_exists
                && !f.key_present
        },
        oracle: Oracle::Fixed(true),
    },
    KnownDifference {
        name: "${*} ${?} ${$} in a non-wildcard String operator",
        reference: "IAM User Guide, \"IAM policy elements: Variables and tags\", section \
            \"Special characters\": ${*}, ${?} and ${$} stand for `*`, `?` and `$`, and \
            \"These predefined policy variables can be used in any string where you can use \
            regular policy variables\" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html); \
            StringEquals and the other String operators take policy variables. The peer \
            substitutes them only in StringLike/StringNotLike/Arn* values and compares \
            `${*}` as the four characters elsewhere. Oracle: the peer on the value with the \
            characters written literally (they are literal in these operators).",
        applies: |f| {
            f.operator.base.family() == Family::String
                && !matches!(
                    f.operator.base,
                    BaseOperator::StringLike | BaseOperator::StringNotLike
                )
                && f.values.iter().any(|v| has_escape(v))
        },
        oracle: Oracle::Rewrite(|_, v| Some(unescape(v))),
    },
    KnownDifference {
        name: "negated operator with a policy variable that has no value",
        reference: "IAM User Guide, \"IAM policy elements: Variables and tags\", section \
            \"Policy variables with no value\": \"When you use a variable with no value in the \
            condition element of an IAM policy, … condition operators like StringEquals or \
            StringLike do not match … Inverted condition operators like StringNotEquals or \
            StringNotLike do match against a null value, as the value of the condition key they \
            are testing against is not equal to or like the effectively null value.\" \
            (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value); \
            a variable has no value when its key is absent or multi-valued and no default is \
            given. The peer says no match for String operators, and for Arn operators depends \
            on whether an earlier ARN part already differed. Oracle: the peer with those \
            values removed (a value nothing is equal to or like cannot stop a negated match).",
        applies: |f| {
            f.operator.base.is_negated()
                && matches!(f.operator.base.family(), Family::String | Family::Arn)
                && f.values.iter().any(|v| has_null_variable(v, f.ctx))
        },
        oracle: Oracle::Rewrite(|f, v| (!has_null_variable(v, f.ctx)).then(|| v.to_string())),
    },
];

/// `${…}` references in a policy value: (inner text, start, end) byte ranges.
fn variables_in(value: &str) -> Vec<(&str, usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(start) = value[i..].find("${").map(|s| s + i) {
        let Some(len) = value[start + 2..].find('}') else {
            break;
        };
        let end = start + 2 + len + 1;
        out.push((&value[start + 2..end - 1], start, end));
        i = end;
    }
    out
}

fn has_escape(value: &str) -> bool {
    variables_in(value)
        .iter()
        .any(|(inner, _, _)| matches!(*inner, "*" | "?" | "$"))
}

/// The value with `${*}`, `${?}`, `${$}` written as the characters themselves.
fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (inner, start, end) in variables_in(value) {
        if matches!(inner, "*" | "?" | "$") {
            out.push_str(&value[last..start]);
            out.push_str(inner);
            last = end;
        }
    }
    out.push_str(&value[last..]);
    assert_eq!(
        variables_in(&out).len(),
        variables_in(value).len()
            - variables_in(value)
                .iter()
                .filter(|v| matches!(v.0, "*" | "?" | "$"))
                .count(),
        "unescaping {value:?} must not create a variable"
    );
    out
}

/// Whether a value refers to a variable without a value: its key absent or
/// multi-valued, and no default given.
fn has_null_variable(value: &str, ctx: &RequestContext) -> bool {
    variables_in(value).iter().any(|(inner, _, _)| {
        if matches!(*inner, "*" | "?" | "$") || inner.contains(", '") {
            return false;
        }
        !matches!(
            ctx.get(inner.trim()).map(|e| &e.value),
            Some(ContextValue::Single(_))
        )
    })
}

// ---------------------------------------------------------------------------
// Value pools.
// ---------------------------------------------------------------------------

/// Request/policy strings: realistic GitLab values plus regex metacharacters,
/// literal `*`/`?`, `$`, and BMP letters whose case mapping is 1:1 (é/É, ü/Ü).
/// No newlines, no astral characters, no `${` (the peer's regexes have no `s`/`u`
/// flags; `${` would start a policy variable).
const STRINGS: &[&str] = &[
    "project_path:mygroup/myproject:ref_type:branch:ref:main",
    "project_path:mygroup/myproject:ref_type:tag:ref:v1.2.3",
    "project_path:mygroup/sub.group/deploy-tool:ref_type:branch:ref:release/2025.1",
    "sts.amazonaws.com",
    "https://gitlab.com",
    "mygroup/myproject",
    "main",
    "MAIN",
    "Café-Über-Straße",
    "déjà vu",
    "a+b(c)[d]{e}|^.\\z",
    "price: $5 or $$",
    "what?now",
    "star*name",
    "x*?y",
    "",
    " padded ",
    "user@example.com",
    "deploy_prod-01",
];

const STRING_KEYS: &[&str] = &[
    "gitlab.com:sub",
    "gitlab.com:aud",
    "gitlab.com:user_login",
    "gitlab.com:email",
    "gitlab.example.com/gitlab:sub",
    "aws:RequestTag/team",
];
const NUMERIC_KEYS: &[&str] = &[
    "gitlab.com:project_id",
    "gitlab.com:namespace_id",
    "gitlab.com:user_id",
    "aws:MultiFactorAuthAge",
];
const DATE_KEYS: &[&str] = &["aws:CurrentTime", "aws:EpochTime", "aws:TokenIssueTime"];
const BOOL_KEYS: &[&str] = &[
    "aws:SecureTransport",
    "gitlab.com:ref_protected",
    "aws:MultiFactorAuthPresent",
];
const BINARY_KEYS: &[&str] = &["test:BinaryBlob", "test:Signature"];
const IP_KEYS: &[&str] = &["aws:SourceIp", "aws:VpcSourceIp"];
const ARN_KEYS: &[&str] = &["aws:PrincipalArn", "aws:SourceArn", "aws:FederatedProvider"];
const NULL_KEYS: &[&str] = &["gitlab.com:amr", "aws:TagKeys", "gitlab.com:oaud"];
/// Keys that policy variables refer to (never the key under test).
const VARIABLE_KEYS: &[&str] = &[
    "aws:username",
    "aws:userid",
    "gitlab.com:namespace_path",
    "aws:PrincipalTag/project",
    "saml:sub",
];

/// ARNs as (partition, service, region, account, resource).
const ARNS: &[[&str; 5]] = &[
    ["aws", "iam", "", "123456789012", "role/deploy-prod"],
    ["aws", "iam", "", "123456789012", "oidc-provider/gitlab.com"],
    ["aws", "s3", "", "", "my-bucket/path/to/key.txt"],
    [
        "aws",
        "sts",
        "",
        "123456789012",
        "assumed-role/deploy/session-1",
    ],
    [
        "aws",
        "logs",
        "us-east-1",
        "123456789012",
        "log-group:/ci/jobs:log-stream:abc",
    ],
    ["aws-cn", "iam", "", "210987654321", "user/Alice"],
    [
        "aws",
        "lambda",
        "eu-west-1",
        "123456789012",
        "function:my-fn:$LATEST",
    ],
];

// ---------------------------------------------------------------------------
// Cases.
// ---------------------------------------------------------------------------

/// A condition value as written in the policy JSON.
#[derive(Debug, Clone)]
enum JsonScalar {
    Str(String),
    /// A JSON number or boolean, written raw.
    Raw(String),
}

impl JsonScalar {
    fn text(&self) -> &str {
        match self {
            JsonScalar::Str(s) | JsonScalar::Raw(s) => s,
        }
    }

    fn to_json(&self) -> String {
        match self {
            JsonScalar::Str(s) => serde_json::to_string(s).unwrap(),
            JsonScalar::Raw(r) => r.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    operator: String,
    /// The key as written in the policy (its case may differ from the context's).
    key: String,
    values: Vec<JsonScalar>,
    /// Written as a bare scalar rather than a one-element array.
    scalar: bool,
}

#[derive(Debug)]
struct Case {
    id: usize,
    entries: Vec<Entry>,
    /// Context keys with the name they were set under.
    context: Vec<(String, ContextValue)>,
    features: BTreeSet<&'static str>,
}

impl Case {
    fn condition_json(&self) -> String {
        condition_json(&self.entries)
    }

    fn policy_text(&self) -> String {
        policy_text(&self.entries)
    }

    /// The entries as the oracle for known differences sends them to the peer:
    /// values rewritten where a [`Oracle::Rewrite`] difference applies.
    fn adjusted_entries(&self) -> Vec<Entry> {
        let ctx = self.request_context();
        self.entries
            .iter()
            .map(|e| {
                let facts = EntryFacts {
                    operator: Operator::parse(&e.operator).expect("generated operator"),
                    key_present: ctx.get(&e.key).is_some(),
                    values: e.values.iter().map(|v| v.text().to_string()).collect(),
                    ctx: &ctx,
                };
                let mut values = e.values.clone();
                for d in KNOWN_DIFFERENCES {
                    if let Oracle::Rewrite(rewrite) = d.oracle
                        && (d.applies)(&facts)
                    {
                        values = values
                            .into_iter()
                            .filter_map(|v| match v {
                                JsonScalar::Str(s) => rewrite(&facts, &s).map(JsonScalar::Str),
                                raw => Some(raw),
                            })
                            .collect();
                    }
                }
                Entry {
                    values,
                    scalar: false,
                    ..e.clone()
                }
            })
            .collect()
    }

    fn context_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (name, value) in &self.context {
            let v = match value {
                ContextValue::Single(s) => json!(s),
                ContextValue::Multi(list) => json!(list),
            };
            map.insert(name.clone(), v);
        }
        Value::Object(map)
    }

    fn request_context(&self) -> RequestContext {
        let mut ctx = RequestContext::new();
        for (name, value) in &self.context {
            ctx.insert(name, value.clone(), Origin::Given);
        }
        ctx
    }
}

fn condition_json(entries: &[Entry]) -> String {
    let mut ops: Vec<(&str, Vec<&Entry>)> = Vec::new();
    for e in entries {
        match ops.iter_mut().find(|(op, _)| *op == e.operator) {
            Some((_, list)) => list.push(e),
            None => ops.push((&e.operator, vec![e])),
        }
    }
    let mut out = String::from("{");
    for (i, (op, entries)) in ops.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}: {{", serde_json::to_string(op).unwrap());
        for (j, e) in entries.iter().enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            let values = if e.scalar && e.values.len() == 1 {
                e.values[0].to_json()
            } else {
                let items: Vec<String> = e.values.iter().map(JsonScalar::to_json).collect();
                format!("[{}]", items.join(", "))
            };
            let _ = write!(out, "{}: {values}", serde_json::to_string(&e.key).unwrap());
        }
        out.push('}');
    }
    out.push('}');
    out
}

fn policy_text(entries: &[Entry]) -> String {
    format!(
        "{{\"Version\": \"2012-10-17\", \"Statement\": [{{\"Effect\": \"Allow\", \
         \"Principal\": {{\"Federated\": \"arn:aws:iam::123456789012:oidc-provider/gitlab.com\"}}, \
         \"Action\": \"sts:AssumeRoleWithWebIdentity\", \"Condition\": {}}}]}}",
        condition_json(entries)
    )
}

/// A policy value being built: the text written in the policy plus a request
/// value that it matches (when everything it refers to resolves).
#[derive(Default, Clone)]
struct Piece {
    policy: String,
    example: String,
}

impl Piece {
    fn push(&mut self, policy: &str, example: &str) {
        self.policy.push_str(policy);
        self.example.push_str(example);
    }
}

/// Policy values plus request values near them (equal, or one edit away) and far.
struct Domain {
    policy: Vec<JsonScalar>,
    near: Vec<String>,
    far: Vec<String>,
}

struct Builder<'r> {
    rng: &'r mut ChaCha8Rng,
    used_keys: BTreeSet<String>,
    context: Vec<(String, ContextValue)>,
    features: BTreeSet<&'static str>,
    entries: Vec<Entry>,
    /// Keys of the entries so far with whether the request has them.
    block_keys: Vec<String>,
}

fn flip_case(c: char) -> char {
    match c {
        'a'..='z' => c.to_ascii_uppercase(),
        'A'..='Z' => c.to_ascii_lowercase(),
        'é' => 'É',
        'É' => 'é',
        'ü' => 'Ü',
        'Ü' => 'ü',
        _ => c,
    }
}

impl Builder<'_> {
    fn p(&mut self, probability: f64) -> bool {
        self.rng.random_bool(probability)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        items.choose(self.rng).expect("non-empty pool")
    }

    fn feature(&mut self, name: &'static str) {
        self.features.insert(name);
    }

    /// A key from `pool` not yet used in this case.
    fn fresh_key(&mut self, pool: &[&str]) -> String {
        let base = *self.pick(pool);
        let mut name = base.to_string();
        let mut n = 2;
        while self.used_keys.contains(&name.to_lowercase()) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.used_keys.insert(name.to_lowercase());
        name
    }

    /// The key as written in the policy: sometimes in another case (IAM key names
    /// are case-insensitive).
    fn written_key(&mut self, key: &str) -> String {
        if self.p(0.15) {
            self.feature("key-case-variant");
            let flipped: String = key
                .chars()
                .map(|c| {
                    if self.rng.random_bool(0.5) {
                        flip_case(c)
                    } else {
                        c
                    }
                })
                .collect();
            flipped
        } else {
            key.to_string()
        }
    }

    fn set_context(&mut self, name: &str, value: ContextValue) {
        if let ContextValue::Multi(list) = &value {
            self.feature("multi-valued-key");
            if list.is_empty() {
                self.feature("empty-multi-valued-key");
            }
        }
        self.context.push((name.to_string(), value));
    }

    /// A policy variable standing for `value` (non-empty, no `'`, `,`, `{`, `}`,
    /// `$`). Returns the piece: its example is `value` whenever the variable can
    /// resolve to it.
    fn variable(&mut self, value: &str) -> Piece {
        self.feature("policy-variable");
        let key = self.fresh_key(VARIABLE_KEYS);
        let written = self.written_key(&key);
        // A literal `*`/`?` inside a substituted value stays literal.
        let value = if self.p(0.15) {
            self.feature("variable-value-with-wildcard-char");
            let c = if self.p(0.5) { '*' } else { '?' };
            let at = self.rng.random_range(0..=value.chars().count());
            let mut v: Vec<char> = value.chars().collect();
            v.insert(at, c);
            v.into_iter().collect()
        } else {
            value.to_string()
        };
        let roll = self.rng.random_range(0..100);
        let mut piece = Piece::default();
        if roll < 70 {
            self.set_context(&key, ContextValue::Single(value.clone()));
            piece.push(&format!("${{{written}}}"), &value);
        } else if roll < 80 {
            self.feature("variable-default");
            piece.push(&format!("${{{written}, '{value}'}}"), &value);
        } else if roll < 88 {
            self.feature("variable-missing");
            piece.push(&format!("${{{written}}}"), &value);
        } else if roll < 94 {
            self.feature("variable-multi-valued");
            self.set_context(
                &key,
                ContextValue::Multi(vec![value.clone(), "other".into()]),
            );
            piece.push(&format!("${{{written}}}"), &value);
        } else {
            self.feature("variable-default");
            self.feature("variable-multi-valued");
            self.set_context(&key, ContextValue::Multi(vec![value.clone()]));
            piece.push(&format!("${{{written}, '{value}'}}"), &value);
        }
        piece
    }

    /// One edit away from `s`.
    fn mutate(&mut self, s: &str) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        let filler = *self.pick(&['x', 'Z', '0', '-', 'é', '/']);
        match self.rng.random_range(0..3) {
            0 if !chars.is_empty() => {
                let i = self.rng.random_range(0..chars.len());
                chars[i] = if chars[i] == filler { 'q' } else { filler };
            }
            1 if !chars.is_empty() => {
                let i = self.rng.random_range(0..chars.len());
                chars.remove(i);
            }
            _ => {
                let i = self.rng.random_range(0..=chars.len());
                chars.insert(i, filler);
            }
        }
        chars.into_iter().collect()
    }

    fn case_variant(&mut self, s: &str) -> String {
        s.chars()
            .map(|c| {
                if self.rng.random_bool(0.4) {
                    flip_case(c)
                } else {
                    c
                }
            })
            .collect()
    }

    // ----- families ---------------------------------------------------------

    fn string_domain(&mut self, base: BaseOperator) -> Domain {
        let like = matches!(base, BaseOperator::StringLike | BaseOperator::StringNotLike);
        let ignore_case = matches!(
            base,
            BaseOperator::StringEqualsIgnoreCase | BaseOperator::StringNotEqualsIgnoreCase
        );
        let n = self.value_count();
        let mut pieces = Vec::new();
        for _ in 0..n {
            let source = *self.pick(STRINGS);
            if !source.is_ascii() {
                self.feature("non-ascii");
            }
            if source.contains(|c: char| "+()[]{}|^.\\$".contains(c)) {
                self.feature("regex-metacharacter");
            }
            if like && self.p(0.05) {
                self.feature("like-star-only");
                pieces.push(Piece {
                    policy: "*".into(),
                    example: source.into(),
                });
                continue;
            }
            let chars: Vec<char> = source.chars().collect();
            // An alphanumeric run that a policy variable may stand for.
            let var_span = if self.p(0.18) {
                alnum_run(&chars)
            } else {
                None
            };
            let mut piece = Piece::default();
            let mut i = 0;
            while i < chars.len() {
                if let Some((start, end)) = var_span
                    && i == start
                {
                    let value: String = chars[start..end].iter().collect();
                    let v = self.variable(&value);
                    piece.push(&v.policy, &v.example);
                    i = end;
                    continue;
                }
                let c = chars[i];
                if like && self.p(0.06) {
                    self.feature("like-wildcard-*");
                    let run = self.rng.random_range(0..=3).min(chars.len() - i);
                    let run =
                        var_span.map_or(run, |(s, _)| if i < s { run.min(s - i) } else { run });
                    let text: String = chars[i..i + run].iter().collect();
                    piece.push("*", &text);
                    i += run;
                    continue;
                }
                if like && self.p(0.06) {
                    self.feature("like-wildcard-?");
                    piece.push("?", &c.to_string());
                    i += 1;
                    continue;
                }
                let escape = match c {
                    '*' if self.p(0.5) => Some("${*}"),
                    '?' if self.p(0.5) => Some("${?}"),
                    '$' if self.p(0.5) => Some("${$}"),
                    _ => None,
                };
                if let Some(e) = escape {
                    self.feature(match c {
                        '*' => "escape-${*}",
                        '?' => "escape-${?}",
                        _ => "escape-${$}",
                    });
                    piece.push(e, &c.to_string());
                } else {
                    let written = if ignore_case && self.p(0.3) {
                        flip_case(c)
                    } else {
                        c
                    };
                    piece.push(&written.to_string(), &c.to_string());
                }
                i += 1;
            }
            // An escape inserted where the source has no such character.
            if self.p(0.08) {
                let (e, lit, f) = *self.pick(&[
                    ("${*}", "*", "escape-${*}"),
                    ("${?}", "?", "escape-${?}"),
                    ("${$}", "$", "escape-${$}"),
                ]);
                self.feature(f);
                piece.push(e, lit);
            }
            pieces.push(piece);
        }
        let mut near = Vec::new();
        for p in &pieces {
            near.push(p.example.clone());
            let m = self.mutate(&p.example);
            near.push(m);
            let cv = self.case_variant(&p.example);
            if cv != p.example {
                self.feature("case-variant-request");
            }
            near.push(cv);
            if ignore_case {
                near.push(p.example.clone());
            }
        }
        let far = (0..3).map(|_| self.pick(STRINGS).to_string()).collect();
        Domain {
            policy: pieces
                .into_iter()
                .map(|p| JsonScalar::Str(p.policy))
                .collect(),
            near,
            far,
        }
    }

    fn numeric_domain(&mut self) -> Domain {
        let n = self.value_count();
        let mut policy = Vec::new();
        let mut numbers = Vec::new();
        for _ in 0..n {
            if self.p(0.04) {
                self.feature("invalid-policy-value");
                policy.push(JsonScalar::Str("abc".into()));
                continue;
            }
            // Zero often: `-0` is a well-formed way to write it.
            let int: i64 = if self.p(0.1) {
                0
            } else {
                self.rng.random_range(-20..=20)
            };
            if int < 0 {
                self.feature("numeric-negative");
            }
            if self.p(0.3) {
                self.feature("numeric-decimal");
                let frac = *self.pick(&["5", "25", "75"]);
                let text = if int < 0 {
                    format!("-{}.{frac}", -int)
                } else {
                    format!("{int}.{frac}")
                };
                numbers.push(text.clone());
                policy.push(JsonScalar::Str(text));
            } else {
                numbers.push(int.to_string());
                if self.p(0.2) {
                    self.feature("json-number-value");
                    policy.push(JsonScalar::Raw(int.to_string()));
                } else {
                    policy.push(JsonScalar::Str(int.to_string()));
                }
            }
        }
        let mut near = Vec::new();
        for t in &numbers {
            near.push(t.clone());
            near.push(t.clone());
            // The same number written differently.
            let alt = if t.contains('.') {
                format!("{t}0")
            } else {
                format!("{t}.0")
            };
            near.push(alt);
            if t == "0" {
                self.feature("numeric-negative-zero");
                near.extend(["-0".to_string(), "-0".to_string(), "-0.0".to_string()]);
            }
            let v: f64 = t.parse().unwrap();
            for d in [-1.0, 1.0, 0.5] {
                near.push(format_number(v + d));
            }
        }
        if near.is_empty() {
            near.push("7".into());
        }
        let mut far = vec![self.rng.random_range(-100i64..=100).to_string()];
        if self.p(0.05) {
            self.feature("invalid-request-value");
            far.push("abc".into());
        }
        Domain { policy, near, far }
    }

    fn date_domain(&mut self) -> Domain {
        // One form per entry: the peer compares epoch seconds raw against
        // Date.parse milliseconds, so forms are never mixed within an entry.
        let form = self.rng.random_range(0..3);
        self.feature(["date-iso8601", "date-day", "date-epoch"][form]);
        let day = 86_400i64;
        let mut base = 1_500_000_000 + self.rng.random_range(0..300_000_000i64);
        if form == 1 {
            base -= base.rem_euclid(day);
        }
        let fmt = |t: i64| -> String {
            let dt = chrono::DateTime::from_timestamp(t, 0).unwrap();
            match form {
                0 => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                1 => dt.format("%Y-%m-%d").to_string(),
                _ => t.to_string(),
            }
        };
        let n = self.value_count().min(2);
        let mut policy = Vec::new();
        let mut instants = Vec::new();
        for _ in 0..n {
            if self.p(0.03) {
                self.feature("invalid-policy-value");
                policy.push(JsonScalar::Str("not-a-date".into()));
                continue;
            }
            let mut t = base + self.rng.random_range(-3..=3i64) * day;
            if form != 1 {
                t += self.rng.random_range(-5000..5000i64);
            }
            instants.push(t);
            policy.push(JsonScalar::Str(fmt(t)));
        }
        let step = if form == 1 { day } else { 1 };
        let mut near = Vec::new();
        for t in &instants {
            near.extend([fmt(*t), fmt(*t), fmt(t - step), fmt(t + step)]);
        }
        if near.is_empty() {
            near.push(fmt(base));
        }
        let mut far = vec![fmt(base + 400 * day), fmt(base - 400 * day)];
        if self.p(0.05) {
            self.feature("invalid-request-value");
            far.push("not-a-date".into());
        }
        Domain { policy, near, far }
    }

    fn bool_domain(&mut self) -> Domain {
        let n = if self.p(0.85) { 1 } else { 2 };
        let mut policy = Vec::new();
        for _ in 0..n {
            let b = self.p(0.5);
            let roll = self.rng.random_range(0..100);
            if roll < 20 {
                self.feature("json-bool-value");
                policy.push(JsonScalar::Raw(b.to_string()));
            } else if roll < 28 {
                let text = if b { "true" } else { "False" };
                let v = self.variable(text);
                policy.push(JsonScalar::Str(v.policy));
            } else if roll < 31 {
                self.feature("invalid-policy-value");
                policy.push(JsonScalar::Str("yes".into()));
            } else {
                let text = *self.pick(if b {
                    &["true", "True", "TRUE"]
                } else {
                    &["false", "False", "FALSE"]
                });
                policy.push(JsonScalar::Str(text.into()));
            }
        }
        let near = vec!["true".into(), "false".into(), "True".into(), "FALSE".into()];
        let mut far = vec!["true".into(), "false".into()];
        if self.p(0.1) {
            self.feature("invalid-request-value");
            far.push("yes".into());
        }
        Domain { policy, near, far }
    }

    fn binary_domain(&mut self) -> Domain {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let n = self.value_count().min(2);
        let mut policy = Vec::new();
        let mut near = Vec::new();
        for _ in 0..n {
            let len = self.rng.random_range(1..=9);
            let bytes: Vec<u8> = (0..len).map(|_| self.rng.random()).collect();
            let text = b64(&bytes);
            near.push(text.clone());
            let mut other = bytes.clone();
            other[0] ^= 1;
            near.push(b64(&other));
            policy.push(JsonScalar::Str(text));
        }
        let len = self.rng.random_range(1..=9);
        let bytes: Vec<u8> = (0..len).map(|_| self.rng.random()).collect();
        let mut far = vec![b64(&bytes)];
        if self.p(0.1) {
            self.feature("invalid-request-value");
            far.push("%%not-base64%%".into());
        }
        Domain { policy, near, far }
    }

    fn ip_domain(&mut self) -> Domain {
        // 0: IPv4 only, 1: IPv6 only, 2: both in the policy.
        let mix = self.rng.random_range(0..3);
        let n = self.value_count();
        let mut nets: Vec<(IpAddr, u8, bool)> = Vec::new();
        for i in 0..n {
            let v6 = match mix {
                0 => false,
                1 => true,
                _ => i % 2 == 1 || self.p(0.3),
            };
            let addr = if v6 {
                self.feature("ipv6");
                IpAddr::V6(self.random_v6())
            } else {
                self.feature("ipv4");
                IpAddr::V4(self.random_v4())
            };
            // A plain address (no `/`) only when the policy has one family: the peer
            // says NotIpAddress does not match a request of the other family there
            // (it compares plain addresses as text, same family only).
            let plain = mix != 2 && self.p(0.25);
            // Never /0: the peer's IPv4 mask shift turns /0 into /32.
            let prefix = match addr {
                IpAddr::V4(_) if plain => 32,
                IpAddr::V6(_) if plain => 128,
                IpAddr::V4(_) => self.rng.random_range(8..=32),
                IpAddr::V6(_) => self.rng.random_range(16..=128),
            };
            nets.push((addr, prefix, plain));
        }
        let any_plain = nets.iter().any(|n| n.2);
        if any_plain {
            self.feature("ip-plain-address");
        }
        let mut policy: Vec<JsonScalar> = nets
            .iter()
            .map(|(addr, prefix, plain)| {
                JsonScalar::Str(if *plain {
                    addr.to_string()
                } else {
                    format!("{addr}/{prefix}")
                })
            })
            .collect();
        if self.p(0.03) {
            self.feature("invalid-policy-value");
            policy.push(JsonScalar::Str("not-an-ip".into()));
        }
        let mut near = Vec::new();
        for (addr, prefix, _) in &nets {
            near.push(self.inside(*addr, *prefix, false));
            near.push(self.inside(*addr, *prefix, false));
            if addr.is_ipv6() && !any_plain {
                // Written out in full: the peer compares plain IPv6 policy addresses
                // as text, so only when there is none.
                near.push(self.inside(*addr, *prefix, true));
            }
            // Just outside the range (or a neighbour of the address).
            near.push(self.outside(*addr, *prefix));
        }
        let mut far = vec![match mix {
            1 => IpAddr::V6(self.random_v6()).to_string(),
            _ => IpAddr::V4(self.random_v4()).to_string(),
        }];
        if mix == 2 {
            far.push(IpAddr::V6(self.random_v6()).to_string());
        } else if !any_plain {
            // A request of the other family.
            self.feature("ip-cross-family-request");
            far.push(if mix == 0 {
                IpAddr::V6(self.random_v6()).to_string()
            } else {
                IpAddr::V4(self.random_v4()).to_string()
            });
        }
        if self.p(0.05) {
            self.feature("invalid-request-value");
            far.push(
                self.pick(&["not-an-ip", "10.0.0.0/8", "300.1.2.3"])
                    .to_string(),
            );
        }
        Domain { policy, near, far }
    }

    fn random_v4(&mut self) -> Ipv4Addr {
        let first = *self.pick(&[10u8, 172, 192, 203, 198]);
        Ipv4Addr::new(
            first,
            self.rng.random(),
            self.rng.random(),
            self.rng.random(),
        )
    }

    fn random_v6(&mut self) -> Ipv6Addr {
        // 2001:db8::/32 (documentation), with zero runs so `::` appears. Never
        // IPv4-mapped, whose display form is dotted.
        let mut g = [0x2001u16, 0x0db8, 0, 0, 0, 0, 0, 0];
        for slot in g.iter_mut().skip(2) {
            if self.p(0.5) {
                *slot = self.rng.random();
            }
        }
        Ipv6Addr::new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7])
    }

    /// An address inside `addr/prefix`, displayed canonically or written in full.
    fn inside(&mut self, addr: IpAddr, prefix: u8, full: bool) -> String {
        match addr {
            IpAddr::V4(a) => {
                let mask = if prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - prefix)
                };
                let host: u32 = self.rng.random();
                Ipv4Addr::from((u32::from(a) & mask) | (host & !mask)).to_string()
            }
            IpAddr::V6(a) => {
                let mask = if prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - prefix)
                };
                let host: u128 = if self.p(0.5) { self.rng.random() } else { 0 };
                let ip = Ipv6Addr::from((u128::from(a) & mask) | (host & !mask));
                if full {
                    self.feature("ipv6-uncompressed");
                    ip.segments()
                        .iter()
                        .map(|s| format!("{s:04x}"))
                        .collect::<Vec<_>>()
                        .join(":")
                } else {
                    ip.to_string()
                }
            }
        }
    }

    /// An address just outside `addr/prefix` (flipping the last network bit).
    fn outside(&mut self, addr: IpAddr, prefix: u8) -> String {
        match addr {
            IpAddr::V4(a) => {
                let bit = 1u32 << (32 - prefix.max(1));
                Ipv4Addr::from(u32::from(a) ^ bit).to_string()
            }
            IpAddr::V6(a) => {
                let bit = 1u128 << (128 - prefix.max(1));
                let ip = Ipv6Addr::from(u128::from(a) ^ bit);
                if ip.to_ipv4_mapped().is_some() {
                    return IpAddr::V6(self.random_v6()).to_string();
                }
                ip.to_string()
            }
        }
    }

    fn arn_domain(&mut self) -> Domain {
        let n = self.value_count();
        let mut policy = Vec::new();
        let mut near = Vec::new();
        for _ in 0..n {
            let parts = *self.pick(ARNS);
            let mut policy_parts: Vec<String> = Vec::new();
            let mut example_parts: Vec<String> = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                let mut piece = Piece::default();
                if i < 4 && self.p(0.12) {
                    self.feature("arn-wildcard");
                    piece.push("*", part);
                } else if i == 4 && !part.is_empty() && self.p(0.1) {
                    self.feature("arn-wildcard");
                    let mut chars: Vec<char> = part.chars().collect();
                    let at = self.rng.random_range(0..chars.len());
                    chars[at] = '?';
                    let pol: String = chars.iter().collect();
                    piece.push(&pol, part);
                } else if i == 4 {
                    // The resource: wildcards, and policy variables (only here: the
                    // variable's own name has a colon, and only the resource may).
                    let chars: Vec<char> = part.chars().collect();
                    let var = if self.p(0.15) {
                        alnum_run(&chars)
                    } else {
                        None
                    };
                    let mut j = 0;
                    while j < chars.len() {
                        if let Some((s, e)) = var
                            && j == s
                        {
                            let value: String = chars[s..e].iter().collect();
                            self.feature("arn-variable");
                            let v = self.variable(&value);
                            piece.push(&v.policy, &v.example);
                            j = e;
                            continue;
                        }
                        if self.p(0.05) && var.is_none_or(|(s, _)| j >= s) {
                            self.feature("arn-wildcard");
                            let rest: String = chars[j..].iter().collect();
                            piece.push("*", &rest);
                            j = chars.len();
                            continue;
                        }
                        if self.p(0.04) {
                            self.feature("arn-wildcard");
                            piece.push("?", &chars[j].to_string());
                        } else {
                            piece.push(&chars[j].to_string(), &chars[j].to_string());
                        }
                        j += 1;
                    }
                } else {
                    piece.push(part, part);
                }
                policy_parts.push(piece.policy);
                example_parts.push(piece.example);
            }
            let example = format!("arn:{}", example_parts.join(":"));
            near.push(example.clone());
            near.push(example.clone());
            // One part changed.
            let i = self.rng.random_range(0..5);
            let mut changed = example_parts.clone();
            changed[i] = self.mutate(&changed[i]).replace(':', "");
            near.push(format!("arn:{}", changed.join(":")));
            policy.push(JsonScalar::Str(format!("arn:{}", policy_parts.join(":"))));
        }
        if self.p(0.03) {
            self.feature("invalid-policy-value");
            policy.push(JsonScalar::Str("not-an-arn".into()));
        }
        let other = *self.pick(ARNS);
        let mut far = vec![format!("arn:{}", other.join(":"))];
        if self.p(0.05) {
            self.feature("invalid-request-value");
            far.push("not-an-arn".into());
        }
        Domain { policy, near, far }
    }

    /// A family, weighted roughly by its number of operators.
    fn family(&mut self) -> Family {
        const WEIGHTS: [(Family, u32); 8] = [
            (Family::String, 22),
            (Family::Numeric, 14),
            (Family::Date, 14),
            (Family::Bool, 8),
            (Family::Binary, 7),
            (Family::IpAddress, 12),
            (Family::Arn, 13),
            (Family::Null, 10),
        ];
        let total: u32 = WEIGHTS.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.random_range(0..total);
        for (f, w) in WEIGHTS {
            if roll < w {
                return f;
            }
            roll -= w;
        }
        unreachable!()
    }

    fn value_count(&mut self) -> usize {
        match self.rng.random_range(0..100) {
            0..60 => 1,
            60..85 => 2,
            _ => 3,
        }
    }

    fn request_value(&mut self, d: &Domain) -> String {
        if self.p(0.8) {
            self.pick(&d.near).clone()
        } else {
            self.pick(&d.far).clone()
        }
    }

    // ----- entries ----------------------------------------------------------

    fn add_entry(&mut self) {
        let family = self.family();
        let bases: Vec<BaseOperator> = BaseOperator::ALL
            .iter()
            .copied()
            .filter(|b| b.family() == family)
            .collect();
        let base = *self.pick(&bases);
        if family == Family::Null {
            self.add_null_entry();
            return;
        }
        let qualifier = match self.rng.random_range(0..100) {
            0..46 => None,
            46..73 => Some(Qualifier::ForAnyValue),
            _ => Some(Qualifier::ForAllValues),
        };
        let if_exists = self.p(0.3);
        let operator = format!(
            "{}{}{}",
            qualifier.map_or("", Qualifier::prefix),
            base.name(),
            if if_exists { "IfExists" } else { "" }
        );
        if self.entries.iter().any(|e| e.operator == operator) {
            return;
        }
        let pool = match family {
            Family::String => STRING_KEYS,
            Family::Numeric => NUMERIC_KEYS,
            Family::Date => DATE_KEYS,
            Family::Bool => BOOL_KEYS,
            Family::Binary => BINARY_KEYS,
            Family::IpAddress => IP_KEYS,
            Family::Arn => ARN_KEYS,
            Family::Null => unreachable!(),
        };
        let key = self.fresh_key(pool);
        let domain = match family {
            Family::String => self.string_domain(base),
            Family::Numeric => self.numeric_domain(),
            Family::Date => self.date_domain(),
            Family::Bool => self.bool_domain(),
            Family::Binary => self.binary_domain(),
            Family::IpAddress => self.ip_domain(),
            Family::Arn => self.arn_domain(),
            Family::Null => unreachable!(),
        };
        // The request: missing, single or multi-valued.
        let roll = self.rng.random_range(0..100);
        let (missing, multi) = match qualifier {
            None => (roll < 15, roll >= 90),
            Some(_) => (roll < 20, roll >= 55),
        };
        if missing {
            self.feature("missing-key");
        } else if multi {
            let len = if self.p(0.15) {
                0
            } else {
                self.rng.random_range(1..=3)
            };
            let values = (0..len).map(|_| self.request_value(&domain)).collect();
            self.set_context(&key, ContextValue::Multi(values));
        } else {
            let v = self.request_value(&domain);
            self.set_context(&key, ContextValue::Single(v));
        }
        let written = self.written_key(&key);
        let scalar = domain.policy.len() == 1 && self.p(0.4);
        if scalar {
            self.feature("scalar-value");
        }
        self.block_keys.push(key);
        self.entries.push(Entry {
            operator,
            key: written,
            values: domain.policy,
            scalar,
        });
    }

    fn add_null_entry(&mut self) {
        if self.entries.iter().any(|e| e.operator == "Null") {
            return;
        }
        // Test a key of the block (present or not), or a fresh one.
        let key = if !self.block_keys.is_empty() && self.p(0.5) {
            self.feature("null-on-block-key");
            let keys = self.block_keys.clone();
            self.pick(&keys).clone()
        } else {
            let key = self.fresh_key(NULL_KEYS);
            match self.rng.random_range(0..10) {
                0..4 => self.feature("missing-key"),
                4..8 => self.set_context(&key, ContextValue::Single("pwd".into())),
                8 => self.set_context(&key, ContextValue::Multi(vec!["a".into(), "b".into()])),
                _ => self.set_context(&key, ContextValue::Multi(vec![])),
            }
            key
        };
        let values = match self.rng.random_range(0..20) {
            0..8 => vec![JsonScalar::Str("true".into())],
            8..16 => vec![JsonScalar::Str("false".into())],
            16 => vec![JsonScalar::Str("True".into())],
            17 => vec![JsonScalar::Raw("true".into())],
            18 => vec![JsonScalar::Raw("false".into())],
            _ => vec![
                JsonScalar::Str("true".into()),
                JsonScalar::Str("false".into()),
            ],
        };
        let written = self.written_key(&key);
        let scalar = values.len() == 1 && self.p(0.5);
        self.block_keys.push(key);
        self.entries.push(Entry {
            operator: "Null".into(),
            key: written,
            values,
            scalar,
        });
    }
}

/// The longest run (≥ 2) of `[A-Za-z0-9_.-]`, as a char range.
fn alnum_run(chars: &[char]) -> Option<(usize, usize)> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < chars.len() {
        if ok(chars[i]) {
            let start = i;
            while i < chars.len() && ok(chars[i]) {
                i += 1;
            }
            if i - start >= 2 && best.is_none_or(|(s, e)| i - start > e - s) {
                best = Some((start, i));
            }
        } else {
            i += 1;
        }
    }
    best
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn generate(seed: u64, count: usize) -> Vec<Case> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count)
        .map(|id| {
            let entries = match rng.random_range(0..100) {
                0..60 => 1,
                60..90 => 2,
                _ => 3,
            };
            let mut b = Builder {
                rng: &mut rng,
                used_keys: BTreeSet::new(),
                context: Vec::new(),
                features: BTreeSet::new(),
                entries: Vec::new(),
                block_keys: Vec::new(),
            };
            while b.entries.len() < entries {
                b.add_entry();
            }
            // Unrelated context keys the block never mentions.
            if b.p(0.3) {
                let k = b.fresh_key(&["aws:RequestedRegion", "gitlab.com:pipeline_source"]);
                b.set_context(&k, ContextValue::Single("us-east-1".into()));
            }
            Case {
                id,
                entries: b.entries,
                context: b.context,
                features: b.features,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Evaluation.
// ---------------------------------------------------------------------------

struct OurCondition {
    operator: String,
    key: String,
    values: Vec<String>,
    parsed: Operator,
    key_present: bool,
    multi: bool,
    result: Option<bool>,
    reason: String,
}

fn evaluate_ours(case: &Case, policy_text: &str) -> Result<Vec<OurCondition>, String> {
    let policy = parse_policy_json(policy_text).map_err(|e| format!("parse error: {e:?}"))?;
    if !policy.problems.is_empty() {
        return Err(format!("policy problems: {:?}", policy.problems));
    }
    let ctx = case.request_context();
    let statement = policy.statements.first().ok_or("no statement")?;
    let mut out = Vec::new();
    for c in &statement.conditions {
        let parsed = Operator::parse(&c.operator.value)
            .map_err(|e| format!("operator {:?}: {e:?}", c.operator.value))?;
        let values: Vec<String> = c.values.iter().map(|v| v.value.text.clone()).collect();
        let outcome = condition::evaluate(
            &parsed,
            &c.key.value,
            &values,
            &ctx,
            policy.variables_enabled(),
        );
        let entry = ctx.get(&c.key.value);
        out.push(OurCondition {
            operator: c.operator.value.clone(),
            key: c.key.value.clone(),
            values,
            key_present: entry.is_some(),
            multi: matches!(entry.map(|e| &e.value), Some(ContextValue::Multi(_))),
            parsed,
            result: outcome.result,
            reason: outcome.reason,
        });
    }
    Ok(out)
}

struct PeerResult {
    block: bool,
    conditions: Vec<(String, String, bool)>,
}

/// Runs the peer once over `(id, policy text, context)` inputs, in order.
fn run_peer(inputs: &[(usize, String, Value)]) -> Vec<Result<PeerResult, String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peer");
    assert!(
        dir.join("node_modules/@cloud-copilot/iam-simulate")
            .is_dir(),
        "the differential test's peer is not installed: run `npm ci --prefix tests/peer` \
         (needs node 20+ and the npm registry; the repository's test script does this)"
    );
    let input: Vec<Value> = inputs
        .iter()
        .map(|(id, policy, context)| json!({"id": id, "policy": policy, "context": context}))
        .collect();
    let input = serde_json::to_vec(&input).unwrap();
    let mut child = Command::new("node")
        .arg(dir.join("peer.js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `node` for the differential peer: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().expect("peer output");
    writer
        .join()
        .unwrap()
        .expect("writing the cases to the peer");
    assert!(
        output.status.success(),
        "peer.js failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).expect("peer JSON output");
    assert_eq!(results.len(), inputs.len(), "one peer result per input");
    results
        .into_iter()
        .zip(inputs)
        .map(|(r, (id, _, _))| {
            assert_eq!(r["id"].as_u64(), Some(*id as u64), "peer results in order");
            if let Some(e) = r["error"].as_str() {
                return Err(e.to_string());
            }
            let block = match r["block"].as_str() {
                Some("Match") => true,
                Some("NoMatch") => false,
                other => return Err(format!("unexpected block result {other:?}")),
            };
            let conditions = r["conditions"]
                .as_array()
                .ok_or("no conditions")?
                .iter()
                .map(|c| {
                    (
                        c["operator"].as_str().unwrap_or_default().to_string(),
                        c["key"].as_str().unwrap_or_default().to_string(),
                        c["matches"].as_bool().unwrap_or_default(),
                    )
                })
                .collect();
            Ok(PeerResult { block, conditions })
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Coverage.
// ---------------------------------------------------------------------------

const VARIANTS: [&str; 6] = [
    "plain",
    "IfExists",
    "ForAnyValue",
    "ForAnyValue+IfExists",
    "ForAllValues",
    "ForAllValues+IfExists",
];

fn variant_index(op: &Operator) -> usize {
    let q = match op.qualifier {
        None => 0,
        Some(Qualifier::ForAnyValue) => 2,
        Some(Qualifier::ForAllValues) => 4,
    };
    q + usize::from(op.if_exists)
}

#[derive(Default)]
struct Coverage {
    /// family → variant → [false, true] counts.
    cells: BTreeMap<Family, [[usize; 2]; 6]>,
    missing: BTreeMap<Family, usize>,
    multi: BTreeMap<Family, usize>,
    operators: BTreeMap<&'static str, usize>,
    block: [usize; 2],
    conditions: usize,
    features: BTreeMap<&'static str, usize>,
    /// Known difference → conditions it applied to.
    applied: BTreeMap<&'static str, usize>,
    /// Known difference → conditions where the peer differed and we matched the
    /// documented result.
    exceptions: BTreeMap<&'static str, usize>,
}

impl Coverage {
    fn record(&mut self, c: &OurCondition, result: bool) {
        let family = c.parsed.base.family();
        self.cells.entry(family).or_default()[variant_index(&c.parsed)][usize::from(result)] += 1;
        if !c.key_present {
            *self.missing.entry(family).or_default() += 1;
        }
        if c.multi {
            *self.multi.entry(family).or_default() += 1;
        }
        *self.operators.entry(c.parsed.base.name()).or_default() += 1;
        self.conditions += 1;
    }

    fn render(&self, cases: usize) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Coverage: {cases} cases, {} conditions (seed {SEED:#x}); cells are true/false per condition (our engine)",
            self.conditions
        );
        let _ = write!(s, "{:<10}", "family");
        for v in VARIANTS {
            let _ = write!(s, " | {v:>21}");
        }
        let _ = writeln!(s, " | {:>7} | {:>5}", "missing", "multi");
        for f in Family::ALL {
            let _ = write!(s, "{:<10}", f.name());
            let cells = self.cells.get(&f).copied().unwrap_or_default();
            for (i, cell) in cells.iter().enumerate() {
                if f == Family::Null && i > 0 {
                    let _ = write!(s, " | {:>21}", "-");
                } else {
                    let _ = write!(s, " | {:>21}", format!("{}/{}", cell[1], cell[0]));
                }
            }
            let _ = writeln!(
                s,
                " | {:>7} | {:>5}",
                self.missing.get(&f).copied().unwrap_or_default(),
                self.multi.get(&f).copied().unwrap_or_default()
            );
        }
        let total = (self.block[0] + self.block[1]).max(1) as f64;
        let _ = writeln!(
            s,
            "Block level: Match {} ({:.1}%), NoMatch {} ({:.1}%)",
            self.block[1],
            100.0 * self.block[1] as f64 / total,
            self.block[0],
            100.0 * self.block[0] as f64 / total
        );
        let ops: Vec<String> = self
            .operators
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(s, "Operators: {}", ops.join(", "));
        let feats: Vec<String> = self
            .features
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(s, "Cases with: {}", feats.join(", "));
        for d in KNOWN_DIFFERENCES {
            let _ = writeln!(
                s,
                "Known difference \"{}\": applied to {} conditions; the peer differed on {} of them \
                 and we gave the documented result\n    {}",
                d.name,
                self.applied.get(d.name).copied().unwrap_or_default(),
                self.exceptions.get(d.name).copied().unwrap_or_default(),
                d.reference,
            );
        }
        s
    }
}

/// Features every run must exercise (the generator's reason to exist).
const REQUIRED_FEATURES: &[&str] = &[
    "missing-key",
    "multi-valued-key",
    "empty-multi-valued-key",
    "like-wildcard-*",
    "like-wildcard-?",
    "policy-variable",
    "variable-default",
    "variable-missing",
    "variable-multi-valued",
    "escape-${*}",
    "escape-${?}",
    "escape-${$}",
    "non-ascii",
    "regex-metacharacter",
    "ipv4",
    "ipv6",
    "ipv6-uncompressed",
    "ip-plain-address",
    "ip-cross-family-request",
    "date-iso8601",
    "date-day",
    "date-epoch",
    "numeric-decimal",
    "numeric-negative",
    "arn-wildcard",
    "arn-variable",
    "invalid-policy-value",
    "invalid-request-value",
    "key-case-variant",
    "scalar-value",
];

// ---------------------------------------------------------------------------
// The test.
// ---------------------------------------------------------------------------

/// One condition entry compared.
struct Compared<'a> {
    ours: &'a OurCondition,
    peer: bool,
    /// The result we are held to: the peer's, or a known difference's oracle.
    expected: bool,
    differences: Vec<&'static str>,
}

fn describe_case(case: &Case, policy: &str, compared: &[Compared], peer_block: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "case {}:", case.id);
    let _ = writeln!(s, "  Condition: {}", case.condition_json());
    let _ = writeln!(s, "  context:   {}", case.context_json());
    for c in compared {
        let _ = write!(
            s,
            "  {} {:?}: ours {:?} ({}), peer {}",
            c.ours.operator, c.ours.key, c.ours.result, c.ours.reason, c.peer
        );
        if !c.differences.is_empty() {
            let _ = write!(
                s,
                ", documented {} (known difference: {})",
                c.expected,
                c.differences.join("; ")
            );
        }
        s.push('\n');
    }
    let ours_block = compared.iter().all(|c| c.ours.result == Some(true));
    let expected_block = compared.iter().all(|c| c.expected);
    let _ = writeln!(
        s,
        "  block: ours {ours_block}, peer {peer_block}, expected {expected_block}"
    );
    let _ = writeln!(s, "  policy: {policy}");
    s
}

#[test]
fn condition_engine_agrees_with_iam_simulate() {
    let cases = generate(SEED, CASES);
    let policies: Vec<String> = cases.iter().map(Case::policy_text).collect();
    // Each case twice: as generated, and as the known differences' oracles rewrite it.
    let mut inputs: Vec<(usize, String, Value)> = Vec::with_capacity(2 * cases.len());
    for (case, policy) in cases.iter().zip(&policies) {
        inputs.push((case.id, policy.clone(), case.context_json()));
    }
    for case in &cases {
        let adjusted = policy_text(&case.adjusted_entries());
        inputs.push((cases.len() + case.id, adjusted, case.context_json()));
    }
    let peer = run_peer(&inputs);
    let (peer, peer_adjusted) = peer.split_at(cases.len());

    let mut coverage = Coverage::default();
    let mut failures: Vec<String> = Vec::new();
    for (i, (case, policy)) in cases.iter().zip(&policies).enumerate() {
        for f in &case.features {
            *coverage.features.entry(f).or_default() += 1;
        }
        let ours = match evaluate_ours(case, policy) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!(
                    "case {}: our side failed: {e}\n  policy: {policy}",
                    case.id
                ));
                continue;
            }
        };
        let (peer, adjusted) = match (&peer[i], &peer_adjusted[i]) {
            (Ok(p), Ok(a)) => (p, a),
            (Err(e), _) | (_, Err(e)) => {
                failures.push(format!(
                    "case {}: the peer failed: {e}\n  policy: {policy}",
                    case.id
                ));
                continue;
            }
        };
        let aligned = |p: &PeerResult| {
            p.conditions.len() == ours.len()
                && p.conditions
                    .iter()
                    .zip(&ours)
                    .all(|(p, o)| p.0 == o.operator && p.1 == o.key)
        };
        if !aligned(peer) || !aligned(adjusted) {
            failures.push(format!(
                "case {}: the peer read other conditions than we did\n  policy: {policy}",
                case.id
            ));
            continue;
        }
        let ctx = case.request_context();
        let mut compared = Vec::with_capacity(ours.len());
        for (j, c) in ours.iter().enumerate() {
            let facts = EntryFacts {
                operator: c.parsed,
                key_present: c.key_present,
                values: c.values.clone(),
                ctx: &ctx,
            };
            let applying: Vec<&KnownDifference> = KNOWN_DIFFERENCES
                .iter()
                .filter(|d| (d.applies)(&facts))
                .collect();
            let fixed = applying.iter().find_map(|d| match d.oracle {
                Oracle::Fixed(b) => Some(b),
                Oracle::Rewrite(_) => None,
            });
            let peer_result = peer.conditions[j].2;
            let expected = match fixed {
                Some(b) => b,
                None if !applying.is_empty() => adjusted.conditions[j].2,
                None => peer_result,
            };
            for d in &applying {
                *coverage.applied.entry(d.name).or_default() += 1;
            }
            if let Some(result) = c.result {
                coverage.record(c, result);
                if result == expected && result != peer_result {
                    for d in &applying {
                        *coverage.exceptions.entry(d.name).or_default() += 1;
                    }
                }
            }
            compared.push(Compared {
                ours: c,
                peer: peer_result,
                expected,
                differences: applying.iter().map(|d| d.name).collect(),
            });
        }
        let ours_block = ours.iter().all(|c| c.result == Some(true));
        coverage.block[usize::from(ours_block)] += 1;
        let consistent = |p: &PeerResult| p.block == p.conditions.iter().all(|c| c.2);
        let problem = !consistent(peer)
            || !consistent(adjusted)
            || compared.iter().any(|c| c.ours.result != Some(c.expected))
            || ours_block != compared.iter().all(|c| c.expected);
        if problem {
            failures.push(describe_case(case, policy, &compared, peer.block));
        }
    }
    let report = coverage.render(cases.len());
    println!("{report}");

    let mut gaps = Vec::new();
    for f in Family::ALL {
        let cells = coverage.cells.get(&f).copied().unwrap_or_default();
        let variants = if f == Family::Null { 1 } else { VARIANTS.len() };
        for (i, cell) in cells.iter().take(variants).enumerate() {
            if cell[0] + cell[1] == 0 {
                gaps.push(format!("{} × {}", f.name(), VARIANTS[i]));
            }
        }
        if f != Family::Null && coverage.missing.get(&f).copied().unwrap_or_default() == 0 {
            gaps.push(format!("{} with a missing key", f.name()));
        }
    }
    for b in BaseOperator::ALL {
        if !coverage.operators.contains_key(b.name()) {
            gaps.push(format!("operator {}", b.name()));
        }
    }
    for f in REQUIRED_FEATURES {
        if !coverage.features.contains_key(f) {
            gaps.push(format!("feature {f}"));
        }
    }
    for d in KNOWN_DIFFERENCES {
        if !coverage.applied.contains_key(d.name) {
            gaps.push(format!("known difference never generated: {}", d.name));
        }
    }
    let total = cases.len() as f64;
    for (i, name) in ["NoMatch", "Match"].iter().enumerate() {
        let share = coverage.block[i] as f64 / total;
        if share < MIN_OUTCOME_SHARE {
            gaps.push(format!(
                "block-level {name} is {:.1}% of cases (need ≥ {:.0}%)",
                100.0 * share,
                100.0 * MIN_OUTCOME_SHARE
            ));
        }
    }

    let mut message = String::new();
    if !failures.is_empty() {
        let _ = writeln!(
            message,
            "{} of {} cases differ from the expected result (the peer's, or for a known difference the \
             documented one), or were indeterminate for us; the first {}:\n",
            failures.len(),
            cases.len(),
            failures.len().min(25)
        );
        for f in failures.iter().take(25) {
            let _ = writeln!(message, "{f}");
        }
    }
    if !gaps.is_empty() {
        let _ = writeln!(message, "coverage gaps:\n  {}\n", gaps.join("\n  "));
    }
    assert!(message.is_empty(), "{message}\n{report}");
}
