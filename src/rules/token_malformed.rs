//! `token-malformed`: the token is not a well-formed JWT.
//!
//! Reported by the evaluation of a request (simulate/check).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "token-malformed",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the token is not a well-formed JWT"#,
    aws_error: Some(super::NOT_A_JWT),
    fix: r#"pass the ID token from the job's `id_tokens:` variable, not another CI variable"#,
    explanation: r#"STS accepts only a compact signed JWT: three base64url parts (header, claims, signature) whose first two are JSON objects. A GitLab access token, a job token, an encrypted token or a variable holding something else is rejected with `InvalidIdentityToken`."#,
    bad: r#"aws sts assume-role-with-web-identity --web-identity-token "$CI_JOB_TOKEN" ..."#,
    good: r#"id_tokens:
  AWS_TOKEN:
    aud: https://gitlab.com
script:
  - aws sts assume-role-with-web-identity --web-identity-token "$AWS_TOKEN" ..."#,
};
