//! Deciding an `sts:AssumeRoleWithWebIdentity` request against a trust policy.

use crate::policy::{Effect, Policy, Principal, Statement};

use super::condition::{self, ConditionOutcome};
use super::context::{RequestContext, provider_prefix};
use super::operator::{Operator, OperatorError};
use super::provider::ProviderArn;
use super::wildcard::matches_ignore_case;

/// The action every web-identity federation performs.
pub const ASSUME_ROLE_WITH_WEB_IDENTITY: &str = "sts:AssumeRoleWithWebIdentity";

/// What the request looks like from the trust policy's side.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub context: RequestContext,
    /// The token's `iss`; the Federated principal must name its provider.
    pub issuer: Option<String>,
    /// The role's account (from `--role-arn`); `None` accepts any account.
    pub account: Option<String>,
    /// The role's partition (`aws`, `aws-cn`, …); `None` accepts any.
    pub partition: Option<String>,
}

impl Request {
    /// `arn:<partition>:iam::<account>:oidc-provider/<issuer without https://>`, with
    /// placeholders for what is unknown.
    pub fn expected_provider_arn(&self) -> Option<String> {
        let issuer = self.issuer.as_deref()?;
        Some(format!(
            "arn:{}:iam::{}:oidc-provider/{}",
            self.partition.as_deref().unwrap_or("aws"),
            self.account.as_deref().unwrap_or("<account>"),
            provider_prefix(issuer)
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// No Allow applied.
    ImplicitDeny,
    /// A Deny applied.
    ExplicitDeny,
    Indeterminate,
}

impl Decision {
    pub fn status(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::ImplicitDeny | Decision::ExplicitDeny => "denied",
            Decision::Indeterminate => "indeterminate",
        }
    }
}

/// Whether an element (principal, action) matched, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ElementMatch {
    pub matched: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConditionTrace {
    /// Position in [`Statement::conditions`].
    pub condition_index: usize,
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
    pub outcome: ConditionOutcome,
    /// The operator name is not one IAM knows (the statement cannot apply).
    pub operator_error: Option<OperatorError>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatementTrace {
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Option<Effect>,
    /// Why the statement cannot apply regardless of the request (bad Effect, …).
    pub invalid: Option<String>,
    pub principal: ElementMatch,
    pub action: ElementMatch,
    pub conditions: Vec<ConditionTrace>,
    /// `None` when a condition could not be evaluated and decides the outcome.
    pub applies: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub decision: Decision,
    /// Deny(s) that applied, else Allow(s) that applied, else empty.
    pub decisive_statements: Vec<usize>,
    pub statements: Vec<StatementTrace>,
    /// Keys absent from the request (and not from the token) that decided the outcome.
    pub depends_on: Vec<String>,
}

/// Evaluates every statement and combines them: an applicable Deny wins, then an
/// applicable Allow; no applicable Allow is an implicit deny. A statement whose
/// outcome cannot be computed makes the decision indeterminate only where it could
/// change it.
pub fn evaluate(policy: &Policy, request: &Request) -> Evaluation {
    let all: Vec<&Statement> = policy.statements.iter().collect();
    evaluate_statements(&all, policy.variables_enabled(), request)
}

/// [`evaluate`] over some statements, the others left out as if absent
/// (`variables`: the policy's Version enables policy variables). Whether one
/// Allow statement lets a request in depends on it and the Deny statements
/// alone, so the subject analysis asks this question of those (and not of all
/// 50,000 statements of a generated policy) — same engine, same answer, work
/// proportional to what can change it.
pub fn evaluate_statements(
    statements: &[&Statement],
    variables: bool,
    request: &Request,
) -> Evaluation {
    let statements: Vec<StatementTrace> = statements
        .iter()
        .map(|s| evaluate_statement(s, request, variables))
        .collect();

    let pick = |effect: Effect, applies: Option<bool>| -> Vec<usize> {
        statements
            .iter()
            .filter(|t| t.effect == Some(effect) && t.applies == applies)
            .map(|t| t.index)
            .collect()
    };
    let denies = pick(Effect::Deny, Some(true));
    let unknown_denies = pick(Effect::Deny, None);
    let allows = pick(Effect::Allow, Some(true));
    let unknown_allows = pick(Effect::Allow, None);

    let (decision, decisive) = if !denies.is_empty() {
        (Decision::ExplicitDeny, denies)
    } else if !unknown_denies.is_empty() {
        (Decision::Indeterminate, Vec::new())
    } else if !allows.is_empty() {
        (Decision::Allowed, allows)
    } else if !unknown_allows.is_empty() {
        (Decision::Indeterminate, Vec::new())
    } else {
        (Decision::ImplicitDeny, Vec::new())
    };

    let depends_on = absent_keys_that_decided(&statements, decision, &decisive, request);
    Evaluation {
        decision,
        decisive_statements: decisive,
        statements,
        depends_on,
    }
}

fn absent_keys_that_decided(
    statements: &[StatementTrace],
    decision: Decision,
    decisive: &[usize],
    request: &Request,
) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let is_context_key = |c: &ConditionTrace| {
        c.outcome.decided_by_absence
            && c.outcome.context.is_none()
            && !request.context.is_token_key(&c.key)
    };
    for t in statements {
        let reached = t.principal.matched && t.action.matched;
        if !reached {
            continue;
        }
        let relevant: Vec<&ConditionTrace> = match (decision, t.effect) {
            // The conditions that let the decisive statements apply.
            // `decisive` is in statement order.
            (Decision::Allowed | Decision::ExplicitDeny, _)
                if decisive.binary_search(&t.index).is_ok() =>
            {
                t.conditions
                    .iter()
                    .filter(|c| c.outcome.result == Some(true))
                    .collect()
            }
            // A Deny or Allow that did not apply because a key was missing.
            (_, Some(_)) if t.applies == Some(false) => t
                .conditions
                .iter()
                .filter(|c| c.outcome.result == Some(false))
                .collect(),
            _ => Vec::new(),
        };
        for c in relevant.into_iter().filter(|c| is_context_key(c)) {
            if !keys.iter().any(|k| k.eq_ignore_ascii_case(&c.key)) {
                keys.push(c.key.clone());
            }
        }
    }
    keys
}

fn evaluate_statement(s: &Statement, request: &Request, variables: bool) -> StatementTrace {
    let effect = s.effect();
    let invalid = match (&s.effect, effect) {
        (None, _) => Some("the statement has no Effect".to_string()),
        (Some(e), None) => Some(format!(
            "Effect {:?} is neither \"Allow\" nor \"Deny\"",
            e.value
        )),
        _ => None,
    };
    let principal = match (&s.principal, &s.not_principal) {
        (Some(p), _) => principal_matches(&p.value, request),
        (None, Some(np)) => {
            let m = principal_matches(&np.value, request);
            ElementMatch {
                matched: !m.matched,
                reason: format!("NotPrincipal: {}", m.reason),
            }
        }
        (None, None) => ElementMatch {
            matched: false,
            reason: "the statement has no Principal; a trust policy statement needs one".into(),
        },
    };
    let action = action_matches(s);

    let mut conditions = Vec::with_capacity(s.conditions.len());
    for (i, c) in s.conditions.iter().enumerate() {
        let values: Vec<String> = c.values.iter().map(|v| v.value.text.clone()).collect();
        let unknown = c
            .values
            .iter()
            .find(|v| v.value.json_type == crate::policy::JsonType::Unknown);
        let (outcome, operator_error) = match Operator::parse(&c.operator.value) {
            Ok(_) if unknown.is_some() => (
                ConditionOutcome {
                    result: None,
                    reason: format!(
                        "`{}` is not known until deployment, so the condition cannot be decided",
                        unknown.map(|v| v.value.text.as_str()).unwrap_or_default()
                    ),
                    context: request.context.get(&c.key.value).map(|e| e.value.values()),
                    decided_by_absence: false,
                },
                None,
            ),
            Ok(op) => (
                condition::evaluate(&op, &c.key.value, &values, &request.context, variables),
                None,
            ),
            Err(e) => {
                let reason = match &e {
                    OperatorError::Unknown {
                        suggestion: Some(s),
                    } => format!(
                        "`{}` is not an IAM condition operator (did you mean `{s}`?); IAM rejects the policy",
                        c.operator.value
                    ),
                    OperatorError::Unknown { suggestion: None } => format!(
                        "`{}` is not an IAM condition operator; IAM rejects the policy",
                        c.operator.value
                    ),
                    OperatorError::NullWithIfExists => {
                        "IfExists cannot be added to Null; IAM rejects the policy".to_string()
                    }
                };
                let context = request.context.get(&c.key.value).map(|e| e.value.values());
                (
                    ConditionOutcome {
                        result: Some(false),
                        reason,
                        context,
                        decided_by_absence: false,
                    },
                    Some(e),
                )
            }
        };
        conditions.push(ConditionTrace {
            condition_index: i,
            operator: c.operator.value.clone(),
            key: c.key.value.clone(),
            values,
            outcome,
            operator_error,
        });
    }

    // Three-valued AND: one false decides; otherwise an undecidable one leaves it open.
    let results: Vec<Option<bool>> = conditions.iter().map(|c| c.outcome.result).collect();
    let all_conditions = if results.contains(&Some(false)) {
        Some(false)
    } else if results.contains(&None) {
        None
    } else {
        Some(true)
    };
    let applies = if invalid.is_some() || !principal.matched || !action.matched {
        Some(false)
    } else {
        all_conditions
    };
    StatementTrace {
        index: s.index,
        sid: s.sid.as_ref().map(|s| s.value.clone()),
        effect,
        invalid,
        principal,
        action,
        conditions,
        applies,
    }
}

fn principal_matches(p: &Principal, request: &Request) -> ElementMatch {
    match p {
        Principal::Wildcard => ElementMatch {
            matched: true,
            reason: "\"*\" admits every principal, web identities included".into(),
        },
        Principal::Typed(_) => {
            if p.values_of("AWS").any(|v| v.value == "*") {
                return ElementMatch {
                    matched: true,
                    reason: "{\"AWS\": \"*\"} admits every principal, web identities included"
                        .into(),
                };
            }
            let federated: Vec<&str> = p.values_of("Federated").map(|v| v.value.as_str()).collect();
            if federated.is_empty() {
                return ElementMatch {
                    matched: false,
                    reason: "no Federated principal; a web identity is only admitted through its OIDC provider".into(),
                };
            }
            let Some(issuer) = request.issuer.as_deref() else {
                return ElementMatch {
                    matched: false,
                    reason: "the request has no issuer (`iss`), so no OIDC provider can match"
                        .into(),
                };
            };
            let want = provider_prefix(issuer);
            for arn in &federated {
                if provider_arn_matches(arn, &want, request) {
                    return ElementMatch {
                        matched: true,
                        reason: format!("Federated {arn} is the provider for {issuer}"),
                    };
                }
            }
            let expected = request.expected_provider_arn().unwrap_or_default();
            ElementMatch {
                matched: false,
                reason: format!(
                    "Federated {} is not the provider for {issuer} (expected {expected})",
                    federated.join(", ")
                ),
            }
        }
    }
}

/// `arn:<partition>:iam::<account>:oidc-provider/<host/path>` naming `prefix`, in the
/// request's partition and account when those are known (an IaC policy's
/// [`crate::policy::DEPLOYING_ACCOUNT`] is the role's own account).
fn provider_arn_matches(arn: &str, prefix: &str, request: &Request) -> bool {
    ProviderArn::parse(arn).is_ok_and(|p| {
        p.host_path == prefix
            && request
                .partition
                .as_deref()
                .is_none_or(|want| want == p.partition)
            && (p.account == crate::policy::DEPLOYING_ACCOUNT
                || request
                    .account
                    .as_deref()
                    .is_none_or(|want| want == p.account))
    })
}

fn action_matches(s: &Statement) -> ElementMatch {
    if let Some(actions) = &s.action {
        if let Some(a) = actions
            .value
            .iter()
            .find(|a| matches_ignore_case(&a.value, ASSUME_ROLE_WITH_WEB_IDENTITY))
        {
            return ElementMatch {
                matched: true,
                reason: format!(
                    "Action {:?} covers {ASSUME_ROLE_WITH_WEB_IDENTITY}",
                    a.value
                ),
            };
        }
        let listed: Vec<&str> = actions.value.iter().map(|a| a.value.as_str()).collect();
        return ElementMatch {
            matched: false,
            reason: format!(
                "Action {} does not cover {ASSUME_ROLE_WITH_WEB_IDENTITY}",
                listed.join(", ")
            ),
        };
    }
    if let Some(not_actions) = &s.not_action {
        if let Some(a) = not_actions
            .value
            .iter()
            .find(|a| matches_ignore_case(&a.value, ASSUME_ROLE_WITH_WEB_IDENTITY))
        {
            return ElementMatch {
                matched: false,
                reason: format!(
                    "NotAction {:?} excludes {ASSUME_ROLE_WITH_WEB_IDENTITY}",
                    a.value
                ),
            };
        }
        return ElementMatch {
            matched: true,
            reason: format!("NotAction does not exclude {ASSUME_ROLE_WITH_WEB_IDENTITY}"),
        };
    }
    ElementMatch {
        matched: false,
        reason: "the statement has neither Action nor NotAction".into(),
    }
}

#[cfg(test)]
mod tests;
