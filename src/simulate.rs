//! The `simulate` use case: evaluate a trust policy against claims, explain the
//! outcome, and predict what STS answers. Pure: inputs in, report out.

use serde_json::{Map, Value};

use crate::finding::{Finding, Location};
use crate::gitlab::sub as gitlab_sub;
use crate::iam::context::{ContextValue, Origin, RequestContext};
use crate::iam::evaluate::{Decision, Evaluation, Request, StatementTrace, evaluate};
use crate::iam::operator::{BaseOperator, Operator, OperatorError};
use crate::json::{SourceText, Span};
use crate::policy::{Effect, Policy, ProblemKind, parse_policy_json};
use crate::rules;

/// A policy file as read: its display path and text. `utf8_error` is the byte
/// offset of the first invalid UTF-8 sequence, when there is one.
#[derive(Debug, Clone)]
pub struct PolicySource {
    pub path: String,
    pub text: String,
    pub utf8_error: Option<usize>,
    /// A policy already read by an IaC front end (Terraform, CloudFormation), with
    /// spans into `text`; `None` for policy JSON, which `simulate` parses itself.
    pub parsed: Option<Policy>,
    /// The IaC resource holding the policy (Terraform address, logical ID).
    pub resource: Option<String>,
    /// Why an IaC front end could not read the file (a `parse-error` finding);
    /// the policy is then unknown.
    pub front_end_error: Option<Finding>,
}

/// Where the claims came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimsOrigin {
    /// `--claim` only.
    Given,
    /// A token, decoded without verifying its signature.
    Token,
}

/// `arn:<partition>:iam::<account>:role/<path/name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    pub partition: String,
    pub account: String,
    pub name: String,
}

impl RoleArn {
    pub fn parse(arn: &str) -> Result<RoleArn, String> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let bad = || {
            format!(
                "{arn:?} is not a role ARN; expected arn:aws:iam::<12-digit account>:role/<name>"
            )
        };
        let [a, partition, service, region, account, resource] = parts[..] else {
            return Err(bad());
        };
        let name = resource.strip_prefix("role/").ok_or_else(bad)?;
        let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        if a != "arn"
            || service != "iam"
            || !region.is_empty()
            || !account_ok
            || name.is_empty()
            || partition.is_empty()
        {
            return Err(bad());
        }
        Ok(RoleArn {
            partition: partition.to_string(),
            account: account.to_string(),
            name: name.rsplit('/').next().unwrap_or(name).to_string(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct SimulateInput {
    pub policy: PolicySource,
    /// `Err` holds why the token could not be decoded.
    pub claims: Result<Map<String, Value>, String>,
    pub claims_origin: ClaimsOrigin,
    /// `--context KEY=VALUE`.
    pub context: Vec<(String, Value)>,
    pub role_arn: Option<RoleArn>,
    /// Now, as RFC 3339 (from `--now` or the clock), for `aws:CurrentTime`/`aws:EpochTime`.
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

/// One check's outcome (SPEC §3 `checks`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: CheckStatus,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub decision: Decision,
    pub predicted_error: Option<String>,
    pub decisive_statements: Vec<usize>,
    pub unverified: Vec<String>,
    pub depends_on: Vec<String>,
    /// One line: why.
    pub summary: String,
}

#[derive(Debug, Clone)]
pub struct SimulateReport {
    pub path: String,
    pub source: SourceText,
    pub policy: Option<Policy>,
    pub request: Option<Request>,
    pub evaluation: Option<Evaluation>,
    pub findings: Vec<Finding>,
    pub checks: Vec<Check>,
    pub verdict: Verdict,
    /// Per statement index, per condition index: an extra explanation line.
    pub condition_notes: Vec<(usize, usize, String)>,
    /// Remarks about the input (claims GitLab would not issue, ignored claims).
    pub notes: Vec<String>,
    pub claims_origin: ClaimsOrigin,
}

pub fn simulate(input: SimulateInput) -> SimulateReport {
    let source = SourceText::new(input.policy.text.clone());
    let path = input.policy.path.clone();
    let resource = input.policy.resource.clone();
    let at = |span: Span, pointer: Option<&str>| {
        let mut l = Location::from_span(&path, &source, span, pointer);
        l.resource = resource.clone();
        l
    };
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let mut checks = Vec::new();

    // 1. The policy.
    let policy = if let Some(parsed) = input.policy.parsed.clone() {
        Some(parsed)
    } else if let Some(f) = input.policy.front_end_error.clone() {
        findings.push(f);
        None
    } else if let Some(offset) = input.policy.utf8_error {
        findings.push(
            Finding::new(&rules::INVALID_POLICY_JSON, "the file is not valid UTF-8")
                .help("save the policy as UTF-8")
                .at(at(Span::new(offset, offset + 1), None)),
        );
        None
    } else {
        match parse_policy_json(&input.policy.text) {
            Ok(p) => Some(p),
            Err(e) => {
                findings.push(
                    Finding::new(&rules::INVALID_POLICY_JSON, e.message).at(at(e.span, None)),
                );
                None
            }
        }
    };
    checks.push(Check {
        name: "policy-json",
        status: if policy.is_some() {
            CheckStatus::Passed
        } else {
            CheckStatus::Failed
        },
        detail: Some(if policy.is_some() {
            "parsed as IAM reads it".to_string()
        } else {
            "not a policy IAM accepts (see invalid-policy-json)".to_string()
        }),
    });
    if let Some(p) = &policy {
        for problem in &p.problems {
            let rule = match problem.kind {
                ProblemKind::UnknownElement => &rules::UNKNOWN_POLICY_ELEMENT,
                ProblemKind::DuplicateKey => &rules::DUPLICATE_JSON_KEY,
            };
            let mut f = Finding::new(rule, problem.message.clone())
                .at(at(problem.span, Some(&problem.pointer)));
            if let Some(h) = &problem.help {
                f = f.help(h.clone());
            }
            if let Some(r) = problem.related {
                f = f.related(at(r, None));
            }
            findings.push(f);
        }
        for s in &p.statements {
            for c in &s.conditions {
                let (rule, message, help) = match Operator::parse(&c.operator.value) {
                    Ok(_) => continue,
                    Err(OperatorError::NullWithIfExists) => (
                        &rules::NULL_WITH_IF_EXISTS,
                        format!(
                            "`{}`: IfExists cannot be added to Null; IAM rejects the policy",
                            c.operator.value
                        ),
                        None,
                    ),
                    Err(OperatorError::Unknown { suggestion }) => (
                        &rules::UNKNOWN_CONDITION_OPERATOR,
                        format!(
                            "`{}` is not an IAM condition operator; IAM rejects the policy",
                            c.operator.value
                        ),
                        suggestion.map(|s| format!("did you mean `{s}`?")),
                    ),
                };
                if findings.iter().any(|f: &Finding| {
                    f.location.as_ref().and_then(|l| l.pointer.as_deref())
                        == Some(&c.operator.pointer)
                }) {
                    continue; // one finding per operator, not per key under it
                }
                let mut f =
                    Finding::new(rule, message).at(at(c.operator.span, Some(&c.operator.pointer)));
                if let Some(h) = help {
                    f = f.help(h);
                }
                findings.push(f);
            }
        }
    }

    // 2. The request.
    let mut token_malformed = false;
    let request = match &input.claims {
        Err(why) => {
            token_malformed = true;
            findings.push(Finding::new(
                &rules::TOKEN_MALFORMED,
                format!("the token is not a JWT: {why}"),
            ));
            None
        }
        Ok(claims) => {
            let (mut context, claim_notes) = RequestContext::from_claims(claims);
            notes.extend(claim_notes);
            if let Some(sub) = claims.get("sub").and_then(Value::as_str) {
                if gitlab_sub::parse(sub).is_none() {
                    notes.push(format!(
                        "`sub` {sub:?} is not a subject GitLab issues (evaluated as given)"
                    ));
                }
            } else {
                notes.push("the claims have no string `sub`".into());
            }
            // The request always carries the time; it is only shown (and only read
            // from the clock) when the policy asks for it.
            let mentions = |key: &str| {
                policy.as_ref().is_some_and(|p| {
                    p.statements.iter().any(|s| {
                        s.conditions
                            .iter()
                            .any(|c| c.key.value.eq_ignore_ascii_case(key))
                    })
                })
            };
            if let Some(now) = input
                .now
                .filter(|_| mentions("aws:CurrentTime") || mentions("aws:EpochTime"))
            {
                context.insert(
                    "aws:CurrentTime",
                    ContextValue::Single(now.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                    Origin::Given,
                );
                context.insert(
                    "aws:EpochTime",
                    ContextValue::Single(now.timestamp().to_string()),
                    Origin::Given,
                );
            }
            for (k, v) in &input.context {
                let value = match v {
                    Value::Array(items) => {
                        ContextValue::Multi(items.iter().map(json_text).collect())
                    }
                    other => ContextValue::Single(json_text(other)),
                };
                context.insert(k, value, Origin::Given);
            }
            Some(Request {
                context,
                issuer: claims
                    .get("iss")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                account: input.role_arn.as_ref().map(|r| r.account.clone()),
                partition: input.role_arn.as_ref().map(|r| r.partition.clone()),
            })
        }
    };

    // 3. The decision.
    let evaluation = match (&policy, &request) {
        (Some(p), Some(r)) => Some(evaluate(p, r)),
        _ => None,
    };
    let mut condition_notes = Vec::new();
    if let (Some(p), Some(r), Some(e)) = (&policy, &request, &evaluation)
        && matches!(e.decision, Decision::ImplicitDeny)
    {
        explain_implicit_deny(p, r, e, &at, &mut findings, &mut condition_notes);
    }

    let decision = evaluation
        .as_ref()
        .map(|e| e.decision)
        .unwrap_or(Decision::Indeterminate);
    checks.push(Check {
        name: "trust-policy",
        status: match decision {
            Decision::Allowed => CheckStatus::Passed,
            Decision::ImplicitDeny | Decision::ExplicitDeny => CheckStatus::Failed,
            Decision::Indeterminate => CheckStatus::Skipped,
        },
        detail: Some(match decision {
            Decision::Allowed => "an Allow statement admits the request and no Deny applies".into(),
            Decision::ImplicitDeny => "no Allow statement admits the request".into(),
            Decision::ExplicitDeny => "a Deny statement applies".into(),
            Decision::Indeterminate => "the decision could not be computed".into(),
        }),
    });
    checks.push(Check {
        name: "token-signature",
        status: CheckStatus::Skipped,
        detail: Some(match input.claims_origin {
            ClaimsOrigin::Token => {
                "simulate decodes the token without verifying its signature".into()
            }
            ClaimsOrigin::Given => "no token: the claims were given with --claim".into(),
        }),
    });
    checks.push(Check {
        name: "oidc-provider",
        status: CheckStatus::Skipped,
        detail: Some("simulate does not contact IAM: the provider's URL, client IDs and thumbprints are not checked".into()),
    });
    checks.push(Check {
        name: "issuer",
        status: CheckStatus::Skipped,
        detail: Some("the issuer's discovery document and keys are not fetched".into()),
    });

    let predicted_error = if token_malformed {
        Some(rules::NOT_A_JWT.to_string())
    } else {
        match decision {
            Decision::ImplicitDeny | Decision::ExplicitDeny => {
                Some(rules::ACCESS_DENIED.to_string())
            }
            _ => None,
        }
    };
    let summary = match (&evaluation, decision) {
        (None, _) if policy.is_none() => "the policy could not be read".to_string(),
        (None, _) => "there are no claims to evaluate".to_string(),
        (Some(e), Decision::Allowed) => format!(
            "allowed by {}",
            statement_list(&e.decisive_statements, &e.statements)
        ),
        (Some(e), Decision::ExplicitDeny) => format!(
            "explicitly denied by {}",
            statement_list(&e.decisive_statements, &e.statements)
        ),
        (Some(_), Decision::ImplicitDeny) => {
            "no Allow statement applies (implicit deny)".to_string()
        }
        (Some(e), Decision::Indeterminate) => {
            let undecided: Vec<usize> = e
                .statements
                .iter()
                .filter(|s| s.applies.is_none())
                .map(|s| s.index)
                .collect();
            format!(
                "{} could not be evaluated",
                statement_list(&undecided, &e.statements)
            )
        }
    };
    let verdict = Verdict {
        decision,
        predicted_error,
        decisive_statements: evaluation
            .as_ref()
            .map(|e| e.decisive_statements.clone())
            .unwrap_or_default(),
        unverified: checks
            .iter()
            .filter(|c| c.status == CheckStatus::Skipped && c.name != "trust-policy")
            .map(|c| c.name.to_string())
            .collect(),
        depends_on: evaluation
            .as_ref()
            .map(|e| e.depends_on.clone())
            .unwrap_or_default(),
        summary,
    };
    SimulateReport {
        path,
        source,
        policy,
        request,
        evaluation,
        findings,
        checks,
        verdict,
        condition_notes,
        notes,
        claims_origin: input.claims_origin,
    }
}

fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn statement_list(indexes: &[usize], traces: &[StatementTrace]) -> String {
    // A summary names a few; a generated policy may have thousands decide.
    const NAMED: usize = 16;
    let mut names: Vec<String> = indexes
        .iter()
        .take(NAMED)
        .map(|i| {
            // Traces are in statement order.
            match traces
                .binary_search_by_key(i, |t| t.index)
                .ok()
                .and_then(|k| traces.get(k))
                .and_then(|t| t.sid.as_deref())
            {
                Some(sid) => format!("statement {i} ({sid:?})"),
                None => format!("statement {i}"),
            }
        })
        .collect();
    if indexes.len() > NAMED {
        names.push(format!("and {} more", indexes.len() - NAMED));
    }
    names.join(", ")
}

/// Turns an implicit deny into findings that say what to change.
fn explain_implicit_deny(
    policy: &Policy,
    request: &Request,
    evaluation: &Evaluation,
    at: &dyn Fn(Span, Option<&str>) -> Location,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<(usize, usize, String)>,
) {
    let allows: Vec<(&crate::policy::Statement, &StatementTrace)> = policy
        .statements
        .iter()
        .zip(&evaluation.statements)
        .filter(|(_, t)| t.effect == Some(Effect::Allow) && t.invalid.is_none())
        .collect();
    if allows.is_empty() {
        return;
    }
    let trusting: Vec<_> = allows.iter().filter(|(_, t)| t.principal.matched).collect();
    if trusting.is_empty() {
        let (s, t) = allows[0];
        let span_ptr = s
            .principal
            .as_ref()
            .map(|p| (p.span, p.pointer.clone()))
            .unwrap_or((s.span, s.pointer.clone()));
        let issuer = request.issuer.as_deref().unwrap_or("(no iss)");
        findings.push(
            Finding::new(
                &rules::ISSUER_PROVIDER_MISMATCH,
                format!("no Allow statement trusts the OIDC provider of the token's issuer {issuer}: {}", t.principal.reason),
            )
            .help(format!(
                "set \"Principal\": {{\"Federated\": \"{}\"}}",
                request.expected_provider_arn().unwrap_or_default()
            ))
            .at(at(span_ptr.0, Some(&span_ptr.1))),
        );
        return;
    }
    let acting: Vec<_> = trusting.iter().filter(|(_, t)| t.action.matched).collect();
    if acting.is_empty() {
        let (s, t) = trusting[0];
        let (span, pointer) = s
            .action
            .as_ref()
            .map(|a| (a.span, a.pointer.clone()))
            .or_else(|| s.not_action.as_ref().map(|a| (a.span, a.pointer.clone())))
            .unwrap_or((s.span, s.pointer.clone()));
        findings.push(
            Finding::new(&rules::WRONG_ACTION, t.action.reason.clone())
                .at(at(span, Some(&pointer))),
        );
        return;
    }
    for (s, t) in acting {
        for c in t
            .conditions
            .iter()
            .filter(|c| c.outcome.result == Some(false) && c.operator_error.is_none())
        {
            let cond = &s.conditions[c.condition_index];
            let is_sub = c.key.to_ascii_lowercase().ends_with(":sub")
                && request.context.is_token_key(&c.key);
            let subject = request.context.get(&c.key).and_then(|e| match &e.value {
                ContextValue::Single(v) => Some(v.clone()),
                ContextValue::Multi(_) => None,
            });
            let op = Operator::parse(&c.operator).ok();
            if let (true, Some(subject), Some(op)) = (is_sub, subject, op) {
                let like = op.base.comparison() == crate::iam::operator::Comparison::Like;
                let ignore_case = matches!(
                    op.base,
                    BaseOperator::StringEqualsIgnoreCase | BaseOperator::StringNotEqualsIgnoreCase
                );
                let candidates: Vec<(String, bool, bool)> = c
                    .values
                    .iter()
                    .map(|v| (v.clone(), like, ignore_case))
                    .collect();
                let closest = if op.base.is_negated() {
                    None
                } else {
                    gitlab_sub::closest(&subject, &candidates)
                };
                let (message, location) = match &closest {
                    Some((value, mismatch)) => {
                        let loc = cond
                            .values
                            .iter()
                            .find(|v| v.value.text == *value)
                            .map(|v| at(v.span, Some(&v.pointer)));
                        notes.push((t.index, c.condition_index, mismatch.explanation.clone()));
                        (
                            format!(
                                "the token's sub {subject:?} is not admitted by statement {}: the closest policy value is {value:?}; {}",
                                t.index, mismatch.explanation
                            ),
                            loc,
                        )
                    }
                    None => (
                        format!(
                            "the token's sub {subject:?} is not admitted by statement {}: {}",
                            t.index, c.outcome.reason
                        ),
                        Some(at(cond.key.span, Some(&cond.key.pointer))),
                    ),
                };
                let mut f = Finding::new(&rules::SUB_NOT_ADMITTED, message);
                if let Some(l) = location {
                    f = f.at(l);
                }
                findings.push(f);
            } else if request.context.is_token_key(&c.key) || c.outcome.context.is_some() {
                findings.push(
                    Finding::new(
                        &rules::CLAIM_NOT_ADMITTED,
                        format!(
                            "statement {} requires {} {}: {}",
                            t.index, c.operator, c.key, c.outcome.reason
                        ),
                    )
                    .at(at(cond.key.span, Some(&cond.key.pointer))),
                );
            } else {
                notes.push((
                    t.index,
                    c.condition_index,
                    format!("`{}` is not in the token; pass --context {}=VALUE to say what the request carries", c.key, c.key),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        let r = RoleArn::parse("arn:aws:iam::123456789012:role/ci/Deploy").unwrap();
        assert_eq!(
            (r.partition.as_str(), r.account.as_str(), r.name.as_str()),
            ("aws", "123456789012", "Deploy")
        );
        for bad in [
            "arn:aws:iam::12345:role/x",
            "arn:aws:iam::123456789012:user/x",
            "Deploy",
            "arn:aws:s3:::123456789012:role/x",
        ] {
            assert!(RoleArn::parse(bad).is_err(), "{bad}");
        }
    }
}
