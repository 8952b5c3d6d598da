//! `issuer-provider-mismatch`: no statement's Federated principal is the OIDC provider of the token's issuer.
//!
//! Reported by the evaluation of a request (simulate/check).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "issuer-provider-mismatch",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"no statement's Federated principal is the OIDC provider of the token's issuer"#,
    aws_error: Some(super::ACCESS_DENIED),
    fix: r#"set Principal.Federated to arn:aws:iam::<account>:oidc-provider/<issuer without https://>"#,
    explanation: r#"STS maps the token's `iss` to the IAM OIDC provider whose URL equals it, and the trust policy must name that provider's ARN — `arn:aws:iam::<account>:oidc-provider/<issuer without https://, path included>` — in `Principal.Federated`. A provider for another host, path or account never matches."#,
    bad: r#""Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"}
# token: iss = https://gitlab.example.com/gitlab"#,
    good: r#""Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com/gitlab"}"#,
};
