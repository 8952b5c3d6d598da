//! `token-too-long`: the token is longer than the 20,000 characters STS accepts.
//!
//! Reported by `decode` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "token-too-long",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the token is longer than the 20,000 characters STS accepts"#,
    aws_error: None,
    fix: r#"pass the ID token itself; GitLab ID tokens are 1–2 KB"#,
    explanation: r#"`AssumeRoleWithWebIdentity` accepts a `WebIdentityToken` of 4 to 20,000 characters and rejects longer values in request validation, before looking at the token. A GitLab ID token is about 1–2 KB; a value this long is usually several variables concatenated or a file with more than the token in it."#,
    bad: r#"export TOKEN="$AWS_TOKEN$AWS_TOKEN_2"   # 24,310 characters"#,
    good: r#"export TOKEN="$AWS_TOKEN"   # 1,204 characters"#,
};
