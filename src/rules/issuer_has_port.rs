//! `issuer-has-port`: the issuer URL has an explicit port.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "issuer-has-port",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the issuer URL has an explicit port"#,
    aws_error: None,
    fix: r#"serve the instance on 443 without a port in its external URL (or set GitLab's OIDC issuer override)"#,
    explanation: r#"IAM provider URLs cannot carry a port, and the token's `iss` must equal the provider URL, so an instance whose external URL has a port cannot federate with AWS."#,
    bad: r#"https://gitlab.example.com:8443"#,
    good: r#"https://gitlab.example.com"#,
};
