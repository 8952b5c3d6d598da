//! `legacy-ci-job-jwt`: a `.gitlab-ci.yml` uses `CI_JOB_JWT`, `CI_JOB_JWT_V1` or
//! `CI_JOB_JWT_V2`, or a token has the legacy shape (an `iss` without a scheme);
//! all removed in GitLab 17.0.
//!
//! Reported by the `.gitlab-ci.yml` front end ([`crate::gitlab::ci`]) and by the
//! token rules of `decode` ([`crate::token::analyze`]).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "legacy-ci-job-jwt",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the job uses `CI_JOB_JWT`, `CI_JOB_JWT_V1` or `CI_JOB_JWT_V2`, or the token is a legacy job JWT (`iss` without a scheme), removed in GitLab 17.0"#,
    aws_error: None,
    fix: r#"declare `id_tokens:` in the job (with the `aud` your IAM provider lists) and pass that variable instead"#,
    explanation: r#"GitLab's legacy job JWTs (`CI_JOB_JWT`, `CI_JOB_JWT_V1`, `CI_JOB_JWT_V2`) were deprecated in GitLab 15.9 and removed in 17.0: on a current instance the variable is empty, so `aws sts assume-role-with-web-identity --web-identity-token "$CI_JOB_JWT_V2"` sends no token at all. The v1 token also carried an `iss` without `https://` and no audience you choose, which no IAM OIDC provider matches; `oidc-doctor decode` reports a token of that shape. ID tokens declared with `id_tokens:` replace them; their `aud` must be one of the provider's client IDs."#,
    bad: r#"deploy:
  script:
    - aws sts assume-role-with-web-identity --role-arn "$ROLE_ARN"
        --role-session-name "gitlab-$CI_JOB_ID" --web-identity-token "$CI_JOB_JWT_V2""#,
    good: r#"deploy:
  id_tokens:
    GITLAB_OIDC_TOKEN:
      aud: https://gitlab.com
  script:
    - aws sts assume-role-with-web-identity --role-arn "$ROLE_ARN"
        --role-session-name "gitlab-$CI_JOB_ID" --web-identity-token "$GITLAB_OIDC_TOKEN""#,
};
