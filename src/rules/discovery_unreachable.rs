//! `discovery-unreachable`: the issuer's discovery document could not be fetched.
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "discovery-unreachable",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the issuer's discovery document could not be fetched"#,
    aws_error: Some(super::KEY_RETRIEVAL),
    fix: r#"serve https://<issuer>/.well-known/openid-configuration publicly with HTTP 200"#,
    explanation: r#"STS fetches `<issuer>/.well-known/openid-configuration` from the public internet to find the keys. A DNS failure, a refused connection, a TLS failure or an HTTP error status means AWS cannot get the keys either."#,
    bad: r#"curl https://gitlab.example.com/.well-known/openid-configuration
# curl: (7) Failed to connect"#,
    good: r#"curl https://gitlab.example.com/.well-known/openid-configuration
# HTTP/1.1 200 OK, application/json"#,
};
