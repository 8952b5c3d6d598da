//! `legacy-ci-job-jwt`: the token is a legacy `CI_JOB_JWT` (issuer without a scheme), removed in GitLab 17.0.
//!
//! Reported by `decode` (and later `check`).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "legacy-ci-job-jwt",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the token is a legacy `CI_JOB_JWT` (issuer without a scheme), removed in GitLab 17.0"#,
    aws_error: None,
    fix: r#"declare `id_tokens:` in the job and pass that variable instead of CI_JOB_JWT/CI_JOB_JWT_V1"#,
    explanation: r#"GitLab's legacy job JWT (`CI_JOB_JWT`, `CI_JOB_JWT_V1`) carried an `iss` without `https://` and no audience you choose; `CI_JOB_JWT_V2` and all three variables were deprecated in 15.9 and removed in 17.0. IAM providers are registered with an `https://` URL, so STS finds no provider for such a token."#,
    bad: r#"{"iss": "gitlab.com", "sub": "job_1234", …}"#,
    good: r#"{"iss": "https://gitlab.com", "aud": "https://gitlab.com", "sub": "project_path:g/p:ref_type:branch:ref:main", …}"#,
};
