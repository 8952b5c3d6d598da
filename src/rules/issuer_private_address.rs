//! `issuer-private-address`: the issuer's host resolves only to private addresses (loopback, RFC 1918, link-local, CGNAT).
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "issuer-private-address",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the issuer's host resolves only to private addresses (loopback, RFC 1918, link-local, CGNAT)"#,
    aws_error: Some(super::KEY_RETRIEVAL),
    fix: r#"expose discovery and JWKS publicly (GitLab's OIDC issuer override can point at a public copy)"#,
    explanation: r#"STS fetches discovery and keys from the public internet. A host that resolves only to loopback, RFC 1918, link-local, CGNAT or unique-local addresses is unreachable for AWS even when it works from the office. With `--connect-to` the check is skipped: the address is then chosen by you."#,
    bad: r#"gitlab.internal.example → 10.0.4.2"#,
    good: r#"gitlab.example.com → 203.0.113.10"#,
};
