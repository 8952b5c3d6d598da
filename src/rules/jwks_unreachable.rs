//! `jwks-unreachable`: the issuer's JWKS (`jwks_uri`) could not be fetched.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "jwks-unreachable",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the issuer's JWKS (`jwks_uri`) could not be fetched"#,
    aws_error: Some(super::KEY_RETRIEVAL),
    fix: r#"serve the JWKS publicly with HTTP 200 at the discovery document's `jwks_uri`"#,
    explanation: r#"After discovery, STS fetches the keys from `jwks_uri`. A DNS failure, a refused connection, a TLS failure or an HTTP error status means no key, and every token is refused."#,
    bad: r#"curl https://gitlab.example.com/oauth/discovery/keys
# HTTP/1.1 502 Bad Gateway"#,
    good: r#"curl https://gitlab.example.com/oauth/discovery/keys
# HTTP/1.1 200 OK, application/json"#,
};
