//! `role-session-name-invalid`: the `--role-session-name` of an
//! `aws sts assume-role-with-web-identity` call is not 2–64 characters of
//! `[\w+=,.@-]`, or expands a CI variable that can hold other characters.
//!
//! Reported by the `.gitlab-ci.yml` front end ([`crate::gitlab::ci`]).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "role-session-name-invalid",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"`--role-session-name` is not 2–64 characters of `[\w+=,.@-]`, or expands a CI variable (a branch name) that can contain `/`"#,
    aws_error: Some(
        r#"ValidationError: 1 validation error detected: Value '…' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"#,
    ),
    fix: r#"build the session name from IDs only (`gitlab-$CI_PROJECT_ID-$CI_JOB_ID`), or from `$CI_COMMIT_REF_SLUG`, never from a branch name"#,
    explanation: r#"STS validates `RoleSessionName` before anything else: 2 to 64 characters, each a letter, digit, `_` or one of `+=,.@-`. A name built from `$CI_COMMIT_REF_NAME`, `$CI_COMMIT_BRANCH`, `$CI_COMMIT_TAG`, `$CI_PROJECT_PATH` or `$CI_JOB_NAME` works on `main` and fails on `feature/x` (or a job called `deploy: prod`) with a ValidationError. IDs (`$CI_JOB_ID`, `$CI_PIPELINE_ID`, `$CI_PROJECT_ID`) and slugs (`$CI_COMMIT_REF_SLUG`, `$CI_PROJECT_PATH_SLUG`) only hold allowed characters. The same holds for an `AWS_ROLE_SESSION_NAME` variable, which the AWS CLI and SDKs use with `AWS_WEB_IDENTITY_TOKEN_FILE`."#,
    bad: r#"- aws sts assume-role-with-web-identity --role-session-name "deploy-$CI_COMMIT_REF_NAME" …"#,
    good: r#"- aws sts assume-role-with-web-identity --role-session-name "deploy-$CI_JOB_ID" …"#,
};
