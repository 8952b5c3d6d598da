//! `duration-exceeds-max-session`: `--duration-seconds` outside 900–43,200, or
//! one that can exceed the role's MaxSessionDuration (`$CI_JOB_TIMEOUT`).
//!
//! Reported by the `.gitlab-ci.yml` front end ([`crate::gitlab::ci`]).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "duration-exceeds-max-session",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"`--duration-seconds` is outside 900–43,200 or can exceed the role's MaxSessionDuration (3,600 unless the role sets more)"#,
    aws_error: Some(
        "ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    ),
    fix: r#"request at most the role's MaxSessionDuration (3,600 by default), or raise MaxSessionDuration on the role; never pass the job timeout"#,
    explanation: r#"`DurationSeconds` must be between 900 and 43,200 and must not exceed the role's `MaxSessionDuration`, which is 3,600 seconds (one hour) unless the role sets more. STS checks it before the trust policy and refuses the whole call. `--duration-seconds "$CI_JOB_TIMEOUT"` is a common trap: the job timeout is in seconds, so a job allowed two hours asks for 7,200 and fails against a role left at the default, and a job limited to ten minutes asks for 600, below the minimum."#,
    bad: r#"- aws sts assume-role-with-web-identity --duration-seconds "${CI_JOB_TIMEOUT}" …"#,
    good: r#"- aws sts assume-role-with-web-identity --duration-seconds 3600 …"#,
};
