//! `wildcard-principal`: `"Principal": "*"` or `{"AWS": "*"}` on an Allow.
//!
//! Reported by the linter.

use super::RuleMeta;
use crate::finding::{Category, Severity};
use crate::policy::{Effect, Principal};

pub static META: RuleMeta = RuleMeta {
    name: "wildcard-principal",
    category: Category::Security,
    severity: Severity::Error,
    summary: r#"an Allow statement that trusts every principal ("Principal": "*" or {"AWS": "*"})"#,
    aws_error: None,
    fix: r#"trust only your GitLab OIDC provider: "Principal": {"Federated": "arn:aws:iam::<account-id>:oidc-provider/gitlab.com"}"#,
    explanation: r#"`"Principal": "*"` and `{"AWS": "*"}` mean anyone: every IAM user and role in every AWS account, anonymous callers and any web identity. In an Allow statement of a role trust policy, the only thing left between the internet and the role's permissions is the Condition block, and one mistake there (a missing key, an `IfExists`, a negated operator) opens the role to everyone. A GitLab CI role needs exactly one principal: the IAM OIDC provider of its GitLab instance, narrowed with `gitlab.com:aud` and `gitlab.com:sub` conditions."#,
    bad: r#""Effect": "Allow",
"Principal": {"AWS": "*"},
"Action": "sts:AssumeRoleWithWebIdentity""#,
    good: r#""Effect": "Allow",
"Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.com"},
"Action": "sts:AssumeRoleWithWebIdentity""#,
};

/// Allow statements whose principal is everyone.
pub struct WildcardPrincipal;

impl super::Rule for WildcardPrincipal {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &super::PolicyContext<'_>, out: &mut Vec<crate::finding::Finding>) {
        for s in &cx.policy.statements {
            if s.effect() != Some(Effect::Allow) {
                continue;
            }
            let Some(p) = &s.principal else {
                continue;
            };
            let restricted = if s.conditions.is_empty() {
                ""
            } else {
                " (only the conditions stand between it and the role)"
            };
            match &p.value {
                Principal::Wildcard => out.push(cx.finding(
                    &META,
                    format!(
                        "statement {} allows `\"Principal\": \"*\"`: every principal in every account can assume the role{restricted}",
                        s.index
                    ),
                    p.span,
                    &p.pointer,
                )),
                Principal::Typed(_) => {
                    for v in p.value.values_of("AWS").filter(|v| v.value == "*") {
                        out.push(cx.finding(
                            &META,
                            format!(
                                "statement {} allows `{{\"AWS\": \"*\"}}`: every IAM principal in every account can assume the role{restricted}",
                                s.index
                            ),
                            v.span,
                            &v.pointer,
                        ));
                    }
                }
            }
        }
    }
}
