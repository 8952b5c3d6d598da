//! `tls-hostname-mismatch`: the TLS certificate is not valid for the issuer's host name.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "tls-hostname-mismatch",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the TLS certificate is not valid for the issuer's host name"#,
    aws_error: None,
    fix: r#"serve a certificate whose subject alternative names include the issuer's host"#,
    explanation: r#"The certificate must name the host in the issuer URL (and in `jwks_uri`) among its subject alternative names; otherwise TLS verification fails and AWS cannot fetch the keys."#,
    bad: r#"https://gitlab.example.com serves a certificate for *.other.example"#,
    good: r#"https://gitlab.example.com serves a certificate for gitlab.example.com"#,
};
