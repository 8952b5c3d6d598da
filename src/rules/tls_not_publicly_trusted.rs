//! `tls-not-publicly-trusted`: the TLS certificate does not chain to a public root (self-signed or private CA), so AWS relies on the thumbprint.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "tls-not-publicly-trusted",
    category: Category::Connectivity,
    severity: Severity::Warning,
    summary: r#"the TLS certificate does not chain to a public root (self-signed or private CA), so AWS relies on the thumbprint"#,
    aws_error: None,
    fix: r#"use a certificate from a public CA, or configure the printed thumbprint on the IAM provider"#,
    explanation: r#"AWS verifies the issuer's certificate against its library of trusted root CAs first and uses the provider's thumbprints only when that fails. This tool approximates AWS's library with Mozilla's roots (webpki-roots) plus `--ca-file`. For a self-signed or private-CA certificate, the provider must list the SHA-1 thumbprint of the last certificate the JWKS host serves; the finding prints it."#,
    bad: r#"issuer certificate: CN=gitlab.example.com, issued by CN=Example Corp Internal CA"#,
    good: r#"issuer certificate: CN=gitlab.example.com, issued by a public CA (e.g. Let's Encrypt R11)"#,
};
