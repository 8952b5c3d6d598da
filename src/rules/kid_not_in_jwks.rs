//! `kid-not-in-jwks`: the token's `kid` is not among the issuer's published keys.
//!
//! Reported by `decode` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "kid-not-in-jwks",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the token's `kid` is not among the issuer's published keys"#,
    aws_error: None,
    fix: r#"check that the token comes from this issuer; after a key rotation, get a fresh token"#,
    explanation: r#"STS looks the token's `kid` (key ID) up in the issuer's JWKS. When it is not there, the signature cannot be verified: the token comes from another issuer (another GitLab instance, a staging instance), or the key was rotated and the token is old. The finding lists the kids the JWKS holds. The exact STS message is unconfirmed."#,
    bad: r#"token header: {"alg": "RS256", "kid": "old-key"}
JWKS kids: ["kZ3…", "rT9…"]"#,
    good: r#"token header: {"alg": "RS256", "kid": "kZ3…"}"#,
};
