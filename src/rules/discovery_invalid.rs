//! `discovery-invalid`: the discovery document is not usable (not JSON, no `issuer`/`jwks_uri`, `issuer` not the URL exactly).
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "discovery-invalid",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the discovery document is not usable (not JSON, no `issuer`/`jwks_uri`, `issuer` not the URL exactly)"#,
    aws_error: Some(super::KEY_RETRIEVAL),
    fix: r#"serve a discovery document whose `issuer` equals the issuer URL exactly and whose `jwks_uri` is https"#,
    explanation: r#"STS requires the discovery document's `issuer` to equal the provider URL and the token's `iss` character for character (a trailing slash, a case difference or a missing path breaks it), and fetches the keys from `jwks_uri`, which must be https. GitLab behind a reverse proxy that rewrites the external URL is a common cause."#,
    bad: r#"{"issuer": "https://gitlab.example.com/", "jwks_uri": "https://gitlab.example.com/oauth/discovery/keys"}
# probed https://gitlab.example.com"#,
    good: r#"{"issuer": "https://gitlab.example.com", "jwks_uri": "https://gitlab.example.com/oauth/discovery/keys"}"#,
};
