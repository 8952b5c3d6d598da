//! `token-alg-unsupported`: the token is signed with an algorithm STS does not accept.
//!
//! Reported by `decode` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "token-alg-unsupported",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the token is signed with an algorithm STS does not accept"#,
    aws_error: None,
    fix: r#"sign ID tokens with RS256 (GitLab's default) or another RS*/ES* algorithm"#,
    explanation: r#"STS verifies only RS256, RS384, RS512, ES256, ES384 and ES512 signatures. `none`, HMAC (`HS*`), RSA-PSS (`PS*`) and `EdDSA` tokens are refused (the exact STS message is unconfirmed). GitLab signs ID tokens with RS256; another algorithm means the token did not come from GitLab's `id_tokens:`."#,
    bad: r#"{"alg": "HS256", "typ": "JWT"}"#,
    good: r#"{"alg": "RS256", "typ": "JWT", "kid": "…"}"#,
};
