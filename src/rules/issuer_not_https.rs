//! `issuer-not-https`: the issuer URL is not https.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "issuer-not-https",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the issuer URL is not https"#,
    aws_error: None,
    fix: r#"use the https:// URL of the instance as the issuer and the provider URL"#,
    explanation: r#"IAM OIDC providers must be `https://` URLs, and STS fetches discovery and keys over TLS only."#,
    bad: r#"http://gitlab.example.com"#,
    good: r#"https://gitlab.example.com"#,
};
