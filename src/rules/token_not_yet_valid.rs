//! `token-not-yet-valid`: the token's `nbf` is in the future.
//!
//! Reported by `decode` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "token-not-yet-valid",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the token's `nbf` is in the future"#,
    aws_error: None,
    fix: r#"check the clock of the machine calling STS (and of the GitLab instance)"#,
    explanation: r#"A token is not valid before its `nbf` (GitLab sets `nbf = iat - 5 s`). A token that is not yet valid means the clocks of the GitLab instance and of the machine judging it disagree, or `--now` is earlier than the job. STS rejects it (the exact message is unconfirmed)."#,
    bad: r#"{"nbf": 1767225595}   # --now 2026-01-01T00:00:00Z, 1,767,225,600 - 3,600"#,
    good: r#"{"nbf": 1767225595}   # --now 2026-01-01T00:00:00Z"#,
};
