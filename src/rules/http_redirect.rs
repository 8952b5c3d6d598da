//! `http-redirect`: discovery or JWKS answered with a redirect.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "http-redirect",
    category: Category::Connectivity,
    severity: Severity::Warning,
    summary: r#"discovery or JWKS answered with a redirect"#,
    aws_error: None,
    fix: r#"serve the documents at the URLs directly (fix the issuer URL or `jwks_uri`)"#,
    explanation: r#"STS is not documented to follow redirects, and a redirect to another host moves trust (and the TLS chain that counts for the thumbprint) elsewhere. `probe` follows at most 5 redirects to show where they lead, and reports them."#,
    bad: r#"GET /.well-known/openid-configuration → 301 https://gitlab.example.com/gitlab/.well-known/openid-configuration"#,
    good: r#"GET /gitlab/.well-known/openid-configuration → 200"#,
};
