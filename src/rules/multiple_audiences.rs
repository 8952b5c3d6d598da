//! `multiple-audiences`: the token's `aud` is a list of several audiences.
//!
//! Reported by `decode` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "multiple-audiences",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: r#"the token's `aud` is a list of several audiences"#,
    aws_error: None,
    fix: r#"give `id_tokens:` a single `aud:` string matching the provider's client ID"#,
    explanation: r#"`id_tokens: NAME: aud:` may be a list, and the token's `aud` is then a JSON array. How STS matches a list against the provider's client IDs (and what `:aud` condition keys then hold) is unconfirmed; a single audience per token is the documented shape. Use one ID token per audience."#,
    bad: r#"id_tokens:
  AWS_TOKEN:
    aud: [https://gitlab.com, sts.amazonaws.com]"#,
    good: r#"id_tokens:
  AWS_TOKEN:
    aud: sts.amazonaws.com"#,
};
