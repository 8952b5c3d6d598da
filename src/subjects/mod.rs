//! Subject analysis: the set of GitLab subjects (`<provider>:sub`) a trust policy
//! admits, in plain words, with concrete over-broad examples verified by the engine.
//!
//! Pure: a [`Policy`] (and optionally an intended [`Scope`]) in, an [`Analysis`] out.
//!
//! - Every Allow statement that trusts a GitLab OIDC provider and covers
//!   `sts:AssumeRoleWithWebIdentity` contributes its positive `sub` values
//!   (`StringEquals`/`StringLike`/`…IgnoreCase`, with `ForAnyValue:`/`…IfExists`
//!   forms) — ORed within a condition, ANDed with the statement's other conditions,
//!   which are kept as *guards* (`project_id`, `ref_protected`, …).
//! - Deny statements become *exclusions*.
//! - Each value is read as a [`SubPattern`]: which projects, ref types and refs.
//!   [`grammar::Grammar`] decides soundly whether it can match anything at all.
//! - Wildcard values get *breadth* items: a concrete subject outside the owner's
//!   namespace (crossing), another project inside it, another ref type, an
//!   arbitrary ref. Each example is found among candidates built from the pattern
//!   and is reported only after [`crate::iam::evaluate`] admits it with claims made
//!   for it (see [`probe`]).
//!
//! The owner's namespace is, without a [`Scope`], the set of top-level groups the
//! policy's own `sub` values name literally (`mygroup` from
//! `project_path:mygroup/app:…`, or the literal start of `project_path:mygroup*`).

pub mod grammar;
pub mod pattern;
pub mod probe;

use std::collections::BTreeMap;

use crate::iam::evaluate::ASSUME_ROLE_WITH_WEB_IDENTITY;
use crate::iam::operator::{BaseOperator, Family, Operator, Qualifier};
use crate::iam::provider::ProviderArn;
use crate::iam::wildcard::matches_ignore_case;
use crate::json::Span;
use crate::policy::{Condition, Effect, Located, Policy, Principal, Statement};

pub use pattern::SubPattern;
use probe::{Candidate, Prober, Realm};

/// What the owner intends to admit, when configured (`.oidc-doctor.toml` `[scope]`).
pub use crate::config::Scope;

/// The result of analysing one policy.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The issuer of the trusted GitLab provider (when all statements agree).
    pub issuer: Option<String>,
    pub provider_arn: Option<String>,
    /// An arbitrary project in a namespace the owner does not control is admitted
    /// (probed with the engine).
    pub everyone: bool,
    pub everyone_example: Option<String>,
    /// The issuer of the statement that lets anyone in.
    pub everyone_issuer: Option<String>,
    pub subjects: Vec<Admitted>,
    pub exclusions: Vec<Exclusion>,
    pub owner: Owner,
    /// The analysis limits this policy reached, with what was still checked.
    pub limits: Vec<LimitHit>,
}

/// No trust policy IAM accepts is longer than 8,192 characters (the most the
/// quota can be raised to), so no deployable `sub` value is either: a longer
/// one is not searched for the subjects it admits (the search is super-linear
/// in a value's length), and [`LimitHit`] says so.
pub const MAX_ANALYSED_VALUE_CHARS: usize = crate::rules::MAX_TRUST_POLICY_CHARS;
const _: () = assert!(
    MAX_ANALYSED_VALUE_CHARS == 8_192,
    "the messages quote 8,192"
);

/// The `sub` values of one policy the subject analysis reads: IAM's largest
/// trust policy (8,192 characters) holds at most about 2,700 values (`"",` is
/// three characters), so a document with more cannot be deployed; the values
/// past this many are named in a [`LimitHit`], not analysed.
pub const MAX_ANALYSED_VALUES: usize = 4_096;

/// The engine work the breadth probes of one policy may spend: engine
/// evaluations, each counted as 1 plus a sixteenth of the condition values it
/// reads. A trust policy at IAM's 8,192-character maximum with a few hundred
/// wildcard values needs a few thousand; a generated document far beyond
/// IAM's limits stops here (about a second of work), and [`LimitHit`] names the
/// values whose breadth was not probed.
pub const MAX_PROBE_WORK: u64 = 20_000;

/// What building one value's candidate subjects costs against
/// [`MAX_PROBE_WORK`], in engine evaluations (measured: about as much).
const CANDIDATES_COST: u64 = 4;

/// An analysis limit the policy reached: which, where, and what was still checked.
#[derive(Debug, Clone)]
pub struct LimitHit {
    /// The limit's name, as the finding quotes it (`MAX_PROBE_WORK`).
    pub limit: &'static str,
    pub message: String,
    /// The first value left unanalysed.
    pub span: Span,
    pub pointer: String,
}

/// How a statement restricts `sub`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    /// One value of a positive `sub` condition.
    Value,
    /// No condition on `sub` at all.
    None,
    /// Only negated operators (`StringNotLike`, …) on `sub`.
    NegatedOnly,
}

/// One admitted subject pattern.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub statement: usize,
    pub sid: Option<String>,
    pub restriction: Restriction,
    /// The operator as written (`"none"` when no condition restricts sub).
    pub operator: String,
    /// The condition key as written (`gitlab.com:sub`).
    pub key: String,
    /// The value; `*` for statements without a positive restriction.
    pub pattern: SubPattern,
    /// Where the value is written (span and JSON pointer); `None` without a value.
    pub location: Option<(Span, String)>,
    pub issuer: Option<String>,
    pub gitlab_com: bool,
    pub description: String,
    pub projects: String,
    pub ref_types: Vec<String>,
    pub refs: String,
    pub guards: BTreeMap<String, Vec<String>>,
    /// No subject GitLab issues can match the value.
    pub never_matches: bool,
    /// `${…}` policy variables: the value depends on the request.
    pub has_variables: bool,
    /// A `project_id` StringEquals pin in the same statement.
    pub project_pin: bool,
    /// A `namespace_id` StringEquals pin in the same statement.
    pub namespace_pin: bool,
    /// Verified over-broad examples, most important first.
    pub breadth: Vec<Breadth>,
}

/// What kind of breadth an example shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreadthKind {
    /// A project in a namespace the owner does not control.
    OutsideNamespace,
    /// Another project inside the owner's namespace.
    OtherProject,
    /// The other ref type (a tag where branches were meant, or vice versa).
    AnyRefType,
    /// An arbitrary ref.
    AnyRef,
    /// No restriction at all (no positive `sub` condition).
    Anyone,
}

/// One verified example of breadth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breadth {
    pub kind: BreadthKind,
    /// A concrete subject the engine admits.
    pub example: String,
    /// Why the author probably did not mean it.
    pub why: String,
}

/// What a Deny statement removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    pub statement: usize,
    pub sid: Option<String>,
    pub operator: String,
    /// The pattern removed (`not …` for a negated condition, `*` for none).
    pub pattern: String,
    pub description: String,
}

/// The namespaces (and projects) the owner controls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
    /// Top-level groups, as written.
    pub groups: Vec<String>,
    /// Project paths written literally.
    pub projects: Vec<String>,
    /// Project IDs written literally (sub components and pins).
    pub project_ids: Vec<String>,
    pub scope: Option<Scope>,
    /// `groups` and `project_ids`, ASCII-lowercased and exact, for look-ups in
    /// constant time: a generated policy may name thousands of groups, and
    /// every candidate subject of every value asks. Empty when the owner was
    /// built by hand (tests): then the lists are scanned.
    folded_groups: std::collections::HashSet<String>,
    id_index: std::collections::HashSet<String>,
}

impl Owner {
    /// Whether a project path lies inside what the owner controls.
    pub fn contains_path(&self, path: &str) -> bool {
        if let Some(scope) = self.scope.as_ref().filter(|s| !s.projects.is_empty()) {
            return scope.project_intended(path) == Some(true);
        }
        let top = path.split('/').next().unwrap_or(path);
        if self.folded_groups.is_empty() {
            return self.groups.iter().any(|g| g.eq_ignore_ascii_case(top));
        }
        self.folded_groups.contains(&top.to_ascii_lowercase())
    }

    pub fn contains_id(&self, id: &str) -> bool {
        if self.id_index.is_empty() {
            return self.project_ids.iter().any(|i| i == id);
        }
        self.id_index.contains(id)
    }

    /// `mygroup` / `mygroup or othergroup` / `the intended projects`, for messages.
    pub fn describe(&self) -> String {
        if self.scope.as_ref().is_some_and(|s| !s.projects.is_empty()) {
            return "the configured scope".to_string();
        }
        // A message names a few; thousands would repeat in every finding.
        const NAMED: usize = 5;
        match self.groups.len() {
            0 => "any namespace the policy names literally (it names none)".to_string(),
            1 => self.groups[0].clone(),
            n if n <= NAMED => self.groups.join(" or "),
            n => format!(
                "{} or one of {} other namespaces the policy names",
                self.groups[..NAMED].join(", "),
                n - NAMED
            ),
        }
    }

    fn intended_ref(&self, r: &str) -> Option<bool> {
        self.scope.as_ref()?.ref_intended(r)
    }
}

/// Hosts of OIDC providers that are not GitLab: their `sub` has another grammar.
const NON_GITLAB_HOSTS: &[&str] = &[
    "token.actions.githubusercontent.com",
    "vstoken.actions.githubusercontent.com",
    "oidc.circleci.com",
    "app.terraform.io",
    "accounts.google.com",
    "sts.windows.net",
    "login.microsoftonline.com",
    "api.bitbucket.org",
    "agent.buildkite.com",
    "cognito-identity.amazonaws.com",
];

/// Whether a provider (host/path) is (or may be) a GitLab instance.
pub fn is_gitlab_provider(host_path: &str, scope: Option<&Scope>) -> bool {
    if let Some(issuer) = scope.and_then(|s| s.issuer.as_deref()) {
        return crate::iam::context::provider_prefix(issuer).eq_ignore_ascii_case(host_path);
    }
    let host = host_path.split('/').next().unwrap_or(host_path);
    !(NON_GITLAB_HOSTS
        .iter()
        .any(|h| host.eq_ignore_ascii_case(h))
        || host.starts_with("oidc.eks.")
        || host.contains("bitbucket"))
}

/// An Allow statement that trusts a GitLab provider for web identity.
#[derive(Debug, Clone)]
pub struct GitLabStatement<'a> {
    pub statement: &'a Statement,
    /// The first valid GitLab provider ARN (None when the Federated value is not a
    /// valid ARN: the intent is still OIDC).
    pub provider: Option<ProviderArn>,
}

impl GitLabStatement<'_> {
    pub fn gitlab_com(&self) -> bool {
        self.provider
            .as_ref()
            .is_some_and(ProviderArn::is_gitlab_com)
    }

    pub fn prefix(&self) -> Option<&str> {
        self.provider.as_ref().map(|p| p.host_path.as_str())
    }
}

/// Whether a statement's Action/NotAction covers `sts:AssumeRoleWithWebIdentity`.
pub fn covers_web_identity(s: &Statement) -> bool {
    if let Some(actions) = &s.action {
        return actions
            .value
            .iter()
            .any(|a| matches_ignore_case(&a.value, ASSUME_ROLE_WITH_WEB_IDENTITY));
    }
    if let Some(not_actions) = &s.not_action {
        return !not_actions
            .value
            .iter()
            .any(|a| matches_ignore_case(&a.value, ASSUME_ROLE_WITH_WEB_IDENTITY));
    }
    false
}

/// Statements (of `effect`) that trust a GitLab OIDC provider for web identity.
pub fn gitlab_statements<'a>(
    policy: &'a Policy,
    effect: Effect,
    scope: Option<&Scope>,
) -> Vec<GitLabStatement<'a>> {
    policy
        .statements
        .iter()
        .filter(|s| s.effect() == Some(effect) && covers_web_identity(s))
        .filter_map(|s| {
            let federated: Vec<&Located<String>> = s
                .principal
                .iter()
                .flat_map(|p| p.value.values_of("Federated"))
                .collect();
            if federated.is_empty() {
                return None;
            }
            let parsed: Vec<Result<ProviderArn, String>> = federated
                .iter()
                .map(|f| ProviderArn::parse(&f.value))
                .collect();
            let gitlab: Vec<&ProviderArn> = parsed
                .iter()
                .filter_map(|p| p.as_ref().ok())
                .filter(|p| is_gitlab_provider(&p.host_path, scope))
                .collect();
            let any_invalid = parsed.iter().any(Result::is_err);
            if gitlab.is_empty() && !any_invalid {
                return None; // only non-GitLab providers
            }
            Some(GitLabStatement {
                statement: s,
                provider: gitlab.first().map(|p| (*p).clone()),
            })
        })
        .collect()
}

/// A string-family condition on `…:sub`.
#[derive(Debug, Clone)]
pub struct SubCondition<'a> {
    pub condition: &'a Condition,
    pub operator: Operator,
}

impl SubCondition<'_> {
    pub fn negated(&self) -> bool {
        self.operator.base.is_negated()
    }

    pub fn like(&self) -> bool {
        matches!(
            self.operator.base,
            BaseOperator::StringLike | BaseOperator::StringNotLike
        )
    }

    pub fn ignore_case(&self) -> bool {
        matches!(
            self.operator.base,
            BaseOperator::StringEqualsIgnoreCase | BaseOperator::StringNotEqualsIgnoreCase
        )
    }

    /// `value` read as a pattern under this condition's operator (shared: the
    /// rules of one policy ask for the same values many times).
    pub fn pattern(&self, value: &str) -> std::rc::Rc<SubPattern> {
        SubPattern::shared(value, self.like(), self.ignore_case())
    }
}

/// The claim a condition key names (`gitlab.com:sub` → `sub`).
pub fn claim_of(key: &str) -> &str {
    key.rsplit_once(':').map(|(_, c)| c).unwrap_or(key)
}

/// Whether a key is `<prefix>:<claim>`.
fn is_key(key: &str, prefix: Option<&str>, claim: &str) -> bool {
    match (key.rsplit_once(':'), prefix) {
        (Some((p, c)), Some(prefix)) => {
            c.eq_ignore_ascii_case(claim) && p.eq_ignore_ascii_case(prefix)
        }
        (Some((_, c)), None) => c.eq_ignore_ascii_case(claim),
        _ => false,
    }
}

/// The statement's String-family conditions on a `…:sub` key.
pub fn sub_conditions(s: &Statement) -> Vec<SubCondition<'_>> {
    s.conditions
        .iter()
        .filter(|c| claim_of(&c.key.value).eq_ignore_ascii_case("sub"))
        .filter_map(|c| {
            let operator = Operator::parse(&c.operator.value).ok()?;
            (operator.base.family() == Family::String).then_some(SubCondition {
                condition: c,
                operator,
            })
        })
        .collect()
}

/// Values of positive equality conditions (a pin) on `<prefix>:<claim>`.
pub fn pinned_values(s: &Statement, prefix: Option<&str>, claim: &str) -> Vec<String> {
    let mut out = Vec::new();
    for c in &s.conditions {
        if !is_key(&c.key.value, prefix, claim) {
            continue;
        }
        let Ok(op) = Operator::parse(&c.operator.value) else {
            continue;
        };
        let equality = matches!(
            op.base,
            BaseOperator::StringEquals
                | BaseOperator::StringEqualsIgnoreCase
                | BaseOperator::StringLike
                | BaseOperator::NumericEquals
        );
        if !equality || op.qualifier == Some(Qualifier::ForAllValues) {
            continue;
        }
        let like = op.base == BaseOperator::StringLike;
        if like
            && c.values
                .iter()
                .any(|v| v.value.text.contains('*') || v.value.text.contains('?'))
        {
            continue;
        }
        out.extend(c.values.iter().map(|v| v.value.text.clone()));
    }
    out
}

/// A condition as guard text: the values, `not …` for negated operators, the
/// operator name for other families.
fn guard_values(c: &Condition) -> Vec<String> {
    let op = Operator::parse(&c.operator.value).ok();
    c.values
        .iter()
        .map(|v| {
            let t = &v.value.text;
            match op {
                Some(op) if op.base.is_negated() => format!("not {t}"),
                Some(op)
                    if matches!(op.base.family(), Family::String | Family::Bool)
                        && op.base != BaseOperator::Null =>
                {
                    t.clone()
                }
                _ => format!("{} {t}", c.operator.value),
            }
        })
        .collect()
}

fn owner_of(statements: &[GitLabStatement<'_>], scope: Option<&Scope>) -> Owner {
    let mut owner = Owner {
        scope: scope.cloned(),
        ..Owner::default()
    };
    // Each list deduplicated (ignoring ASCII case) through a set of its folded
    // entries: linear in the number of values.
    let mut seen: [std::collections::HashSet<String>; 3] = Default::default();
    let mut push = |which: usize, list: &mut Vec<String>, v: &str| {
        if !v.is_empty() && seen[which].insert(v.to_ascii_lowercase()) {
            list.push(v.to_string());
        }
    };
    for gs in statements {
        for sc in sub_conditions(gs.statement).iter().filter(|c| !c.negated()) {
            for v in &sc.condition.values {
                let p = sc.pattern(&v.value.text);
                let Some(parts) = &p.parts else {
                    continue;
                };
                for part in parts {
                    let wild = p.like && (part.value.contains('*') || part.value.contains('?'));
                    match part.name.as_str() {
                        "project_path" | "namespace_path" => {
                            let literal_end = if wild {
                                part.value.find(['*', '?']).unwrap_or(part.value.len())
                            } else {
                                part.value.len()
                            };
                            let literal = &part.value[..literal_end];
                            let top = literal.split('/').next().unwrap_or(literal);
                            push(0, &mut owner.groups, top);
                            if !wild && part.name == "project_path" {
                                push(1, &mut owner.projects, &part.value);
                            }
                        }
                        "project_id" if !wild => push(2, &mut owner.project_ids, &part.value),
                        _ => {}
                    }
                }
            }
        }
        for id in pinned_values(gs.statement, gs.prefix(), "project_id") {
            push(2, &mut owner.project_ids, &id);
        }
    }
    owner.folded_groups = owner
        .groups
        .iter()
        .map(|g| g.to_ascii_lowercase())
        .collect();
    owner.id_index = owner.project_ids.iter().cloned().collect();
    owner
}

/// Analyses which subjects `policy` admits. `scope` states the intended projects
/// and refs; `None` takes the owner's namespaces from the policy itself.
pub fn analyze(policy: &Policy, scope: Option<&Scope>) -> Analysis {
    analyze_within(policy, scope, MAX_PROBE_WORK)
}

/// [`analyze`] with a probe budget of `budget` (the tests' smaller one).
fn analyze_within(policy: &Policy, scope: Option<&Scope>, budget: u64) -> Analysis {
    let allows = gitlab_statements(policy, Effect::Allow, scope);
    let owner = owner_of(&allows, scope);
    let mut prober = Prober::new(policy);
    prober.budget = budget;

    let mut subjects = Vec::new();
    let mut limits: Vec<LimitHit> = too_long_values(policy).into_iter().collect();
    for gs in &allows {
        let room = MAX_ANALYSED_VALUES.saturating_sub(subjects.len());
        subjects.extend(admitted_by(gs, policy, &owner, &prober, &mut limits, room));
    }

    let issuers: Vec<String> = allows
        .iter()
        .filter_map(|g| g.provider.as_ref().map(ProviderArn::issuer))
        .collect();
    let same = |v: &[String]| v.first().filter(|f| v.iter().all(|x| x == *f)).cloned();
    let arns: Vec<String> = allows
        .iter()
        .filter_map(|g| {
            g.statement
                .principal
                .iter()
                .flat_map(|p| p.value.values_of("Federated"))
                .find(|f| {
                    ProviderArn::parse(&f.value).is_ok_and(|p| Some(&p) == g.provider.as_ref())
                })
                .map(|f| f.value.clone())
        })
        .collect();

    // Anyone gets in: a stranger's generic project passes, or some value admits
    // projects in any namespace (`project_path:*:…`, `project_id:*:…`).
    let outsider = format!("project_path:{}/", probe::OUTSIDER_GROUP);
    let everyone = allows
        .iter()
        .find_map(|gs| {
            prober
                .anyone(gs)
                .map(|e| (e, gs.provider.as_ref().map(ProviderArn::issuer)))
        })
        .or_else(|| {
            subjects.iter().find_map(|s: &Admitted| {
                let any_id = s.pattern.part("project_id").is_some_and(|p| p.value == "*");
                s.breadth
                    .iter()
                    .find(|b| {
                        b.kind == BreadthKind::OutsideNamespace
                            && (b.example.starts_with(&outsider)
                                || (any_id && b.example.starts_with("project_id:")))
                    })
                    .map(|b| (b.example.clone(), s.issuer.clone()))
            })
        });
    let (everyone_example, everyone_issuer) = match everyone {
        Some((e, i)) => (Some(e), i),
        None => (None, None),
    };
    Analysis {
        issuer: same(&issuers).or_else(|| scope.and_then(|s| s.issuer.clone())),
        provider_arn: same(&arns),
        everyone: everyone_example.is_some(),
        everyone_example,
        everyone_issuer,
        subjects,
        exclusions: exclusions(policy, scope),
        owner,
        limits,
    }
}

fn admitted_by(
    gs: &GitLabStatement<'_>,
    policy: &Policy,
    owner: &Owner,
    prober: &Prober<'_>,
    limits: &mut Vec<LimitHit>,
    room: usize,
) -> Vec<Admitted> {
    let s = gs.statement;
    let prefix = gs.prefix();
    let host = prefix.unwrap_or("the instance").to_string();
    let conds = sub_conditions(s);
    let positive: Vec<&SubCondition<'_>> = conds.iter().filter(|c| !c.negated()).collect();
    let primary = positive.first().map(|c| c.condition);
    let mut guards: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in &s.conditions {
        if primary.is_some_and(|p| std::ptr::eq(p, c)) {
            continue;
        }
        guards
            .entry(c.key.value.clone())
            .or_default()
            .extend(guard_values(c));
    }
    let project_pin = !pinned_values(s, prefix, "project_id").is_empty();
    let namespace_pin = !pinned_values(s, prefix, "namespace_id").is_empty();
    let base = |restriction, operator: String, key: String, pattern: SubPattern| Admitted {
        statement: s.index,
        sid: s.sid.as_ref().map(|x| x.value.clone()),
        restriction,
        operator,
        key,
        description: String::new(),
        projects: pattern.projects(),
        ref_types: pattern.ref_types(),
        refs: pattern.refs(),
        pattern,
        location: None,
        issuer: gs.provider.as_ref().map(ProviderArn::issuer),
        gitlab_com: gs.gitlab_com(),
        guards: guards.clone(),
        never_matches: false,
        has_variables: false,
        project_pin,
        namespace_pin,
        breadth: Vec::new(),
    };
    let sub_key = prefix
        .map(|p| format!("{p}:sub"))
        .unwrap_or_else(|| "sub".into());

    let Some(first) = positive.first() else {
        let (restriction, operator, description) = match conds.first() {
            None => (
                Restriction::None,
                "none".to_string(),
                if project_pin || namespace_pin {
                    format!(
                        "any subject: no condition restricts `{sub_key}` (only the ID pin below bounds who gets in)"
                    )
                } else {
                    format!(
                        "any subject: no condition restricts `{sub_key}`, so every project on {host} can assume the role"
                    )
                },
            ),
            Some(_) => {
                let excluded: Vec<String> = conds
                    .iter()
                    .flat_map(|c| {
                        c.condition
                            .values
                            .iter()
                            .map(|v| format!("`{}`", v.value.text))
                    })
                    .collect();
                (
                    Restriction::NegatedOnly,
                    conds[0].condition.operator.value.clone(),
                    format!(
                        "any subject except {}: only negated operators restrict `{sub_key}`, so every other project on {host} can assume the role",
                        excluded.join(", ")
                    ),
                )
            }
        };
        let mut a = base(
            restriction,
            operator,
            sub_key.clone(),
            SubPattern::new("*", true, false),
        );
        a.projects = format!("any project on {host}");
        a.refs = "any ref".into();
        a.description = description;
        if let Some(example) = prober.anyone(gs) {
            a.breadth.push(Breadth {
                kind: BreadthKind::Anyone,
                example,
                why: format!(
                    "a project in a namespace anyone can register on {host}: nothing restricts `sub`"
                ),
            });
        }
        return vec![a];
    };

    let variables = policy.variables_enabled();
    let has_deny = policy
        .statements
        .iter()
        .any(|d| d.effect() == Some(Effect::Deny));
    let mut unprobed: Vec<&Located<crate::policy::ConditionValue>> = Vec::new();
    let admitted = first
        .condition
        .values
        .iter()
        .take(room)
        .map(|v| {
            let text = &v.value.text;
            if text.len() > MAX_ANALYSED_VALUE_CHARS {
                let mut a = base(
                    Restriction::Value,
                    first.condition.operator.value.clone(),
                    first.condition.key.value.clone(),
                    SubPattern::new("", first.like(), first.ignore_case()),
                );
                a.pattern.text = text.clone();
                a.location = Some((v.span, v.pointer.clone()));
                a.description = format!(
                    "not analysed: a value of {} bytes, longer than any trust policy IAM accepts",
                    text.len()
                );
                return a;
            }
            let pattern = first.pattern(text);
            let has_variables = variables && text.contains("${");
            let never_matches = !has_variables && !pattern.can_match();
            let mut a = base(
                Restriction::Value,
                first.condition.operator.value.clone(),
                first.condition.key.value.clone(),
                (*pattern).clone(),
            );
            a.location = Some((v.span, v.pointer.clone()));
            a.has_variables = has_variables;
            a.never_matches = never_matches;
            // Probed through this value alone: the values of one key are ORed,
            // so what the statement admits with only this value it admits with
            // all of them, and a probe costs the statement's other conditions,
            // not every value again.
            let alone = with_one_value(s, first.condition, v);
            let alone = GitLabStatement {
                statement: &alone,
                provider: gs.provider.clone(),
            };
            a.description = if has_variables {
                format!(
                    "`{}` (holds a policy variable: the subject depends on the request)",
                    a.pattern.text
                )
            } else if never_matches {
                format!(
                    "nothing: no subject GitLab issues matches `{}`",
                    a.pattern.text
                )
            } else {
                a.pattern.description()
            };
            let probed = !has_variables && !never_matches;
            let to_probe = probed && (a.pattern.has_wildcards() || has_deny);
            if to_probe && !prober.exhausted() {
                // Building a value's candidates costs about what a few probes do.
                prober.charge(CANDIDATES_COST);
                if a.pattern.has_wildcards() {
                    a.breadth = breadth_of(&a, &alone, owner, prober);
                }
                if has_deny {
                    trim_denied(&mut a, &alone, owner, prober);
                }
            }
            // A value whose probes met the spent budget (even halfway) counts
            // as not probed.
            if to_probe && prober.exhausted() {
                unprobed.push(v);
            }
            a
        })
        .collect();
    let statement = s.index;
    if let Some(v) = first.condition.values.get(room) {
        limits.push(LimitHit {
            limit: "MAX_ANALYSED_VALUES",
            message: format!(
                "the policy has more than {MAX_ANALYSED_VALUES} `sub` values, more than a trust policy IAM accepts can hold: the {} values of statement {statement} from this one on were not analysed for the subjects they admit (they were still checked for operator, key and exact-match use)",
                first.condition.values.len() - room
            ),
            span: v.span,
            pointer: v.pointer.clone(),
        });
    }
    if let Some(v) = unprobed.first() {
        limits.push(LimitHit {
            limit: "MAX_PROBE_WORK",
            message: format!(
                "the breadth probes reached their budget of {} engine evaluations: {} of the {} `sub` values of statement {statement} were not probed for over-broad subjects (each was still checked for whether GitLab can issue a matching subject)",
                prober.budget,
                unprobed.len(),
                first.condition.values.len(),
            ),
            span: v.span,
            pointer: v.pointer.clone(),
        });
    }
    admitted
}

/// The `sub` values too long to search ([`MAX_ANALYSED_VALUE_CHARS`]), in any
/// statement and under any operator, as one limit at the first of them.
fn too_long_values(policy: &Policy) -> Option<LimitHit> {
    let long: Vec<&Located<crate::policy::ConditionValue>> = policy
        .statements
        .iter()
        .flat_map(|s| sub_conditions(s).into_iter().map(|c| c.condition))
        .flat_map(|c| &c.values)
        .filter(|v| v.value.text.len() > MAX_ANALYSED_VALUE_CHARS)
        .collect();
    let first = long.first()?;
    let many = long.len() > 1;
    Some(LimitHit {
        limit: "MAX_ANALYSED_VALUE_CHARS",
        message: format!(
            "{} `sub` value{} longer than 8,192 bytes, more than any trust policy IAM accepts: the subjects {} admit{} were not searched (never-matching and over-broad patterns are not reported for {}); {} still checked for operator, key and exact-match use",
            long.len(),
            if many { "s are" } else { " is" },
            if many { "they" } else { "it" },
            if many { "" } else { "s" },
            if many { "them" } else { "it" },
            if many { "they are" } else { "it is" },
        ),
        span: first.span,
        pointer: first.pointer.clone(),
    })
}

/// `s` with `value` as the only value of its `condition`: what the statement
/// admits through that one value. Built without copying the condition's other
/// values (there may be thousands).
fn with_one_value(
    s: &Statement,
    condition: &Condition,
    value: &Located<crate::policy::ConditionValue>,
) -> Statement {
    let conditions = s
        .conditions
        .iter()
        .map(|c| {
            if std::ptr::eq(c, condition) {
                Condition {
                    operator: c.operator.clone(),
                    key: c.key.clone(),
                    values: vec![value.clone()],
                    values_span: c.values_span,
                    values_pointer: c.values_pointer.clone(),
                    values_is_list: c.values_is_list,
                }
            } else {
                c.clone()
            }
        })
        .collect();
    Statement {
        index: s.index,
        span: s.span,
        pointer: s.pointer.clone(),
        sid: s.sid.clone(),
        effect: s.effect.clone(),
        principal: s.principal.clone(),
        not_principal: s.not_principal.clone(),
        action: s.action.clone(),
        not_action: s.not_action.clone(),
        resource: s.resource.clone(),
        not_resource: s.not_resource.clone(),
        condition: s.condition.clone(),
        conditions,
    }
}

/// Takes out of `a.ref_types` the ref types a Deny statement removes (every
/// candidate of that type is explicitly denied), and says so.
fn trim_denied(a: &mut Admitted, gs: &GitLabStatement<'_>, owner: &Owner, prober: &Prober<'_>) {
    let candidates = probe::candidates(&a.pattern, owner);
    let mut removed = Vec::new();
    for t in a.ref_types.clone() {
        let of_type: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| c.ref_type.as_deref() == Some(t.as_str()))
            .take(12)
            .collect();
        if !of_type.is_empty()
            && of_type
                .iter()
                .all(|c| prober.denied(gs, &c.subject, Realm::Inside))
        {
            removed.push(t);
        }
    }
    if removed.is_empty() {
        return;
    }
    a.ref_types.retain(|t| !removed.contains(t));
    let words = |t: &String| if t == "branch" { "branches" } else { "tags" };
    let removed_words: Vec<&str> = removed.iter().map(words).collect();
    a.description = if a.ref_types.is_empty() {
        format!(
            "nothing in the end: a Deny statement removes every subject `{}` admits",
            a.pattern.text
        )
    } else {
        format!(
            "{} ({} removed by a Deny statement)",
            a.pattern.description_for(&a.ref_types),
            removed_words.join(" and ")
        )
    };
}

/// The verified breadth items of one wildcard value.
fn breadth_of(
    a: &Admitted,
    gs: &GitLabStatement<'_>,
    owner: &Owner,
    prober: &Prober<'_>,
) -> Vec<Breadth> {
    let p = &a.pattern;
    let host = gs.prefix().unwrap_or("the instance");
    let candidates = probe::candidates(p, owner);
    let mut out = Vec::new();
    // The first candidate (preferring those whose text carries one of `markers`,
    // in order) that the engine admits.
    let first_admitted = |pred: &dyn Fn(&Candidate) -> bool, markers: &[&str], realm: Realm| {
        let mut list: Vec<&Candidate> = candidates.iter().filter(|c| pred(c)).collect();
        // Cached: the key searches each subject for every marker.
        list.sort_by_cached_key(|c| {
            let marker = markers
                .iter()
                .position(|m| c.subject.contains(m))
                .unwrap_or(markers.len());
            // Inside the namespace, an `evil` name would mislead.
            let evil = realm == Realm::Inside && c.subject.contains("evil");
            (marker, evil)
        });
        list.into_iter()
            .take(12)
            .find(|c| prober.admits(gs, &c.subject, realm))
    };

    // A project outside the owner's namespaces.
    let outsider = format!("project_path:{}/", probe::OUTSIDER_GROUP);
    if !a.project_pin && !a.namespace_pin {
        let outside = |c: &Candidate| match (&c.path, &c.project_id) {
            (Some(path), _) => !owner.contains_path(path),
            (None, Some(id)) => !owner.contains_id(id),
            _ => false,
        };
        if let Some(c) = first_admitted(&outside, &[&outsider, "-evil/"], Realm::Outside) {
            let why = match (&c.path, &c.project_id) {
                (Some(path), _) => {
                    let top = path.split('/').next().unwrap_or(path);
                    if top == probe::OUTSIDER_GROUP || owner.groups.is_empty() {
                        format!(
                            "a project in any namespace — e.g. `{top}`, which anyone can register on {host}"
                        )
                    } else {
                        format!(
                            "`{top}` is another top-level namespace, not {}, and anyone can register it on {host}",
                            owner.describe()
                        )
                    }
                }
                (None, Some(id)) => format!(
                    "project ID {id} matches too, and project IDs are handed out to everyone's projects on {host}"
                ),
                _ => String::new(),
            };
            out.push(Breadth {
                kind: BreadthKind::OutsideNamespace,
                example: c.subject.clone(),
                why,
            });
        }
    }

    // Another project inside the owner's namespace (implied by a crossing one).
    let crossing = !out.is_empty();
    let project_wild = match &p.parts {
        Some(parts) => parts.iter().any(|part| {
            matches!(part.name.as_str(), "project_path" | "project_id")
                && (part.value.contains('*') || part.value.contains('?'))
        }),
        None => true,
    };
    let scoped_projects = owner.scope.as_ref().is_some_and(|s| !s.projects.is_empty());
    if project_wild && !crossing && !a.project_pin && !scoped_projects {
        let other = |c: &Candidate| {
            c.path.as_deref().is_some_and(|path| {
                (owner.contains_path(path) || a.namespace_pin)
                    && !owner.projects.iter().any(|x| x.eq_ignore_ascii_case(path))
            })
        };
        if let Some(c) = first_admitted(&other, &["-sandbox", "other-project"], Realm::Inside) {
            let path = c.path.as_deref().unwrap_or_default();
            let why = if a.namespace_pin && !owner.contains_path(path) {
                format!(
                    "another project in the pinned namespace ({path}): the pattern admits them all"
                )
            } else {
                format!("another project, {path}: the pattern admits {}", a.projects)
            };
            out.push(Breadth {
                kind: BreadthKind::OtherProject,
                example: c.subject.clone(),
                why,
            });
        }
    }

    // The other ref type.
    let inside = |c: &Candidate| match (&c.path, &c.project_id) {
        (Some(path), _) => owner.contains_path(path) || a.project_pin || a.namespace_pin,
        (None, Some(_)) => true,
        _ => false,
    };
    let has_type = |c: &Candidate, t: &str| c.ref_type.as_deref() == Some(t);
    let mut own: Vec<String> = owner
        .projects
        .iter()
        .map(|x| format!("project_path:{x}:"))
        .collect();
    own.extend(["other-project".to_string(), "-sandbox".to_string()]);
    let own: Vec<&str> = own.iter().map(String::as_str).collect();
    let tag = |c: &Candidate| has_type(c, "tag") && inside(c);
    let branch = |c: &Candidate| has_type(c, "branch") && inside(c);
    // Both ref types must be admitted; the branch probes run only once a tag is.
    if let Some(t) = first_admitted(&tag, &own, Realm::Inside)
        && first_admitted(&branch, &own, Realm::Inside).is_some()
    {
        out.push(Breadth {
            kind: BreadthKind::AnyRefType,
            example: t.subject.clone(),
            why: "a tag pipeline: the pattern does not fix `ref_type`, and unless tags are protected any Developer can push one".to_string(),
        });
    }

    // An arbitrary ref.
    let arbitrary = |c: &Candidate| {
        inside(c)
            && c.git_ref
                .as_deref()
                .is_some_and(|r| match owner.intended_ref(r) {
                    Some(intended) => !intended,
                    None => r == probe::ARBITRARY_REF,
                })
    };
    if let Some(c) = first_admitted(&arbitrary, &own, Realm::Inside) {
        let r = c.git_ref.as_deref().unwrap_or_default();
        let why = if owner.intended_ref(r).is_some() {
            format!("ref `{r}` is outside the configured refs")
        } else {
            format!(
                "an arbitrary ref `{r}`: any branch a Developer pushes (or a merge request's source branch) matches"
            )
        };
        out.push(Breadth {
            kind: BreadthKind::AnyRef,
            example: c.subject.clone(),
            why,
        });
    }
    out
}

fn exclusions(policy: &Policy, scope: Option<&Scope>) -> Vec<Exclusion> {
    let mut out = Vec::new();
    for s in policy
        .statements
        .iter()
        .filter(|s| s.effect() == Some(Effect::Deny) && covers_web_identity(s))
    {
        let principal_ok = match s.principal.as_ref().map(|p| &p.value) {
            Some(Principal::Wildcard) => true,
            Some(p @ Principal::Typed(_)) => {
                p.values_of("AWS").any(|v| v.value == "*")
                    || p.values_of("Federated").any(|f| {
                        ProviderArn::parse(&f.value)
                            .map(|a| is_gitlab_provider(&a.host_path, scope))
                            .unwrap_or(true)
                    })
            }
            None => s.not_principal.is_some(),
        };
        if !principal_ok {
            continue;
        }
        let conds = sub_conditions(s);
        let others: Vec<String> = s
            .conditions
            .iter()
            .filter(|c| !claim_of(&c.key.value).eq_ignore_ascii_case("sub"))
            .map(|c| format!("{} {}", c.key.value, guard_values(c).join(" or ")))
            .collect();
        let when = if others.is_empty() {
            String::new()
        } else {
            format!(", when {}", others.join(" and "))
        };
        if conds.is_empty() {
            out.push(Exclusion {
                statement: s.index,
                sid: s.sid.as_ref().map(|x| x.value.clone()),
                operator: "none".into(),
                pattern: "*".into(),
                description: format!("every subject{when}"),
            });
            continue;
        }
        for c in &conds {
            for v in &c.condition.values {
                let p = c.pattern(&v.value.text);
                let (pattern, description) = if c.negated() {
                    (
                        format!("not {}", v.value.text),
                        format!("every subject that does not match `{}`{when}", v.value.text),
                    )
                } else if p.can_match() {
                    (v.value.text.clone(), format!("{}{when}", p.description()))
                } else {
                    (
                        v.value.text.clone(),
                        format!(
                            "nothing: no subject GitLab issues matches `{}`",
                            v.value.text
                        ),
                    )
                };
                out.push(Exclusion {
                    statement: s.index,
                    sid: s.sid.as_ref().map(|x| x.value.clone()),
                    operator: c.condition.operator.value.clone(),
                    pattern,
                    description,
                });
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests;
