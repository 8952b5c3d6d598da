//! `wrong-action`: a statement with an OIDC principal whose actions do not cover sts:AssumeRoleWithWebIdentity.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "wrong-action",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a statement with an OIDC principal whose actions do not cover sts:AssumeRoleWithWebIdentity"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"add "sts:AssumeRoleWithWebIdentity" to Action"#,
    explanation: r#"Web-identity federation calls `sts:AssumeRoleWithWebIdentity`. A statement that trusts an OIDC provider but allows only `sts:AssumeRole` (the action for IAM principals) never admits a GitLab job. `sts:TagSession` beside it is fine; `sts:*` and `*` cover it."#,
    bad: r#""Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
"Action": "sts:AssumeRole""#,
    good: r#""Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
"Action": "sts:AssumeRoleWithWebIdentity""#,
};

/// Statements that trust an OIDC provider but whose actions never cover
/// `sts:AssumeRoleWithWebIdentity`.
pub struct WrongAction;

impl super::Rule for WrongAction {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        use crate::iam::evaluate::ASSUME_ROLE_WITH_WEB_IDENTITY as ACTION;
        use crate::iam::wildcard::matches_ignore_case;
        for s in cx
            .policy
            .statements
            .iter()
            .filter(|s| cx.is_oidc_statement(s))
        {
            if let Some(actions) = &s.action {
                if !actions.value.iter().any(|a| {
                    a.value.eq_ignore_ascii_case(ACTION) || matches_ignore_case(&a.value, ACTION)
                }) {
                    let listed: Vec<String> = actions
                        .value
                        .iter()
                        .map(|a| format!("{:?}", a.value))
                        .collect();
                    out.push(cx.finding(
                        &META,
                        format!(
                            "statement {} trusts an OIDC provider but allows only {}, which does not cover {ACTION}",
                            s.index,
                            listed.join(", ")
                        ),
                        actions.span,
                        &actions.pointer,
                    ));
                }
            } else if let Some(not_actions) = &s.not_action
                && let Some(a) = not_actions
                    .value
                    .iter()
                    .find(|a| matches_ignore_case(&a.value, ACTION))
            {
                out.push(cx.finding(
                        &META,
                        format!("statement {} trusts an OIDC provider but its NotAction {:?} excludes {ACTION}", s.index, a.value),
                        a.span,
                        &a.pointer,
                    ));
            }
        }
    }
}
