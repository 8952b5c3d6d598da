//! Concrete subjects for over-broad patterns, and the engine check that admits them.
//!
//! [`candidates`] builds well-formed GitLab subjects from a pattern — its wildcards
//! filled with telling text (`mygroup*` → `mygroup-evil/x`, `mygroup/*` →
//! `mygroup/other-project`, `ref:*` → `unreviewed-feature`), in the documented
//! component forms — and keeps those the pattern matches. [`Prober::admits`] then
//! builds the claims such a pipeline would carry (issuer, audience, and on
//! gitlab.com the IDs and flags the statement requires) and runs the whole policy
//! through [`crate::iam::evaluate`]: only an *Allowed* decision makes an example.

use serde_json::{Map, Value};

use crate::iam::context::{ContextValue, Origin, RequestContext};
use crate::iam::evaluate::{Decision, Request, evaluate_statements};
use crate::iam::operator::{BaseOperator, Comparison, Family, Operator, Qualifier};
use crate::iam::wildcard::{Pattern, fold_case};
use crate::policy::{Effect, Policy, Statement};

use super::grammar::Grammar;
use super::{GitLabStatement, Owner, SubPattern, claim_of, pinned_values};

/// A ref name no policy means: whoever can push a branch can choose it.
pub const ARBITRARY_REF: &str = "unreviewed-feature";
/// A top-level group the owner does not control.
pub const OUTSIDER_GROUP: &str = "evil-group";

/// A subject the pattern matches, with its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub subject: String,
    pub path: Option<String>,
    pub project_id: Option<String>,
    pub ref_type: Option<String>,
    pub git_ref: Option<String>,
}

/// Whose pipeline the claims describe: the owner's own (IDs from the policy's
/// pins), or a stranger's (fresh IDs, which no pin admits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Realm {
    Inside,
    Outside,
}

const OUTSIDE_PROJECT_ID: &str = "90000001";
const OUTSIDE_NAMESPACE_ID: &str = "90000002";
const INSIDE_PROJECT_ID: &str = "4711";
const INSIDE_NAMESPACE_ID: &str = "4242";

/// Fills for a `*` in a project path, most telling first.
const PATH_STAR: &[&str] = &[
    "-evil/x",
    "evil-group",
    "evil-group/x",
    "-sandbox",
    "other-project",
    "/other-project",
    "/any-subgroup/other-project",
    "x",
    "",
];
const REF_STAR: &[&str] = &["main", ARBITRARY_REF, "", "x"];
/// Fills for a `*` after a literal start (`v*`, `release/*`).
const REF_STAR_AFTER: &[&str] = &["1.0.0", "main", ARBITRARY_REF, "x"];
const ID_STAR: &[&str] = &["345", ""];
const ONE: &[&str] = &["x", "2"];
const ID_ONE: &[&str] = &["7"];
const MAX_FILLS: usize = 64;
const MAX_CANDIDATES: usize = 400;
/// At most this many subjects are built and matched per pattern.
const MAX_ATTEMPTS: usize = 4_000;
const MAX_FILLED_PATHS: usize = 16;
const MAX_FILLED_REFS: usize = 8;
const MAX_PATHS: usize = 32;
const MAX_REFS: usize = 12;

/// One `sub` condition compiled for [`Prober::admits`]'s cheap necessary check.
enum SubCheck {
    /// Cannot be judged cheaply (a qualifier, IfExists, a negated operator, a
    /// policy variable): the engine decides.
    Undecided,
    /// Some value must equal / fold-equal / match the subject.
    Equals(Vec<String>),
    EqualsFolded(Vec<String>),
    Like(Vec<Pattern>),
}

impl SubCheck {
    fn of(c: &super::SubCondition<'_>) -> SubCheck {
        let op = c.operator;
        let values: Vec<&str> = c
            .condition
            .values
            .iter()
            .map(|v| v.value.text.as_str())
            .collect();
        if op.qualifier.is_some()
            || op.if_exists
            || op.base.is_negated()
            || values.iter().any(|v| v.contains("${"))
        {
            return SubCheck::Undecided;
        }
        match op.base {
            BaseOperator::StringEquals => {
                SubCheck::Equals(values.iter().map(|v| v.to_string()).collect())
            }
            BaseOperator::StringEqualsIgnoreCase => {
                SubCheck::EqualsFolded(values.iter().map(|v| fold_case(v)).collect())
            }
            BaseOperator::StringLike => {
                SubCheck::Like(values.iter().map(|v| Pattern::glob(v)).collect())
            }
            _ => SubCheck::Undecided,
        }
    }

    /// False only when the condition certainly admits no subject that starts
    /// with `prefix`.
    fn may_admit_prefixed(&self, prefix: &str) -> bool {
        match self {
            SubCheck::Undecided => true,
            SubCheck::Equals(v) => v.iter().any(|v| v.starts_with(prefix)),
            SubCheck::EqualsFolded(v) => {
                let p = fold_case(prefix);
                v.iter().any(|v| v.starts_with(&p))
            }
            SubCheck::Like(v) => v.iter().any(|p| p.may_match_with_prefix(prefix)),
        }
    }

    /// False only when the condition certainly does not admit `subject`.
    fn may_admit(&self, subject: &str) -> bool {
        match self {
            SubCheck::Undecided => true,
            SubCheck::Equals(v) => v.iter().any(|v| v == subject),
            SubCheck::EqualsFolded(v) => {
                let s = fold_case(subject);
                v.contains(&s)
            }
            SubCheck::Like(v) => v.iter().any(|p| p.matches(subject)),
        }
    }
}

/// Every way of filling `glob`'s wildcards with the given texts (bounded).
fn fills(glob: &str, star: &[&str], one: &[&str]) -> Vec<String> {
    let mut out = vec![String::new()];
    for c in glob.chars() {
        let options: Vec<String> = match c {
            '*' => star.iter().map(|s| s.to_string()).collect(),
            '?' => one.iter().map(|s| s.to_string()).collect(),
            c => vec![c.to_string()],
        };
        let mut next = Vec::new();
        'outer: for prefix in &out {
            for o in &options {
                next.push(format!("{prefix}{o}"));
                if next.len() >= MAX_FILLS {
                    break 'outer;
                }
            }
        }
        out = next;
    }
    out
}

fn valid_path(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    segments.len() >= 2
        && segments.iter().all(|s| {
            let mut chars = s.chars();
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        })
}

fn valid_ref(r: &str) -> bool {
    !r.is_empty()
        && !r.ends_with('/')
        && !r.ends_with('.')
        && !r.contains("//")
        && !r.contains("..")
        && super::grammar::is_git_ref(r)
}

fn push_unique(list: &mut Vec<String>, v: String) {
    if !list.contains(&v) {
        list.push(v);
    }
}

/// Subjects `p` matches, built from its own text and from the owner's namespaces.
pub fn candidates(p: &SubPattern, owner: &Owner) -> Vec<Candidate> {
    let wild = |v: &str| p.like && (v.contains('*') || v.contains('?'));
    let mut paths: Vec<String> = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let mut refs: Vec<String> = Vec::new();
    for part in p.parts.iter().flatten() {
        match part.name.as_str() {
            "project_path" if wild(&part.value) => {
                for f in fills(&part.value, PATH_STAR, ONE) {
                    push_unique(&mut paths, f);
                }
            }
            "project_path" => push_unique(&mut paths, part.value.clone()),
            "project_id" if wild(&part.value) => {
                for f in fills(&part.value, ID_STAR, ID_ONE) {
                    push_unique(&mut ids, f);
                }
            }
            "project_id" => push_unique(&mut ids, part.value.clone()),
            "ref" if wild(&part.value) => {
                let star = if part.value.starts_with('*') {
                    REF_STAR
                } else {
                    REF_STAR_AFTER
                };
                for f in fills(&part.value, star, ONE) {
                    push_unique(&mut refs, f);
                }
            }
            "ref" => push_unique(&mut refs, part.value.clone()),
            _ => {}
        }
    }
    // Keep a few of the pattern's own fills, then the generic candidates.
    paths.retain(|x| valid_path(x));
    paths.truncate(MAX_FILLED_PATHS);
    ids.retain(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()));
    ids.truncate(MAX_FILLED_PATHS);
    refs.retain(|r| valid_ref(r));
    refs.truncate(MAX_FILLED_REFS);
    // The generic candidates, each kept only when valid, new and within its
    // list's cap — the same lists as pushing all, filtering and truncating,
    // without walking thousands of the owner's groups once the lists are full.
    let valid_id = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    let push = |list: &mut Vec<String>, v: String, valid: &dyn Fn(&str) -> bool, cap: usize| {
        list.len() < cap && valid(&v) && !list.contains(&v) && {
            list.push(v);
            true
        }
    };
    let path_ok = |x: &str| valid_path(x);
    push(
        &mut paths,
        format!("{OUTSIDER_GROUP}/x"),
        &path_ok,
        MAX_PATHS,
    );
    for g in &owner.groups {
        if paths.len() >= MAX_PATHS {
            break;
        }
        push(&mut paths, format!("{g}-evil/x"), &path_ok, MAX_PATHS);
        push(
            &mut paths,
            format!("{g}/other-project"),
            &path_ok,
            MAX_PATHS,
        );
    }
    if owner.groups.is_empty() {
        push(
            &mut paths,
            "your-group/other-project".to_string(),
            &path_ok,
            MAX_PATHS,
        );
    }
    for x in &owner.projects {
        if paths.len() >= MAX_PATHS {
            break;
        }
        push(&mut paths, x.clone(), &path_ok, MAX_PATHS);
    }
    for x in &owner.project_ids {
        if ids.len() >= MAX_PATHS {
            break;
        }
        push(&mut ids, x.clone(), &valid_id, MAX_PATHS);
    }
    push(
        &mut ids,
        OUTSIDE_PROJECT_ID.to_string(),
        &valid_id,
        MAX_PATHS,
    );
    for r in ["main", ARBITRARY_REF, "v1.0.0"] {
        push(&mut refs, r.to_string(), &|r: &str| valid_ref(r), MAX_REFS);
    }

    // Forms: the default first, then the pattern's own order, then the other
    // documented ones.
    let mut forms: Vec<Vec<String>> = vec![
        vec!["project_path".into(), "ref_type".into(), "ref".into()],
        vec!["project_path".into(), "ref".into()],
        vec!["project_path".into(), "ref_type".into()],
        vec!["project_id".into(), "ref_type".into(), "ref".into()],
    ];
    if let Some(parts) = &p.parts {
        let own: Vec<String> = parts.iter().map(|x| x.name.clone()).collect();
        if !forms.contains(&own) {
            forms.insert(1, own);
        }
    }

    // Every subject `p` matches starts with the pattern's literal text up to its
    // first wildcard: subjects are built component by component in the form's
    // order, and a partial subject that already disagrees with that prefix is
    // abandoned with all its completions. (Sound, so the same candidates come out
    // as from filtering the whole product, at a fraction of the work.)
    let prefix: Option<&str> = (!p.ignore_case && !p.text.contains('$')).then(|| {
        let end = if p.like {
            p.text.find(['*', '?']).unwrap_or(p.text.len())
        } else {
            p.text.len()
        };
        &p.text[..end]
    });
    let mut generator = Generator {
        p,
        prefix,
        paths: &paths,
        ids: &ids,
        refs: &refs,
        out: Vec::new(),
        attempts: 0,
        stop: false,
    };
    for form in &forms {
        let mut subject = String::with_capacity(p.text.len() + 32);
        generator.walk(form, 0, &mut subject, &mut Choice::default());
        if generator.stop {
            break;
        }
    }
    generator.out
}

/// The values chosen so far for the components a candidate varies.
#[derive(Default, Clone, Copy)]
struct Choice<'a> {
    path: Option<&'a String>,
    id: Option<&'a String>,
    ref_type: Option<&'static str>,
    git_ref: Option<&'a String>,
}

/// Builds the candidates of [`candidates`], one form at a time.
struct Generator<'a> {
    p: &'a SubPattern,
    prefix: Option<&'a str>,
    paths: &'a [String],
    ids: &'a [String],
    refs: &'a [String],
    out: Vec<Candidate>,
    /// Whole subjects built and tested (bounded by `MAX_ATTEMPTS`).
    attempts: usize,
    stop: bool,
}

impl<'a> Generator<'a> {
    /// Whether `partial` can still grow into a subject the pattern matches.
    fn viable(&self, partial: &str) -> bool {
        self.prefix
            .is_none_or(|pre| pre.starts_with(partial) || partial.starts_with(pre))
    }

    fn walk(&mut self, form: &[String], i: usize, subject: &mut String, choice: &mut Choice<'a>) {
        if self.stop {
            return;
        }
        let Some(name) = form.get(i) else {
            self.attempts += 1;
            if self.attempts > MAX_ATTEMPTS {
                self.stop = true;
                return;
            }
            if self.p.matches(subject) && Grammar::all().accepts(subject) {
                self.out.push(Candidate {
                    subject: subject.clone(),
                    path: choice.path.cloned(),
                    project_id: choice.id.cloned(),
                    ref_type: choice.ref_type.map(str::to_string),
                    git_ref: choice.git_ref.cloned(),
                });
                if self.out.len() >= MAX_CANDIDATES {
                    self.stop = true;
                }
            }
            return;
        };
        let has = |n: &str| form.iter().any(|x| x == n);
        let len = subject.len();
        let mut step = |this: &mut Self, value: &str, choice: &mut Choice<'a>| {
            if i > 0 {
                subject.push(':');
            }
            subject.push_str(name);
            subject.push(':');
            subject.push_str(value);
            if this.viable(subject) {
                this.walk(form, i + 1, subject, choice);
            }
            subject.truncate(len);
        };
        match name.as_str() {
            "project_path" => {
                for x in self.paths {
                    choice.path = Some(x);
                    step(self, x, choice);
                }
                choice.path = None;
            }
            // A form with both names varies the path only (the id stays empty).
            "project_id" if !has("project_path") => {
                for x in self.ids {
                    choice.id = Some(x);
                    step(self, x, choice);
                }
                choice.id = None;
            }
            "project_id" => step(self, "", choice),
            "ref_type" => {
                for t in ["branch", "tag"] {
                    choice.ref_type = Some(t);
                    step(self, t, choice);
                }
                choice.ref_type = None;
            }
            "ref" => {
                for x in self.refs {
                    choice.git_ref = Some(x);
                    step(self, x, choice);
                }
                choice.git_ref = None;
            }
            other => {
                let value = other_value(self.p, other);
                step(self, &value, choice);
            }
        }
    }
}

/// A value for a component the candidate forms do not vary.
fn other_value(p: &SubPattern, name: &str) -> String {
    match p.part(name) {
        Some(part) if !(p.like && (part.value.contains('*') || part.value.contains('?'))) => {
            part.value.clone()
        }
        _ => match name {
            "namespace_id" => INSIDE_NAMESPACE_ID.into(),
            "namespace_path" => "group".into(),
            "environment_protected" => "true".into(),
            "deployment_tier" => "production".into(),
            _ => "x".into(),
        },
    }
}

/// Refs the policy's `sub` values name literally.
fn literal_refs_of(policy: &Policy) -> Vec<String> {
    let mut literal_refs = Vec::new();
    for s in &policy.statements {
        for c in super::sub_conditions(s) {
            for v in &c.condition.values {
                if let Some(part) = c.pattern(&v.value.text).part("ref")
                    && !part.value.contains('*')
                    && !part.value.contains('?')
                {
                    push_unique(&mut literal_refs, part.value.clone());
                }
            }
        }
    }
    literal_refs
}

/// Runs probes through the engine, within [`super::MAX_PROBE_WORK`].
pub struct Prober<'a> {
    policy: &'a Policy,
    /// Work spent so far, against `budget`.
    work: std::cell::Cell<u64>,
    /// [`super::MAX_PROBE_WORK`] (smaller in tests).
    pub budget: u64,
    /// The condition values of the Deny statements, evaluated by every probe.
    deny_values: std::cell::OnceCell<u64>,
    /// Refs the policy's `sub` values name literally, for "anyone" probes
    /// (computed on first use: most rules build a prober and never probe).
    literal_refs: std::cell::OnceCell<Vec<String>>,
    /// Per statement (by index), its `sub` conditions compiled for the cheap check.
    sub_checks: std::cell::OnceCell<Vec<Vec<SubCheck>>>,
}

impl<'a> Prober<'a> {
    pub fn new(policy: &'a Policy) -> Prober<'a> {
        Prober {
            policy,
            work: std::cell::Cell::new(0),
            budget: super::MAX_PROBE_WORK,
            deny_values: std::cell::OnceCell::new(),
            literal_refs: std::cell::OnceCell::new(),
            sub_checks: std::cell::OnceCell::new(),
        }
    }

    fn literal_refs(&self) -> &[String] {
        self.literal_refs
            .get_or_init(|| literal_refs_of(self.policy))
    }

    /// A stranger's subject the statement admits, when one exists: the role is open
    /// to anyone.
    pub fn anyone(&self, gs: &GitLabStatement<'_>) -> Option<String> {
        // Every stranger's subject below starts with this: when a `sub` condition
        // of the statement rules the whole family out (the usual case: a policy
        // names its own group), none is built or evaluated.
        let family = format!("project_path:{OUTSIDER_GROUP}/x:ref_type:");
        if let Some(checks) = self.sub_checks().get(gs.statement.index)
            && !checks.iter().all(|c| c.may_admit_prefixed(&family))
        {
            return None;
        }
        let mut refs: Vec<String> = vec!["main".into(), ARBITRARY_REF.into(), "v1.0.0".into()];
        for r in self.literal_refs() {
            push_unique(&mut refs, r.clone());
        }
        for t in ["branch", "tag"] {
            for r in &refs {
                let s = format!("project_path:{OUTSIDER_GROUP}/x:ref_type:{t}:ref:{r}");
                if self.admits(gs, &s, Realm::Outside) {
                    return Some(s);
                }
            }
        }
        None
    }

    /// Each statement's positive `sub` conditions, compiled once per policy.
    fn sub_checks(&self) -> &[Vec<SubCheck>] {
        self.sub_checks.get_or_init(|| {
            self.policy
                .statements
                .iter()
                .map(|s| super::sub_conditions(s).iter().map(SubCheck::of).collect())
                .collect()
        })
    }

    /// Whether the policy (every statement, Deny included) admits a pipeline with
    /// subject `subject`, with claims built to satisfy `gs`'s other conditions.
    pub fn admits(&self, gs: &GitLabStatement<'_>, subject: &str, realm: Realm) -> bool {
        // A cheap necessary condition before the engine runs: every positive
        // `sub` condition of the statement must be able to match (for the
        // policy's own statements; a statement cut down to one value is
        // cheaper to evaluate than its full checks).
        if self.is_own(gs)
            && let Some(checks) = self.sub_checks().get(gs.statement.index)
            && !checks.iter().all(|c| c.may_admit(subject))
        {
            return false;
        }
        self.decide(gs, subject, realm)
            .is_some_and(|(decision, decisive)| {
                decision == Decision::Allowed && decisive.contains(&gs.statement.index)
            })
    }

    /// Whether a Deny statement removes `subject`, which `gs` would otherwise admit.
    pub fn denied(&self, gs: &GitLabStatement<'_>, subject: &str, realm: Realm) -> bool {
        self.decide(gs, subject, realm)
            .is_some_and(|(decision, _)| decision == Decision::ExplicitDeny)
    }

    /// Spends `work` of the budget on something other than an evaluation.
    pub fn charge(&self, work: u64) {
        self.work.set(self.work.get().saturating_add(work));
    }

    /// Whether the probe budget is spent: every later probe answers "no".
    pub fn exhausted(&self) -> bool {
        self.work.get() >= self.budget
    }

    fn is_own(&self, gs: &GitLabStatement<'_>) -> bool {
        self.policy
            .statements
            .get(gs.statement.index)
            .is_some_and(|s| std::ptr::eq(s, gs.statement))
    }

    /// The engine's decision for `subject`, from `gs`'s statement and the Deny
    /// statements (which alone decide whether that statement lets it in); `None`
    /// once the budget is spent.
    fn decide(
        &self,
        gs: &GitLabStatement<'_>,
        subject: &str,
        realm: Realm,
    ) -> Option<(Decision, Vec<usize>)> {
        let provider = gs.provider.as_ref()?;
        let values =
            |s: &Statement| -> u64 { s.conditions.iter().map(|c| c.values.len() as u64).sum() };
        let denies = *self.deny_values.get_or_init(|| {
            self.policy
                .statements
                .iter()
                .filter(|s| s.effect() == Some(crate::policy::Effect::Deny))
                .map(values)
                .sum()
        });
        if self.exhausted() {
            return None;
        }
        self.work
            .set(self.work.get() + 1 + (denies + values(gs.statement)) / 16);
        let request = self.request(gs.statement, &provider.host_path, subject, realm);
        let mut statements: Vec<&Statement> = vec![gs.statement];
        statements.extend(
            self.policy
                .statements
                .iter()
                .filter(|s| s.effect() == Some(crate::policy::Effect::Deny)),
        );
        let e = evaluate_statements(&statements, self.policy.variables_enabled(), &request);
        Some((e.decision, e.decisive_statements))
    }

    fn request(&self, s: &Statement, prefix: &str, subject: &str, realm: Realm) -> Request {
        let issuer = format!("https://{prefix}");
        let gitlab_com = prefix == "gitlab.com";
        let mut claims: Map<String, Value> = Map::new();
        claims.insert("iss".into(), Value::String(issuer.clone()));
        claims.insert("sub".into(), Value::String(subject.to_string()));
        claims.insert("aud".into(), Value::String(issuer.clone()));
        let sub_project_id = crate::gitlab::sub::parse(subject).and_then(|cs| {
            cs.into_iter()
                .find(|c| c.name == "project_id")
                .map(|c| c.value)
        });
        if gitlab_com {
            let (pid, nid) = match realm {
                Realm::Outside => (
                    OUTSIDE_PROJECT_ID.to_string(),
                    OUTSIDE_NAMESPACE_ID.to_string(),
                ),
                Realm::Inside => (
                    self.inside_id(s, prefix, "project_id")
                        .unwrap_or_else(|| INSIDE_PROJECT_ID.into()),
                    self.inside_id(s, prefix, "namespace_id")
                        .unwrap_or_else(|| INSIDE_NAMESPACE_ID.into()),
                ),
            };
            let pid = sub_project_id.unwrap_or(pid);
            for (k, v) in [
                ("project_id", pid.as_str()),
                ("namespace_id", nid.as_str()),
                ("ref_protected", "true"),
                ("pipeline_source", "push"),
                ("runner_environment", "gitlab-hosted"),
                ("user_access_level", "developer"),
            ] {
                claims.insert(k.into(), Value::String(v.into()));
            }
        }
        let mut given: Vec<(String, String)> = Vec::new();
        for c in &s.conditions {
            let Ok(op) = Operator::parse(&c.operator.value) else {
                continue;
            };
            let values: Vec<String> = c.values.iter().map(|v| v.value.text.clone()).collect();
            let key = &c.key.value;
            let token_key = key
                .rsplit_once(':')
                .is_some_and(|(p, _)| p.eq_ignore_ascii_case(prefix));
            let claim = claim_of(key).to_ascii_lowercase();
            if token_key && claim == "sub" {
                continue;
            }
            if token_key
                && realm == Realm::Outside
                && matches!(claim.as_str(), "project_id" | "namespace_id")
            {
                continue; // a stranger cannot take the owner's IDs
            }
            if op.base == BaseOperator::Null {
                let absent = values.iter().any(|v| v.eq_ignore_ascii_case("true"));
                if token_key {
                    if absent {
                        claims.remove(&claim);
                    } else if !claims.contains_key(&claim) {
                        claims.insert(claim.clone(), Value::String("x".into()));
                    }
                } else if !absent {
                    given.push((key.clone(), "x".into()));
                }
                continue;
            }
            if op.base.is_negated() {
                if token_key
                    && let Some(Value::String(current)) = claims.get(&claim)
                    && negated_hits(&op, &values, current)
                {
                    match alternatives(&claim)
                        .iter()
                        .find(|a| !negated_hits(&op, &values, a))
                    {
                        Some(a) => {
                            claims.insert(claim.clone(), Value::String((*a).into()));
                        }
                        None => {
                            claims.remove(&claim);
                        }
                    }
                }
                continue;
            }
            let Some(v) = satisfying(&op, &values) else {
                continue;
            };
            if token_key {
                let multi = claim == "amr" || op.qualifier.is_some() && claim == "aud";
                let value = if multi {
                    Value::Array(vec![Value::String(v)])
                } else {
                    Value::String(v)
                };
                claims.insert(claim, value);
            } else {
                given.push((key.clone(), v));
            }
        }
        let (mut context, _) = RequestContext::from_claims(&claims);
        for (k, v) in given {
            context.insert(&k, ContextValue::Single(v), Origin::Given);
        }
        Request {
            context,
            issuer: Some(issuer),
            account: None,
            partition: None,
        }
    }

    /// The owner's ID for `claim`: the statement's pin, else the one a Deny insists on.
    fn inside_id(&self, s: &Statement, prefix: &str, claim: &str) -> Option<String> {
        if let Some(v) = pinned_values(s, Some(prefix), claim).into_iter().next() {
            return Some(v);
        }
        for d in self
            .policy
            .statements
            .iter()
            .filter(|d| d.effect() == Some(Effect::Deny))
        {
            for c in &d.conditions {
                let Ok(op) = Operator::parse(&c.operator.value) else {
                    continue;
                };
                if op.base.is_negated()
                    && claim_of(&c.key.value).eq_ignore_ascii_case(claim)
                    && let Some(v) = c.values.first()
                {
                    return Some(v.value.text.clone());
                }
            }
        }
        None
    }
}

/// Values GitLab can put in a claim, to step around a negated condition.
fn alternatives(claim: &str) -> &'static [&'static str] {
    match claim {
        "ref_protected" => &["true", "false"],
        "pipeline_source" => &["push", "web", "schedule", "api", "trigger", "pipeline"],
        "runner_environment" => &["gitlab-hosted", "self-hosted"],
        "user_access_level" => &["developer", "maintainer", "owner"],
        "project_id" => &["4711", "4712"],
        "namespace_id" => &["4242", "4243"],
        _ => &["other"],
    }
}

/// Whether a value is one a negated operator's values hit (so the condition fails).
fn negated_hits(op: &Operator, values: &[String], current: &str) -> bool {
    values.iter().any(|v| match op.base.comparison() {
        Comparison::Like => Pattern::glob(v).matches(current),
        Comparison::EqualsIgnoreCase => fold_case(v) == fold_case(current),
        _ => v == current,
    })
}

/// A request value that satisfies a positive condition (first value first).
fn satisfying(op: &Operator, values: &[String]) -> Option<String> {
    let v = values.iter().find(|v| !v.contains("${"))?;
    match op.base.family() {
        Family::String => Some(if op.base.comparison() == Comparison::Like {
            v.replace('*', "").replace('?', "x")
        } else {
            v.clone()
        }),
        Family::Bool => Some(v.to_ascii_lowercase()),
        Family::Numeric => {
            let n = crate::iam::condition::parse_number(v)?;
            let n = match op.base {
                BaseOperator::NumericLessThan => n - 1.0,
                BaseOperator::NumericGreaterThan => n + 1.0,
                _ => n,
            };
            Some(if n.fract() == 0.0 {
                format!("{}", n as i64)
            } else {
                n.to_string()
            })
        }
        Family::IpAddress => Some(v.split('/').next().unwrap_or(v).to_string()),
        Family::Arn => Some(v.replace(['*', '?'], "x")),
        _ if op.qualifier == Some(Qualifier::ForAllValues) => None,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_are_bounded_and_ordered() {
        let f = fills("project_path:mygroup*", PATH_STAR, ONE);
        assert_eq!(f[0], "project_path:mygroup-evil/x");
        assert!(fills(&"*".repeat(20), PATH_STAR, ONE).len() <= MAX_FILLS);
    }

    #[test]
    fn hostile_patterns_stay_bounded() {
        let owner = Owner {
            groups: vec!["mygroup".into()],
            ..Owner::default()
        };
        let p = SubPattern::new(
            &format!(
                "project_path:{}:ref_type:*:ref:{}",
                "*a?".repeat(40),
                "*b?".repeat(40)
            ),
            true,
            false,
        );
        let start = std::time::Instant::now();
        let _ = candidates(&p, &owner);
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn candidates_match_and_are_well_formed() {
        let owner = Owner {
            groups: vec!["mygroup".into()],
            ..Owner::default()
        };
        let p = SubPattern::new("project_path:mygroup*", true, false);
        let c = candidates(&p, &owner);
        assert!(!c.is_empty());
        for x in &c {
            assert!(p.matches(&x.subject), "{}", x.subject);
            assert!(Grammar::all().accepts(&x.subject), "{}", x.subject);
        }
        assert!(
            c.iter()
                .any(|x| x.subject == "project_path:mygroup-evil/x:ref_type:branch:ref:main")
        );
    }
}
