//! `resource-in-trust-policy`: a `Resource` or `NotResource` element in a role trust policy.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};

/// IAM's answer to CreateRole/UpdateAssumeRolePolicy with a `Resource` element.
const PROHIBITED_RESOURCE: &str = "MalformedPolicyDocument: Has prohibited field Resource";

pub static META: RuleMeta = RuleMeta {
    name: "resource-in-trust-policy",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"a Resource or NotResource element in a role trust policy"#,
    aws_error: Some(PROHIBITED_RESOURCE),
    fix: r#"remove Resource: the role the trust policy is attached to is the resource"#,
    explanation: r#"A trust policy is the role's resource-based policy: the resource is the role itself, so IAM prohibits the `Resource` (and `NotResource`) element in it, and CreateRole/UpdateAssumeRolePolicy fail with `MalformedPolicyDocument: Has prohibited field Resource`. The usual cause is a permissions-policy statement (`"Resource": "*"`, S3 ARNs, …) pasted into `assume_role_policy`: what the GitLab job may do belongs in a separate permissions policy attached to the role; the trust policy only says who may assume it (`Principal`, `Action`, `Condition`)."#,
    bad: r#""Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
"Action": "sts:AssumeRoleWithWebIdentity",
"Resource": "*""#,
    good: r#""Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
"Action": "sts:AssumeRoleWithWebIdentity""#,
};

/// Statements with `Resource`/`NotResource`.
pub struct ResourceInTrustPolicy;

impl super::Rule for ResourceInTrustPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        for s in &cx.policy.statements {
            for (element, value) in [("Resource", &s.resource), ("NotResource", &s.not_resource)] {
                let Some(v) = value else {
                    continue;
                };
                let listed: Vec<String> =
                    v.value.iter().map(|r| format!("{:?}", r.value)).collect();
                let what = if listed.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", listed.join(", "))
                };
                let mut f = cx
                    .finding(
                        &META,
                        format!(
                            "statement {} has `{element}`{what}; IAM rejects a trust policy with a {element} element",
                            s.index
                        ),
                        v.span,
                        &v.pointer,
                    )
                    .help(format!(
                        "remove `{element}`; grant what the job may do in a permissions policy attached to the role"
                    ));
                if element == "NotResource" {
                    // Only the wording for `Resource` is attested.
                    f.aws_error = Some(super::MALFORMED_POLICY.to_string());
                }
                out.push(f);
            }
        }
    }
}
