//! `token-missing-claim`: the token lacks a claim STS or the trust policy needs (`iss`, `sub`, `aud`, `exp`, `iat`).
//!
//! Reported by `decode` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "token-missing-claim",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the token lacks a claim STS or the trust policy needs (`iss`, `sub`, `aud`, `exp`, `iat`)"#,
    aws_error: None,
    fix: r#"use a GitLab ID token from `id_tokens:` with an `aud:`; it carries every claim"#,
    explanation: r#"STS needs `iss` to find the provider, `aud` (or `azp`) to check the client ID, `exp` and `iat` to judge time, and the trust policy's `sub` condition needs `sub`. A token without one of them is refused (for `aud`, reported as `Missing a required claim: aud`; wording unconfirmed) or never matches the policy."#,
    bad: r#"{"iss": "https://gitlab.com", "sub": "project_path:g/p:ref_type:branch:ref:main", "exp": 1767229200, "iat": 1767225600}"#,
    good: r#"{"iss": "https://gitlab.com", "aud": "sts.amazonaws.com", "sub": "project_path:g/p:ref_type:branch:ref:main", "exp": 1767229200, "iat": 1767225600}"#,
};
