//! `token-expired`: the token's `exp` is in the past.
//!
//! Reported by `decode` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "token-expired",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the token's `exp` is in the past"#,
    aws_error: Some(super::EXPIRED_TOKEN),
    fix: r#"request the credentials early in the job, or raise the job timeout (GitLab sets exp = iat + job timeout)"#,
    explanation: r#"STS refuses a token whose `exp` has passed. GitLab sets `exp` to the job's start plus its timeout (5 minutes without one), so a long job that assumes the role late, or a retry of an old token, fails. The check uses `--now` when given."#,
    bad: r#"{"iat": 1767225600, "exp": 1767225900}   # --now 2026-01-01T01:00:00Z"#,
    good: r#"{"iat": 1767225600, "exp": 1767229200}   # --now 2026-01-01T00:10:00Z"#,
};
