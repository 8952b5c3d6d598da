//! `not-principal-in-trust-policy`: a `NotPrincipal` element in a role trust policy.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "not-principal-in-trust-policy",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a NotPrincipal element in a role trust policy"#,
    aws_error: Some(super::MALFORMED_POLICY),
    fix: r#"name the trusted provider in Principal: {"Federated": "arn:aws:iam::<account>:oidc-provider/<host>"}"#,
    explanation: r#"`NotPrincipal` matches every principal *except* the ones it lists. IAM does not support it in a role trust policy (IAM User Guide, "AWS JSON policy elements: NotPrincipal": it cannot be used in an IAM role trust policy, and with `"Effect": "Allow"` it is not supported anywhere), so creating or updating the role fails. Read the way the author wrote it, `"Effect": "Allow"` with `NotPrincipal` would trust everyone but the listed principals — every identity provider, every AWS account — which is the opposite of what a GitLab CI role needs. A trust policy for GitLab names its IAM OIDC provider in `Principal` and narrows it with `gitlab.com:aud` and `gitlab.com:sub` conditions."#,
    bad: r#""Effect": "Allow",
"NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"},
"Action": "sts:AssumeRoleWithWebIdentity""#,
    good: r#""Effect": "Allow",
"Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
"Action": "sts:AssumeRoleWithWebIdentity""#,
};

/// Statements with a `NotPrincipal` element.
pub struct NotPrincipalInTrustPolicy;

impl super::Rule for NotPrincipalInTrustPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        for s in &cx.policy.statements {
            let Some(np) = &s.not_principal else {
                continue;
            };
            let effect = match s.effect() {
                Some(crate::policy::Effect::Allow) => {
                    "; with Allow it would trust every principal except the ones listed"
                }
                _ => "",
            };
            out.push(
                cx.finding(
                    &META,
                    format!(
                        "statement {} uses `NotPrincipal`, which IAM does not allow in a role trust policy{effect}",
                        s.index
                    ),
                    np.span,
                    &np.pointer,
                )
                .help(if s.principal.is_some() {
                    "remove `NotPrincipal`: `Principal` already names who is trusted"
                } else {
                    r#"replace it with "Principal": {"Federated": "arn:aws:iam::<account>:oidc-provider/<host>"}"#
                }),
            );
        }
    }
}
