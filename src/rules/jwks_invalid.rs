//! `jwks-invalid`: the JWKS is not usable (not JSON, no keys, over 100 RSA or 100 EC keys, unsupported key types, duplicate `kid`s).
//!
//! Reported by `probe` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "jwks-invalid",
    category: Category::Connectivity,
    severity: Severity::Error,
    summary: r#"the JWKS is not usable (not JSON, no keys, over 100 RSA or 100 EC keys, unsupported key types, duplicate `kid`s)"#,
    aws_error: Some(super::KEY_RETRIEVAL),
    fix: r#"publish at least one RSA or EC signing key, at most 100 of each, with unique `kid`s"#,
    explanation: r#"STS reads `{"keys": [...]}` and accepts at most 100 RSA and 100 EC keys; key types and algorithms outside RS256/384/512 and ES256/384/512 cannot verify a token, and duplicate `kid`s make the key choice ambiguous."#,
    bad: r#"{"keys": []}"#,
    good: r#"{"keys": [{"kty": "RSA", "kid": "kZ3…", "use": "sig", "alg": "RS256", "n": "…", "e": "AQAB"}]}"#,
};
