//! `web-identity-token-not-an-id-token`: the variable passed as
//! `--web-identity-token` is not one of the job's `id_tokens`.
//!
//! Reported by the `.gitlab-ci.yml` front end ([`crate::gitlab::ci`]).

use super::RuleMeta;
use crate::finding::{Category, Severity};

pub static META: RuleMeta = RuleMeta {
    name: "web-identity-token-not-an-id-token",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: r#"the variable passed as `--web-identity-token` is not one of the job's `id_tokens`"#,
    aws_error: Some(super::NOT_A_JWT),
    fix: r#"pass the variable named under the job's (or `default:`'s) `id_tokens:`, or declare one"#,
    explanation: r#"GitLab puts an ID token into a job only when the job (or `default:`) declares it under `id_tokens:`, in a variable of the name given there. A `--web-identity-token "$OIDC_TOKEN"` whose variable is not declared (a typo, a token declared on another job, or a job that overrides `id_tokens:`) expands to an empty string or to something that is not a JWT, and STS refuses the call."#,
    bad: r#"deploy:
  id_tokens:
    GITLAB_OIDC_TOKEN:
      aud: https://gitlab.com
  script:
    - aws sts assume-role-with-web-identity --web-identity-token "$OIDC_TOKEN" …"#,
    good: r#"deploy:
  id_tokens:
    GITLAB_OIDC_TOKEN:
      aud: https://gitlab.com
  script:
    - aws sts assume-role-with-web-identity --web-identity-token "$GITLAB_OIDC_TOKEN" …"#,
};
