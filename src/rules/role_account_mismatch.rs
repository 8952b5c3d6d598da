//! `role-account-mismatch`: the trust policy trusts an OIDC provider in another account than the role's.
//!
//! Reported by `check` when the role's ARN is known (`--role-arn`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "role-account-mismatch",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the trust policy's Federated principal is an OIDC provider in another account than the role's"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"create the OIDC provider in the role's own account and name that ARN in Principal.Federated"#,
    explanation: r#"A web identity can only assume a role through an IAM OIDC provider of the role's own account: STS looks the issuer up in the role's account, and the trust policy must name that provider. A policy copied from another account (`arn:aws:iam::111111111111:oidc-provider/gitlab.com` in a role of account 222222222222) never matches, and the call is refused with AccessDenied. Providers cannot be shared across accounts; every account that holds roles for GitLab jobs needs its own."#,
    bad: r#"role: arn:aws:iam::222222222222:role/deploy
"Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/gitlab.com"}"#,
    good: r#"role: arn:aws:iam::222222222222:role/deploy
"Principal": {"Federated": "arn:aws:iam::222222222222:oidc-provider/gitlab.com"}"#,
};
